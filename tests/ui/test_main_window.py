"""The main window against a live service: tab counts, empty states, actions on one and many selected rows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel

from plexsync_gui.ui.main_window import MainWindow
from tests.ui.conftest import settled

pytestmark = pytest.mark.integration


class Answers:
    """Stands in for the confirmation dialog and records the questions asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, title: str, question: str) -> bool:
        self.asked.append(question)
        return self.answer


def select_rows(page, rows: list[int]) -> None:
    selection = page.view.selectionModel()
    selection.clearSelection()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        selection.select(page.proxy.index(row, 0), flags)


@pytest.fixture
def window_with_failures(qtbot, make_service, library):
    library.add(title="Synced fine")
    for name in ("Lost A", "Lost B", "Lost C"):
        library.add(title=name, files=[])
    service = make_service()
    answers = Answers(True)
    window = MainWindow(service, confirm=answers)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: service.status.get("failed") == 3 and settled(service), timeout=15000)
    return window, service, answers


def test_tabs_show_counts_and_empty_states(window_with_failures) -> None:
    window, _service, _ = window_with_failures
    assert [window.tabs.tabText(i) for i in range(3)] == ["Queue", "Failed (3)", "Activity (4)"]
    assert window.queue_page.stack.currentWidget() is window.queue_page.empty
    assert "queue is empty" in window.queue_page.empty.text()
    assert window.failed_page.stack.currentWidget() is window.failed_page.view
    assert "1 failed" not in window.summary_label.text() and "3 failed" in window.summary_label.text()


def test_discard_one_then_retry_many(qtbot, window_with_failures) -> None:
    window, service, answers = window_with_failures
    page = window.failed_page
    page.filter.setText("Lost B")
    assert page.proxy.rowCount() == 1
    select_rows(page, [0])
    window.discard_selected_failed()
    assert "Discard 1 scene?" in answers.asked[-1]
    qtbot.waitUntil(lambda: service.status.get("failed") == 2 and settled(service), timeout=10000)
    assert sorted(service.failed_model.index(r, 1).data() for r in range(2)) == ["Lost A", "Lost C"]

    page.filter.clear()
    select_rows(page, [0, 1])
    with qtbot.waitSignal(service.failures_added, timeout=10000) as failed_again:
        window.retry_selected_failed()
    qtbot.waitUntil(lambda: service.status.get("failed") == 2 and settled(service), timeout=10000)
    assert len(failed_again.args[0]) in (1, 2)


def test_declined_confirmation_keeps_rows(qtbot, window_with_failures) -> None:
    window, service, answers = window_with_failures
    answers.answer = False
    window.discard_all_failed()
    assert "Discard all 3 scenes" in answers.asked[-1]
    service.sync_now()
    qtbot.waitUntil(lambda: settled(service), timeout=10000)
    assert service.failed_model.rowCount() == 3
    answers.answer = True
    window.discard_all_failed()
    qtbot.waitUntil(lambda: service.status.get("failed") == 0 and settled(service), timeout=10000)
    assert window.failed_page.stack.currentWidget() is window.failed_page.empty
    assert window.tabs.tabText(1) == "Failed"


def test_details_pane_shows_error_and_payload(qtbot, window_with_failures) -> None:
    window, service, _ = window_with_failures
    page = window.failed_page
    with qtbot.waitSignal(service.detail_ready, timeout=10000):
        page.view.selectionModel().setCurrentIndex(
            page.proxy.index(0, 0), QItemSelectionModel.SelectionFlag.SelectCurrent)
    text = window.details.text.toPlainText()
    assert text.startswith("The scene has no file in Stash")  # the problem in words, then the core's message
    assert "Plex now" in text and "Performers" in text and "\"scene_id\"" not in text  # fields, not JSON
    assert window.details.candidate_box.isHidden()


def test_pick_a_candidate_from_the_details_pane(qtbot, make_service, stash, plex, movies) -> None:
    stash.add_scene(title="Twice", files=["/data/movies/twice.mp4"])
    plex.add_item(movies, "/media/movies/twice.mp4", title="copy one")
    second = plex.add_item(movies, "/media/movies/twice.mp4", title="copy two")
    service = make_service()
    window = MainWindow(service, confirm=Answers(True))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: service.status.get("failed") == 1 and settled(service), timeout=15000)
    page = window.failed_page
    with qtbot.waitSignal(service.detail_ready, timeout=10000):
        page.view.selectionModel().setCurrentIndex(
            page.proxy.index(0, 0), QItemSelectionModel.SelectionFlag.SelectCurrent)
    assert window.details.candidates.count() == 2
    rows = [window.details.candidates.item(i) for i in range(2)]
    [pick] = [item for item in rows if "copy two" in item.text()]
    window.details.candidates.setCurrentItem(pick)
    window.details.choose_button.click()
    qtbot.waitUntil(lambda: plex.item_state(second)["title"] == "Twice", timeout=15000)


def test_queue_actions_on_selection(qtbot, make_service, library) -> None:
    for i in range(3):
        library.add(title=f"Waiting {i}", in_plex=False)
    service = make_service()
    answers = Answers(True)
    window = MainWindow(service, confirm=answers)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: service.status.get("pending") == 3 and settled(service)
                    and service.queue_model.rowCount() == 3, timeout=15000)
    assert window.tabs.tabText(0) == "Queue (3)"
    page = window.queue_page
    assert not page.buttons.itemAt(1).widget().isEnabled()
    select_rows(page, [0, 2])
    assert page.buttons.itemAt(1).widget().isEnabled()
    window.remove_selected_jobs()
    assert "Remove 2 scenes" in answers.asked[-1]
    qtbot.waitUntil(lambda: service.status.get("pending") == 1 and settled(service)
                    and service.queue_model.rowCount() == 1, timeout=10000)
