"""The keyed table model: changes by id keep rows, selection and order consistent (checked by Qt's model tester)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtTest import QAbstractItemModelTester

from plexsync_gui.core.storage.store import JobRow, JobStatus
from plexsync_gui.ui.models import ID_ROLE, QUEUE_COLUMNS, KeyedTableModel, TableProxy
from plexsync_gui.ui.times import local_time, relative_time


def job(row_id: int, title: str = "", status: JobStatus = JobStatus.PENDING, attempts: int = 0,
        next_retry_at: float | None = None) -> JobRow:
    return JobRow(id=row_id, scene_id=str(row_id), title=title or f"Scene {row_id}", path=f"/p/{row_id}.mp4",
                  status=status, attempts=attempts, max_attempts=5, next_retry_at=next_retry_at,
                  last_error_type=None, last_error=None)


@pytest.fixture
def model() -> KeyedTableModel:
    model = KeyedTableModel(QUEUE_COLUMNS)
    model.tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    return model


def titles(model: KeyedTableModel) -> list[str]:
    return [model.index(r, 1).data() for r in range(model.rowCount())]


def test_replace_all_then_update_insert_remove_by_id(model: KeyedTableModel) -> None:
    model.replace_all([job(i) for i in range(1, 11)])
    assert model.rowCount() == 10
    model.upsert([job(3, "Renamed"), job(11)])
    assert model.index(2, 1).data() == "Renamed"
    assert model.index(10, 0).data(ID_ROLE) == 11
    model.remove([1, 2, 5, 11, 999])
    assert model.ids() == [3, 4, 6, 7, 8, 9, 10]
    assert model.row(3).title == "Renamed"


def test_small_snapshot_change_keeps_rows_instead_of_resetting(model: KeyedTableModel, qtbot) -> None:
    rows = [job(i) for i in range(1, 101)]
    model.replace_all(rows)
    changed = [*rows[:50], job(51, "Edited"), *rows[51:99]]
    with qtbot.assertNotEmitted(model.modelReset):
        model.replace_all(changed)
    assert model.rowCount() == 99
    assert model.row(51).title == "Edited" and model.row(100) is None


def test_large_snapshot_change_resets(model: KeyedTableModel, qtbot) -> None:
    model.replace_all([job(i) for i in range(1, 11)])
    with qtbot.waitSignal(model.modelReset, timeout=1000):
        model.replace_all([job(i) for i in range(20, 30)])
    assert model.ids() == list(range(20, 30))


def test_sorting_happens_in_the_model_and_follows_selection(model: KeyedTableModel) -> None:
    model.replace_all([job(1, "banana"), job(2, "Apple"), job(3, "cherry")])
    proxy = TableProxy(model)
    QAbstractItemModelTester(proxy, QAbstractItemModelTester.FailureReportingMode.Fatal)
    selection = QItemSelectionModel(proxy)
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    selection.select(proxy.index(0, 0), flags)
    proxy.sort(1, Qt.SortOrder.AscendingOrder)
    assert titles(model) == ["Apple", "banana", "cherry"]
    assert proxy.ids(i.row() for i in selection.selectedRows()) == [1]
    proxy.sort(1, Qt.SortOrder.DescendingOrder)
    assert titles(model) == ["cherry", "banana", "Apple"]


def test_filter_matches_any_column_and_actions_resolve_ids(model: KeyedTableModel) -> None:
    model.replace_all([job(1, "Beach day"), job(2, "Mountain"), job(3, "beach night")])
    proxy = TableProxy(model)
    proxy.setFilterFixedString("BEACH")
    assert proxy.rowCount() == 2
    assert proxy.ids([0, 1]) == [1, 3]


def test_display_texts() -> None:
    model = KeyedTableModel(QUEUE_COLUMNS)
    model.replace_all([job(1, status=JobStatus.RETRY_WAIT, attempts=2, next_retry_at=1_700_000_000.0),
                       job(2, status=JobStatus.IN_PROGRESS)])
    assert model.index(0, 3).data() == "retry later" and model.index(1, 3).data() == "syncing"
    assert model.index(0, 4).data() == "2 of 5"
    assert model.index(0, 5).data() == relative_time(1_700_000_000.0) and model.index(1, 5).data() == ""
    assert model.index(0, 5).data(Qt.ItemDataRole.ToolTipRole) == local_time(1_700_000_000.0)
    assert local_time(None) == ""


def test_times_sort_as_numbers(model: KeyedTableModel) -> None:
    model.replace_all([job(1, next_retry_at=1_000_000_000.5), job(2, next_retry_at=999_999_999.0), job(3)])
    model.sort(5, Qt.SortOrder.AscendingOrder)
    assert model.ids() == [3, 2, 1]  # none first, then by time
