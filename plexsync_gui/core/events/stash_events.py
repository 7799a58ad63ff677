"""Stash's `jobsSubscribe` GraphQL subscription: a scan, identify, auto-tag or plugin task just finished.

Edits made in Stash's UI are no jobs, so this cannot replace the poll; a finished job is only a hint that many
scenes may have changed, and the runner polls at once. gqlgen serves subscriptions at `/graphql` over the
`graphql-transport-ws` protocol (connection_init → connection_ack, subscribe → next…, ping ↔ pong); the API key
goes in the `ApiKey` header of the upgrade (docs/stash-protocol.md §2, §8), never in the URL.

A job counts as finished when an update says `status: FINISHED`, or when it is REMOVEd from the queue (Stash removes
a job once it is done; a removal is reported once per job id).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import websocket

from plexsync_gui.core.events.plex_events import websocket_url
from plexsync_gui.core.events.websocket_listener import WebSocketListener

log = logging.getLogger(__name__)

PROTOCOL = "graphql-transport-ws"
SUBSCRIPTION = "subscription PlexSyncJobs { jobsSubscribe { type job { id status description } } }"
FINISHED_STATUSES = frozenset({"FINISHED"})
_REMEMBERED = 200  # job ids kept to report each job once


class ProtocolError(Exception):
    """Stash answered the subscription with something this protocol does not allow (an error, no ack)."""


def finished_job(update: dict[str, Any]) -> tuple[str, str] | None:
    """(job id, description) when a `jobsSubscribe` update says a job is done, else None."""
    job = update.get("job") if isinstance(update, dict) else None
    if not isinstance(job, dict):
        return None
    if update.get("type") == "REMOVE" or job.get("status") in FINISHED_STATUSES:
        return str(job.get("id") or ""), str(job.get("description") or "a job")
    return None


class StashJobListener(WebSocketListener):
    name = "Stash"
    subprotocols = (PROTOCOL,)

    def __init__(self, stash_url: str, api_key: str | None, on_finished: Callable[[str], None],
                 verify: bool | str = True, on_state: Callable[[], None] = lambda: None) -> None:
        headers = {"ApiKey": api_key} if api_key else {}
        super().__init__(websocket_url(stash_url, "/graphql"), headers, verify, secrets=(api_key or "",),
                         on_state=on_state)
        self._on_finished = on_finished
        self._reported: list[str] = []

    def _opened(self, ws: websocket.WebSocket) -> None:
        """connection_init, wait for the ack (within the connect deadline), then subscribe."""
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        while True:
            message = _decoded(ws.recv())
            kind = message.get("type")
            if kind == "connection_ack":
                break
            if kind == "ping":
                ws.send(json.dumps({"type": "pong"}))
                continue
            raise ProtocolError(f"Stash did not accept the subscription connection ({kind or 'no type'})")
        ws.send(json.dumps({"id": "jobs", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))

    def _message(self, ws: websocket.WebSocket, text: str) -> None:
        message = _decoded(text)
        kind = message.get("type")
        if kind == "ping":
            ws.send(json.dumps({"type": "pong"}))
        elif kind == "next":
            data = (message.get("payload") or {}).get("data") or {}
            self._update(data.get("jobsSubscribe") or {})
        elif kind in ("error", "complete"):
            raise ProtocolError(f"Stash ended the job subscription ({kind}: {str(message.get('payload'))[:200]})")

    def _update(self, update: dict[str, Any]) -> None:
        finished = finished_job(update)
        if finished is None or finished[0] in self._reported:
            return
        self._reported = [*self._reported[-_REMEMBERED:], finished[0]]
        log.info("Stash finished %s", finished[1])
        self._on_finished(finished[1])


def _decoded(text: str | bytes) -> dict[str, Any]:
    try:
        message = json.loads(text)
    except ValueError:
        raise ProtocolError("Stash sent a subscription message that is not JSON") from None
    return message if isinstance(message, dict) else {}
