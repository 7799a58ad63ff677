"""Plex's notification websocket (`/:/websockets/notifications`): which library items just appeared.

PMS pushes a JSON `NotificationContainer` per event (plexapi's AlertListener reads the same socket). Only
`timeline` containers matter here: each `TimelineEntry` names an item (`itemID`), its `type` (1 movie, 4 episode),
its section (`sectionID`) and how far Plex got with it (`state`: 0 created … 5 processed, 9 deleted; newer servers
also say `metadataState`, e.g. "created"). An entry for a movie or episode that was created or finished
processing is reported through `on_item` as (ratingKey, section id). Everything else (activities, playback,
status) is ignored. The token goes in the `X-Plex-Token` header of the upgrade, never in the URL.

Evidence: plexapi 4.18's alert.py (the state list above) and its AlertListener; no capture of a real PMS socket
exists in shared/captures, so the entry's shape is plexapi's, and the emulator sends that shape.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import websocket

from plexsync_gui.core.events.websocket_listener import WebSocketListener

log = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/:/websockets/notifications"
LIBRARY = "com.plexapp.plugins.library"
VIDEO_TYPES = frozenset({1, 4})  # movie, episode: what PlexSync writes to
APPEARED_STATES = frozenset({0, 5})  # created, processed
APPEARED_METADATA_STATES = frozenset({"created", "done"})
DELETED_STATE = 9


def websocket_url(http_url: str, path: str) -> str:
    """`ws://` for `http://`, `wss://` for `https://`, same host and port."""
    base = http_url.rstrip("/")
    scheme, rest = base.split("://", 1)
    return f"{'wss' if scheme.lower() == 'https' else 'ws'}://{rest}{path}"


def appeared_items(notification: dict[str, Any]) -> list[tuple[str, str]]:
    """(ratingKey, section id) of each movie or episode a `timeline` notification says was created or processed."""
    container = notification.get("NotificationContainer")
    if not isinstance(container, dict) or container.get("type") != "timeline":
        return []
    found: list[tuple[str, str]] = []
    for entry in container.get("TimelineEntry") or []:
        if not isinstance(entry, dict) or entry.get("identifier", LIBRARY) != LIBRARY:
            continue
        item_type, state = _int(entry.get("type")), _int(entry.get("state"))
        item_id = str(entry.get("itemID") or "").strip()
        if item_type not in VIDEO_TYPES or not item_id.isdigit() or state == DELETED_STATE:
            continue
        if state in APPEARED_STATES or entry.get("metadataState") in APPEARED_METADATA_STATES:
            found.append((item_id, str(entry.get("sectionID") or "")))
    return found


class PlexEventListener(WebSocketListener):
    name = "Plex"

    def __init__(self, plex_url: str, token: str | None, on_item: Callable[[str, str], None],
                 verify: bool | str = True, on_state: Callable[[], None] = lambda: None) -> None:
        headers = {"X-Plex-Token": token} if token else {}
        super().__init__(websocket_url(plex_url, NOTIFICATIONS_PATH), headers, verify, secrets=(token or "",),
                         on_state=on_state)
        self._on_item = on_item

    def _message(self, ws: websocket.WebSocket, text: str) -> None:
        try:
            notification = json.loads(text)
        except ValueError:
            log.debug("Plex sent a notification that is not JSON; ignored")
            return
        for rating_key, section in appeared_items(notification if isinstance(notification, dict) else {}):
            self._on_item(rating_key, section)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
