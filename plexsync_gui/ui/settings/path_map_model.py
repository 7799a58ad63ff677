"""The editable path-mapping table of the settings dialog: Stash prefix -> Plex prefix, one rule per row.

The model holds raw text, including half-typed or invalid rows, because validation belongs to the config schema
(config_from_dict); the dialog tells the model which cell the schema rejected so the view can mark it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from plexsync_gui.core.sync.paths import PathRule

COLUMNS = ("Stash path prefix", "Plex path prefix")
SIDES = ("stash", "plex")
INVALID_BACKGROUND = QColor(255, 214, 214)

AnyIndex = QModelIndex | QPersistentModelIndex


class PathMapModel(QAbstractTableModel):
    edited = Signal()  # the rules changed (not merely their marking): time to validate again

    def __init__(self, rules: list[PathRule], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[list[str]] = [[rule.stash, rule.plex] for rule in rules]
        self._invalid: tuple[int, int] | None = None  # (row, column) the config schema rejected

    # ---- Qt model interface ----------------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> str | None:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.BackgroundRole and self._invalid == (index.row(), index.column()):
            return QBrush(INVALID_BACKGROUND)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "An absolute folder, e.g. /data/ or D:\\Videos\\"
        return None

    def setData(self, index: AnyIndex, value: object, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        text = str(value).strip()
        if self._rows[index.row()][index.column()] == text:
            return False
        self._rows[index.row()][index.column()] = text
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole])
        self.edited.emit()
        return True

    # ---- editing -----------------------------------------------------------------------------------------------

    def add_row(self) -> int:
        """Append an empty rule and return its row, so the view can start editing it."""
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(["", ""])
        self.endInsertRows()
        self.edited.emit()
        return row

    def add_rule(self, stash: str, plex: str) -> int:
        """Append a filled-in rule (an accepted proposal) unless the same one is there; returns its row."""
        if [stash, plex] in self._rows:
            return self._rows.index([stash, plex])
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append([stash, plex])
        self.endInsertRows()
        self.edited.emit()
        return row

    def remove_rows(self, rows: list[int]) -> None:
        doomed = sorted({row for row in rows if 0 <= row < len(self._rows)}, reverse=True)
        for row in doomed:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            self.endRemoveRows()
        if doomed:
            self.edited.emit()

    def as_config(self) -> list[dict[str, str]]:
        """The rows in the TOML shape config_from_dict validates ([[path_map]] stash/plex)."""
        return [dict(zip(SIDES, row, strict=True)) for row in self._rows]

    def mark_invalid(self, cell: tuple[int, int] | None) -> None:
        """Highlight the cell the schema rejected (None clears the mark)."""
        previous, self._invalid = self._invalid, cell
        for marked in (previous, cell):
            if marked is None:
                continue
            index = self.index(*marked)
            if index.isValid():
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.BackgroundRole])
