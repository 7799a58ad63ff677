"""Standard-library HTTP plumbing for the emulated Stash: request/response values and a quiet threaded server.

Separate from the Stash behaviour so that file reads as protocol rules; this one only moves bytes.
"""

from __future__ import annotations

import json
import socket
import threading
import traceback
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from plexsync_gui.emulators.stash_images import etag
from plexsync_gui.emulators.websocket_server import is_upgrade


@dataclass
class Request:
    """What the emulator needs of an HTTP request."""

    method: str
    target: str  # path and query as sent
    headers: dict[str, str]  # lower-cased names, for lookups
    raw_headers: dict[str, str]  # as sent, for the request log
    body: bytes

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.target).query))


@dataclass
class Response:
    """Status, body, Content-Type (None: no body type) and extra headers."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, payload: dict[str, Any], content_type: str = "application/json") -> Response:
    """A GraphQL transport answer; Stash marks `/graphql` responses `Cache-Control: no-store`."""
    return Response(status, json.dumps(payload).encode(), content_type, (("Cache-Control", "no-store"),))


def image_response(request: Request, data: bytes, content_type: str) -> Response:
    """Stash's ServeImage: MD5 ETag; an If-None-Match containing it → 304 without a body."""
    tag = etag(data)
    if tag in request.headers.get("if-none-match", ""):
        return Response(304, headers=(("ETag", tag),))
    return Response(200, data, content_type, (("ETag", tag),))


class QuietServer(ThreadingHTTPServer):
    """Threaded server: daemon handler threads, address reuse (refuse/resume on one port), no stderr noise."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handle: Callable[[Request], Response],
                 upgrade: Callable[[Request, socket.socket], Response | None] | None = None) -> None:
        """`upgrade` takes websocket upgrade requests: it answers with a Response (a refusal), or keeps the socket
        and returns None once the websocket ended."""
        self.respond = handle
        self.upgrade = upgrade
        self.released = threading.Event()  # set on close: held websockets end
        super().__init__(address, _Handler)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve on a daemon thread; a short poll interval keeps shutdown() fast."""
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=f"stash-emulator-{self.server_address[1]}", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop accepting and close the listening socket; in-flight handlers finish on their own."""
        self.released.set()
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Client disconnects and timeouts are normal in fault tests; never print tracebacks."""


class _Handler(BaseHTTPRequestHandler):
    """One request per connection (`Connection: close`), so refuse() takes effect for the very next request."""

    protocol_version = "HTTP/1.1"
    timeout = 30
    server: QuietServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        raw_headers = dict(self.headers.items())
        request = Request(self.command, self.path, {k.lower(): v for k, v in raw_headers.items()}, raw_headers,
                          body)
        try:
            if self.server.upgrade is not None and is_upgrade(raw_headers):
                upgraded = self.server.upgrade(request, self.connection)
                self.close_connection = True
                if upgraded is None:
                    return
                response = upgraded
            else:
                response = self.server.respond(request)
        except Exception:  # an emulator bug: show it to the test instead of hanging up
            response = Response(500, traceback.format_exc().encode(), "text/plain; charset=utf-8")
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: test output should show test failures, not access logs."""
