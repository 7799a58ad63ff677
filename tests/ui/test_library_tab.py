"""The Library tab against a live service and the emulators: the check off the GUI thread, counts in the tab title
and the filter, and each row action (scan, pick, ignore, show again)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from plexsync_gui.core.coverage.report import CoverageReport, CoverageRow, Reason
from plexsync_gui.core.storage.store import Store
from plexsync_gui.ui.coverage_service import reason_choices
from plexsync_gui.ui.main_window import MainWindow
from plexsync_gui.ui.models import COVERAGE_COLUMNS, ID_ROLE, KeyedTableModel
from tests.integration.coverage_library import Crafted

pytestmark = pytest.mark.integration


@pytest.fixture
def crafted(stash, plex, movies) -> Crafted:
    return Crafted(stash, plex, movies)


@pytest.fixture
def library_window(qtbot, make_service, crafted):
    service = make_service()
    picks: list[str] = []
    window = MainWindow(service, confirm=lambda _title, _question: True)
    window.library_page.choose = lambda row: picks[-1] if picks else None
    qtbot.addWidget(window)
    window.show()
    window.tabs.setCurrentWidget(window.library_page)  # the first showing starts the check
    qtbot.waitUntil(lambda: service.coverage.report is not None, timeout=15000)
    return window, service, picks


def select_where(page, match) -> None:
    selection = page.view.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for proxy_row in range(page.proxy.rowCount()):
        row = page.model.row(page.proxy.index(proxy_row, 0).data(ID_ROLE))
        if match(row):
            selection.select(page.proxy.index(proxy_row, 0), flags)


def test_the_check_fills_the_tab_with_counts(library_window, crafted) -> None:
    window, _service, _ = library_window
    page = window.library_page
    assert window.tabs.tabText(window.tabs.indexOf(page)) == "Library (6)"
    assert page.model.rowCount() == 6
    assert page.reason_box.itemText(0) == "All problems (6)"
    assert "7 Stash scenes, 2 with their Plex item; 5 Plex items in Movies" in page.note.text()
    page.reason_box.setCurrentIndex(page.reason_box.findData(Reason.NOT_SCANNED.value))
    assert [page.model.row(i).scene_id for i in page.model.ids()] == [crafted.not_scanned]
    assert page.reason_box.currentText() == "Not scanned (1)"


def test_buttons_follow_what_the_selected_rows_allow(library_window) -> None:
    page = library_window[0].library_page
    select_where(page, lambda row: row.reason == Reason.NO_FILE)
    assert (page.scan_button.isEnabled(), page.pick_button.isEnabled(), page.ignore_button.isEnabled(),
            page.unignore_button.isEnabled()) == (False, False, True, False)
    select_where(page, lambda row: row.reason == Reason.AMBIGUOUS)
    assert page.pick_button.isEnabled() and not page.scan_button.isEnabled()
    select_where(page, lambda row: row.reason == Reason.NOT_SCANNED)
    assert page.scan_button.isEnabled() and not page.pick_button.isEnabled()


def test_scan_asks_plex_for_the_folder(qtbot, library_window, plex, movies) -> None:
    page = library_window[0].library_page
    select_where(page, lambda row: row.reason == Reason.NOT_SCANNED)
    page.scan_selected()
    qtbot.waitUntil(lambda: any(r.path == f"/library/sections/{movies}/refresh" for r in plex.requests), timeout=10000)
    scans = [r.params["path"] for r in plex.requests if r.path.endswith("/refresh")]
    assert scans == [["/media/movies/new"]]
    qtbot.waitUntil(lambda: page.note.text().startswith("Asked Plex to scan 1 folder(s): Movies: /media/movies/new"))


def test_ignore_hides_the_row_and_show_again_brings_it_back(qtbot, library_window, crafted, locations) -> None:
    window, _service, _ = library_window
    page = window.library_page
    select_where(page, lambda row: row.scene_id == crafted.unmapped)
    page.ignore_selected()
    qtbot.waitUntil(lambda: window.tabs.tabText(window.tabs.indexOf(page)) == "Library (5)", timeout=10000)
    assert crafted.unmapped not in {page.model.row(i).scene_id for i in page.model.ids()}
    store = Store(locations.database)
    try:
        assert store.coverage_ignored() == {f"scene:{crafted.unmapped}"}  # remembered in the database
    finally:
        store.close()
    page.reason_box.setCurrentIndex(page.reason_box.findData("ignored"))
    assert page.reason_box.currentText() == "Ignored (1)"
    select_where(page, lambda row: True)
    assert page.unignore_button.isEnabled() and not page.ignore_button.isEnabled()
    page.unignore_selected()
    qtbot.waitUntil(lambda: window.tabs.tabText(window.tabs.indexOf(page)) == "Library (6)", timeout=10000)


def test_pick_queues_the_scene_and_it_syncs_to_the_chosen_item(qtbot, library_window, crafted, plex) -> None:
    window, _service, picks = library_window
    page = window.library_page
    chosen = crafted.candidates[1]
    picks.append(chosen)
    select_where(page, lambda row: row.reason == Reason.AMBIGUOUS)
    page.pick_selected()
    qtbot.waitUntil(lambda: plex.item_state(chosen)["title"] == "Twice", timeout=15000)
    assert plex.item_state(crafted.candidates[0])["title"] == "twice"
    qtbot.waitUntil(lambda: window.tabs.tabText(window.tabs.indexOf(page)) == "Library (5)", timeout=10000)


def test_the_model_shows_words_not_codes(qapp) -> None:
    report = CoverageReport(3, 2, 1, ("Movies",), ())
    assert [label for label, _ in reason_choices(report)][:2] == ["All problems (0)", "No path mapping (0)"]
    model = KeyedTableModel(COVERAGE_COLUMNS)
    model.replace_all([CoverageRow(1, Reason.AMBIGUOUS, "7", ("11", "12"), "Twice", "/data/t.mp4", "/media/t.mp4",
                                   "Movies")])
    cells = [model.index(0, column).data() for column in range(model.columnCount())]
    assert cells == ["Several Plex items", "7", "Twice", "/data/t.mp4", "Movies", "11, 12",
                     "pick the right Plex item, or ignore", ""]
    assert model.index(0, 0).data(3) == "ambiguous: several Plex items have the file"  # the tooltip


def test_scenes_the_sync_rules_leave_out_show_the_rule(qtbot, make_service, config, stash, plex, movies) -> None:
    config.rules.require_tag = "Keep"
    stash.add_scene(title="Kept", tags=["Keep"], files=["/data/movies/kept.mp4"])
    plex.add_item(movies, "/media/movies/kept.mp4", title="kept")
    left_out = stash.add_scene(title="Left out", files=["/data/movies/left-out.mp4"])
    plex.add_item(movies, "/media/movies/left-out.mp4", title="left out")
    service = make_service()
    window = MainWindow(service, confirm=lambda _title, _question: True)
    qtbot.addWidget(window)
    window.show()
    page = window.library_page
    window.tabs.setCurrentWidget(page)
    qtbot.waitUntil(lambda: service.coverage.report is not None, timeout=15000)
    assert [page.model.row(i).scene_id for i in page.model.ids()] == [left_out]
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.model.columnCount())]
    cells = dict(zip(headers, (page.model.index(0, c).data() for c in range(len(headers))), strict=True))
    assert cells["Problem"] == "Not synced"
    assert cells["Why"] == "does not have the tag 'Keep' (rules.require_tag)"
    assert cells["What to do"] == "change the sync rules in Settings, or ignore"
    assert page.model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) == cells["Why"]
    assert page.reason_box.findText("Not synced (1)") >= 0  # the filter's entry for excluded rows
