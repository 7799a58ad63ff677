"""A tiny real HTTP server on 127.0.0.1 whose answers a test writes byte by byte, and that records every request
(method, path, headers): redirects, headers or bodies trickled a byte at a time, gzip bombs, absurd lengths."""

from __future__ import annotations

import gzip
import io
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Answer = Callable[["Exchange"], None]
TRICKLE_FOR = 15.0  # seconds a trickle goes on: far past any deadline under test, yet finite without the fix
TRICKLE_EVERY = 0.2  # one byte this often: well inside every read timeout under test


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]


class Exchange:
    """One request and the raw connection to answer it on; writes to a client that went away are ignored."""

    def __init__(self, handler: BaseHTTPRequestHandler, stopping: threading.Event) -> None:
        self.method = handler.command
        self.path = handler.path
        self.headers = dict(handler.headers.items())
        self._handler = handler
        self.stopping = stopping

    def write(self, data: bytes) -> bool:
        """False once the client is gone (it cut the connection) or the server stops."""
        if self.stopping.is_set():
            return False
        try:
            self._handler.wfile.write(data)
            self._handler.wfile.flush()
            return True
        except OSError:
            return False

    def head(self, status: int, headers: dict[str, str]) -> bool:
        headers = {**headers, "Connection": "close"}  # one request per connection: no stale keep-alive
        lines = [f"HTTP/1.1 {status} Hostile"] + [f"{name}: {value}" for name, value in headers.items()]
        return self.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def trickle(self, data: bytes) -> bool:
        """`data` one byte every TRICKLE_EVERY seconds; after TRICKLE_FOR seconds the rest at once, so a client
        without a deadline gets the complete answer (late) rather than an error."""
        end = time.monotonic() + TRICKLE_FOR
        for sent in range(len(data)):
            if time.monotonic() > end:
                return self.write(data[sent:])
            if not self.write(data[sent:sent + 1]) or self.stopping.wait(TRICKLE_EVERY):
                return False
        return True


class HostileServer:
    def __init__(self, answer: Answer, ssl_context: ssl.SSLContext | None = None) -> None:
        self.answer = answer
        self.requests: list[Recorded] = []
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._scheme = "http"
        if ssl_context is not None:
            self._server.socket = ssl_context.wrap_socket(self._server.socket, server_side=True)
            self._scheme = "https"

    @property
    def url(self) -> str:
        return f"{self._scheme}://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> HostileServer:
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        if length:
            handler.rfile.read(length)
        exchange = Exchange(handler, self._stopping)
        self.requests.append(Recorded(exchange.method, exchange.path, exchange.headers))
        self.answer(exchange)
        handler.close_connection = True


def _handler_for(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            server._serve(self)

        do_POST = do_PUT = do_DELETE = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


# ---- answers --------------------------------------------------------------------------------------------------------


def redirect(status: int, to: str) -> Answer:
    """A redirect to the same path on another server."""
    def answer(exchange: Exchange) -> None:
        exchange.head(status, {"Location": to + exchange.path, "Content-Length": "0"})
    return answer


def ok(exchange: Exchange) -> None:
    exchange.head(200, {"Content-Type": "text/plain", "Content-Length": "2"})
    exchange.write(b"ok")


def silent(exchange: Exchange) -> None:
    """Accept the request and answer nothing (for TRICKLE_FOR seconds, then close)."""
    exchange.stopping.wait(TRICKLE_FOR)


def trickled_headers(exchange: Exchange) -> None:
    """The status line, then a header a byte at a time: never a complete answer head within any deadline."""
    if exchange.write(b"HTTP/1.1 200 OK\r\n") and exchange.trickle(b"X-Slow: " + b"a" * 10_000):
        exchange.write(b"\r\nContent-Length: 0\r\n\r\n")


def trickled_body(content_type: str) -> Answer:
    """A complete head, then the body a byte at a time."""
    body = b" " * 10_000
    def answer(exchange: Exchange) -> None:
        if exchange.head(200, {"Content-Type": content_type, "Content-Length": str(len(body))}):
            exchange.trickle(body)
    return answer


_BOMB: bytes | None = None
BOMB_SIZE = 128 * 2**20  # decompressed, twice the largest cap; about 130 KB on the wire


def gzip_bomb() -> bytes:
    """Gzip of BOMB_SIZE spaces, built once per test session."""
    global _BOMB
    if _BOMB is None:
        buffer = io.BytesIO()
        with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as stream:
            block = b" " * 2**20
            for _ in range(BOMB_SIZE // len(block)):
                stream.write(block)
        _BOMB = buffer.getvalue()
    return _BOMB


def bomb(content_type: str) -> Answer:
    def answer(exchange: Exchange) -> None:
        data = gzip_bomb()
        if exchange.head(200, {"Content-Type": content_type, "Content-Encoding": "gzip",
                               "Content-Length": str(len(data))}):
            exchange.write(data)
    return answer


def huge_length(content_type: str) -> Answer:
    """A head announcing a terabyte, a few bytes, then nothing until the client gives up."""
    def answer(exchange: Exchange) -> None:
        if exchange.head(200, {"Content-Type": content_type, "Content-Length": str(10**12)}):
            exchange.write(b"{" * 16)
            exchange.stopping.wait(TRICKLE_FOR)
    return answer
