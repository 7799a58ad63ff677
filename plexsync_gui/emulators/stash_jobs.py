"""The emulated Stash's job queue and its `jobsSubscribe` subscription over websocket.

gqlgen serves subscriptions at `/graphql` in two protocols, chosen by the `Sec-WebSocket-Protocol` the client
offers: `graphql-transport-ws` (connection_init → connection_ack; subscribe → next…; ping ↔ pong; complete) and the
legacy `graphql-ws` (connection_init → connection_ack, ka; start → data…; stop; connection_terminate). Both are
served here. Authentication happens on the HTTP upgrade, as for every route (the caller checks it first).

A job runs through Stash's job manager states: ADD (READY), UPDATE (RUNNING, with progress), UPDATE (FINISHED),
REMOVE; `run_job` plays them, optionally doing the job's work (a callable that edits scenes, as a scan or identify
would) before it finishes.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from plexsync_gui.emulators.websocket_server import ServerWebSocket, WebSocketHub

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


def _choose(offered: list[str]) -> str | None:
    for protocol in (TRANSPORT_WS, LEGACY_WS):
        if protocol in offered:
            return protocol
    return None


class _Subscriber:
    def __init__(self, ws: ServerWebSocket, protocol: str, operation_id: str) -> None:
        self.ws, self.protocol, self.operation_id = ws, protocol, operation_id

    def send(self, update: dict[str, Any]) -> None:
        kind = "next" if self.protocol == TRANSPORT_WS else "data"
        self.ws.send_text(json.dumps({"id": self.operation_id, "type": kind,
                                      "payload": {"data": {"jobsSubscribe": update}}}))


class StashJobs:
    def __init__(self) -> None:
        self.hub = WebSocketHub()
        self._lock = threading.Lock()
        self._subscribers: list[_Subscriber] = []
        self._next_id = 1

    @property
    def subscribed(self) -> int:
        with self._lock:
            return sum(1 for s in self._subscribers if not s.ws.closed.is_set())

    def run_job(self, description: str = "Scanning...", work: Callable[[], Any] | None = None,
                duration: float = 0.0) -> str:
        """Play one job's life on every subscription: added, running, `work` done, finished, removed. With a
        `duration` it runs on a thread of its own and this returns at once; the job id either way."""
        with self._lock:
            job_id = str(self._next_id)
            self._next_id += 1
        self._publish("ADD", job_id, "READY", description)
        if duration > 0:
            threading.Thread(target=self._finish, args=(job_id, description, work, duration), daemon=True).start()
        else:
            self._finish(job_id, description, work, 0.0)
        return job_id

    def _finish(self, job_id: str, description: str, work: Callable[[], Any] | None, duration: float) -> None:
        self._publish("UPDATE", job_id, "RUNNING", description, progress=0.0)
        if duration:
            time.sleep(duration)
        if work is not None:
            work()
        self._publish("UPDATE", job_id, "FINISHED", description, progress=1.0)
        self._publish("REMOVE", job_id, "FINISHED", description, progress=1.0)

    def _publish(self, kind: str, job_id: str, status: str, description: str, progress: float | None = None) -> None:
        now = datetime.now(UTC).isoformat()
        update = {"type": kind, "job": {"id": job_id, "status": status, "subTasks": [], "description": description,
                                        "progress": progress, "startTime": now, "endTime": None, "addTime": now,
                                        "error": None}}
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.send(update)

    def serve(self, sock: socket.socket, headers: dict[str, str], path: str, stopping: threading.Event) -> None:
        """One accepted socket, held open by the handler's thread until either side ends it."""
        ws = ServerWebSocket(sock, list(headers.items()), path, _choose)
        self.hub.add(ws)
        try:
            if ws.subprotocol is None:
                return  # gqlgen closes a socket that speaks neither protocol
            while (messages := ws.messages(stopping)) is not None:
                for text in messages:
                    self._message(ws, text)
        finally:
            with self._lock:
                self._subscribers = [s for s in self._subscribers if s.ws is not ws]
            self.hub.remove(ws)
            ws.drop()

    def _message(self, ws: ServerWebSocket, text: str) -> None:
        try:
            message = json.loads(text)
        except ValueError:
            ws.drop()
            return
        kind, operation_id = message.get("type"), str(message.get("id") or "")
        protocol = ws.subprotocol or TRANSPORT_WS
        if kind == "connection_init":
            ws.send_text(json.dumps({"type": "connection_ack"}))
            if protocol == LEGACY_WS:
                ws.send_text(json.dumps({"type": "ka"}))
        elif kind == "ping":
            ws.send_text(json.dumps({"type": "pong"}))
        elif kind in ("subscribe", "start"):
            self._subscribe(ws, protocol, operation_id, message.get("payload") or {})
        elif kind in ("complete", "stop"):
            with self._lock:
                self._subscribers = [s for s in self._subscribers
                                     if not (s.ws is ws and s.operation_id == operation_id)]
        elif kind == "connection_terminate":
            ws.drop()

    def _subscribe(self, ws: ServerWebSocket, protocol: str, operation_id: str, payload: dict[str, Any]) -> None:
        query = str(payload.get("query") or "")
        if "jobsSubscribe" not in query:
            error = {"message": "the emulator serves only the jobsSubscribe subscription"}
            ws.send_text(json.dumps({"id": operation_id, "type": "error",
                                     "payload": [error] if protocol == TRANSPORT_WS else error}))
            return
        with self._lock:
            self._subscribers.append(_Subscriber(ws, protocol, operation_id))
