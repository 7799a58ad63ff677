"""Times in the desktop app: the store's epoch seconds shown in the local zone, with the offset of that date.

Europe/Berlin is UTC+2 in summer and UTC+1 in winter, so 12:00 UTC reads 14:00 in July and 13:00 in January. The
app once read the store's ISO text back with the zone's standard offset all year, which showed July an hour early.
"""

from __future__ import annotations

import calendar

import pytest
from PySide6.QtCore import Qt

from plexsync_gui.core.storage.store import DeadLetterDetail, NewJob, Store
from plexsync_gui.ui.main_window import DetailsPane
from plexsync_gui.ui.models import FAILED_COLUMNS, QUEUE_COLUMNS, KeyedTableModel
from plexsync_gui.ui.worker import status_summary

NOON_UTC = [  # (epoch of 12:00 UTC, the same moment on a Berlin clock)
    pytest.param(calendar.timegm((2026, 7, 1, 12, 0, 0)), "2026-07-01 14:00:00", id="july-summer-time"),
    pytest.param(calendar.timegm((2026, 1, 15, 12, 0, 0)), "2026-01-15 13:00:00", id="january"),
]

pytestmark = pytest.mark.usefixtures("berlin_time")


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    store.enqueue([NewJob("1", "Beach day", "/p/1.mp4", '{"title": "Beach day"}', "h1")])
    yield store
    store.close()


def column_tooltip(model: KeyedTableModel, title: str) -> str:
    """The exact time is the tooltip of the cell that says "2 min ago"."""
    [number] = [i for i, column in enumerate(model.columns) if column.title == title]
    return model.index(0, number).data(Qt.ItemDataRole.ToolTipRole)


@pytest.mark.parametrize(("epoch", "shown"), NOON_UTC)
def test_failed_at_from_the_store_shows_in_local_time(store, epoch, shown) -> None:
    store.dead_letter(store.claim_next(), "PermanentError", "no file", 1, now=epoch)
    model = KeyedTableModel(FAILED_COLUMNS)
    model.replace_all(store.list_dead_letters())
    assert column_tooltip(model, "Failed") == shown


@pytest.mark.parametrize(("epoch", "shown"), NOON_UTC)
def test_next_retry_from_the_store_shows_in_local_time(store, epoch, shown) -> None:
    store.reschedule(store.claim_next(), "PlexTemporaryError", "timeout", 1, 5, next_retry_at=epoch)
    model = KeyedTableModel(QUEUE_COLUMNS)
    model.replace_all(store.list_jobs())
    assert column_tooltip(model, "Next retry") == shown


@pytest.mark.parametrize(("epoch", "shown"), NOON_UTC)
def test_details_pane_shows_the_failure_time_in_local_time(qtbot, store, epoch, shown) -> None:
    store.dead_letter(store.claim_next(), "PermanentError", "no file", 1, now=epoch)
    [dead] = store.list_dead_letters()
    detail = store.dead_letter_detail(dead.id)
    assert isinstance(detail, DeadLetterDetail) and detail.failed_at == epoch
    pane = DetailsPane(service=None)
    qtbot.addWidget(pane)
    pane.show_detail(detail)
    assert "after 1 attempt, " in pane.text.toPlainText() and f"({shown})" in pane.text.toPlainText()


@pytest.mark.parametrize(("epoch", "shown"), NOON_UTC)
def test_tooltip_summary_shows_the_last_sync_in_local_time(epoch, shown) -> None:
    assert status_summary({"last_synced_at": epoch}).endswith(f"last sync {shown[11:16]}")
