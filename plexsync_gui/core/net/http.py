"""The HTTP rules both clients' sessions follow: never follow a redirect, finish every request by a wall-clock
deadline, read at most a size cap of every answer, and let a stopping app cut every request still in flight.

`requests` alone gives none of this: its timeout bounds each socket read, so a server that trickles a byte a second
holds a request for ever; it decompresses an answer of any size (a 1 MB gzip bomb becomes gigabytes); it forwards
custom headers such as `X-Plex-Token` to whatever host a redirect names; and a blocked request cannot be interrupted
from another thread. `guarded_session` builds a session with a transport adapter that enforces all four. The deadline
of a request is its read timeout (the number after "did not answer within"), counted from the start of the request
to the last byte of the answer; a shared watchdog thread shuts down the socket of a request that outlives it, and a
`Cancellation` does the same on demand.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import math
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from plexsync_gui.core.net.transport import host_port

MB = 2**20
PAGE_CAP = 64 * MB  # XML and JSON answers: a full Stash listing of 100,000 scenes is under 10 MB
IMAGE_CAP = 50 * MB  # image/* answers: Stash screenshots are a few MB at most
CHUNK = 64 * 1024  # urllib3 decompresses at most this much per read, so a bomb never inflates beyond one chunk
DEFAULT_DEADLINE = 60.0  # for a request sent without a timeout (every request PlexSync sends has one)
STOP_GRACE = 3.0  # seconds a stopping front end lets requests in flight finish before it cuts them


class RefusedAnswer(requests.RequestException):
    """The server answered, but with something PlexSync does not accept; the message says what, without secrets."""


class RedirectRefused(RefusedAnswer):
    """A redirect, never followed: the request's secret headers would go to the host it names."""

    def __init__(self, status: int, source: str, target: str) -> None:
        self.status = status
        self.source = origin(source)
        self.target = origin(target)
        super().__init__(f"{self.source} redirected to {self.target} (HTTP {status})")

    @classmethod
    def of(cls, response: requests.Response) -> RedirectRefused:
        """The refusal of a redirect a caller read itself (`allow_redirects=False`)."""
        return cls(response.status_code, response.url, urljoin(response.url, response.headers.get("Location", "")))

    def advice(self, server: str, secret: str) -> str:
        """What the user should do, for the message a client builds around its own context."""
        return (f"PlexSync does not follow redirects with the {secret}: set the {server} URL to {self.target} if "
                f"that is your {server} server")


class ResponseTooLarge(RefusedAnswer):
    """An answer larger than the cap for its kind, announced or once decompressed."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        super().__init__(f"sent an answer larger than {cap // MB} MB")


class DeadlineExceeded(requests.exceptions.ReadTimeout):
    """The whole request took longer than its deadline; a timeout like any other for the callers."""


class RequestCancelled(requests.RequestException):
    """The app is stopping and cut the request short."""


def origin(url: str) -> str:
    """`scheme://host:port` of a URL: enough to name a server, never its path, query or user info (secrets)."""
    return f"{urlsplit(url).scheme or 'http'}://{host_port(url)}"


def guarded_session(cancellation: Cancellation | None = None) -> requests.Session:
    """A session that never follows redirects, bounds every request in time and size, and is cut by
    `cancellation`; it ignores proxy settings from the environment (PlexSync talks to the configured URL)."""
    session = _NoRedirectSession()
    session.trust_env = False
    adapter = GuardedAdapter(cancellation or Cancellation())
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _NoRedirectSession(requests.Session):
    def resolve_redirects(self, resp: requests.Response, req: requests.PreparedRequest, *args: Any,
                          yield_requests: bool = False, **kwargs: Any) -> Iterator[Any]:
        """Raise instead of following. With `allow_redirects=False` requests only builds the next request (as
        `response.next`) without sending it; callers that ask for that read the 3xx themselves."""
        target = self.get_redirect_target(resp)
        if target and not yield_requests:
            raise RedirectRefused(resp.status_code, resp.url, urljoin(resp.url, target))
        yield from super().resolve_redirects(resp, req, *args, yield_requests=yield_requests,  # type: ignore[misc]
                                             **kwargs)


# ---- one request's guard --------------------------------------------------------------------------------------------


class _Guard:
    """The deadline and cancellation state of one request, and the socket it runs on (to cut it)."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self.cancelled = False
        self._done = False
        self._socket: socket.socket | None = None
        self._owned = False
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket, owned: bool = False) -> None:
        """The socket the request is using (`owned`: a duplicate made for this guard, closed when it ends); cut at
        once when the request is already over its time. The socket is kept, not the connection: http.client drops
        the connection's reference to it on `Connection: close` while the body is still being read from it."""
        with self._lock:
            self._close_owned()
            self._socket, self._owned = sock, owned
            if self.expired or self.cancelled:
                self._cut()

    @property
    def finished(self) -> bool:
        return self._done

    def expire(self) -> None:
        with self._lock:
            if not self._done:
                self.expired = True
                self._cut()

    def cancel(self) -> None:
        with self._lock:
            if not self._done:
                self.cancelled = True
                self._cut()

    def finish(self) -> None:
        with self._lock:
            self._done = True
            self._close_owned()
            self._socket = None

    def _close_owned(self) -> None:
        if self._owned and self._socket is not None:
            self._socket.close()
        self._owned = False

    def _cut(self) -> None:
        """Shut the socket down: a read blocked in another thread returns at once. The plain socket's shutdown,
        also for TLS, because SSLSocket.shutdown changes the SSL object under the reading thread."""
        if self._socket is not None:
            with contextlib.suppress(OSError):  # already closed
                socket.socket.shutdown(self._socket, socket.SHUT_RDWR)

    def failure(self, cause: BaseException) -> BaseException:
        """What the caller sees when the request failed: the cancellation or the deadline when one cut it."""
        if self.cancelled:
            return RequestCancelled("PlexSync is stopping")
        if self.expired:
            return DeadlineExceeded(f"no complete answer before the deadline ({type(cause).__name__})")
        return cause


_current = threading.local()  # the guard of the request this thread is sending, for the connection to attach to


def _current_guard() -> _Guard | None:
    return getattr(_current, "guard", None)


class _QuietWhenCut(logging.Filter):
    """urllib3 logs a warning with a traceback when an answer's head ends early; for a request this module cut
    itself, that is expected and the caller reports it as one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        guard = _current_guard()
        return guard is None or not (guard.expired or guard.cancelled)


logging.getLogger("urllib3.connection").addFilter(_QuietWhenCut())


class _AttachesToGuard:
    """Mixed into urllib3's connections: hands the socket to the guard of the request it serves as soon as TCP is
    connected, and when a kept-alive connection sends. A new socket is handed over as a duplicate, because the TLS
    layer detaches the socket object it wraps, and a handshake can hang as well as an answer."""

    sock: socket.socket | None

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        guard = _current_guard()
        if guard is not None:
            guard.attach(sock.dup(), owned=True)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        guard = _current_guard()
        if guard is not None and self.sock is not None:
            guard.attach(self.sock)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _GuardedHTTPConnection(_AttachesToGuard, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_AttachesToGuard, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _Watchdog:
    """One daemon thread for the whole process that expires guards past their deadline. It sleeps until the earliest
    deadline and is woken only for an earlier one: requests are cheap to watch, and most end long before."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, _Guard]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._sleeping_until = math.inf
        self._thread: threading.Thread | None = None

    def watch(self, guard: _Guard) -> None:
        with self._wake:
            while self._heap and self._heap[0][2].finished:
                heapq.heappop(self._heap)
            heapq.heappush(self._heap, (guard.deadline, next(self._order), guard))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="plexsync-deadlines", daemon=True)
                self._thread.start()
            if guard.deadline < self._sleeping_until:
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    heapq.heappop(self._heap)[2].expire()  # a finished guard ignores it
                self._sleeping_until = self._heap[0][0] if self._heap else math.inf
                self._wake.wait(self._sleeping_until - now if self._heap else None)


_watchdog = _Watchdog()


class Cancellation:
    """Cuts every request in flight on the sessions it was given, and refuses new ones, once `cancel()` was called
    (from any thread). A front end cancels when it stops, so a hanging server cannot hold up quitting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guards: set[_Guard] = set()
        self._cancelled = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            guards = list(self._guards)
        for guard in guards:
            guard.cancel()

    def _enter(self, guard: _Guard) -> None:
        with self._lock:
            if self._cancelled:
                raise RequestCancelled("PlexSync is stopping")
            self._guards.add(guard)

    def _leave(self, guard: _Guard) -> None:
        with self._lock:
            self._guards.discard(guard)


# ---- the adapter --------------------------------------------------------------------------------------------------


class GuardedAdapter(HTTPAdapter):
    """Sends through connections that can be cut, and reads the whole answer itself: by the deadline and within
    the cap for its kind (the body is always read here, so `stream=True` is not supported, and nothing needs it)."""

    def __init__(self, cancellation: Cancellation) -> None:
        self._cancellation = cancellation
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: bool | str = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        guard = _Guard(time.monotonic() + _deadline_seconds(timeout))
        self._cancellation._enter(guard)
        _watchdog.watch(guard)
        _current.guard = guard
        try:
            response = super().send(request, stream=True, timeout=timeout, verify=verify, cert=cert,
                                    proxies=proxies)
            _read_body(response)
        except (requests.RequestException, OSError) as exc:
            failure = guard.failure(exc)
            if failure is exc:
                raise
            raise failure from exc
        finally:
            _current.guard = None
            guard.finish()
            self._cancellation._leave(guard)
        if guard.expired or guard.cancelled:  # a head cut short can parse as a complete, empty answer
            raise guard.failure(requests.ConnectionError("the answer was cut short"))
        return response


def _deadline_seconds(timeout: Any) -> float:
    """The read timeout (the second number of a `(connect, read)` pair) is also the whole request's deadline."""
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    return float(timeout) if timeout is not None else DEFAULT_DEADLINE


def _read_body(response: requests.Response) -> None:
    """Read and decompress the answer in chunks, refusing it as soon as it passes its cap."""
    cap = IMAGE_CAP if response.headers.get("Content-Type", "").startswith("image/") else PAGE_CAP
    try:
        announced = int(response.headers.get("Content-Length", "0"))
    except ValueError:
        announced = 0
    chunks: list[bytes] = []
    size = 0
    try:
        if announced > cap:
            raise ResponseTooLarge(cap)
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > cap:
                raise ResponseTooLarge(cap)
            chunks.append(chunk)
    except BaseException:
        response.close()  # the connection is not reusable with an unread answer in it
        raise
    response._content = b"".join(chunks)
    response._content_consumed = True  # type: ignore[attr-defined]  # what requests sets once the body is read
