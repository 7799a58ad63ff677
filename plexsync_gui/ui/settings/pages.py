"""The Matching, Fields and Behaviour pages of the settings dialog.

Each page shows part of a Config and writes its values back into the TOML-shaped dict the dialog validates with
config_from_dict, so the pages never duplicate the schema's rules.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from plexsync_gui.core.setup.config import LIMITS, Config
from plexsync_gui.core.setup.connection_check import CheckResult
from plexsync_gui.core.setup.path_detect import PathDetection, PathProposal, Server, detect_path_rule
from plexsync_gui.core.sync.people import PHOTOS_NEED_KEY, photos_blocked
from plexsync_gui.ui.settings.connection_tester import ConnectionTester
from plexsync_gui.ui.settings.launch_at_login import LaunchAtLogin
from plexsync_gui.ui.settings.path_map_model import PathMapModel
from plexsync_gui.ui.widgets import WrappingLabel, hint_label, set_result

if TYPE_CHECKING:
    from plexsync_gui.core.setup.autostart import Autostart

FIELD_LABELS: dict[str, str] = {
    "title": "Title",
    "studio": "Studio",
    "summary": "Summary (Stash details)",
    "date": "Release date and year",
    "performers": "Performers (as actors)",
    "tags": "Tags (as genres)",
    "collection": "Studio collection",
    "poster": "Poster (scene cover)",
    "rating": "Rating (as your Plex rating)",
    "groups": "Groups as collections",
    "performer_photos": "Performer photos",
}
# What the less obvious toggles do, in their tooltip (one line, before the config key).
FIELD_HINTS: dict[str, str] = {
    "groups": "Each Stash group becomes a Plex collection, in the group's scene order",
    "performer_photos": "Plex fetches each performer's photo from Stash by its address",
}


def config_key(widget: QWidget, key: str) -> QWidget:
    """The setting's name in config.toml goes in the tooltip only: the label says it in words."""
    widget.setToolTip(f"In config.toml: {key}")
    return widget


def explained(checkbox: QCheckBox, explanation: str, layout: QVBoxLayout) -> None:
    """A checkbox with its one-line explanation under it: settings pages share this look."""
    layout.addWidget(checkbox)
    hint = hint_label(explanation)
    hint.setContentsMargins(24, 0, 0, 6)  # under the checkbox text, not its box
    layout.addWidget(hint)


# What path detection asks: the Stash and Plex servers as typed now, and the Plex libraries ticked.
DetectTarget = Callable[[], tuple[Server, Server, list[str]]]


class MatchingPage(QWidget):
    def __init__(self, config: Config, target: DetectTarget | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._target = target
        self.detect = QPushButton("Detect from Stash and Plex")
        self.detect.setToolTip("Compare the files of some Stash scenes with the files in the Plex libraries and "
                               "propose the mapping between them")
        self.detect.setVisible(target is not None)
        self.detect_result = WrappingLabel()
        self.use_proposal = QPushButton("Use this mapping")
        self.use_proposal.hide()
        self.proposal: PathProposal | None = None
        self._detector = ConnectionTester(self)
        self.strict = QCheckBox("Ask which Plex item when several match")
        config_key(self.strict, "sync.strict_matching")
        self.strict.setChecked(config.sync.strict_matching)
        self.preserve = QCheckBox("Preserve edits made in Plex")
        self.preserve.setChecked(config.sync.preserve_plex_edits)
        config_key(self.preserve, "sync.preserve_plex_edits")
        self.path_map = PathMapModel(config.path_map, self)
        self.table = QTableView()
        self.table.setModel(self.path_map)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.add = QPushButton("Add")
        self.remove = QPushButton("Remove")

        behaviour = QVBoxLayout()
        explained(self.strict, "When several Plex items have the scene's file, report it instead of taking the "
                                "first.", behaviour)
        explained(self.preserve, "A field someone changed in Plex since the last sync is kept, not overwritten.",
                   behaviour)
        match_box = QGroupBox("Matching")
        match_box.setLayout(behaviour)
        layout = QVBoxLayout(self)
        layout.addWidget(match_box)
        layout.addWidget(self._path_box(), 1)
        self.remove.setEnabled(False)
        self.add.clicked.connect(self._add_rule)
        self.remove.clicked.connect(self._remove_rules)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.detect.clicked.connect(self._detect)
        self.use_proposal.clicked.connect(self._use_proposal)
        self._detector.finished.connect(self._detected)

    def _path_box(self) -> QGroupBox:
        box = QGroupBox("Path mapping")
        layout = QVBoxLayout(box)
        layout.addWidget(hint_label("When Stash and Plex see the same files under different folders, replace the "
                                    "Stash prefix with the Plex one (the longest matching prefix wins)."))
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        buttons.addWidget(self.detect)
        layout.addLayout(buttons)
        proposal = QHBoxLayout()
        proposal.addWidget(self.detect_result, 1)
        proposal.addWidget(self.use_proposal)
        layout.addLayout(proposal)
        return box

    # ---- guided mapping ----------------------------------------------------------------------------------------

    @Slot()
    def _detect(self) -> None:
        """Both servers are asked off the GUI thread (each request may take its whole timeout)."""
        if self._target is None or self._detector.running:
            return
        stash, plex, libraries = self._target()
        self.detect.setEnabled(False)
        self.use_proposal.hide()
        self.proposal = None
        set_result(self.detect_result, None, "Comparing the files Stash and Plex see…")
        self._detector.start(partial(detect_path_rule, stash, plex, libraries))

    @Slot(object)
    def _detected(self, result: CheckResult) -> None:
        self.detect.setEnabled(True)
        set_result(self.detect_result, result.ok, result.message)
        proposal = result.proposal if isinstance(result, PathDetection) else None
        self.proposal = proposal if proposal is not None and proposal.needed else None
        self.use_proposal.setVisible(self.proposal is not None)

    @Slot()
    def _use_proposal(self) -> None:
        """The user accepted: the rule joins the table (validated and saved like a typed one)."""
        if self.proposal is None:
            return
        row = self.path_map.add_rule(self.proposal.rule.stash, self.proposal.rule.plex)
        self.table.selectRow(row)
        self.use_proposal.hide()
        set_result(self.detect_result, True, f"Added: Stash {self.proposal.rule.stash} → Plex "
                                             f"{self.proposal.rule.plex}")
        self.proposal = None

    @Slot()
    def _add_rule(self) -> None:
        row = self.path_map.add_row()
        index = self.path_map.index(row, 0)
        self.table.setCurrentIndex(index)
        self.table.edit(index)

    @Slot()
    def _selection_changed(self) -> None:
        self.remove.setEnabled(self.table.selectionModel().hasSelection())

    @Slot()
    def _remove_rules(self) -> None:
        self.path_map.remove_rows([index.row() for index in self.table.selectionModel().selectedRows()])

    def apply(self, data: dict[str, Any]) -> None:
        data["sync"]["strict_matching"] = self.strict.isChecked()
        data["sync"]["preserve_plex_edits"] = self.preserve.isChecked()
        data["path_map"] = self.path_map.as_config()


class FieldsPage(QWidget):
    def __init__(self, config: Config, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.toggles = {name: QCheckBox(label) for name, label in FIELD_LABELS.items()}
        box = QGroupBox("Fields written to Plex")
        grid = QGridLayout(box)
        grid.addWidget(hint_label("A field that is on is locked in Plex, so Plex's agents do not overwrite it. "
                                  "A field that is off is never touched, so you can edit it in Plex."), 0, 0, 1, 2)
        for position, (name, checkbox) in enumerate(self.toggles.items()):
            checkbox.setChecked(getattr(config.fields, name))
            config_key(checkbox, f"fields.{name}")
            if name in FIELD_HINTS:
                checkbox.setToolTip(f"{FIELD_HINTS[name]}. {checkbox.toolTip()}")
            grid.addWidget(checkbox, 1 + position // 2, position % 2)
        self._photos_wanted = config.fields.performer_photos  # kept while a Stash key forces the option off
        self.photos_reason = hint_label(f"Performer photos are off: {PHOTOS_NEED_KEY}.")
        self.photos_reason.setVisible(False)
        grid.addWidget(self.photos_reason, 2 + len(self.toggles) // 2, 0, 1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addStretch(1)

    @Slot(str)
    def set_stash_key(self, key: str) -> None:
        """Performer photos need a Stash that Plex can read without a key: off, with the reason, while one is set."""
        photos = self.toggles["performer_photos"]
        blocked = photos_blocked(key.strip() or None) is not None
        if blocked == (not photos.isEnabled()):
            return
        if blocked:
            self._photos_wanted = photos.isChecked()
        photos.setEnabled(not blocked)
        photos.setChecked(False if blocked else self._photos_wanted)
        self.photos_reason.setVisible(blocked)

    def apply(self, data: dict[str, Any]) -> None:
        data["fields"].update({name: box.isChecked() for name, box in self.toggles.items()})
        if not self.toggles["performer_photos"].isEnabled():
            data["fields"]["performer_photos"] = self._photos_wanted  # the choice returns when the key goes


class BehaviourPage(QWidget):
    def __init__(self, config: Config, autostart: Autostart | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._poll_interval = config.sync.poll_interval
        self.poll = _spin(round(config.sync.poll_interval), "sync.poll_interval", " s")
        self.retries = _spin(config.sync.max_retries, "sync.max_retries", " attempts")
        desktop = config.desktop
        self.notify_failures = QCheckBox("When a scene fails to sync")
        self.notify_failures.setChecked(desktop.notify_failures)
        self.notify_connection = QCheckBox("When Stash or Plex goes down, and when it is back")
        self.notify_connection.setChecked(desktop.notify_connection)
        self.notify_success = QCheckBox("After scenes were synced")
        self.notify_success.setChecked(desktop.notify_success)
        self.start_hidden = QCheckBox("Start hidden in the tray")
        self.start_hidden.setChecked(desktop.start_hidden)
        self.launch = LaunchAtLogin(autostart) if autostart is not None else None
        self.listen = QCheckBox("Listen for changes as they happen")
        self.listen.setChecked(config.events.listen)
        self.scan_missing = QCheckBox("Ask Plex to scan a new file's folder")
        self.scan_missing.setChecked(config.events.scan_missing)
        for widget, key in ((self.poll, "sync.poll_interval"), (self.retries, "sync.max_retries"),
                            (self.listen, "events.listen"), (self.scan_missing, "events.scan_missing"),
                            (self.notify_failures, "desktop.notify_failures"),
                            (self.notify_connection, "desktop.notify_connection"),
                            (self.notify_success, "desktop.notify_success"),
                            (self.start_hidden, "desktop.start_hidden")):
            config_key(widget, key)

        layout = QVBoxLayout(self)
        layout.addWidget(self._sync_box())
        layout.addWidget(self._events_box())
        layout.addWidget(self._box("Notify me", self.notify_failures, self.notify_connection, self.notify_success))
        layout.addWidget(self._box("Startup", self.start_hidden, *([self.launch] if self.launch else [])))
        layout.addStretch(1)

    def _sync_box(self) -> QGroupBox:
        box = QGroupBox("Syncing")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow("Check Stash for changes every:", self.poll)
        form.addRow("Give up on a failing scene after:", self.retries)
        width = max(self.poll.sizeHint().width(), self.retries.sizeHint().width())
        self.poll.setFixedWidth(width)
        self.retries.setFixedWidth(width)
        return box

    def _events_box(self) -> QGroupBox:
        box = QGroupBox("Live updates")
        layout = QVBoxLayout(box)
        explained(self.listen, "Stash and Plex tell PlexSync about finished scans and new files at once; the "
                                "checks above stay the fallback.", layout)
        explained(self.scan_missing, "When Plex has no item for a scene's file yet, PlexSync asks Plex to scan "
                                      "just that folder (at most once every 10 minutes).", layout)
        return box

    @staticmethod
    def _box(title: str, *widgets: QWidget) -> QGroupBox:
        box = QGroupBox(title)
        layout = QVBoxLayout(box)
        for widget in widgets:
            layout.addWidget(widget)
        return box

    def apply(self, data: dict[str, Any]) -> None:
        unchanged = self.poll.value() == round(self._poll_interval)
        data["sync"]["poll_interval"] = self._poll_interval if unchanged else self.poll.value()
        data["sync"]["max_retries"] = self.retries.value()
        data["events"].update(listen=self.listen.isChecked(), scan_missing=self.scan_missing.isChecked())
        data["desktop"].update(notify_failures=self.notify_failures.isChecked(),
                               notify_connection=self.notify_connection.isChecked(),
                               notify_success=self.notify_success.isChecked(),
                               start_hidden=self.start_hidden.isChecked())


def _spin(value: int, key: str, suffix: str) -> QSpinBox:
    """A spin box bounded by the config schema's own limits for `key`."""
    low, high = LIMITS[key]
    spin = QSpinBox()
    spin.setRange(int(low), int(high))
    spin.setSuffix(suffix)
    spin.setValue(value)
    return spin
