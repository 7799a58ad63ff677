"""Plain words instead of class names and config keys; progress of a long sync; times in words."""

from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import Qt

from plexsync_gui.core.errors import (
    Cancelled,
    InternalError,
    PermanentError,
    PlexAuthError,
    PlexEditRefused,
    PlexNotFound,
    PlexPermanentError,
    PlexTemporaryError,
    StashDownError,
    TransientError,
)
from plexsync_gui.ui import wording
from plexsync_gui.ui.main_window import MainWindow
from plexsync_gui.ui.models import FAILED_COLUMNS, QUEUE_COLUMNS, KeyedTableModel
from plexsync_gui.ui.progress import ProgressTracker
from plexsync_gui.ui.times import duration, relative_time
from plexsync_gui.ui.tray import tooltip
from tests.ui.test_main_window import Answers

NOW = 1_800_000_000.0


@pytest.mark.parametrize("error", [TransientError, StashDownError, InternalError, Cancelled, PermanentError,
                                   PlexTemporaryError, PlexEditRefused, PlexNotFound, PlexPermanentError,
                                   PlexAuthError])
def test_every_error_type_has_its_own_sentence(error) -> None:
    sentence = wording.problem(error.__name__)
    assert sentence and sentence != wording.UNKNOWN_PROBLEM and "Error" not in sentence


def test_an_ambiguous_match_and_setting_keys_read_as_words() -> None:
    core = ("2 Plex items match /m/a.mp4 and strict_matching is on: 1 'a' (/m/a.mp4). "
            "Pick one in the app, or turn strict_matching off to take the first")
    assert wording.problem("PermanentError", core) == "Several Plex items have this file"
    assert "strict_matching" not in wording.message(core)
    assert wording.problem("SomethingNew") == wording.UNKNOWN_PROBLEM and wording.problem(None) == ""


def test_failed_table_shows_the_sentence_and_keeps_the_message_on_hover() -> None:
    from plexsync_gui.core.storage.store import DeadLetter
    model = KeyedTableModel(FAILED_COLUMNS)
    model.replace_all([DeadLetter(1, "7", "T", None, "PlexNotFound", "no Plex item has the file /x "
                                  "(not scanned yet, or a path_map is missing)", 12, NOW, 12)])
    texts = [model.index(0, c).data() for c in range(model.columnCount())]
    assert "Plex has no item with this file yet" in texts
    assert not any("PlexNotFound" in t or "path_map" in t for t in texts)


@pytest.mark.parametrize(("status", "said"), [
    ({"breaker": "closed"}, None),
    ({"breaker": "open", "next_plex_try_at": NOW + 30}, "Plex is unreachable; next try in 30 s"),
    ({"breaker": "open", "next_plex_try_at": NOW - 5}, "Plex is unreachable; next try now"),
    ({"breaker": "half_open"}, "Plex answered again; trying one scene"),
    ({"breaker": "closed", "plex_paused": "token rejected"},
     "Plex rejected the token: syncing is paused until it is fixed in Settings"),
])
def test_plex_state_in_words(status, said) -> None:
    assert wording.plex_state(status, now=NOW) == said


@pytest.mark.parametrize(("offset", "said"), [
    (-3, "just now"), (-42, "42 s ago"), (-150, "2 min ago"), (-7200, "2 h ago"), (-90000, "yesterday"),
    (-3 * 86400, "3 days ago"), (30, "in 30 s"), (600, "in 10 min"),
])
def test_relative_times(offset, said) -> None:
    assert relative_time(NOW + offset, now=NOW) == said


def test_relative_time_beyond_a_week_is_a_date() -> None:
    assert relative_time(NOW - 30 * 86400, now=NOW).count("-") == 2


def test_progress_counts_done_of_total_and_measures_rate_and_time_left() -> None:
    tracker = ProgressTracker()
    assert tracker.observe({"pending": 0}, 0.0) is None
    first = tracker.observe({"pending": 10_000}, 0.0)
    assert first is not None and (first.done, first.total, first.rate) == (0, 10_000, None)
    assert first.text == "0 of 10,000"
    later = tracker.observe({"pending": 8_766}, 60.0)  # 1,234 done in a minute
    assert later is not None and (later.done, later.total) == (1_234, 10_000)
    assert later.rate == pytest.approx(1_234) and later.seconds_left == pytest.approx(8_766 / 1_234 * 60)
    assert later.text == "1,234 of 10,000 · 1,234/min · 7 min left"
    grown = tracker.observe({"pending": 8_800}, 61.0)  # Stash added scenes mid-run: the total grows
    assert grown is not None and (grown.done, grown.total) == (1_234, 10_034)
    assert tracker.observe({"pending": 0}, 62.0) is None  # the run ended: the next one starts from zero
    assert tracker.observe({"pending": 5}, 63.0).total == 5


def test_durations() -> None:
    assert [duration(s) for s in (12, 420, 7500)] == ["12 s", "7 min", "2 h 5 min"]


def test_progress_in_the_window_and_the_tray_tooltip(qtbot, make_service) -> None:
    service = make_service(start=False)
    window = MainWindow(service, confirm=Answers(True))
    qtbot.addWidget(window)
    window.show()
    base = {"due": 5, "failed": 0, "synced": 1_500, "paused": False, "syncing": True, "breaker": "open",
            "next_plex_try_at": None, "plex_paused": None, "stash_error": None, "last_synced_at": None,
            "last_poll_at": NOW, "plex_error": "Plex is unreachable; next try in 30 s"}
    service._on_status({**base, "pending": 10_000})
    service._on_status({**base, "pending": 8_766})
    assert window.progress_bar.isVisible() and window.progress_bar.value() == 1_234
    assert window.progress_bar.text().startswith("1,234 of 10,000")
    assert window.in_step_label.text() == "1,500 scenes in step"
    assert window.breaker_label.text() == "Plex is unreachable; next try in 30 s"
    assert "Circuit" not in window.statusBar().currentMessage()
    assert "Syncing 1,234 of 10,000" in tooltip(service.status, "syncing")
    service._on_status({**base, "pending": 0, "plex_error": None, "breaker": "closed"})
    assert not window.progress_bar.isVisible() and not window.breaker_label.isVisible()


def test_settings_labels_are_words_with_the_key_on_hover(qtbot) -> None:
    from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox

    from plexsync_gui.core.setup.config import Config
    from plexsync_gui.ui.settings.pages import BehaviourPage, FieldsPage, MatchingPage
    pages = [MatchingPage(Config()), FieldsPage(Config()), BehaviourPage(Config(), None)]
    for page in pages:
        qtbot.addWidget(page)
        for widget in page.findChildren(QAbstractButton) + page.findChildren(QAbstractSpinBox):
            text = widget.text() if isinstance(widget, QAbstractButton) else ""
            assert "_" not in text and "." not in text.rstrip("…")
            if widget.toolTip().startswith("In config.toml:"):
                assert widget.toolTip().split(": ")[1].split(".")[0] in ("sync", "fields", "desktop", "events")
    assert pages[0].strict.toolTip() == "In config.toml: sync.strict_matching"
    assert pages[2].retries.toolTip() == "In config.toml: sync.max_retries"
    assert pages[2].listen.toolTip() == "In config.toml: events.listen"
    assert pages[2].scan_missing.toolTip() == "In config.toml: events.scan_missing"


def test_activity_says_a_failure_in_words() -> None:
    said = wording.activity("failed", "PermanentError: the scene has no file in Stash, so it cannot be matched")
    assert said.startswith("The scene has no file in Stash: ") and "PermanentError" not in said
    assert wording.activity("synced", "title, date changed") == "title, date changed"


@pytest.mark.parametrize(("attempts", "limit", "error_type", "said", "hint"), [
    (1, 5, "PlexTemporaryError", "1 of 5", "of the 5 set in Settings"),
    (1, 12, "PlexNotFound", "1 of 12 (waiting for Plex to scan)", "12 slower tries of its own"),
    (2, 2, "InternalError", "2 of 2 (PlexSync's own error)", "2 tries of its own"),
    (1, 1, "PermanentError", "1 (not retried)", "Retrying cannot help"),
    (5, None, "PlexTemporaryError", "5", ""),  # a dead letter recorded before the limit was kept
])
def test_attempts_say_which_limit_they_count_against(attempts, limit, error_type, said, hint) -> None:
    assert wording.attempts(attempts, limit, error_type) == said
    assert hint in wording.attempts_hint(limit, error_type)


def test_the_queue_and_failed_tables_show_attempts_against_their_limit() -> None:
    from plexsync_gui.core.storage.store import DeadLetter, JobRow, JobStatus
    queue = KeyedTableModel(QUEUE_COLUMNS)
    queue.replace_all([JobRow(1, "7", "T", "/x", JobStatus.RETRY_WAIT, 1, 12, NOW, "PlexNotFound", "not yet"),
                       JobRow(2, "8", "U", "/y", JobStatus.RETRY_WAIT, 1, 5, NOW, "PlexTemporaryError", "down")])
    column = [c.title for c in QUEUE_COLUMNS].index("Attempts")
    assert [queue.index(row, column).data() for row in range(2)] == ["1 of 12 (waiting for Plex to scan)", "1 of 5"]
    assert "apart from the limit in Settings" in queue.index(0, column).data(Qt.ItemDataRole.ToolTipRole)
    failed = KeyedTableModel(FAILED_COLUMNS)
    failed.replace_all([DeadLetter(3, "9", "V", None, "PlexTemporaryError", "down", 5, NOW, 5)])
    column = [c.title for c in FAILED_COLUMNS].index("Attempts")
    assert failed.index(0, column).data() == "5 of 5"
    assert "of the 5 set in Settings" in failed.index(0, column).data(Qt.ItemDataRole.ToolTipRole)


def test_status_bar_parts_are_kept_apart_by_a_separator(qtbot, make_service) -> None:
    service = make_service(start=False)
    window = MainWindow(service, confirm=Answers(True))
    qtbot.addWidget(window)
    window.resize(1180, 660)
    window.show()
    service._on_status({"pending": 2, "due": 0, "failed": 2, "synced": 38, "paused": False, "syncing": False,
                        "breaker": "closed", "stash_error": None, "plex_error": None, "last_synced_at": None,
                        "last_poll_at": NOW, "events": {"stash": "live", "plex": "live"}})
    parts = [window.events_label, window.part_separators[0], window.in_step_label, window.part_separators[1],
             window.summary_label]
    qtbot.waitUntil(lambda: all(part.isVisible() and part.width() > 0 for part in parts))
    qtbot.wait(50)  # the status bar lays out the new texts
    assert [part.text() for part in parts[:3]] == ["Live updates", "·", "38 scenes in step"]
    for left, right in itertools.pairwise(parts):
        assert left.geometry().right() < right.geometry().left(), (left.text(), right.text())
    window.show_not_set_up(True)
    assert not any(separator.isVisible() for separator in window.part_separators)
