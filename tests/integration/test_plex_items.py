"""Full items are read as plain XML and edited without plexapi item objects (for speed): the readings must equal
plexapi's own, and the PUT and the poster upload must be the requests plexapi's `edit` and `uploadPoster` send."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from plexapi.server import PlexServer

from plexsync_gui.core.errors import PlexPermanentError, PlexTemporaryError
from plexsync_gui.core.plex.client import PlexClient, read_item
from tests.servers import PLEX_TOKEN

pytestmark = pytest.mark.integration


@pytest.fixture
def client(plex):
    client = PlexClient(plex.url, PLEX_TOKEN, timeout=5)
    yield client
    client.close()


@pytest.fixture
def reference(plex):
    """plexapi itself, on a session of its own."""
    session = requests.Session()
    session.trust_env = False
    yield PlexServer(plex.url, PLEX_TOKEN, session=session, timeout=5)
    session.close()


def seeded(plex, movies) -> str:
    return plex.add_item(movies, "/media/movies/a/Full Item.mkv", title="Full Item", summary="Two\nlines",
                         studio="Harbour", originallyAvailableAt="2024-03-05", year=2024, userRating=8.0,
                         genres=["Outdoor", "A, B"], actors=["Ada Lane", "Ben Ortiz", "C", "D"],
                         collections=["Harbour"], locks=["title", "genre"])


def test_full_item_reads_as_plexapi_reads_it(plex, movies, client, reference):
    rating_key = seeded(plex, movies)
    item = client.fetch_full(rating_key)
    expected = reference.fetchItem(int(rating_key))
    assert item is not None
    assert item.snapshot.scalars == {
        "title": expected.title, "studio": expected.studio, "summary": expected.summary,
        "originallyAvailableAt": expected.originallyAvailableAt.strftime("%Y-%m-%d"), "year": expected.year,
        "userRating": expected.userRating,
    }
    assert item.snapshot.tags == {"genre": [t.tag for t in expected.genres], "actor": [t.tag for t in expected.roles],
                                  "collection": [t.tag for t in expected.collections]}
    assert item.snapshot.locks == {f.name for f in expected.fields if f.locked} == {"title", "genre"}
    assert item.files == tuple(p.file for m in expected.media for p in m.parts) == ("/media/movies/a/Full Item.mkv",)
    assert (item.rating_key, item.section_key, item.search_type) == (rating_key, str(movies), 1)


def test_missing_item_is_none(plex, movies, client):
    assert client.fetch_full("424242") is None


@pytest.mark.parametrize("params", [
    {"title.value": "New & improved / 100%", "title.locked": 1, "summary.value": "Line\nnext", "summary.locked": 1},
    {"genre[0].tag.tag": "Sci Fi", "genre[1].tag.tag": "A,B", "genre.locked": 1, "actor[].tag.tag-": "Old%20Name"},
])
def test_edit_is_the_put_plexapi_sends(plex, movies, client, reference, params):
    rating_key = seeded(plex, movies)
    reference.fetchItem(int(rating_key)).edit(**params)
    by_plexapi = plex.requests[-1]
    client.apply(client.fetch_full(rating_key), params)
    ours = plex.requests[-1]
    assert (ours.method, ours.path, ours.query) == (by_plexapi.method, by_plexapi.path, by_plexapi.query)
    assert ours.method == "PUT" and ours.status == 200
    assert headers_of(ours) == headers_of(by_plexapi)  # the edit is prepared by PlexSync, not by plexapi's query
    assert PLEX_TOKEN not in ours.query and headers_of(ours)["x-plex-token"] == PLEX_TOKEN


def test_poster_upload_is_the_post_plexapi_sends(plex, movies, client, reference):
    rating_key = seeded(plex, movies)
    data = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    reference.fetchItem(int(rating_key)).uploadPoster(filepath=data)
    by_plexapi = plex.requests[-1]
    client.upload_poster(client.fetch_full(rating_key), data)
    ours = plex.requests[-1]
    assert (ours.method, ours.path, ours.query, ours.body_len) == (
        by_plexapi.method, by_plexapi.path, by_plexapi.query, by_plexapi.body_len)
    assert ours.status in (200, 201) and ours.body_len == len(data)
    assert headers_of(ours) == headers_of(by_plexapi)


def headers_of(record) -> dict[str, str]:
    """The request's headers by lower-cased name (HTTP names are case-insensitive; the order carries nothing)."""
    return {name.lower(): value for name, value in record.headers.items()}


def video(**attrs: str) -> ET.Element:
    return ET.fromstring("<Video " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + "/>")


def test_unparsable_dates_and_numbers_read_as_empty():
    item = read_item(video(ratingKey="7", librarySectionID="1", type="episode", originallyAvailableAt="2024",
                           year="unknown", userRating=""))
    assert item.search_type == 4
    assert (item.snapshot.scalars["originallyAvailableAt"], item.snapshot.scalars["year"],
            item.snapshot.scalars["userRating"]) == (None, None, None)
    assert item.files == ()


@pytest.mark.parametrize("attrs, message", [
    ({"ratingKey": "7", "type": "movie"}, "names no library section"),
    ({"ratingKey": "7", "librarySectionID": "2", "type": "show"}, "is a show, not a movie or episode"),
])
def test_items_that_cannot_be_edited_are_a_permanent_error(attrs, message):
    with pytest.raises(PlexPermanentError, match=message):
        read_item(video(**attrs))


@pytest.mark.parametrize("send", ["edit", "poster"])
def test_a_200_that_is_no_plex_answer_fails_the_write(plex, movies, client, send):
    """A proxy's login page answers 200 and edits nothing: the write fails (and is retried), as plexapi's query
    fails it, instead of reading as done."""
    item = client.fetch_full(seeded(plex, movies))
    plex.html_next()
    with pytest.raises(PlexTemporaryError, match="not XML"):
        if send == "edit":
            client.apply(item, {"title.value": "Never applied", "title.locked": 1})
        else:
            client.upload_poster(item, b"\x89PNG\r\n\x1a\n")
    assert plex.item_state(item.rating_key)["title"] == "Full Item"
