"""One long-lived websocket on a thread of its own, reconnected with capped, jittered exponential backoff.

Both servers push through it: Plex's notification socket (plex_events) and Stash's GraphQL subscription
(stash_events). The protocol library is websocket-client (the one plexapi's AlertListener uses); this module only
adds what a service needs around it: a deadline on connect and handshake, credentials in a header (never in the
URL, so no log line can carry them), no redirects (the header would follow to another host), a clean stop from
any thread, and a state any thread may read ("live", or why not).

A listener only calls its subclass's `_opened` and `_message`; those hand plain facts to small callbacks. Nothing
here touches the store or decides what an event means: the runner does, on its own thread.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import websocket

from plexsync_gui.core.setup.logs import redact
from plexsync_gui.core.sync.backoff import Backoff

log = logging.getLogger(__name__)

RECONNECT = Backoff(1.0, 60.0, jitter=0.5)  # a server restart is back within seconds; a long outage costs 1/min
CONNECT_TIMEOUT = 10.0  # seconds for TCP connect, TLS and the HTTP upgrade together
STABLE_AFTER = 30.0  # seconds a connection must last before a close by the server starts the backoff over
STOP_WAIT = 1.0  # seconds a stop waits for the thread: quitting must not hang on an unanswered connect
IDLE_PING = 30.0  # seconds without a frame before a ping asks whether the connection still lives


@dataclass(frozen=True)
class ListenerState:
    """What a status view says about one listener."""

    live: bool  # connected and subscribed
    problem: str | None  # why not live (None while live, or before the first try)
    failures: int  # connection attempts failed in a row


class ListenerStopped(Exception):
    """Raised inside the loop when `stop()` was called: not a failure."""


class WebSocketListener:
    """Subclasses set `name`, build `url` and `headers`, and implement `_opened` and `_message`."""

    name = "websocket"
    subprotocols: tuple[str, ...] = ()

    def __init__(self, url: str, headers: dict[str, str], verify: bool | str = True,
                 secrets: tuple[str, ...] = (), rng: random.Random | None = None,
                 backoff: Backoff = RECONNECT, on_state: Callable[[], None] = lambda: None) -> None:
        """`on_state` is called (on this listener's thread) when it goes live or stops being live."""
        self.url = url
        self._on_state = on_state
        self._headers = [f"{name}: {value}" for name, value in headers.items()]
        self._verify = verify
        self._secrets = [s for s in secrets if s]  # masked in any message this module logs or shows
        self._rng = rng or random.Random()
        self._backoff = backoff
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ws: websocket.WebSocket | None = None
        self._state = ListenerState(False, None, 0)
        self._thread: threading.Thread | None = None

    # ---- control, from any thread ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"plexsync-{self.name}-events", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = STOP_WAIT) -> None:
        """End the loop: a blocked handshake or read is cut by shutting the socket under it. A TCP connect still
        in progress cannot be cut: the thread (a daemon) ends at its deadline, unwaited after `timeout`."""
        self._stop.set()
        with self._lock:
            ws = self._ws
        sock = ws.sock if ws is not None else None
        if sock is not None:  # shut down under a blocked handshake or read, which then returns at once
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def state(self) -> ListenerState:
        with self._lock:
            return self._state

    # ---- the loop, on the listener's thread --------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self._connect_and_listen()
                # Closed by the server: after a stable connection reconnect from the first step; a server that
                # closes at once keeps backing off, like a failure.
                failures = 0 if time.monotonic() - started >= STABLE_AFTER else failures + 1
                self._set_state(False, f"{self.name} closed the connection", failures)
            except ListenerStopped:
                break
            except Exception as exc:  # every failure is a reason to wait and try again, never to end the thread
                if self._stop.is_set():
                    break
                failures += 1
                reason = self._describe(exc)
                self._set_state(False, reason, failures)
                (log.warning if failures == 1 else log.info)("%s events unavailable (%s); polling continues",
                                                             self.name, reason)
            self._stop.wait(self._backoff.delay(max(failures, 1), self._rng))
        self._set_state(False, "stopped", 0)

    def _connect_and_listen(self) -> None:
        ws = websocket.WebSocket(sslopt=self._sslopt(), enable_multithread=True)
        with self._lock:
            if self._stop.is_set():
                raise ListenerStopped
            self._ws = ws
        try:
            ws.connect(self.url, header=self._headers, timeout=CONNECT_TIMEOUT, redirect_limit=0,
                       subprotocols=list(self.subprotocols) or None,  # type: ignore[no-untyped-call]
                       suppress_origin=True)
            self._opened(ws)
            self._set_state(True, None, 0)
            log.info("%s events live", self.name)
            self._listen(ws)
        finally:
            with self._lock:
                self._ws = None
            ws.shutdown()  # type: ignore[no-untyped-call]  # websocket-client leaves these two unannotated

    def _listen(self, ws: websocket.WebSocket) -> None:
        ws.settimeout(IDLE_PING)
        while not self._stop.is_set():
            try:
                opcode, data = ws.recv_data(control_frame=False)
            except websocket.WebSocketTimeoutException:
                ws.ping()  # a dead peer shows up as a failed write or as the next timeout's close
                continue
            if self._stop.is_set():
                raise ListenerStopped
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                return
            if opcode == websocket.ABNF.OPCODE_TEXT:
                self._message(ws, data.decode("utf-8", "replace"))
        raise ListenerStopped

    def _sslopt(self) -> dict[str, Any]:
        """The TLS rules of the HTTP clients: a CA bundle path, on, or (explicitly configured) off."""
        if self._verify is False:
            return {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}
        options: dict[str, Any] = {"cert_reqs": ssl.CERT_REQUIRED}
        if isinstance(self._verify, str):
            options["ca_certs"] = self._verify
        return options

    def _describe(self, exc: Exception) -> str:
        """One line, secrets masked: the status view and the log show it."""
        if isinstance(exc, websocket.WebSocketBadStatusException):
            text = f"the server answered HTTP {exc.status_code} instead of opening a websocket"
        elif isinstance(exc, (TimeoutError, websocket.WebSocketTimeoutException)):
            text = f"no answer within {CONNECT_TIMEOUT:g} s"
        elif isinstance(exc, ConnectionRefusedError):
            text = "connection refused"
        elif isinstance(exc, websocket.WebSocketConnectionClosedException):
            text = "the connection was closed"
        else:
            text = f"{type(exc).__name__}: {exc}"
        return redact(text, self._secrets)[:300]

    def _set_state(self, live: bool, problem: str | None, failures: int) -> None:
        with self._lock:
            changed = self._state.live != live or (self._state.problem is None) != (problem is None)
            self._state = ListenerState(live, problem, failures)
        if changed and problem != "stopped":
            self._on_state()

    # ---- the protocol, in subclasses ---------------------------------------------------------------------------

    def _opened(self, ws: websocket.WebSocket) -> None:
        """After the upgrade: send what the protocol needs before events flow (Stash's subscription)."""

    def _message(self, ws: websocket.WebSocket, text: str) -> None:
        raise NotImplementedError

