"""Every request of both clients has a wall-clock deadline and a size cap on the decompressed answer: a server that
trickles its answer a byte at a time, sends a gzip bomb or announces a terabyte gets a clear error, never a stalled
sync or gigabytes of memory. The servers are real HTTP servers on 127.0.0.1 (tests/security/hostile.py)."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from plexsync_gui.core.errors import Cancelled, PermanentError, PlexTemporaryError, StashUnavailable
from plexsync_gui.core.net.http import Cancellation
from plexsync_gui.core.plex.client import PlexClient
from plexsync_gui.core.setup.connection_check import check_plex, check_stash
from plexsync_gui.core.stash.client import StashClient
from tests.certs import make_certificate
from tests.reliability.test_kill_recovery import wait_for
from tests.security.hostile import bomb, huge_length, silent, trickled_body, trickled_headers
from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.security

TIMEOUT = 1.0  # seconds; the trickles send a byte every 0.2 s, so only a deadline on the whole request ends them
CAP_TIMEOUT = 30.0  # the size caps are tested with time to spare: decompressing up to a cap takes a while under load


def plex_sections(url: str, timeout: float = TIMEOUT) -> str:
    client = PlexClient(url, PLEX_TOKEN, timeout=timeout)
    try:
        with pytest.raises(PlexTemporaryError) as failure:
            client.sections()
    finally:
        client.close()
    return str(failure.value)


def stash_probe(url: str, timeout: float = TIMEOUT) -> str:
    client = StashClient(url, STASH_KEY, timeout=timeout)
    try:
        with pytest.raises(StashUnavailable) as failure:
            client.probe()
    finally:
        client.close()
    return str(failure.value)


# ---- deadlines ------------------------------------------------------------------------------------------------------


def test_plex_trickling_its_answer_head_misses_the_deadline(hostile):
    server = hostile(trickled_headers)
    assert plex_sections(server.url) == f"Plex did not answer within {TIMEOUT:g} s while connecting"


def test_plex_trickling_its_body_misses_the_deadline(hostile):
    server = hostile(trickled_body("text/xml"))
    assert plex_sections(server.url) == f"Plex did not answer within {TIMEOUT:g} s while connecting"


def test_a_trickle_over_tls_misses_the_deadline(hostile, tmp_path):
    """The cut shuts down the socket under the TLS layer, whichever thread reads from it."""
    certificate = make_certificate(tmp_path / "tls")
    server = hostile(trickled_body("text/xml"), certificate.server_context())
    client = PlexClient(server.url, PLEX_TOKEN, timeout=TIMEOUT, verify=str(certificate.ca_file))
    try:
        with pytest.raises(PlexTemporaryError, match=f"^Plex did not answer within {TIMEOUT:g} s while connecting$"):
            client.sections()
    finally:
        client.close()


@pytest.mark.parametrize("answer", [trickled_headers, trickled_body("application/json")])
def test_stash_trickling_misses_the_deadline(hostile, answer):
    server = hostile(answer)
    assert stash_probe(server.url) == f"Stash at {server.url} did not answer within {TIMEOUT:g} s"


def test_a_trickled_image_misses_the_deadline(hostile):
    server = hostile(trickled_body("image/jpeg"))
    client = StashClient(server.url, STASH_KEY, timeout=TIMEOUT)
    try:
        with pytest.raises(StashUnavailable, match=f"did not answer within {TIMEOUT:g} s"):
            client.download_image(f"{server.url}/scene/1/screenshot")
    finally:
        client.close()


def test_the_connection_check_names_the_deadline(hostile):
    server = hostile(trickled_headers)
    where = server.url.removeprefix("http://")
    expected = f"{where} accepted the connection but did not answer within {TIMEOUT:g} s"
    assert check_plex(server.url, PLEX_TOKEN, TIMEOUT, True).message == expected
    assert check_stash(server.url, STASH_KEY, TIMEOUT, True).message.startswith(expected)


# ---- size caps ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [bomb("text/xml"), huge_length("text/xml")], ids=["gzip bomb", "huge length"])
def test_plex_answers_over_the_cap_are_refused(hostile, answer):
    server = hostile(answer)
    assert plex_sections(server.url, CAP_TIMEOUT) == "Plex sent an answer larger than 64 MB while connecting"


@pytest.mark.parametrize("answer", [bomb("application/json"), huge_length("application/json")],
                         ids=["gzip bomb", "huge length"])
def test_stash_answers_over_the_cap_are_refused(hostile, answer):
    server = hostile(answer)
    assert stash_probe(server.url, CAP_TIMEOUT) == f"Stash at {server.url} sent an answer larger than 64 MB"


@pytest.mark.parametrize("answer", [bomb("image/jpeg"), huge_length("image/jpeg")], ids=["gzip bomb", "huge length"])
def test_an_image_over_the_cap_fails_its_job_not_stash(hostile, answer):
    """Stash itself is fine: waiting for it would hold every job back for one scene's image."""
    server = hostile(answer)
    client = StashClient(server.url, STASH_KEY, timeout=CAP_TIMEOUT)
    try:
        with pytest.raises(PermanentError, match="image in Stash is too large: Stash sent an answer larger than 50 MB"):
            client.download_image(f"{server.url}/scene/1/screenshot")
    finally:
        client.close()


# ---- cancellation ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [silent, trickled_body("text/xml")], ids=["silent", "trickle"])
def test_a_cancellation_cuts_requests_in_flight_and_refuses_new_ones(hostile, answer):
    """What a stopping front end does from another thread: the hanging request ends at once with Cancelled, and
    neither client starts another one."""
    server = hostile(answer)
    cancellation = Cancellation()
    plex = PlexClient(server.url, PLEX_TOKEN, timeout=CAP_TIMEOUT, cancellation=cancellation)
    stash = StashClient(server.url, STASH_KEY, timeout=CAP_TIMEOUT, cancellation=cancellation).clone()
    failures: list[BaseException] = []

    def connect() -> None:
        try:
            plex.sections()
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=connect)
    worker.start()
    try:
        assert wait_for(lambda: bool(server.requests), 10), "the request never reached the server"
        cancellation.cancel()
        worker.join(CAP_TIMEOUT)
        assert [type(f) for f in failures] == [Cancelled]
        assert str(failures[0]) == "PlexSync is stopping; connecting was cut short"
        with pytest.raises(Cancelled):
            stash.probe()
        assert len(server.requests) == 1
    finally:
        cancellation.cancel()
        worker.join()
        plex.close()
        stash.close()


@pytest.fixture
def mute_tls_port() -> Iterator[tuple[str, list[socket.socket]]]:
    """An https URL whose port accepts connections and never says a word, so a TLS handshake waits for ever;
    and the connections on which the client's hello arrived (it is inside the handshake then)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                connection = listener.accept()[0]
                connection.recv(1)
                accepted.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}", accepted
    listener.close()
    for connection in accepted:
        connection.close()


def test_a_cancellation_cuts_a_tls_handshake_that_hangs(mute_tls_port):
    url, accepted = mute_tls_port
    cancellation = Cancellation()
    client = PlexClient(url, PLEX_TOKEN, timeout=60, cancellation=cancellation)
    failures: list[BaseException] = []

    def connect() -> None:
        try:
            client.sections()
        except BaseException as exc:
            failures.append(exc)

    worker = threading.Thread(target=connect)
    worker.start()
    try:
        assert wait_for(lambda: bool(accepted), 10), "the client never started its handshake"
        cancellation.cancel()
        worker.join(10)  # a bounded wait: without the cut, the handshake would wait out its 60 s read timeout
        assert not worker.is_alive()
        assert [type(f) for f in failures] == [Cancelled]
    finally:
        for connection in accepted:
            connection.close()  # ends the handshake, cut or not
        worker.join()
        client.close()
