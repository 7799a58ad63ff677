"""Tray state, tooltip and menu, and the notification policy, driven with plain status dicts."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QSystemTrayIcon

from plexsync_gui.core.setup.config import DesktopSettings
from plexsync_gui.ui.notifications import NotificationPolicy
from plexsync_gui.ui.tray import ERROR, IDLE, PAUSED, SYNCING, TrayController, tray_state


class RecordingNotifier:
    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def notify(self, title: str, message: str) -> None:
        self.messages.append((title, message))


class IconLog:
    """Icons as solid colours per name, with a log of what was asked for."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __call__(self, name: str) -> QIcon:
        self.names.append(name)
        pixmap = QPixmap(16, 16)
        return QIcon(pixmap)


def status(**values: Any) -> dict[str, Any]:
    base = {"pending": 0, "due": 0, "failed": 0, "synced": 0, "paused": False, "syncing": False,
            "breaker": "closed", "plex_error": None, "stash_error": None, "last_synced_at": None}
    return {**base, **values}


@pytest.mark.parametrize(("values", "expected"), [
    ({}, IDLE),
    ({"syncing": True, "pending": 3}, SYNCING),
    ({"syncing": True, "failed": 1}, ERROR),
    ({"stash_error": "Stash is unreachable"}, ERROR),
    ({"plex_error": "Plex is unreachable"}, ERROR),
    ({"paused": True, "failed": 2}, PAUSED),
])
def test_tray_state_shows_the_least_successful_state(values: dict[str, Any], expected: str) -> None:
    assert tray_state(status(**values), paused=False) == expected


def test_controller_sets_icon_tooltip_and_pause_label(qtbot) -> None:
    icons = IconLog()
    controller = TrayController(icons, QSystemTrayIcon)
    controller.show_status(status(pending=4, failed=1, last_synced_at=0.0, stash_error="Stash is unreachable"))
    assert icons.names[-1] == "tray-error"
    tip = controller.tray.toolTip()
    assert "4 pending · 1 failed" in tip and "Stash is unreachable" in tip
    assert [a.text() for a in controller.menu.actions() if a.text()] == [
        "Open PlexSync", "Sync now", "Pause syncing", "Settings…", "Quit PlexSync"]
    with qtbot.waitSignal(controller.pause_toggled) as toggled:
        controller.pause_action.trigger()
    assert toggled.args == [True]
    assert controller.pause_action.text() == "Resume syncing"
    controller.show_status(status(paused=True))
    assert icons.names[-1] == "tray-paused"
    with qtbot.waitSignal(controller.sync_requested):
        controller.sync_action.trigger()


def test_failures_in_a_burst_make_one_message(qtbot) -> None:
    notifier = RecordingNotifier()
    policy = NotificationPolicy(notifier, DesktopSettings())
    policy.on_failures(["A"])
    policy.on_failures(["B", "C"])
    assert notifier.messages == []
    with qtbot.waitSignal(policy.failures_shown, timeout=5000):
        pass
    assert len(notifier.messages) == 1
    assert "3 scenes could not be synced" in notifier.messages[0][1]


def test_connection_changes_notify_once_each_way() -> None:
    notifier = RecordingNotifier()
    policy = NotificationPolicy(notifier, DesktopSettings())
    policy.on_status(status())
    for _ in range(3):
        policy.on_status(status(plex_error="Plex is unreachable (circuit breaker open)"))
    policy.on_status(status())
    assert [title for title, _ in notifier.messages] == ["Plex is unreachable", "Plex is back"]


def test_success_notifications_are_opt_in() -> None:
    notifier = RecordingNotifier()
    quiet = NotificationPolicy(notifier, DesktopSettings())
    quiet.on_status(status())
    quiet.on_status(status(synced=5))
    quiet.flush()
    assert notifier.messages == []
    chatty = NotificationPolicy(notifier, DesktopSettings(notify_success=True))
    chatty.on_status(status())
    chatty.on_status(status(synced=5))
    chatty.on_status(status(synced=7))
    chatty.flush()
    assert notifier.messages == [("Synced", "7 scenes updated in Plex.")]


def test_failure_notifications_can_be_turned_off() -> None:
    notifier = RecordingNotifier()
    policy = NotificationPolicy(notifier, DesktopSettings(notify_failures=False))
    policy.on_failures(["A"])
    policy.flush()
    assert notifier.messages == []


def test_a_config_problem_is_notified_as_one_not_as_an_outage() -> None:
    notifier = RecordingNotifier()
    policy = NotificationPolicy(notifier, DesktopSettings())
    policy.on_status(status())
    policy.on_status(status(stash_error="rules.genre_parent_tag: Stash has no tag named 'X'",
                            stash_config_problem=True))
    assert notifier.messages == [("PlexSync needs a config fix",
                                  "rules.genre_parent_tag: Stash has no tag named 'X'.")]
