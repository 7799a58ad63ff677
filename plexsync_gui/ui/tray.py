"""The tray icon: state at a glance, the menu every action is reachable from, the portable notification path.

The icon shows the least successful state, so an error is never hidden behind "syncing". The menu is one
persistent QMenu whose labels are refreshed in `aboutToShow` (some tray hosts export it over D-Bus and break when it
is swapped). The tray itself comes from a factory so tests can build one without a tray host.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance, Slot
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from plexsync_gui.ui.worker import status_summary

IDLE, SYNCING, PAUSED, ERROR = "idle", "syncing", "paused", "error"
NOT_SET_UP_TOOLTIP = "PlexSync — not set up\nOpen Settings… to connect Stash and Plex"


def tray_state(status: dict[str, Any], paused: bool) -> str:
    """Paused is the user's own choice and wins; then any error; then work in progress."""
    if paused or status.get("paused"):
        return PAUSED
    if status.get("failed") or status.get("stash_error") or status.get("plex_error"):
        return ERROR
    if status.get("syncing"):
        return SYNCING
    return IDLE


def tooltip(status: dict[str, Any], state: str) -> str:
    lines = [f"PlexSync — {state}", status_summary(status)]
    if status.get("progress") is not None and status.get("syncing"):
        lines.append(f"Syncing {status['progress'].text}")
    lines += [text for text in (status.get("stash_error"), status.get("plex_error")) if text]
    return "\n".join(lines)


class TrayController(QObject):
    open_requested = Signal()
    toggle_requested = Signal()
    settings_requested = Signal()
    sync_requested = Signal()
    pause_toggled = Signal(bool)
    quit_requested = Signal()
    message_clicked = Signal()

    def __init__(self, icons: Callable[[str], QIcon],
                 tray_factory: Callable[[], QSystemTrayIcon] = QSystemTrayIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._icons = icons
        self.tray = tray_factory()
        self.state = IDLE
        self.paused = False
        self.menu = QMenu()
        self.open_action = self._action("Open PlexSync", self.open_requested)
        self.sync_action = self._action("Sync now", self.sync_requested)
        self.pause_action = QAction("Pause syncing", self.menu)
        self.pause_action.triggered.connect(self._toggle_pause)
        self.menu.addAction(self.pause_action)
        self.menu.addSeparator()
        self.settings_action = self._action("Settings…", self.settings_requested)
        self.menu.addSeparator()
        self.quit_action = self._action("Quit PlexSync", self.quit_requested)
        self.menu.aboutToShow.connect(self._refresh_menu)
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._on_activated)
        self.tray.messageClicked.connect(self.message_clicked)
        self.show_status({})

    def _action(self, text: str, signal: SignalInstance) -> QAction:
        action = QAction(text, self.menu)
        action.triggered.connect(signal)
        self.menu.addAction(action)
        return action

    def show(self) -> None:
        self.tray.show()

    def hide(self) -> None:
        self.tray.hide()

    @Slot(dict)
    def show_status(self, status: dict[str, Any]) -> None:
        self.paused = bool(status.get("paused", self.paused))
        self.state = tray_state(status, self.paused)
        self.tray.setIcon(self._icons(f"tray-{self.state}"))
        self.tray.setToolTip(tooltip(status, self.state))
        self._refresh_menu()

    def show_not_set_up(self, not_set_up: bool) -> None:
        """Before the first save: nothing syncs (the paused icon), the tooltip says why, and the menu offers only
        what can work. Saving the settings brings the normal states back."""
        self.sync_action.setEnabled(not not_set_up)
        self.pause_action.setEnabled(not not_set_up)
        if not_set_up:
            self.state = PAUSED
            self.tray.setIcon(self._icons(f"tray-{PAUSED}"))
            self.tray.setToolTip(NOT_SET_UP_TOOLTIP)
        else:
            self.show_status({})

    def notify(self, title: str, message: str) -> None:
        icon = QSystemTrayIcon.MessageIcon.Warning if self.state == ERROR else QSystemTrayIcon.MessageIcon.Information
        self.tray.showMessage(title, message, icon, 8000)

    @Slot()
    def _refresh_menu(self) -> None:
        self.pause_action.setText("Resume syncing" if self.paused else "Pause syncing")

    @Slot()
    def _toggle_pause(self) -> None:
        self.paused = not self.paused
        self._refresh_menu()
        self.pause_toggled.emit(self.paused)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_requested.emit()
