"""The two listeners of a syncing process, started and stopped together, and their state in words.

`plexsync run` and the desktop worker start them when `[events] listen = true`; every other command polls only.
Polling stays the source of truth: a listener that cannot connect only means changes are noticed at the next poll
or retry, which is what the status says ("polling only").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from plexsync_gui.core.events.inbox import EventInbox
from plexsync_gui.core.events.plex_events import PlexEventListener
from plexsync_gui.core.events.stash_events import StashJobListener
from plexsync_gui.core.events.websocket_listener import WebSocketListener
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets


@dataclass(frozen=True)
class EventsState:
    """Per server ("plex", "stash"): "live", or "polling only: <why>"; `{}` when listening is off."""

    servers: Mapping[str, str]

    @property
    def live(self) -> bool:
        return bool(self.servers) and all(state == "live" for state in self.servers.values())

    def to_json(self) -> dict[str, str]:
        return dict(self.servers)


class Listeners:
    def __init__(self, listeners: Mapping[str, WebSocketListener]) -> None:
        self._listeners = dict(listeners)

    def start(self) -> Listeners:
        for listener in self._listeners.values():
            listener.start()
        return self

    def stop(self) -> None:
        """Both at once: each waits at most STOP_WAIT for its thread, so together they cost that once."""
        for listener in self._listeners.values():
            listener.stop(timeout=0)
        for listener in self._listeners.values():
            listener.stop()

    def state(self) -> EventsState:
        servers: dict[str, str] = {}
        for name, listener in self._listeners.items():
            state = listener.state
            servers[name] = "live" if state.live else f"polling only: {state.problem or 'connecting'}"
        return EventsState(servers)


def start_listeners(config: Config, secrets: Secrets | None, inbox: EventInbox) -> Listeners | None:
    """Both listeners, running; None when `[events] listen` is off."""
    if not config.events.listen:
        return None
    plex_token = secrets.plex_token if secrets else None
    stash_api_key = secrets.stash_api_key if secrets else None
    return Listeners({
        "plex": PlexEventListener(config.plex.url, plex_token, inbox.item_appeared, config.plex.verify,
                                  inbox.state_changed),
        "stash": StashJobListener(config.stash.url, stash_api_key, inbox.stash_job_finished, config.stash.verify,
                                  inbox.state_changed),
    }).start()
