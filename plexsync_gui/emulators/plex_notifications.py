"""The emulated PMS's notification websocket and its library scans.

`/:/websockets/notifications` (token in the `X-Plex-Token` header or query, as every route) streams one JSON
`NotificationContainer` per event, in the shape plexapi's AlertListener reads. Only `timeline` notifications are
sent: when items are added (seeding, or a scan that finds an unscanned file), one container with their entries at
`state` 0 ("created") and one at `state` 5 (processed), as PMS reports an item's progress. No capture of a real
PMS socket exists (shared/captures); the shape follows plexapi 4.18's alert.py.

Unscanned files are files on "disk" that are no items yet: `add_unscanned_file` puts one there, and only a refresh
of its section (`/library/sections/{id}/refresh`, with a `path=` that holds it, or without one) turns it into an
item, after `scan_delay` seconds (a real scan takes a while). So a client's request to scan a folder is tested for
real: without it the file never shows up.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from typing import Any

from plexsync_gui.emulators.websocket_server import ServerWebSocket, WebSocketHub

NOTIFICATIONS_PATH = "/:/websockets/notifications"
ENTRIES_PER_MESSAGE = 100
_SEARCH_TYPES = {"movie": 1, "episode": 4}


def timeline_message(entries: list[dict[str, Any]]) -> str:
    return json.dumps({"NotificationContainer": {"type": "timeline", "size": len(entries),
                                                 "TimelineEntry": entries}})


def _under(file: str, folder: str) -> bool:
    folder = folder.rstrip("/")
    return file == folder or file.startswith(folder + "/")


class PlexNotifications:
    def __init__(self) -> None:
        self.hub = WebSocketHub()
        self.scan_delay = 0.0  # seconds a refresh takes before its new items appear
        self.scans: list[tuple[int, str | None]] = []  # (section, path) of every refresh asked for
        self._lock = threading.Lock()
        self._unscanned: dict[int, list[dict[str, Any]]] = {}

    # ---- scans -------------------------------------------------------------------------------------------------

    def add_unscanned(self, section_key: int, spec: dict[str, Any]) -> None:
        with self._lock:
            self._unscanned.setdefault(section_key, []).append(spec)

    def unscanned_count(self) -> int:
        with self._lock:
            return sum(len(specs) for specs in self._unscanned.values())

    def scan(self, section_key: int, path: str | None, add: Callable[[int, list[dict[str, Any]]], Any]) -> None:
        """A refresh: the unscanned files under `path` (all of the section's without one) become items via `add`,
        now or after `scan_delay` on a timer thread."""
        with self._lock:
            self.scans.append((section_key, path))
            pending = self._unscanned.get(section_key, [])
            found = [spec for spec in pending if path is None or _under(spec["file"], path)]
            self._unscanned[section_key] = [spec for spec in pending if spec not in found]
        if not found:
            return
        if self.scan_delay > 0:
            timer = threading.Timer(self.scan_delay, add, (section_key, found))
            timer.daemon = True
            timer.start()
        else:
            add(section_key, found)

    # ---- notifications -----------------------------------------------------------------------------------------

    def items_added(self, section_key: int, items: list[tuple[str, str, str]]) -> None:
        """Announce new items, (ratingKey, type, title) each, to every open socket."""
        if not items or not self.hub.open_count:
            return
        for start in range(0, len(items), ENTRIES_PER_MESSAGE):
            chunk = items[start:start + ENTRIES_PER_MESSAGE]
            for state, metadata_state in ((0, "created"), (5, None)):
                entries = [{"identifier": "com.plexapp.plugins.library", "sectionID": str(section_key),
                            "itemID": key, "type": _SEARCH_TYPES.get(kind, 1), "title": title, "state": state,
                            **({"metadataState": metadata_state} if metadata_state else {})}
                           for key, kind, title in chunk]
                self.hub.broadcast(timeline_message(entries))

    def serve(self, sock: socket.socket, headers: dict[str, str], path: str, stopping: threading.Event) -> None:
        """Hold one accepted socket open until the client or the emulator ends it (clients send nothing)."""
        ws = ServerWebSocket(sock, list(headers.items()), path)
        self.hub.add(ws)
        try:
            while ws.messages(stopping) is not None:
                pass
        finally:
            self.hub.remove(ws)
            ws.drop()
