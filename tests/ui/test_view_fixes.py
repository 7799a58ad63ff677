"""The views' misbehaviours found by trying the app as a new user (issue 14): each test failed before its fix."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QStyleOptionViewItem

from plexsync_gui.core.storage.store import ActivityEntry
from plexsync_gui.ui.main_window import MainWindow
from plexsync_gui.ui.models import ID_ROLE, QUEUE_COLUMNS, KeyedTableModel
from tests.ui.conftest import settled
from tests.ui.test_main_window import Answers, select_rows
from tests.ui.test_models import job

pytestmark = pytest.mark.integration


def entry(row_id: int, at: float) -> ActivityEntry:
    return ActivityEntry(id=row_id, at=at, scene_id=str(row_id), title=f"Scene {row_id}", outcome="synced", detail="")


def test_activity_stays_newest_first_as_rows_arrive(make_service) -> None:
    model = make_service(start=False).activity_model
    older = [entry(i, 1000.0 + i) for i in range(10, 0, -1)]  # the store's order: newest first
    model.replace_all(older)
    model.replace_all([entry(11, 1011.0), *older[:9]])  # a small change: rows are inserted, not reset
    assert [model.index(r, 0).data(ID_ROLE) for r in range(model.rowCount())] == [11, *range(10, 1, -1)]


def test_scene_ids_sort_as_numbers_with_a_sort_arrow(qtbot, make_service) -> None:
    model = KeyedTableModel(QUEUE_COLUMNS)
    model.replace_all([job(10), job(9), job(100)])
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert [model.index(r, 0).data() for r in range(3)] == ["9", "10", "100"]
    window = MainWindow(make_service(start=False), confirm=Answers(True))
    qtbot.addWidget(window)
    header = window.activity_page.view.horizontalHeader()
    assert header.isSortIndicatorShown()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (0, Qt.SortOrder.DescendingOrder)


def failed_buttons(window: MainWindow) -> dict[str, bool]:
    layout = window.failed_page.buttons
    widgets = [layout.itemAt(i).widget() for i in range(1, layout.count())]
    return {w.text(): w.isEnabled() for w in widgets}


def show_first_failed(qtbot, window: MainWindow) -> None:
    page = window.failed_page
    with qtbot.waitSignal(window.service.detail_ready, timeout=10000):
        page.view.selectionModel().setCurrentIndex(
            page.proxy.index(0, 0), QItemSelectionModel.SelectionFlag.SelectCurrent)


def test_discard_all_clears_the_details_and_disables_the_buttons(qtbot, window_with_failures) -> None:
    window, service, _ = window_with_failures
    show_first_failed(qtbot, window)
    assert window.details.dead_letter_id is not None and failed_buttons(window)["Retry"]
    window.discard_all_failed()
    qtbot.waitUntil(lambda: service.status.get("failed") == 0 and settled(service), timeout=10000)
    assert window.details.dead_letter_id is None
    assert "Select a failed scene" in window.details.text.toPlainText()
    assert failed_buttons(window) == {"Retry": False, "Discard": False, "Retry all": True, "Discard all": True}


def test_a_large_change_resets_without_leaving_buttons_on(qtbot, window_with_failures) -> None:
    """Any reset drops the selection silently (Qt emits no selectionChanged), not only discard-all."""
    window, service, _ = window_with_failures
    select_rows(window.failed_page, [0, 1])
    assert failed_buttons(window)["Discard"]
    rows = [service.failed_model.row(i) for i in service.failed_model.ids()]
    service.failed_model.replace_all(rows[2:])
    assert not failed_buttons(window)["Discard"] and window.failed_page.selected_ids() == []


def test_buttons_act_only_on_rows_the_filter_shows(qtbot, window_with_failures) -> None:
    """A guard: the proxy drops rows the filter hides from the selection (this worked before)."""
    window, _service, answers = window_with_failures
    page = window.failed_page
    select_rows(page, [0])
    page.filter.setText("no such scene")
    assert page.selected_ids() == [] and not failed_buttons(window)["Discard"]
    window.discard_selected_failed()
    assert answers.asked == []


def test_delete_key_acts_on_the_table_it_is_pressed_in(qtbot, window_with_failures) -> None:
    """Both tables have Delete, one in a hidden tab: the visible table's runs (a guard; this worked before)."""
    window, _service, answers = window_with_failures
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    window.tabs.setCurrentWidget(window.failed_page)
    select_rows(window.failed_page, [0])
    window.failed_page.view.setFocus()
    qtbot.waitUntil(window.failed_page.view.hasFocus, timeout=5000)
    qtbot.keyClick(window.failed_page.view, Qt.Key.Key_Delete)
    assert answers.asked and "Discard 1 scene?" in answers.asked[-1]


def test_details_refresh_when_the_shown_scene_fails_again(qtbot, window_with_failures, stash) -> None:
    window, service, _ = window_with_failures
    show_first_failed(qtbot, window)
    shown = service.failed_model.row(window.details.dead_letter_id)
    assert shown is not None
    with qtbot.waitSignal(service.detail_ready, timeout=15000,
                          check_params_cb=lambda detail: detail is not None and detail.title == "Renamed"):
        stash.update_scene(shown.scene_id, title="Renamed")  # still no file: it fails again, under its new title
        service.sync_now()
    assert "Renamed" in window.details.text.toPlainText()


def test_long_paths_elide_in_the_middle_with_the_full_path_on_hover(qtbot, make_service) -> None:
    service = make_service(start=False)
    window = MainWindow(service, confirm=Answers(True))
    qtbot.addWidget(window)
    service.queue_model.replace_all([job(1)])
    view = window.queue_page.view
    path_column = [c.title for c in service.queue_model.columns].index("Path")
    index = window.queue_page.proxy.index(0, path_column)
    option = QStyleOptionViewItem()
    option.textElideMode = view.textElideMode()  # what the view puts in before its delegate adjusts it
    view.itemDelegateForIndex(index).initStyleOption(option, index)
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "/p/1.mp4"


@pytest.fixture
def window_with_failures(qtbot, make_service, library):
    for name in ("Lost A", "Lost B", "Lost C"):
        library.add(title=name, files=[])
    service = make_service()
    answers = Answers(True)
    window = MainWindow(service, confirm=answers)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: service.status.get("failed") == 3 and settled(service), timeout=15000)
    return window, service, answers


def test_failed_details_show_the_poster_fetched_once_by_the_worker(qtbot, window_with_failures, stash) -> None:
    window, service, _ = window_with_failures
    show_first_failed(qtbot, window)
    qtbot.waitUntil(lambda: window.details.poster.pixmap() is not None and not window.details.poster.pixmap().isNull(),
                    timeout=10000)
    assert max(window.details.poster.pixmap().width(), window.details.poster.pixmap().height()) <= 160
    screenshot = f"/scene/{window.details.scene_id}/screenshot"
    assert stash.count(path=screenshot) == 1
    with qtbot.waitSignal(service.poster_ready, timeout=1000):  # the cache answers, without a second download
        service.request_poster(window.details.scene_id, "unused")
    assert stash.count(path=screenshot) == 1


def test_details_show_stash_beside_plex_now(qtbot, make_service, stash, plex, movies) -> None:
    """The ambiguous scene: its Stash fields beside the first candidate's, read from Plex by the worker."""
    stash.add_scene(title="Twice", files=["/data/movies/twice.mp4"])
    plex.add_item(movies, "/media/movies/twice.mp4", title="copy one")
    plex.add_item(movies, "/media/movies/twice.mp4", title="copy two")
    service = make_service()
    window = MainWindow(service, confirm=Answers(True))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: service.status.get("failed") == 1 and settled(service), timeout=15000)
    with qtbot.waitSignal(service.plex_now_ready, timeout=10000) as read:
        show_first_failed(qtbot, window)
    assert read.args[1]["title"] in ("copy one", "copy two")
    text = window.details.text.toPlainText()
    assert "Stash" in text and "Plex now" in text and "reading" not in text
    assert "Twice" in text and read.args[1]["title"] in text
    assert "/media/movies/twice.mp4" in text


def test_activity_rows_show_the_scene_poster(qtbot, make_service, library, stash) -> None:
    library.add(title="With a cover")
    service = make_service()
    window = MainWindow(service, confirm=Answers(True))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: service.status.get("synced") == 1 and settled(service)
                    and service.activity_model.rowCount() == 1, timeout=15000)
    title = service.activity_model.index(0, [c.title for c in service.activity_model.columns].index("Title"))
    assert title.data(Qt.ItemDataRole.DecorationRole) is None  # asked for now, painted when it arrives
    qtbot.waitUntil(lambda: title.data(Qt.ItemDataRole.DecorationRole) is not None, timeout=10000)
    poster = title.data(Qt.ItemDataRole.DecorationRole)
    assert poster is not None and not poster.isNull() and poster.height() <= 22
    scene_id = service.activity_model.row(service.activity_model.ids()[0]).scene_id
    downloads = stash.count(path=f"/scene/{scene_id}/screenshot")
    title.data(Qt.ItemDataRole.DecorationRole)
    assert stash.count(path=f"/scene/{scene_id}/screenshot") == downloads  # from the cache from now on
