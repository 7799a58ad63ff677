"""The emulated PMS's collections and actor photos, driven by unmodified plexapi where it can say it (listing,
`Collection.items()`, `moveItem`, tag photos in the item XML) and raw requests for the rest (`collectionSort`:
plexapi's `sortUpdate` first reads preferences the emulator does not model)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from plexapi.collection import Collection
from plexapi.exceptions import BadRequest
from plexapi.server import PlexServer

from plexsync_gui.emulators.plex import PlexEmulator


@pytest.fixture
def emu() -> Iterator[PlexEmulator]:
    with PlexEmulator() as emulator:
        yield emulator
    assert emulator.errors == [], "the emulator hit an internal error:\n" + "\n".join(emulator.errors)


@pytest.fixture
def server(emu: PlexEmulator) -> Iterator[PlexServer]:
    with requests.Session() as session:
        session.trust_env = False
        yield PlexServer(emu.url, emu.token, session=session, timeout=5)


@pytest.fixture
def films(emu: PlexEmulator) -> tuple[int, list[str]]:
    """A section with a three-film collection, titles and dates in different orders, and one film outside it."""
    section = emu.add_section("Movies", "movie", ["/data/"])
    keys = [emu.add_item(section, f"/data/{name}.mp4", title=name, originallyAvailableAt=date, collections=["Saga"])
            for name, date in (("Bravo", "2021-01-01"), ("Alpha", "2023-01-01"), ("Charlie", "2020-01-01"))]
    emu.add_item(section, "/data/other.mp4", title="Other", collections=[])
    return section, keys


def collections(server: PlexServer, section: int) -> list[Collection]:
    return server.fetchItems(f"/library/sections/{section}/collections")


def put(server: PlexServer, path: str) -> int:
    return server._session.put(server.url(path), headers={"X-Plex-Token": server._token}).status_code


def test_first_tag_makes_a_collection_listed_per_section(emu, server, films):
    section, _ = films
    other = emu.add_section("Shows", "show", ["/tv/"])
    emu.add_item(other, "/tv/s1e1.mp4", collections=["Saga"])  # a namesake in another section is another one
    listed = collections(server, section)
    assert [(c.title, c.childCount, c.collectionSort, c.smart) for c in listed] == [("Saga", 3, 0, False)]
    assert int(listed[0].librarySectionID) == section
    assert collections(server, other)[0].ratingKey != listed[0].ratingKey
    assert emu.collection_state(section, "Saga")["ratingKey"] == str(listed[0].ratingKey)


def test_items_follow_the_collections_sort(emu, server, films):
    section, _ = films
    saga = collections(server, section)[0]
    assert [m.title for m in saga.items()] == ["Charlie", "Bravo", "Alpha"]  # by release date, Plex's default
    rating_key = saga.ratingKey
    assert put(server, f"/library/collections/{rating_key}/prefs?collectionSort=1") == 200
    assert [m.title for m in collections(server, section)[0].items()] == ["Alpha", "Bravo", "Charlie"]
    assert put(server, f"/library/collections/{rating_key}/prefs?collectionSort=2") == 200
    custom = collections(server, section)[0]
    assert custom.collectionSort == 2
    assert [m.title for m in custom.items()] == ["Bravo", "Alpha", "Charlie"]  # as the items joined
    assert put(server, f"/library/collections/{rating_key}/prefs?collectionSort=7") == 400


def test_move_item_sets_the_custom_order(emu, server, films):
    section, _ = films
    put(server, f"/library/collections/{collections(server, section)[0].ratingKey}/prefs?collectionSort=2")
    saga = collections(server, section)[0]
    bravo, alpha, charlie = saga.items()
    saga.moveItem(charlie)  # first
    saga.moveItem(bravo, after=alpha)
    assert emu.collection_state(section, "Saga")["items"] == [str(m.ratingKey) for m in (charlie, alpha, bravo)]
    assert [m.title for m in collections(server, section)[0].items()] == ["Charlie", "Alpha", "Bravo"]


def test_new_members_join_the_custom_order_last_and_leavers_drop_out(emu, server, films):
    section, keys = films
    rating_key = emu.collection_state(section, "Saga")["ratingKey"]
    put(server, f"/library/collections/{rating_key}/prefs?collectionSort=2")
    late = emu.add_item(section, "/data/late.mp4", title="Aardvark", collections=["Saga"])
    emu.edit_item(keys[0], collections=[])
    assert emu.collection_state(section, "Saga")["items"] == [keys[1], keys[2], late]


def test_moves_outside_the_collection_are_refused(emu, server, films):
    section, keys = films
    saga = collections(server, section)[0]
    outsider = server.fetchItem(int(keys[0]) + 3)  # "Other", not in the collection
    with pytest.raises(BadRequest):
        saga.moveItem(outsider)
    with pytest.raises(BadRequest):
        saga.moveItem(saga.items()[0], after=outsider)
    assert put(server, "/library/collections/99999/items/1000/move") == 404


def test_an_emptied_collection_is_no_longer_listed(emu, server, films):
    section, keys = films
    for key in keys:
        emu.edit_item(key, collections=[])
    assert collections(server, section) == []
    assert emu.collection_state(section, "Saga") is None


def test_an_actor_photo_set_by_an_edit_shows_on_every_item_with_that_actor(emu, server):
    section = emu.add_section("Movies", "movie", ["/data/"])
    first = emu.add_item(section, "/data/a.mp4", actors=["Ada", "Ben"])
    second = emu.add_item(section, "/data/b.mp4", actors=["Ada"])
    movie = server.fetchItem(int(first))
    movie.edit(**{"actor[0].tag.tag": "Ada", "actor[0].tag.thumb": "http://stash/performer/1/image?t=5",
                  "actor[1].tag.tag": "Ben", "actor.locked": 1})
    assert {role.tag: role.thumb for role in server.fetchItem(int(first)).roles} == {
        "Ada": "http://stash/performer/1/image?t=5", "Ben": None}
    assert server.fetchItem(int(second)).roles[0].thumb == "http://stash/performer/1/image?t=5"
    assert emu.tag_thumb("actor", "Ada") == "http://stash/performer/1/image?t=5"
