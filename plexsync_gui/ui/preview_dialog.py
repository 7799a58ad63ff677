"""The "Preview changes" window: per scene and field, what Plex shows now and what a sync would write.

The rows come from core/preview through the worker (computed off the GUI thread, `SyncService.preview`); this
module only shows them. Before the first sync of a new setup it also offers to start syncing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from plexsync_gui.core.preview.compute import FieldStatus, ScenePreview, summary_text, value_text
from plexsync_gui.ui.service import SyncService
from plexsync_gui.ui.widgets import WARNING_COLOUR
from plexsync_gui.ui.worker import ALL_SCENES, QUEUED, PreviewOutcome

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Scene", "Title", "Field", "Plex now", "Would write", "What happens")
EMPTY = "(empty)"
CELL = 200  # characters shown in a cell; the tooltip has the whole value
STATUS_WORDS = {FieldStatus.CHANGE: "changes", FieldStatus.PRESERVED: "kept (edited in Plex)",
                FieldStatus.UNCHANGED: "already as in Stash", FieldStatus.NOT_APPLICABLE: "not applicable"}
READING = "Reading Stash and Plex…"
FIRST_SYNC = ("Before the first sync: this is what PlexSync would write to Plex. Syncing is paused until you "
              "start it; Plex's own values are kept, so PlexSync > Undo PlexSync's changes… can put them back.")
ON_DEMAND = "What a sync would write to Plex now. Nothing is written from here."


@dataclass(frozen=True)
class PreviewRow:
    scene_id: str
    title: str
    field: str
    plex_now: str
    would_write: str
    note: str
    status: FieldStatus | None  # None: the scene's own line (skipped, or a problem)


def preview_rows(scenes: list[ScenePreview], show_unchanged: bool) -> list[PreviewRow]:
    """One row per field that would change (or every field), one per scene that would not be synced."""
    rows: list[PreviewRow] = []
    for scene in scenes:
        if scene.problem or scene.skipped:
            rows.append(PreviewRow(scene.scene_id, scene.title, "", "", "", scene.problem or scene.skipped or "",
                                   None))
            continue
        for field in scene.fields:
            if show_unchanged or field.status in (FieldStatus.CHANGE, FieldStatus.PRESERVED):
                rows.append(PreviewRow(scene.scene_id, scene.title, field.label, value_text(field.plex_now) or EMPTY,
                                       value_text(field.would_write) or EMPTY, STATUS_WORDS[field.status],
                                       field.status))
    return rows


class PreviewModel(QAbstractTableModel):
    """The preview's rows; replaced whole when a new preview arrives (it is read once, not updated live)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[PreviewRow] = []

    def set_rows(self, rows: list[PreviewRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        text = (row.scene_id, row.title, row.field, row.plex_now, row.would_write, row.note)[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            shown = text.replace("\n", " ⏎ ")
            return shown if len(shown) <= CELL else shown[:CELL - 1] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            return text or None
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (4, 5) and row.status == FieldStatus.CHANGE:
            return QColor(WARNING_COLOUR)
        if role == Qt.ItemDataRole.ForegroundRole and row.status is None:
            return QColor("#c62828") if index.column() == 5 else None
        if role == Qt.ItemDataRole.ForegroundRole and text == EMPTY and index.column() in (3, 4):
            return QColor("#9e9e9e")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None


class PreviewDialog(QDialog):
    """Non-modal: the app keeps syncing (or stays paused) while it is open. `start_requested` is the first-sync
    offer's answer."""

    start_requested = Signal()

    def __init__(self, service: SyncService, first_sync: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.setWindowTitle("Preview changes — PlexSync")
        self.resize(1000, 560)
        self._scenes: list[ScenePreview] = []
        self.model = PreviewModel(self)
        self.intro = QLabel(FIRST_SYNC if first_sync else ON_DEMAND)
        self.intro.setWordWrap(True)
        self.selection = QComboBox()
        self.selection.addItem("Queued scenes", QUEUED)
        self.selection.addItem("All scenes in Stash", ALL_SCENES)
        self.selection.setCurrentIndex(1 if first_sync else 0)
        self.show_unchanged = QCheckBox("Show fields already as in Stash")
        self.refresh_button = QPushButton("Refresh")
        self.view = self._table()
        self.waiting = QLabel(READING)
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.waiting.setStyleSheet("color: palette(mid); font-size: 14px; padding: 24px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.waiting)
        self.stack.addWidget(self.view)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.start_button: QPushButton | None = None
        if first_sync:
            self.start_button = self.buttons.addButton("Start syncing", QDialogButtonBox.ButtonRole.AcceptRole)
            self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Not now (stay paused)")
            self.start_button.clicked.connect(self._start)
        self._layout()
        self.buttons.rejected.connect(self.reject)
        self.refresh_button.clicked.connect(self.refresh)
        self.selection.currentIndexChanged.connect(self.refresh)
        self.show_unchanged.toggled.connect(self._show_rows)
        service.preview_ready.connect(self.show_outcome)

    def _table(self) -> QTableView:
        view = QTableView()
        view.setModel(self.model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(24)
        view.setWordWrap(False)
        view.setAlternatingRowColors(True)
        header = view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for number, width in enumerate((60, 170, 90, 250, 250)):
            header.resizeSection(number, width)
        return view

    def _layout(self) -> None:
        top = QHBoxLayout()
        top.addWidget(QLabel("Preview"))
        top.addWidget(self.selection)
        top.addWidget(self.show_unchanged)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)

    @Slot()
    def refresh(self) -> None:
        """Ask the worker for a fresh preview of the chosen scenes."""
        self.stack.setCurrentWidget(self.waiting)
        self.waiting.setText(READING)
        self.summary.setText("")
        self.refresh_button.setEnabled(False)
        self.service.preview(str(self.selection.currentData()))

    @Slot(object)
    def show_outcome(self, outcome: PreviewOutcome) -> None:
        if outcome.selection != self.selection.currentData():
            return  # an answer for the other choice, asked for before the user switched
        self.refresh_button.setEnabled(True)
        if outcome.error:
            self.waiting.setText(f"No preview: {outcome.error}")
            return
        self._scenes = outcome.rows
        self._show_rows()

    @Slot()
    def _show_rows(self) -> None:
        self.model.set_rows(preview_rows(self._scenes, self.show_unchanged.isChecked()))
        if self.model.rows:
            self.stack.setCurrentWidget(self.view)
        elif self.refresh_button.isEnabled():
            self.waiting.setText("Nothing to preview: no scene is queued." if not self._scenes
                                 else "Nothing would change: Plex already shows what Stash has.")
            self.stack.setCurrentWidget(self.waiting)
        text = summary_text(self._scenes)
        self.summary.setText(f"{text[0].upper()}{text[1:]}." if self._scenes else "")

    @Slot()
    def _start(self) -> None:
        self.start_requested.emit()
        self.accept()
