"""The server side of a websocket for the emulated servers, on a connection their HTTP handler has already read.

The emulators are standard-library HTTP servers (`http.server`), so the upgrade request arrives parsed; wsproto
(sans-I/O, no event loop of its own) takes those headers as they are (`initiate_upgrade_connection`), writes the
101 answer and frames every message, and this module only moves its bytes over the handler's socket. Each socket
has a hub (`WebSocketHub`) that can send to every open connection, drop them all (a server restart as a client
sees it) or refuse new ones (a proxy that does not pass websockets).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Callable

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Ping, Request, TextMessage

READ_SLICE = 0.1  # seconds a handler waits for a frame before it looks at the stop flag again


class ServerWebSocket:
    """One accepted websocket. `send_text` may be called from any thread; `messages` from the handler's only."""

    def __init__(self, sock: socket.socket, headers: list[tuple[str, str]], path: str,
                 choose_subprotocol: Callable[[list[str]], str | None] = lambda offered: None) -> None:
        self._sock = sock
        self._ws = WSConnection(ConnectionType.SERVER)
        self._lock = threading.Lock()
        self.closed = threading.Event()
        self._ws.initiate_upgrade_connection([(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers], path)
        request = next(event for event in self._ws.events() if isinstance(event, Request))
        self.subprotocol = choose_subprotocol(list(request.subprotocols))
        self._write(self._ws.send(AcceptConnection(subprotocol=self.subprotocol)))

    def send_text(self, text: str) -> None:
        with self._lock:
            if not self.closed.is_set():
                self._write(self._ws.send(Message(data=text)))

    def messages(self, stopping: threading.Event) -> list[str] | None:
        """The text messages that arrived within READ_SLICE; None once the connection ended (by either side)."""
        if self.closed.is_set() or stopping.is_set():
            return None
        try:
            readable, _, _ = select.select([self._sock], [], [], READ_SLICE)
            data = self._sock.recv(65536) if readable else b""
        except (OSError, ValueError):
            self.drop()
            return None
        if readable and not data:
            self.drop()
            return None
        with self._lock:
            self._ws.receive_data(data or b"") if data else None
            return self._texts()

    def _texts(self) -> list[str] | None:
        texts: list[str] = []
        for event in self._ws.events():
            if isinstance(event, TextMessage):
                texts.append(event.data)
            elif isinstance(event, Ping):
                self._write(self._ws.send(event.response()))
            elif isinstance(event, CloseConnection):
                with contextlib.suppress(Exception):
                    self._write(self._ws.send(event.response()))
                self.drop()
                return None
        return texts

    def drop(self) -> None:
        """Hang up without a close frame, as a crashing server or a cut network would."""
        self.closed.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)

    def _write(self, data: bytes) -> None:
        try:
            self._sock.sendall(data)
        except OSError:
            self.closed.set()


class WebSocketHub:
    """Every open websocket of one emulated endpoint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[ServerWebSocket] = []
        self.refusing = False  # True: upgrades are answered with an HTTP error, as by a proxy without websockets
        self.connections = 0  # upgrades accepted so far (tests see reconnects here)

    def add(self, ws: ServerWebSocket) -> None:
        with self._lock:
            self._open.append(ws)
            self.connections += 1

    def remove(self, ws: ServerWebSocket) -> None:
        with self._lock:
            if ws in self._open:
                self._open.remove(ws)

    @property
    def open_count(self) -> int:
        with self._lock:
            return sum(1 for ws in self._open if not ws.closed.is_set())

    def broadcast(self, text: str) -> None:
        with self._lock:
            targets = list(self._open)
        for ws in targets:
            ws.send_text(text)

    def drop_all(self) -> None:
        with self._lock:
            targets, self._open = self._open, []
        for ws in targets:
            ws.drop()


def is_upgrade(headers: dict[str, str]) -> bool:
    """A websocket upgrade request (header names in any case)."""
    lowered = {k.lower(): v.lower() for k, v in headers.items()}
    return lowered.get("upgrade") == "websocket" and "upgrade" in lowered.get("connection", "")
