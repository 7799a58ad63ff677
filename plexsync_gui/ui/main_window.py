"""The main window: the live queue, the failed scenes with their details, recent activity and connection state.

Every action works on the current selection (one row or many) and resolves it to ids through the proxy, so sorting
and filtering never retarget a click. All changes go through the SyncService; the window only reads models.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QIcon, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from plexsync_gui.core.preview.compute import value_text
from plexsync_gui.core.storage.store import DeadLetterDetail
from plexsync_gui.core.sync.undo import UndoReport
from plexsync_gui.ui import wording
from plexsync_gui.ui.chart import ActivityChart
from plexsync_gui.ui.models import ID_ROLE, KeyedTableModel, TableProxy
from plexsync_gui.ui.service import SyncService
from plexsync_gui.ui.times import local_time, relative_time
from plexsync_gui.ui.widgets import WARNING_COLOUR
from plexsync_gui.ui.worker import status_summary

POSTER_WIDTH = 170  # the worker's THUMBNAIL_PX and a margin
CANDIDATE_ICON = QSize(48, 72)  # a Plex poster's 2:3 in the picker's rows
TIME_REFRESH_MS = 30_000  # "2 min ago" is re-read this often while the window is open

Confirm = Callable[[str, str], bool]


def ask(parent: QWidget) -> Confirm:
    def confirm(title: str, question: str) -> bool:
        answer = QMessageBox.question(parent, title, question)
        return answer == QMessageBox.StandardButton.Yes
    return confirm


class MiddleElide(QStyledItemDelegate):
    """Paths keep their start (the library) and their end (the file name); the full path is in the tooltip."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class TablePage(QWidget):
    """A filterable table with an empty-state message and a row of action buttons above it."""

    def __init__(self, model: KeyedTableModel, empty_text: str, filter_hint: str,
                 details: QWidget | None = None) -> None:
        super().__init__()
        self.model = model
        self._needs_selection: list[QPushButton | QAction] = []
        self.proxy = TableProxy(model, self)
        self.view = QTableView()
        self.view.setModel(self.proxy)
        if model.sort_order is not None:  # before sorting is enabled, which sorts by the indicator at once
            self.view.horizontalHeader().setSortIndicator(*model.sort_order)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicatorShown(True)
        self._middle_elide = MiddleElide(self.view)
        for number, column_spec in enumerate(model.columns):
            if column_spec.elide_middle:
                self.view.setItemDelegateForColumn(number, self._middle_elide)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.view.verticalHeader().setVisible(False)
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for number, column in enumerate(model.columns):
            header.resizeSection(number, column.width)
        self.empty = QLabel(empty_text)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setStyleSheet("color: palette(mid); font-size: 14px; padding: 24px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.view)
        self.buttons = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(filter_hint)
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.buttons.addWidget(self.filter, 1)
        self.box = layout = QVBoxLayout(self)  # `box`: a view may add a widget under the buttons (the chart)
        layout.addLayout(self.buttons)
        if details is None:
            layout.addWidget(self.stack, 1)
        else:
            splitter = QSplitter(Qt.Orientation.Vertical)
            splitter.addWidget(self.stack)
            splitter.addWidget(details)
            splitter.setStretchFactor(0, 1)  # an even split: the details pane shows the fields side by side
            splitter.setStretchFactor(1, 1)
            layout.addWidget(splitter, 1)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.proxy.modelReset.connect(self._selection_changed)  # a reset drops the selection without a signal
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self._update_empty_state)
        self._update_empty_state()

    def add_button(self, text: str, handler: Callable[[], None], needs_selection: bool = True,
                   shortcut: QKeySequence | QKeySequence.StandardKey | None = None) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(handler)
        self.buttons.addWidget(button)
        action = QAction(text, self.view)
        action.triggered.connect(handler)
        if shortcut is not None:
            action.setShortcut(shortcut)
        if needs_selection:
            self.view.addAction(action)
            self._needs_selection += [button, action]
            self._selection_changed()
        return button

    @Slot()
    def _selection_changed(self) -> None:
        has = self.view.selectionModel().hasSelection()
        for widget in self._needs_selection:
            widget.setEnabled(has)

    def select_id(self, row_id: int) -> bool:
        """Make the row with this id the current, selected one; False when the filter hides it (or it is gone)."""
        position = self.model.position(row_id)
        index = self.proxy.mapFromSource(self.model.index(position, 0)) if position is not None else QModelIndex()
        if not index.isValid():
            return False
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.view.selectionModel().setCurrentIndex(index, flags)
        return True

    def selected_ids(self) -> list[int]:
        """The ids of the selected rows the user can see: rows hidden by the filter are never acted on."""
        return self.proxy.ids(index.row() for index in self.view.selectionModel().selectedRows())

    @Slot()
    def _update_empty_state(self) -> None:
        self.stack.setCurrentWidget(self.view if self.model.rowCount() else self.empty)


QUEUE_EMPTY = "The queue is empty: every change in Stash has reached Plex."
UNDO_SELECTED = "Undo PlexSync's changes…"
UNDO_ALL = "Undo PlexSync's changes…"


def undo_question(which: str) -> str:
    return (f"Put back what Plex showed before PlexSync changed it, for {which}? Their titles, descriptions, tags, "
            "collections, locks and posters return to Plex's own values, and these scenes are no longer synced "
            "until you sync them again explicitly (Activity > Sync again).")
NOT_SET_UP = "PlexSync is not set up yet: connect it to Stash and Plex in PlexSync > Settings…"


class MainWindow(QMainWindow):
    settings_requested = Signal()
    quit_requested = Signal()
    open_logs_requested = Signal()
    pause_toggled = Signal(bool)
    preview_requested = Signal()

    def __init__(self, service: SyncService, confirm: Confirm | None = None) -> None:
        super().__init__()
        self.service = service
        self.confirm = confirm or ask(self)
        self.close_to_tray = False  # set by the app when a tray icon exists
        self.ask_on_close: Callable[[], str] | None = None  # "hide", "quit" or "cancel" when there is no tray
        self.quitting = False  # set when the app quits: closing must not hide or ask then
        self.not_set_up = False  # no settings saved yet: nothing runs, so there is nothing to report
        self.setWindowTitle("PlexSync")
        self.resize(1100, 640)
        self.tabs = QTabWidget()
        self.queue_page = self._queue_page()
        self.failed_page, self.details = self._failed_page()
        self.activity_page = TablePage(service.activity_model, "No syncs yet. Changes made in Stash show up here.",
                                       "Filter activity")
        self.activity_page.view.setIconSize(QSize(40, 22))
        self.activity_chart = ActivityChart(service.activity_model)
        self.activity_page.box.insertWidget(1, self.activity_chart)
        self.activity_page.add_button("Sync again", self.sync_selected_again)
        self.activity_page.add_button(UNDO_SELECTED, self.undo_selected)
        self.undo_box: QMessageBox | None = None
        service.undo_done.connect(self.show_undo_result)
        self.tabs.addTab(self.queue_page, "")
        self.tabs.addTab(self.failed_page, "")
        self.tabs.addTab(self.activity_page, "")
        from plexsync_gui.ui.library_page import LibraryPage  # here: it builds on this module's TablePage

        self.library_page = LibraryPage(service.coverage)
        self.tabs.addTab(self.library_page, "")
        service.coverage.report_changed.connect(self._update_tab_titles)
        self.setCentralWidget(self.tabs)
        self._build_menu()
        self._build_status_bar()
        for model in (service.queue_model, service.failed_model, service.activity_model):
            for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
                signal.connect(self._update_tab_titles)
        service.status_changed.connect(self.show_status)
        service.detail_ready.connect(self.details.show_detail)
        service.failed_model.dataChanged.connect(self._refresh_detail_if_shown)
        service.failed_model.rowsInserted.connect(self._follow_shown_scene)
        self.failed_page.proxy.modelReset.connect(self._follow_shown_scene)
        self._time_timer = QTimer(self)
        self._time_timer.setInterval(TIME_REFRESH_MS)
        self._time_timer.timeout.connect(self.refresh_times)
        self._time_timer.start()
        self._update_tab_titles()
        self.show_status(service.status)

    # ---- pages -------------------------------------------------------------------------------------------------

    def _queue_page(self) -> TablePage:
        page = TablePage(self.service.queue_model, QUEUE_EMPTY,
                         "Filter by scene, title, path or error")
        page.add_button("Retry now", self.retry_selected_jobs)
        page.add_button("Remove", self.remove_selected_jobs, shortcut=QKeySequence.StandardKey.Delete)
        return page

    def _failed_page(self) -> tuple[TablePage, DetailsPane]:
        details = DetailsPane(self.service)
        page = TablePage(self.service.failed_model, "Nothing failed.", "Filter by scene, title or error", details)
        page.add_button("Retry", self.retry_selected_failed)
        page.add_button("Discard", self.discard_selected_failed, shortcut=QKeySequence.StandardKey.Delete)
        page.add_button("Retry all", self.retry_all_failed, needs_selection=False)
        page.add_button("Discard all", self.discard_all_failed, needs_selection=False)
        page.view.selectionModel().currentRowChanged.connect(self._show_failed_detail)
        return page, details

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&PlexSync")
        self.sync_action = menu.addAction("Sync now")
        self.sync_action.triggered.connect(self.service.sync_now)
        self.pause_action = menu.addAction("Pause syncing")
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self.pause_toggled)
        menu.addSeparator()
        self.preview_action = menu.addAction("Preview changes…")
        self.preview_action.triggered.connect(self.preview_requested)
        self.undo_all_action = menu.addAction(UNDO_ALL)
        self.undo_all_action.triggered.connect(self.undo_all)
        menu.addSeparator()
        menu.addAction("Settings…").triggered.connect(self.settings_requested)
        menu.addAction("Open log folder").triggered.connect(self.open_logs_requested)
        menu.addSeparator()
        quit_action = menu.addAction("Quit")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.quit_requested)

    def _build_status_bar(self) -> None:
        self.stash_label = QLabel()
        self.plex_label = QLabel()
        self.breaker_label = QLabel()
        self.summary_label = QLabel()
        self.in_step_label = QLabel()
        self.tls_label = QLabel()
        self.tls_label.hide()
        self.events_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(360)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.hide()
        bar = self.statusBar()
        for label in (self.stash_label, self.plex_label, self.breaker_label, self.tls_label):
            bar.addWidget(label)
        bar.addPermanentWidget(self.progress_bar)
        # The right-hand parts are separate labels: a "·" between them, as within the summary, so that "Live
        # updates" and "38 scenes in step" do not read as one phrase.
        self.part_separators = [_part_separator(), _part_separator()]
        for widget in (self.events_label, self.part_separators[0], self.in_step_label, self.part_separators[1],
                       self.summary_label):
            bar.addPermanentWidget(widget)

    def show_unverified_tls(self, servers: list[str]) -> None:
        """Certificate checks turned off stay in sight for as long as they are off, not only in the log."""
        names = ", ".join(name.capitalize() for name in servers)
        self.tls_label.setText(f"⚠ TLS not verified: {names}")
        self.tls_label.setToolTip(f"The certificates of {names} are not checked (verify_tls = false), so anyone on "
                                  "the network path could read the token or API key. Prefer a CA bundle (ca_bundle).")
        self.tls_label.setVisible(bool(servers))

    # ---- status ------------------------------------------------------------------------------------------------

    def show_not_set_up(self, not_set_up: bool) -> None:
        """Before the first save nothing runs: the window says so, instead of "Starting…" or promising that every
        change has reached Plex."""
        self.not_set_up = not_set_up
        self.queue_page.empty.setText(NOT_SET_UP if not_set_up else QUEUE_EMPTY)
        for label in (self.plex_label, self.breaker_label, self.summary_label, *self.part_separators):
            label.setVisible(not not_set_up)
        for action in (self.sync_action, self.pause_action, self.preview_action, self.undo_all_action):
            action.setEnabled(not not_set_up)
        self.show_status(self.service.status)

    @Slot(dict)
    def show_status(self, status: dict[str, Any]) -> None:
        if self.not_set_up:
            self.stash_label.setText("⚠ Not set up: open Settings… to connect Stash and Plex")
            return
        if not status:
            self.stash_label.setText("Starting…")
            return
        self.stash_label.setText(_connection_text("Stash", status.get("stash_error"), status.get("last_poll_at"),
                                                  bool(status.get("stash_config_problem"))))
        self.stash_label.setToolTip(status.get("stash_error") or "")
        plex_problem = status.get("plex_error")
        self.plex_label.setText(_connection_text("Plex", plex_problem, True))
        self.plex_label.setToolTip(plex_problem or "")
        self.breaker_label.setText(plex_problem or "")
        self.breaker_label.setVisible(bool(plex_problem))
        summary = status_summary(status)
        self.summary_label.setText(("Paused · " if status.get("paused") else "") + summary)
        last = status.get("last_synced_at")
        self.summary_label.setToolTip(f"Last sync: {local_time(last)}" if last else "")
        events_text, events_tip = wording.events_state(status.get("events"))
        self.events_label.setText(events_text)
        self.events_label.setToolTip(events_tip)
        self.in_step_label.setText(f"{status.get('synced', 0):,} scenes in step")
        self.in_step_label.setToolTip("Scenes whose Plex item has everything Stash knows")
        self._show_progress(status)
        self.pause_action.blockSignals(True)
        self.pause_action.setChecked(bool(status.get("paused")))
        self.pause_action.blockSignals(False)

    def _show_progress(self, status: dict[str, Any]) -> None:
        snapshot = status.get("progress")
        self.progress_bar.setVisible(snapshot is not None and bool(status.get("syncing")))
        if snapshot is None:
            return
        self.progress_bar.setRange(0, max(snapshot.total, 1))
        self.progress_bar.setValue(snapshot.done)
        self.progress_bar.setFormat(snapshot.text)
        self.progress_bar.setToolTip(f"Syncing: {snapshot.text}")

    @Slot()
    def refresh_times(self) -> None:
        for model in (self.service.queue_model, self.service.failed_model, self.service.activity_model):
            model.refresh_times()

    @Slot()
    def _update_tab_titles(self) -> None:
        for page, name in ((self.queue_page, "Queue"), (self.failed_page, "Failed"), (self.activity_page, "Activity")):
            count = page.model.rowCount()
            self.tabs.setTabText(self.tabs.indexOf(page), f"{name} ({count:,})" if count else name)
        from plexsync_gui.ui.library_page import library_tab_title

        self.tabs.setTabText(self.tabs.indexOf(self.library_page), library_tab_title(self.service.coverage.report))

    # ---- actions -----------------------------------------------------------------------------------------------

    @Slot()
    def retry_selected_jobs(self) -> None:
        self.service.retry_jobs(self.queue_page.selected_ids())

    @Slot()
    def remove_selected_jobs(self) -> None:
        ids = self.queue_page.selected_ids()
        if ids and self.confirm("Remove from queue",
                                f"Remove {_scenes(len(ids))} from the queue? "
                                "They sync again when they change in Stash."):
            self.service.remove_jobs(ids)

    @Slot()
    def retry_selected_failed(self) -> None:
        self.service.retry_failed(self.failed_page.selected_ids())

    @Slot()
    def discard_selected_failed(self) -> None:
        ids = self.failed_page.selected_ids()
        if ids and self.confirm("Discard", f"Discard {_scenes(len(ids))}? They sync again when they change in Stash."):
            self.service.discard_failed(ids)

    @Slot()
    def retry_all_failed(self) -> None:
        if self.service.failed_model.rowCount():
            self.service.retry_failed(None)

    @Slot()
    def discard_all_failed(self) -> None:
        count = self.service.failed_model.rowCount()
        if count and self.confirm("Discard all", f"Discard all {_scenes(count)} that failed?"):
            self.service.discard_failed(None)

    def _selected_activity_scenes(self) -> list[str]:
        """The scenes of the selected Activity rows (a note from Plex about no scene in particular has none)."""
        rows = [self.activity_page.model.row(i) for i in self.activity_page.selected_ids()]
        return sorted({row.scene_id for row in rows if row is not None and row.scene_id},
                      key=lambda s: (len(s), s))

    def sync_selected_again(self) -> None:
        """Queue the selected scenes again, compared with Plex as they are (and resumed after an undo)."""
        self.service.sync_scenes(self._selected_activity_scenes())

    def undo_selected(self) -> None:
        """Undo PlexSync's changes to the Plex items of the scenes selected in Activity, after a confirmation."""
        scenes = self._selected_activity_scenes()
        if scenes and self.confirm("Undo PlexSync's changes", undo_question(f"{_scenes(len(scenes))} selected")):
            self.service.undo(scenes)

    def undo_all(self) -> None:
        if self.confirm("Undo PlexSync's changes", undo_question("every scene PlexSync changed")):
            self.service.undo(None)

    @Slot(object)
    def show_undo_result(self, result: object) -> None:
        """The undo's one line, in the status bar and a message that does not block the window."""
        text = result.summary() if isinstance(result, UndoReport) else str(result)
        message = f"{text[0].upper()}{text[1:]}." if text else "Undo finished."
        self.statusBar().showMessage(message, 30_000)
        if self.undo_box is not None:
            self.undo_box.close()
        self.undo_box = QMessageBox(QMessageBox.Icon.Information, "PlexSync", message, parent=self)
        self.undo_box.open()

    @Slot(QModelIndex, QModelIndex)
    def _show_failed_detail(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            [dead_letter_id] = self.failed_page.proxy.ids([current.row()])
            self.service.fetch_detail(dead_letter_id)
        else:
            self.details.clear()

    @Slot()
    def _follow_shown_scene(self) -> None:
        """Keep the details pane on its scene while the table changes under it. A scene that fails again after a
        change in Stash comes back as a new row: select it, which fetches its fresh detail. A reset (discard all,
        a large change) drops the selection without a signal: the pane clears unless its scene is still there,
        so no button acts on a row the user no longer sees."""
        scene_id = self.details.scene_id
        row_id = self.service.failed_model.find(lambda row: row.scene_id == scene_id) if scene_id else None
        if row_id is None:
            if not self.failed_page.view.selectionModel().currentIndex().isValid():
                self.details.clear()
            return
        if not self.failed_page.select_id(row_id):
            self.details.clear()
        elif self.details.dead_letter_id != row_id:
            self.service.fetch_detail(row_id)

    @Slot(QModelIndex, QModelIndex)
    def _refresh_detail_if_shown(self, top_left: QModelIndex, bottom_right: QModelIndex) -> None:
        """The shown scene failed again in place (new error, attempts, time): fetch its detail anew."""
        shown = self.details.dead_letter_id
        if shown is None or top_left.column() != 0:  # column 0 only: the clock ticking "2 min ago" is no change
            return
        model = self.service.failed_model
        if shown in (model.index(r, 0).data(ID_ROLE) for r in range(top_left.row(), bottom_right.row() + 1)):
            self.service.fetch_detail(shown)

    def show_failed_tab(self) -> None:
        self.tabs.setCurrentWidget(self.failed_page)
        self.raise_and_show()

    def raise_and_show(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing hides to the tray when there is one; without one, ask rather than strand the user."""
        if self.quitting:
            event.accept()
            return
        choice = "hide" if self.close_to_tray else (self.ask_on_close() if self.ask_on_close else "quit")
        if choice == "quit":
            event.accept()
            self.quit_requested.emit()
        elif choice == "hide":
            event.ignore()
            self.hide()
        else:
            event.ignore()


class DetailsPane(QWidget):
    """The full error and the job's data for one failed scene; for an ambiguous match, the candidates to pick from."""

    def __init__(self, service: SyncService) -> None:
        super().__init__()
        self.service = service
        self.dead_letter_id: int | None = None
        self.detail: DeadLetterDetail | None = None
        self.scene_id: str | None = None  # kept across a new dead letter of the same scene (it failed again)
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.candidates = QListWidget()
        self.candidates.setIconSize(CANDIDATE_ICON)
        self.choose_button = QPushButton("Use this Plex item and retry")
        self.choose_button.clicked.connect(self.choose)
        self.open_button = QPushButton("Open in Plex")
        self.open_button.setToolTip("Show the selected item in Plex Web, to compare the candidates there")
        self.open_button.clicked.connect(self.open_in_plex)
        self.candidates.currentItemChanged.connect(self._candidate_changed)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.choose_button)
        self.candidate_box = QWidget()
        box = QVBoxLayout(self.candidate_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(QLabel("Several Plex items have this file. Pick the right one; PlexSync remembers it:"))
        box.addWidget(self.candidates)
        box.addLayout(buttons)
        self.poster = QLabel()
        self.poster.setFixedWidth(POSTER_WIDTH)
        self.poster.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        if service is not None:
            service.poster_ready.connect(self.show_poster)
            service.plex_now_ready.connect(self.show_plex_now)
            service.candidates_ready.connect(self.show_candidate_facts)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.poster)
        layout.addWidget(self.text, 3)
        layout.addWidget(self.candidate_box, 2)
        self.clear()

    def clear(self) -> None:
        self.dead_letter_id = self.scene_id = self.detail = None
        self.text.setPlainText("Select a failed scene to see the full error and the data PlexSync tried to write.")
        self.candidates.clear()
        self.candidate_box.hide()
        self._candidate_changed()
        self.poster.clear()

    @Slot(object)
    def show_detail(self, detail: DeadLetterDetail | None) -> None:
        """One dead letter in full; None (it was retried or discarded meanwhile) clears the pane."""
        if detail is None:
            self.clear()
            return
        self.dead_letter_id, self.scene_id, self.detail = detail.id, detail.scene_id, detail
        self.text.setHtml(detail_html(detail))
        if self.service is not None:
            self.service.fetch_plex_now(detail.id)
        self.poster.clear()
        url = detail.payload.get("screenshot_url")
        if url and self.service is not None:
            self.service.request_poster(detail.scene_id, url)
        self.candidates.clear()
        for candidate in detail.candidates:
            item = QListWidgetItem(candidate_text(candidate))
            item.setData(Qt.ItemDataRole.UserRole, candidate["rating_key"])
            self.candidates.addItem(item)
        self.candidate_box.setVisible(self.candidates.count() > 0)
        if detail.candidates and self.service is not None:
            self.service.fetch_candidates(detail.id, [c["rating_key"] for c in detail.candidates])

    @Slot(int, list)
    def show_candidate_facts(self, dead_letter_id: int, facts: list[dict[str, Any]]) -> None:
        """The worker's reading of each candidate in Plex: its poster, added date, duration, size, Plex Web page."""
        if self.detail is None or dead_letter_id != self.detail.id:
            return
        by_key = {fact["rating_key"]: fact for fact in facts}
        for row, candidate in enumerate(self.detail.candidates):
            item, fact = self.candidates.item(row), by_key.get(candidate["rating_key"], {})
            item.setText(candidate_text(candidate, fact))
            item.setData(WEB_URL_ROLE, fact.get("web_url"))
            image = fact.get("image")
            if isinstance(image, QImage) and not image.isNull():
                item.setIcon(QIcon(QPixmap.fromImage(image)))
        self._candidate_changed()

    @Slot(int, object)
    def show_plex_now(self, dead_letter_id: int, fields: dict[str, Any] | None) -> None:
        if self.detail is not None and dead_letter_id == self.detail.id:
            self.text.setHtml(detail_html(self.detail, fields))

    @Slot(str, QImage)
    def show_poster(self, scene_id: str, image: QImage) -> None:
        if scene_id == self.scene_id and not image.isNull():
            self.poster.setPixmap(QPixmap.fromImage(image))
            self.poster.setToolTip(f"The cover of scene {scene_id} in Stash")

    @Slot()
    def _candidate_changed(self) -> None:
        item = self.candidates.currentItem()
        self.choose_button.setEnabled(item is not None)
        self.open_button.setEnabled(item is not None and bool(item.data(WEB_URL_ROLE)))

    @Slot()
    def open_in_plex(self) -> None:
        item = self.candidates.currentItem()
        url = item.data(WEB_URL_ROLE) if item is not None else None
        if url:
            QDesktopServices.openUrl(QUrl(url))

    @Slot()
    def choose(self) -> None:
        item = self.candidates.currentItem()
        if item is not None and self.dead_letter_id is not None:
            self.service.choose_candidate(self.dead_letter_id, item.data(Qt.ItemDataRole.UserRole))
            self.clear()


# The scene's fields as Stash sent them, in the order and words of the Settings' field list.
PAYLOAD_FIELDS = (("title", "Title"), ("date", "Date"), ("studio", "Studio"), ("rating", "Rating"),
                  ("performers", "Performers"), ("tags", "Tags"), ("summary", "Summary"), ("path", "File"))


PLEX_LOADING = "loading"  # the Plex column while the worker reads the item
WEB_URL_ROLE = Qt.ItemDataRole.UserRole + 1  # a candidate's page in Plex Web, once the worker has read it


def candidate_text(candidate: dict[str, str], facts: dict[str, Any] | None = None) -> str:
    """A candidate in the picker: title, file and item number, then what tells duplicates apart, once read."""
    first = f"{candidate.get('title')} — {candidate.get('file')} (Plex item {candidate['rating_key']})"
    if facts is None:
        return f"{first}\nreading from Plex…"
    added = facts.get("added_at")
    known = [f"added {local_time(added, '%Y-%m-%d %H:%M')}" if added is not None else "",
             play_length(facts.get("duration_ms")), file_size(facts.get("size"))]
    return "\n".join([first, " · ".join(part for part in known if part) or "Plex did not describe it"])


def play_length(milliseconds: int | None) -> str:
    """A running time as players show it: "0:42:00", "1:05:09"; "" when unknown."""
    if milliseconds is None:
        return ""
    seconds = round(milliseconds / 1000)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def file_size(size: int | None) -> str:
    """A file size as file managers show it, in decimal units: "1.5 GB", "700 MB", "12 KB"; "" when unknown."""
    if size is None:
        return ""
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


def detail_html(detail: DeadLetterDetail, plex: dict[str, Any] | str | None = PLEX_LOADING) -> str:
    """One failed scene for the details pane: what went wrong in words, the core's message, and each field as
    Stash has it beside what the Plex item holds now (never raw JSON); differing fields are marked. `plex` is the
    item's fields, PLEX_LOADING, or None when there is no item. Everything from a server is escaped."""
    heading = wording.problem(detail.error_type, detail.error)
    failed = f"{relative_time(detail.failed_at)} ({local_time(detail.failed_at)})"
    plex_note = " (reading…)" if plex == PLEX_LOADING else " (no Plex item)" if plex is None else ""
    rows = "".join(_field_row(label, value_text(detail.payload.get(key, detail.path if key == "path" else None)),
                              value_text(plex.get(key)) if isinstance(plex, dict) else None)
                   for key, label in PAYLOAD_FIELDS)
    return (f"<h3 style='margin:0'>{html.escape(heading)}</h3>"
            f"<p>Scene {html.escape(detail.scene_id)}: <b>{html.escape(detail.title)}</b><br>"
            f"Gave up after {_attempts(detail.attempts)}, {failed}</p>"
            f"<p>{html.escape(wording.message(detail.error))}</p>"
            f"<table cellspacing='0' cellpadding='2'><tr><th></th><th align='left'>Stash</th>"
            f"<th align='left'>Plex now{plex_note}</th></tr>{rows}</table>")


def _field_row(label: str, stash: str, plex: str | None) -> str:
    """One field: a differing Plex value is shown in the warning colour, so what the sync would change stands out."""
    def cell(text: str | None, colour: str = "") -> str:
        shown = "<i>(empty)</i>" if text == "" else html.escape(text or "")
        return f"<td style='padding-right:14px;{colour}'>{shown}</td>"
    differs = plex is not None and plex != stash
    return (f"<tr><td style='padding-right:10px'><b>{label}</b></td>{cell(stash)}"
            f"{cell(plex, f'color:{WARNING_COLOUR}' if differs else '')}</tr>")


def _attempts(count: int) -> str:
    return f"{count} attempt{'s' if count != 1 else ''}"


def _scenes(count: int) -> str:
    return f"{count:,} scene{'s' if count != 1 else ''}"


def _part_separator() -> QLabel:
    """The "·" between two status-bar parts: the summary's own separator, so the bar reads as one list."""
    return QLabel("·")


def _connection_text(server: str, error: str | None, reached: Any, config_problem: bool = False) -> str:
    """A coloured dot and a word; the full error is in the label's tooltip. A config problem (the server answered,
    the config names something it lacks) says its reason: "unreachable" would send the user to the wrong fix."""
    if error and config_problem:
        return f"<span style='color:{WARNING_COLOUR}'>●</span> {html.escape(wording.config_problem(error))}"
    if error:
        return f"<span style='color:#c62828'>●</span> {server}: unreachable"
    if reached:
        return f"<span style='color:#2e7d32'>●</span> {server}: connected"
    return f"<span style='color:#9e9e9e'>●</span> {server}: connecting…"
