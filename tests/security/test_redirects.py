"""No redirect is ever followed with a secret. plexapi sends `X-Plex-Token` as a header (and sometimes in the URL),
and `requests` forwards custom headers to whatever host a redirect names; so a Plex redirect is a clear error naming
the other host, on connect, on edits, on poster uploads, in the connection check and in the breaker's probe. Stash
requests never follow redirects either. A second real server records whether anything reached it: nothing may."""

from __future__ import annotations

import pytest
import requests

from plexsync_gui.core.errors import PlexTemporaryError, StashAuthError, StashUnavailable
from plexsync_gui.core.plex.client import PlexClient
from plexsync_gui.core.setup.connection_check import check_plex, check_stash
from plexsync_gui.core.stash.client import StashClient
from tests.security.hostile import Exchange, ok, redirect
from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.security

STATUSES = [301, 302, 307, 308]


@pytest.fixture
def elsewhere(hostile):
    """The host a redirect names; whatever reaches it has leaked."""
    return hostile(ok)


def refusal(source: str, target: str) -> str:
    return (f"Plex at {source} redirected to {target} while connecting; PlexSync does not follow redirects with the "
            f"token: set the Plex URL to {target} if that is your Plex server")


def stash_refusal(source: str, target: str, status: int) -> str:
    return (f"Stash at {source} redirected to {target} (HTTP {status}); PlexSync does not follow redirects with the "
            f"API key: set the Stash URL to {target} if that is your Stash server")


@pytest.mark.parametrize("status", STATUSES)
def test_plex_redirect_on_connect_is_refused(hostile, elsewhere, status):
    server = hostile(redirect(status, elsewhere.url))
    client = PlexClient(server.url, PLEX_TOKEN, timeout=2)
    try:
        with pytest.raises(PlexTemporaryError) as failure:
            client.sections()
        assert client.identity() is False
    finally:
        client.close()
    assert str(failure.value) == refusal(server.url, elsewhere.url)
    assert elsewhere.requests == []


@pytest.mark.parametrize("status", STATUSES)
def test_the_connection_check_names_the_other_host(hostile, elsewhere, status):
    server = hostile(redirect(status, elsewhere.url))
    result = check_plex(server.url, PLEX_TOKEN, 2, True)
    assert not result.ok and result.message == refusal(server.url, elsewhere.url)
    result = check_stash(server.url, STASH_KEY, 2, True)
    assert not result.ok and result.message == stash_refusal(server.url, elsewhere.url, status)
    assert elsewhere.requests == []


def proxy_reads_redirect_writes(plex_url: str, status: int, target: str):
    """A Plex that serves reads (from the emulator) but redirects every PUT and POST, as a proxy in front of Plex
    might: the client connects and reads the item first, so the redirect hits the edit or the upload."""
    def answer(exchange: Exchange) -> None:
        if exchange.method in ("PUT", "POST"):
            redirect(status, target)(exchange)
            return
        headers = {k: v for k, v in exchange.headers.items() if k.lower() not in ("host", "accept-encoding")}
        upstream = requests.get(plex_url + exchange.path, headers=headers, timeout=5)
        exchange.head(upstream.status_code, {"Content-Type": upstream.headers.get("Content-Type", "text/xml"),
                                             "Content-Length": str(len(upstream.content))})
        exchange.write(upstream.content)
    return answer


@pytest.mark.parametrize("status", STATUSES)
def test_plex_redirect_on_edits_and_poster_uploads_is_refused(hostile, elsewhere, plex, library, status):
    _, rating_key = library.add(plex_title="Before")
    server = hostile(proxy_reads_redirect_writes(plex.url, status, elsewhere.url))
    client = PlexClient(server.url, PLEX_TOKEN, timeout=2)
    try:
        item = client.fetch_full(rating_key)
        assert item is not None
        with pytest.raises(PlexTemporaryError, match=f"redirected to {elsewhere.url} while editing item"):
            client.apply(item, {"title.value": "Changed", "title.locked": 1})
        with pytest.raises(PlexTemporaryError, match=f"redirected to {elsewhere.url} while uploading the poster"):
            client.upload_poster(item, b"\x89PNG not really")
    finally:
        client.close()
    assert elsewhere.requests == []
    assert plex.item_state(rating_key)["title"] == "Before"


@pytest.mark.parametrize("status", STATUSES)
def test_stash_never_follows_a_redirect(hostile, elsewhere, status):
    server = hostile(redirect(status, elsewhere.url))
    client = StashClient(server.url, STASH_KEY, timeout=2)
    try:
        with pytest.raises(StashUnavailable) as failure:
            client.probe()
        assert str(failure.value) == stash_refusal(server.url, elsewhere.url, status)
        with pytest.raises(StashAuthError if status == 302 else StashUnavailable, match=f"HTTP {status}"):
            client.download_image(f"{server.url}/scene/1/screenshot")
    finally:
        client.close()
    assert elsewhere.requests == []
