"""When PlexSync speaks up: failures and connection changes by default, successes only when asked, never per job.

Notifications are nudges on transitions; the tray icon carries the persistent state. Bursts are coalesced: every
failure within COALESCE_MS of the first becomes one message ("12 scenes failed"). The notifier is injected, so tests
record messages instead of showing them.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from plexsync_gui.core.setup.config import DesktopSettings

COALESCE_MS = 2000


class Notifier(Protocol):
    def notify(self, title: str, message: str) -> None: ...


class NotificationPolicy(QObject):
    """Turns service events into at most one message per category per burst."""

    failures_shown = Signal()  # a failure message went out; clicking it should open the Failed tab

    def __init__(self, notifier: Notifier, settings: DesktopSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notifier = notifier
        self.settings = settings
        self._failed: list[str] = []
        self._synced = 0
        self._last_status: dict[str, Any] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self.flush)

    @Slot(list)
    def on_failures(self, titles: list[str]) -> None:
        if self.settings.notify_failures and titles:
            self._failed.extend(titles)
            self._start()

    @Slot(dict)
    def on_status(self, status: dict[str, Any]) -> None:
        previous, self._last_status = self._last_status, status
        if previous is None:
            return
        if self.settings.notify_connection:
            for server, key in (("Stash", "stash_error"), ("Plex", "plex_error")):
                self._connection_change(server, previous.get(key), status.get(key),
                                        bool(key == "stash_error" and status.get("stash_config_problem")))
        gained = (status.get("synced") or 0) - (previous.get("synced") or 0)
        if self.settings.notify_success and gained > 0:
            self._synced += gained
            self._start()

    def _connection_change(self, server: str, before: str | None, now: str | None,
                           config_problem: bool = False) -> None:
        if now and not before and config_problem:  # the server answered: the config names something it lacks
            self.notifier.notify("PlexSync needs a config fix", f"{now}.")
        elif now and not before:
            self.notifier.notify(f"{server} is unreachable", f"{now}. PlexSync keeps the changes and retries.")
        elif before and not now:
            self.notifier.notify(f"{server} is back", "Syncing continues.")

    def _start(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    @Slot()
    def flush(self) -> None:
        failed, self._failed = self._failed, []
        synced, self._synced = self._synced, 0
        if failed:
            text = (f"“{failed[0]}” could not be synced" if len(failed) == 1
                    else f"{len(failed)} scenes could not be synced")
            self.notifier.notify("Sync failed", f"{text}. Open the Failed tab to retry or discard.")
            self.failures_shown.emit()
        if synced:
            self.notifier.notify("Synced", f"{synced} scene{'s' if synced != 1 else ''} updated in Plex.")
