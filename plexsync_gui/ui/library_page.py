"""The Library tab: Stash scenes without their Plex item (by reason), Plex items without a scene, and what to do.

The check runs in the coverage worker (see coverage_service.py) the first time the tab is shown and whenever the
user asks; the tab only shows its rows and turns button presses into requests. Every action works on the selected
rows the filter shows, like the other tabs, and each button is enabled only for rows it can help.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QInputDialog, QLabel, QWidget

from plexsync_gui.core.coverage.report import IGNORED, CoverageReport, CoverageRow, Reason
from plexsync_gui.ui.coverage_service import CoverageService, reason_choices
from plexsync_gui.ui.main_window import TablePage

NOT_CHECKED = "Not checked yet. The check compares every Stash scene with the files of the Plex libraries."
ALL_GOOD = "Every Stash scene has its Plex item, and every Plex item its Stash scene."
NOTHING_HERE = "No rows of this kind."

Chooser = Callable[[CoverageRow], str | None]  # the Plex item picked for an ambiguous row, or None


def ask_for_item(parent: QWidget) -> Chooser:
    def choose(row: CoverageRow) -> str | None:
        labels = [f"Plex item {key}" for key in row.rating_keys]
        text = f"Several Plex items have the file of “{row.title}”:\n{row.plex_path}\nWhich one is this scene?"
        label, ok = QInputDialog.getItem(parent, "Pick the Plex item", text, labels, 0, False)
        return row.rating_keys[labels.index(label)] if ok and label in labels else None
    return choose


class LibraryPage(TablePage):
    def __init__(self, coverage: CoverageService, choose: Chooser | None = None) -> None:
        super().__init__(coverage.model, NOT_CHECKED, "Filter by scene, title, file or library")
        self.coverage = coverage
        self.choose = choose or ask_for_item(self)
        self.checked = False  # a check was asked for (the first showing of the tab asks for one)
        self.reason_box = QComboBox()
        self.reason_box.setToolTip("Show the rows of one problem, or the ignored rows")
        self.buttons.insertWidget(0, self.reason_box)
        self.check_button = self.add_button("Check again", self.check, needs_selection=False)
        self.scan_button = self.add_button("Scan folder in Plex", self.scan_selected)
        self.scan_button.setToolTip("Ask Plex to scan the folders of the selected not-scanned files now")
        self.pick_button = self.add_button("Pick Plex item…", self.pick_selected)
        self.pick_button.setToolTip("Choose which of several Plex items is this scene; PlexSync remembers it")
        self.ignore_button = self.add_button("Ignore", self.ignore_selected)
        self.ignore_button.setToolTip("Hide the selected rows from this list (Ignored shows them again)")
        self.unignore_button = self.add_button("Show again", self.unignore_selected)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.box.insertWidget(1, self.note)
        self._fill_reasons(None)
        self.reason_box.currentIndexChanged.connect(self._reason_chosen)
        coverage.report_changed.connect(self._report_changed)
        coverage.busy_changed.connect(self._busy_changed)
        coverage.progress_text.connect(self.note.setText)
        coverage.message.connect(self.note.setText)
        self._selection_changed()

    # ---- requests ----------------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.checked:
            self.check()

    @Slot()
    def check(self) -> None:
        self.checked = True
        self.coverage.check()

    @Slot()
    def scan_selected(self) -> None:
        paths = [row.plex_path for row in self._selected(Reason.NOT_SCANNED) if row.plex_path]
        if paths:
            self.coverage.scan(paths)

    @Slot()
    def pick_selected(self) -> None:
        rows = self._selected(Reason.AMBIGUOUS)
        if len(rows) != 1 or rows[0].scene_id is None:
            return
        rating_key = self.choose(rows[0])
        if rating_key is not None:
            self.coverage.pick(rows[0].scene_id, rating_key)

    @Slot()
    def ignore_selected(self) -> None:
        self.coverage.set_ignored([row.ref for row in self._selected() if not row.ignored], True)

    @Slot()
    def unignore_selected(self) -> None:
        self.coverage.set_ignored([row.ref for row in self._selected() if row.ignored], False)

    def _selected(self, reason: Reason | None = None) -> list[CoverageRow]:
        rows = self.coverage.rows(self.selected_ids())
        return [row for row in rows if reason is None or row.reason == reason]

    # ---- display -----------------------------------------------------------------------------------------------

    @Slot()
    def _selection_changed(self) -> None:
        """Each button only for the rows it can help (the base class enables them on any selection)."""
        super()._selection_changed()
        if not hasattr(self, "unignore_button"):
            return  # called from the base class's constructor, before the buttons exist
        rows = self._selected()
        self.scan_button.setEnabled(any(r.reason == Reason.NOT_SCANNED and not r.ignored for r in rows))
        self.pick_button.setEnabled(len(rows) == 1 and rows[0].reason == Reason.AMBIGUOUS and not rows[0].ignored)
        self.ignore_button.setEnabled(any(not r.ignored for r in rows))
        self.unignore_button.setEnabled(any(r.ignored for r in rows))

    @Slot(object)
    def _report_changed(self, report: CoverageReport) -> None:
        self._fill_reasons(report)
        self.empty.setText(ALL_GOOD if not report.select() and self.coverage.reason is None else NOTHING_HERE)
        self.note.setText(f"{report.scenes:,} Stash scenes, {report.matched:,} with their Plex item; "
                          f"{report.items:,} Plex items in {', '.join(report.libraries) or 'no library'}.")
        self._selection_changed()

    @Slot(bool)
    def _busy_changed(self, busy: bool) -> None:
        self.check_button.setEnabled(not busy)

    def _fill_reasons(self, report: CoverageReport | None) -> None:
        """The filter's entries with their counts, keeping the chosen one."""
        self.reason_box.blockSignals(True)
        self.reason_box.clear()
        for label, reason in reason_choices(report):
            self.reason_box.addItem(label, reason)
        self.reason_box.setCurrentIndex(max(self.reason_box.findData(self.coverage.reason), 0))
        self.reason_box.blockSignals(False)

    @Slot(int)
    def _reason_chosen(self, index: int) -> None:
        reason = self.reason_box.itemData(index)
        self.coverage.show_reason(reason if reason in {*[r.value for r in Reason], IGNORED} else None)
        report = self.coverage.report
        if report is not None:
            self._report_changed(report)


def library_tab_title(report: CoverageReport | None) -> str:
    """"Library (6)": the rows not ignored, once a check has run."""
    count = len(report.select()) if report is not None else 0
    return f"Library ({count:,})" if count else "Library"
