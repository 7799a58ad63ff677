"""Hostile servers on 127.0.0.1 for the HTTP-layer suites: redirects, trickled and oversized answers."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator

import pytest

from tests.security.hostile import Answer, HostileServer


@pytest.fixture
def hostile() -> Iterator[Callable[..., HostileServer]]:
    """Start a hostile server answering every request with `answer` (over TLS with `ssl_context`); all of them stop
    after the test."""
    started: list[HostileServer] = []

    def start(answer: Answer, ssl_context: ssl.SSLContext | None = None) -> HostileServer:
        server = HostileServer(answer, ssl_context).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
