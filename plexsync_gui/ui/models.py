"""Table models for the queue, the dead letters and the activity log: rows keyed by id, updated in place.

Rows are the store's frozen dataclasses, their times epoch seconds that only the display turns into local time.
Updates arrive by id (insert, change, remove) so the selection and the scroll position survive while the worker
syncs; only a large change falls back to a reset. Sorting is done here with one Python key per row instead of in the
proxy, whose per-comparison `data()` calls cost about a second at 20,000 rows.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from plexsync_gui.core.coverage.report import DESCRIPTIONS, Reason
from plexsync_gui.core.storage.store import DeadLetter, JobRow, JobStatus
from plexsync_gui.ui import wording
from plexsync_gui.ui.times import local_time, relative_time

ID_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
RESET_FRACTION = 0.3  # above this share of changed rows a reset is cheaper than row-by-row signals

Index = QModelIndex | QPersistentModelIndex


class Row(Protocol):
    """A store row (JobRow, DeadLetter, ActivityEntry) or a coverage row: a frozen dataclass with a unique id and its
    scene (None for a coverage row of a Plex item without one)."""

    @property
    def id(self) -> int: ...

    @property
    def scene_id(self) -> str | None: ...


@dataclass(frozen=True)
class Column:
    title: str
    key: str
    show: Callable[[Any], str] | None = None
    width: int = 120  # starting width in pixels; measuring contents would cost a pass over every row
    hover: Callable[[Any], str] | None = None  # the tooltip when it says more than the cell (an exact time)
    elide_middle: bool = False  # paths: both the start (the library) and the end (the file name) matter
    thumbnail: bool = False  # the scene's poster beside the text, when the model has a Thumbnails source

    def text(self, row: Row) -> str:
        if self.show is not None:
            return self.show(row)
        value = getattr(row, self.key)
        return "" if value is None else str(value)

    def tooltip(self, row: Row) -> str:
        return self.hover(row) if self.hover is not None else self.text(row)

    def sort_key(self, row: Row) -> tuple[int, Any]:
        """None sorts first; numbers (times, and ids that Stash sends as digit strings) as numbers, the rest as
        case-folded text, so scene 9 comes before scene 10."""
        value = getattr(row, self.key)
        if value is None:
            return (0, "")
        if isinstance(value, (int, float)):
            return (1, value)
        text = str(value)
        if text.isdigit():
            return (1, int(text))
        return (2, text.casefold())


_STATUS_TEXT = {JobStatus.PENDING: "waiting", JobStatus.RETRY_WAIT: "retry later", JobStatus.IN_PROGRESS: "syncing"}


def _queue_attempts(row: JobRow) -> str:
    return wording.attempts(row.attempts, row.max_attempts, row.last_error_type)


def _queue_attempts_hint(row: JobRow) -> str:
    return wording.attempts_hint(row.max_attempts, row.last_error_type)


def _failed_attempts(row: DeadLetter) -> str:
    return wording.attempts(row.attempts, row.max_attempts, row.error_type)


def _failed_attempts_hint(row: DeadLetter) -> str:
    return wording.attempts_hint(row.max_attempts, row.error_type)


def _status(row: JobRow) -> str:
    return _STATUS_TEXT[row.status]


def _exact(key: str) -> Callable[[Any], str]:
    """The tooltip of a time column: the exact local time behind "2 min ago"."""
    return lambda row: local_time(getattr(row, key))


def _ago(key: str) -> Callable[[Any], str]:
    return lambda row: relative_time(getattr(row, key))


def _problem(row: Any) -> str:
    return wording.problem(row.error_type, row.error)


def _queue_problem(row: JobRow) -> str:
    return wording.problem(row.last_error_type, row.last_error or "")


def _message(key: str) -> Callable[[Any], str]:
    return lambda row: wording.message(getattr(row, key))


QUEUE_COLUMNS = (
    Column("Scene", "scene_id", width=70),
    Column("Title", "title", width=220),
    Column("Path", "path", width=260, elide_middle=True),
    Column("Status", "status", _status, width=90),
    Column("Attempts", "attempts", _queue_attempts, width=230, hover=_queue_attempts_hint),
    Column("Next retry", "next_retry_at", _ago("next_retry_at"), width=110, hover=_exact("next_retry_at")),
    Column("Problem", "last_error_type", _queue_problem, width=300, hover=_message("last_error")),
)
FAILED_COLUMNS = (
    Column("Scene", "scene_id", width=70),
    Column("Title", "title", width=220),
    Column("Problem", "error_type", _problem, width=220, hover=_message("error")),
    Column("Details", "error", _message("error"), width=340),
    Column("Attempts", "attempts", _failed_attempts, width=110, hover=_failed_attempts_hint),
    Column("Failed", "failed_at", _ago("failed_at"), width=110, hover=_exact("failed_at")),
)
ACTIVITY_COLUMNS = (
    Column("Time", "at", _ago("at"), width=110, hover=_exact("at")),
    Column("Scene", "scene_id", width=70),
    Column("Title", "title", width=260, thumbnail=True),
    Column("Outcome", "outcome", lambda r: wording.outcome(r.outcome), width=100,
           hover=lambda r: wording.outcome_hint(r.outcome)),
    Column("What changed", "detail", lambda r: wording.activity(r.outcome, r.detail), width=400,
           hover=_message("detail")),
)
REASON_LABELS = {
    Reason.NO_PATH_MAPPING: "No path mapping",
    Reason.NOT_SCANNED: "Not scanned",
    Reason.AMBIGUOUS: "Several Plex items",
    Reason.EXCLUDED: "Not synced",
    Reason.NO_FILE: "No file in Stash",
    Reason.NO_STASH_SCENE: "Not in Stash",
}
COVERAGE_COLUMNS = (
    Column("Problem", "reason", lambda r: REASON_LABELS[r.reason], width=140,
           hover=lambda r: r.detail or DESCRIPTIONS[r.reason]),
    Column("Scene", "scene_id", width=60),
    Column("Title", "title", width=200),
    Column("File", "path", width=280, elide_middle=True),
    Column("Library", "section", width=100),
    Column("Plex items", "rating_keys", lambda r: ", ".join(r.rating_keys), width=90),
    Column("What to do", "reason", lambda r: r.action_text, width=240),
    Column("Why", "detail", width=300),  # last: empty for most rows, so it never pushes the action out of view
)
TIME_COLUMNS = {"next_retry_at", "failed_at", "at"}  # shown relative to now: refreshed while the window is open


class KeyedTableModel(QAbstractTableModel):
    """A table of rows with a unique `id`, changed through `replace_all`, `upsert` and `remove`."""

    def __init__(self, columns: tuple[Column, ...], parent: Any = None,
                 sort: tuple[int, Qt.SortOrder] | None = None) -> None:
        """`sort` is the order before the user clicks a header (the activity: newest first)."""
        super().__init__(parent)
        self.columns = columns
        self._rows: list[Row] = []
        self._row_of: dict[int, int] = {}
        self._sort = sort
        self.thumbnails: Callable[[str], Any] | None = None  # scene id -> a small poster (None while unknown)

    # ---- Qt model interface ------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return column.tooltip(row)
        if role == Qt.ItemDataRole.DecorationRole and column.thumbnail and self.thumbnails is not None \
                and row.scene_id:  # a note about the whole direction (Plex -> Stash) has no scene
            return self.thumbnails(row.scene_id)
        if role == ID_ROLE:
            return row.id
        if role == SORT_ROLE:
            return column.text(row)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids_before = [self._rows[i.row()].id for i in persistent]
        self._sort_rows()
        moved = [self.index(self._row_of[row_id], i.column())
                 for row_id, i in zip(ids_before, persistent, strict=True)]
        self.changePersistentIndexList(persistent, moved)
        self.layoutChanged.emit()

    @property
    def sort_order(self) -> tuple[int, Qt.SortOrder] | None:
        return self._sort

    def refresh_times(self) -> None:
        """Tell the views that "2 min ago" is "3 min ago" now: one signal per time column, no row is touched."""
        if not self._rows:
            return
        for number, column in enumerate(self.columns):
            if column.key in TIME_COLUMNS:
                self.dataChanged.emit(self.index(0, number), self.index(len(self._rows) - 1, number),
                                      [Qt.ItemDataRole.DisplayRole])

    def thumbnail_arrived(self, scene_id: str) -> None:
        """Repaint the rows of this scene once its poster is there."""
        for number, column in enumerate(self.columns):
            if column.thumbnail:
                for position, row in enumerate(self._rows):
                    if getattr(row, "scene_id", None) == scene_id:
                        self.dataChanged.emit(self.index(position, number), self.index(position, number),
                                              [Qt.ItemDataRole.DecorationRole])

    # ---- reading -----------------------------------------------------------------------------------------------

    def row(self, row_id: int) -> Row | None:
        position = self._row_of.get(row_id)
        return None if position is None else self._rows[position]

    def ids(self) -> list[int]:
        return [row.id for row in self._rows]

    def position(self, row_id: int) -> int | None:
        return self._row_of.get(row_id)

    def find(self, match: Callable[[Any], bool]) -> int | None:
        """The id of the first row that matches, in the table's order."""
        return next((row.id for row in self._rows if match(row)), None)

    # ---- changes by id -----------------------------------------------------------------------------------------

    def replace_all(self, rows: Sequence[Row]) -> None:
        """Make the table hold exactly `rows`, by row-level changes unless most of it changed."""
        incoming = {row.id: row for row in rows}
        gone = [row_id for row_id in self._row_of if row_id not in incoming]
        changed = sum(1 for row_id, row in incoming.items() if self.row(row_id) != row)
        if not self._rows or len(gone) + changed > RESET_FRACTION * max(len(self._rows), len(rows)):
            self.beginResetModel()
            self._rows = list(rows)
            self._sort_rows()
            self.endResetModel()
            return
        self.remove(gone)
        self.upsert(row for row in rows if self.row(row.id) != row)

    def upsert(self, rows: Iterable[Row]) -> None:
        """Change rows in place; new rows go where the current sort puts them (at the end when unsorted)."""
        fresh: list[Row] = []
        for row in rows:
            position = self._row_of.get(row.id)
            if position is None:
                fresh.append(row)
                continue
            self._rows[position] = row
            self.dataChanged.emit(self.index(position, 0), self.index(position, len(self.columns) - 1))
        if not fresh:
            return
        if self._sort is None:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._rows.extend(fresh)
            self.endInsertRows()
        else:
            for row in fresh:
                position = bisect.bisect_left(self._rows, self._row_key(row), key=self._row_key)
                self.beginInsertRows(QModelIndex(), position, position)
                self._rows.insert(position, row)
                self.endInsertRows()
        self._reindex()

    def remove(self, row_ids: Iterable[int]) -> None:
        """Remove rows bottom-up in contiguous runs, so each run costs one pair of signals."""
        positions = sorted((self._row_of[i] for i in set(row_ids) if i in self._row_of), reverse=True)
        if not positions:
            return
        if len(positions) > RESET_FRACTION * len(self._rows):
            self.beginResetModel()
            doomed = set(positions)
            self._rows = [row for i, row in enumerate(self._rows) if i not in doomed]
            self._reindex()
            self.endResetModel()
            return
        for first, last in _runs(positions):
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._rows[first:last + 1]
            self.endRemoveRows()
        self._reindex()

    # ---- internals ---------------------------------------------------------------------------------------------

    def _row_key(self, row: Row) -> Any:
        """The row's place in the current sort as an ascending key; the id breaks ties (newer rows have larger ids)."""
        assert self._sort is not None
        column, order = self._sort
        key = (self.columns[column].sort_key(row), row.id)
        return key if order == Qt.SortOrder.AscendingOrder else _Descending(key)

    def _sort_rows(self) -> None:
        if self._sort is not None:
            self._rows.sort(key=self._row_key)
        self._reindex()

    def _reindex(self) -> None:
        self._row_of = {row.id: i for i, row in enumerate(self._rows)}


class _Descending:
    """Inverts a key's order, so one ascending sort and one bisect serve both directions."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Descending) -> bool:
        return bool(other.key < self.key)


def _runs(descending: list[int]) -> Iterable[tuple[int, int]]:
    """Group descending row numbers into (first, last) runs of consecutive rows, bottom run first."""
    last = first = descending[0]
    for position in descending[1:]:
        if position == first - 1:
            first = position
            continue
        yield first, last
        last = first = position
    yield first, last


class TableProxy(QSortFilterProxyModel):
    """Filters with the proxy's own C++ matching and hands sorting to the source model (see the module docstring)."""

    def __init__(self, source: KeyedTableModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.setSourceModel(source)
        self.setFilterKeyColumn(-1)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)

    def ids(self, proxy_rows: Iterable[int]) -> list[int]:
        """Job or dead-letter ids of the given proxy rows: actions never depend on sorting or filtering."""
        return [self.index(r, 0).data(ID_ROLE) for r in sorted(set(proxy_rows))]
