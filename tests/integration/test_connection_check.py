"""The one-line connection diagnosis against the emulators, a plain web server and a self-signed TLS server."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from plexsync_gui.core.setup.connection_check import CheckResult, check_plex, check_stash
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator
from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.integration

TIMEOUT = 2.0


class _FixedAnswer(BaseHTTPRequestHandler):
    """Answers every GET and POST with the server's body and content type: a web app that is not Stash or Plex."""

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body, content_type = self.server.answer  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def web_server() -> Iterator[Callable[..., str]]:
    """Starts plain HTTP(S) servers on 127.0.0.1 and returns their base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(body: bytes = b"<html><body>Router login</body></html>", content_type: str = "text/html",
              tls: ssl.SSLContext | None = None) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _FixedAnswer)
        server.answer = (body, content_type)  # type: ignore[attr-defined]
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed, so no self-signed certificate can be made")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound and released, so the kernel refuses connections to it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stash_check(url: str, key: str | None = STASH_KEY) -> CheckResult:
    return check_stash(url, key, TIMEOUT, True)


def plex_check(url: str, token: str | None = PLEX_TOKEN) -> CheckResult:
    return check_plex(url, token, TIMEOUT, True)


def port_of(url: str) -> str:
    return url.rsplit(":", 1)[1]


# ---- Stash -------------------------------------------------------------------------------------------------------


def test_stash_success_names_the_version() -> None:
    with StashEmulator(api_key=STASH_KEY, profile="v0.27") as stash:
        assert stash_check(stash.url) == CheckResult(True, "Stash v0.27.2 reachable")


def test_stash_refusing_connections_is_unreachable_with_host_and_port(stash: StashEmulator) -> None:
    stash.refuse()
    result = stash_check(stash.url)
    assert not result.ok
    assert result.message == f"127.0.0.1:{port_of(stash.url)} is unreachable: connection refused"


def test_closed_port_is_unreachable(closed_port: int) -> None:
    result = stash_check(f"http://127.0.0.1:{closed_port}")
    assert (result.ok, result.message) == (False, f"127.0.0.1:{closed_port} is unreachable: connection refused")


def test_unknown_host_name_is_reported_as_such() -> None:
    result = stash_check("http://no-such-host.invalid:9999")
    assert (result.ok, result.message) == (False, "no-such-host.invalid:9999 is unreachable: host name not found")


def test_wrong_stash_key_says_so_without_the_key(stash: StashEmulator) -> None:
    result = stash_check(stash.url, "wrong-key-7781")
    assert (result.ok, result.message) == (False, "Stash rejected the API key")


def test_missing_stash_key_says_one_is_needed(stash: StashEmulator) -> None:
    result = stash_check(stash.url, None)
    assert not result.ok and result.message.startswith("Stash needs an API key")


def test_regenerated_stash_key_is_rejected(stash: StashEmulator) -> None:
    stash.unauthorized_next()
    assert stash_check(stash.url) == CheckResult(False, "Stash rejected the API key")


def test_login_page_in_front_of_stash_is_not_stash(stash: StashEmulator) -> None:
    stash.html_next()
    result = stash_check(stash.url)
    assert not result.ok
    assert result.message == f"{stash.url} answers but is not Stash (/graphql sent HTTP 200, text/html)"


def test_404_on_graphql_is_not_stash(stash: StashEmulator) -> None:
    stash.fail_next(404)
    result = stash_check(stash.url)
    assert result.message == f"{stash.url} answers but is not Stash (/graphql sent HTTP 404, text/html)"


def test_plain_web_server_is_not_stash(web_server: Callable[..., str]) -> None:
    url = web_server()
    result = stash_check(url)
    assert (result.ok, result.message) == (False, f"{url} answers but is not Stash (/graphql sent HTTP 200, text/html)")


def test_json_service_without_graphql_data_is_not_stash(web_server: Callable[..., str]) -> None:
    url = web_server(b'{"status": "running"}', "application/json")
    result = stash_check(url)
    assert (result.ok, result.message) == (False, f"{url} answers JSON without GraphQL data: is it Stash?")


def test_proxy_error_with_stash_down_behind_it(stash: StashEmulator) -> None:
    stash.fail_next(502)
    stash.fail_next(502, path="/healthz")
    result = stash_check(stash.url)
    assert result.message == ("Stash answered HTTP 502; /healthz does not answer either, "
                              "so Stash itself is not running there")


def test_stash_server_error_while_healthz_answers(stash: StashEmulator) -> None:
    stash.fail_next(500)
    assert stash_check(stash.url) == CheckResult(False, "Stash answered HTTP 500")


def test_stash_in_setup_is_not_ready(stash: StashEmulator) -> None:
    stash.set_system_status("SETUP")
    result = stash_check(stash.url)
    assert result == CheckResult(False, "Stash v0.30.1 answers but is not ready (status SETUP): finish its setup first")


def test_slow_stash_names_the_timeout(stash: StashEmulator) -> None:
    stash.delay_next(3 * TIMEOUT)
    result = check_stash(stash.url, STASH_KEY, 0.5, True)
    assert result.message == f"127.0.0.1:{port_of(stash.url)} accepted the connection but did not answer within 0.5 s"


@pytest.mark.parametrize(("url", "message"), [
    ("stash.local:9999", "Bad URL: must be an http:// or https:// URL, got 'stash.local:9999'"),
    ("ftp://stash.local", "Bad URL: must be an http:// or https:// URL, got 'ftp://stash.local'"),
    ("http://stash.local:99999", "Bad URL: the port must be a number from 1 to 65535, got 'http://stash.local:99999'"),
    ("http://me:pw@stash.local", "Bad URL: must not carry credentials or a query; secrets go in the keyring"),
])
def test_bad_urls_are_named_before_any_request(url: str, message: str) -> None:
    assert stash_check(url) == CheckResult(False, message)


def test_secret_pasted_into_the_url_is_not_echoed() -> None:
    result = check_plex(f"plex.lan:32400/library?X-Plex-Token={PLEX_TOKEN}", PLEX_TOKEN, TIMEOUT, True)
    assert result == CheckResult(False, "Bad URL: it contains the token; enter that in its own field")


def test_short_secret_does_not_garble_messages() -> None:
    with PlexEmulator(token="t") as plex:
        message = plex_check(plex.url, "t").message
        assert message == "Plex 'Emulated Plex' reachable, but it has no movie or show library"


def test_self_signed_certificate_is_a_tls_problem(web_server: Callable[..., str],
                                                  self_signed: ssl.SSLContext) -> None:
    url = web_server(tls=self_signed)
    result = stash_check(url)
    assert not result.ok
    assert result.message == (f"TLS certificate of 127.0.0.1:{port_of(url)} is not trusted (self-signed certificate): "
                              "set ca_bundle to the CA that signed it")


def test_https_to_a_plain_http_port_is_a_tls_problem(stash: StashEmulator) -> None:
    url = stash.url.replace("http://", "https://")
    result = stash_check(url)
    assert result.message == (f"TLS problem with 127.0.0.1:{port_of(url)}: "
                              "handshake failed (the port does not speak https)")


# ---- Plex --------------------------------------------------------------------------------------------------------


def test_plex_success_lists_movie_and_show_libraries(plex: PlexEmulator) -> None:
    plex.add_section("Movies", "movie", ["/media/movies", "/media/more"])
    plex.add_section("Shows", "show", ["/media/tv"])
    result = plex_check(plex.url)
    assert result == CheckResult(True, "Plex 'Emulated Plex' reachable, 2 libraries", ["Movies", "Shows"],
                                 {"Movies": ["/media/movies", "/media/more"], "Shows": ["/media/tv"]})


def test_plex_with_one_library_uses_the_singular(plex: PlexEmulator, movies: int) -> None:
    assert plex_check(plex.url).message == "Plex 'Emulated Plex' reachable, 1 library"


def test_plex_without_libraries_is_reachable_but_says_so(plex: PlexEmulator) -> None:
    result = plex_check(plex.url)
    assert (result.ok, result.message, result.libraries) == (
        True, "Plex 'Emulated Plex' reachable, but it has no movie or show library", [])


def test_wrong_plex_token_says_so_without_the_token(plex: PlexEmulator) -> None:
    result = plex_check(plex.url, "wrong-token-123")
    assert result == CheckResult(False, "Plex rejected the token")


def test_missing_plex_token_says_one_is_needed(plex: PlexEmulator) -> None:
    result = plex_check(plex.url, None)
    assert not result.ok and result.message.startswith("Plex needs a token")


def test_plex_refusing_connections_is_unreachable(plex: PlexEmulator) -> None:
    plex.refuse()
    result = plex_check(plex.url)
    assert result == CheckResult(False, f"127.0.0.1:{port_of(plex.url)} is unreachable: connection refused")


def test_login_page_in_front_of_plex_is_not_plex(plex: PlexEmulator) -> None:
    plex.html_next()
    result = plex_check(plex.url)
    assert result.message == f"127.0.0.1:{port_of(plex.url)} answers but is not a Plex server (its answer is not " \
                             "Plex XML)"


def test_404_at_the_root_is_not_plex(plex: PlexEmulator) -> None:
    plex.fail_next(404)
    result = plex_check(plex.url)
    assert result == CheckResult(False, f"127.0.0.1:{port_of(plex.url)} answers but is not a Plex server (HTTP 404)")


@pytest.mark.parametrize(("body", "content_type"), [
    (b"<html><body>Router login</body></html>", "text/html"),
    (b"<MediaContainer size='0'/>", "text/xml"),
    (b'{"MediaContainer": {}}', "application/json"),
])
def test_other_web_servers_are_not_plex(web_server: Callable[..., str], body: bytes, content_type: str) -> None:
    url = web_server(body, content_type)
    result = plex_check(url)
    assert result == CheckResult(False, f"127.0.0.1:{port_of(url)} answers but is not a Plex server (its answer is "
                                        "not Plex XML)")


def test_plex_server_error_is_passed_on(plex: PlexEmulator) -> None:
    plex.fail_next(503)
    assert plex_check(plex.url) == CheckResult(False, "Plex answered HTTP 503 while connecting")


def test_plex_bad_url_is_named(plex: PlexEmulator) -> None:
    assert plex_check("plex:32400") == CheckResult(False, "Bad URL: must be an http:// or https:// URL, got "
                                                          "'plex:32400'")
