import pytest
from plexapi.exceptions import BadRequest, NotFound, Unauthorized

from plexsync_gui.core.errors import PlexAuthError, PlexNotFound, PlexPermanentError, PlexTemporaryError
from plexsync_gui.core.plex.client import PlexClient


@pytest.fixture
def client():
    c = PlexClient("http://127.0.0.1:9", "t", timeout=1)
    yield c
    c.close()


@pytest.mark.parametrize(
    "raised,expected",
    [
        (BadRequest("(500) internal_server_error; http://x/ "), PlexTemporaryError),
        (BadRequest("(503) service_unavailable; http://x/ "), PlexTemporaryError),
        (BadRequest("(429) too_many_requests; http://x/ "), PlexTemporaryError),
        (Unauthorized("(401) unauthorized; http://x/ "), PlexAuthError),
        (BadRequest("(403) forbidden; http://x/ "), PlexAuthError),
        (NotFound("(404) not_found; http://x/ "), PlexNotFound),
        (BadRequest("(400) bad_request; http://x/ "), PlexPermanentError),
        (NotFound("Invalid library section: Films"), PlexPermanentError),  # client-side, no HTTP status
    ],
)
def test_classified_by_status_not_by_exception_type(client, raised, expected):
    with pytest.raises(expected) as info, client._translated("testing"):
        raise raised
    assert type(info.value) is expected
    assert "http://x" not in str(info.value)  # plexapi's URL is not echoed


def test_unnamed_status_type_error_is_temporary_only_after_a_bad_status(client):
    client._last_status.value = None
    with pytest.raises(PlexTemporaryError, match="HTTP 520"), client._translated("testing"):
        client._last_status.value = 520
        raise TypeError("'NoneType' object is not subscriptable")
    with pytest.raises(TypeError), client._translated("testing"):  # no bad status: a bug, and it must surface
        raise TypeError("bug")


def test_refused_connection_is_temporary(client):
    with pytest.raises(PlexTemporaryError, match="unreachable"):
        client.sections()
    assert client.identity() is False
