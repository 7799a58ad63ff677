"""What the benchmarks rely on in both emulators: a per-request latency spent on the server side (so concurrent
requests overlap, as on a network) and bulk seeding that matches seeding one at a time."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from plexapi.server import PlexServer

from plexsync_gui.core.stash import queries as q
from plexsync_gui.emulators.plex import Item, PlexEmulator, _FileIndex
from plexsync_gui.emulators.stash import StashEmulator


@pytest.fixture
def plex_emu() -> Iterator[PlexEmulator]:
    with PlexEmulator(token=None) as emulator:
        yield emulator
    assert emulator.errors == []


@pytest.fixture
def stash_emu() -> Iterator[StashEmulator]:
    with StashEmulator() as emulator:
        yield emulator


def send_raw(url: str, request: bytes) -> socket.socket:
    """Send a whole request on a new connection without reading the answer."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=5)
    sock.sendall(request)
    return sock


def assert_unanswered(sock: socket.socket) -> None:
    """No answer yet: the request is held by the server (it was read long before this times out)."""
    sock.settimeout(0.5)
    with pytest.raises(TimeoutError):
        sock.recv(1)


def logged(emu: PlexEmulator | StashEmulator, path: str) -> int:
    return sum(1 for r in emu.requests if r.path.startswith(path))


GRAPHQL_PROBE = b'{"query": "{ version { version } }"}'


@pytest.mark.parametrize("kind", ["plex", "stash"])
def test_latency_is_held_on_the_server_before_handling_and_other_requests_overlap(kind, plex_emu, stash_emu):
    if kind == "plex":
        emu, held_path, other = plex_emu, "/identity", "/library/sections"
        request = b"GET /identity HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
    else:
        emu, held_path, other = stash_emu, "/graphql", "/healthz"
        request = (b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   b"Content-Length: " + str(len(GRAPHQL_PROBE)).encode() + b"\r\n\r\n" + GRAPHQL_PROBE)
    emu.latency = 60
    held = send_raw(emu.url, request)
    try:
        assert_unanswered(held)
        emu.latency = 0
        assert requests.get(emu.url + other, timeout=5).status_code == 200  # not queued behind the held one
        assert logged(emu, other) == 1
        assert logged(emu, held_path) == 0  # latency comes before handling: the held request has not run yet
    finally:
        emu.stop()  # ends the held request's wait at once
        held.close()


@pytest.mark.parametrize("path", ["/", "/identity", "/library/sections"])
def test_plex_latency_applies_to_every_request(plex_emu, path):
    plex_emu.latency = 3
    with pytest.raises(requests.ReadTimeout):
        requests.get(plex_emu.url + path, timeout=(5, 0.3))


@pytest.mark.parametrize("path", ["/healthz", "/graphql", "/scene/1/screenshot"])
def test_stash_latency_applies_to_every_request(stash_emu, path):
    stash_emu.latency = 3
    with pytest.raises(requests.ReadTimeout):
        requests.get(stash_emu.url + path, timeout=(5, 0.3))


@pytest.mark.parametrize("factory", [PlexEmulator, StashEmulator])
def test_negative_latency_is_refused(factory: Callable[..., object]):
    with pytest.raises(ValueError, match="latency"):
        factory(latency=-0.001)


def test_plex_bulk_items_match_one_by_one_and_keep_episode_numbers(plex_emu):
    show = plex_emu.add_section("Shows", "show", ["/tv/"])
    first = plex_emu.add_item(show, "/tv/show/e1.mkv")
    bulk = plex_emu.add_items(show, [{"file": "/tv/show/e2.mkv", "title": "Two", "genres": ["Drama"]},
                                     {"file": "/tv/show/e3.mkv"}])
    assert bulk == [str(int(first) + 1), str(int(first) + 2)]
    server = PlexServer(plex_emu.url, None, timeout=5)
    episodes = server.library.section("Shows").searchEpisodes()
    assert [(e.index, e.title) for e in episodes] == [(1, "e1"), (2, "Two"), (3, "e3")]
    assert plex_emu.item_state(bulk[0])["tags"]["genre"] == ["Drama"]


def test_plex_bulk_items_reject_unknown_attributes(plex_emu):
    movies = plex_emu.add_section("Movies", "movie", ["/m/"])
    with pytest.raises(TypeError, match="colour"):
        plex_emu.add_items(movies, [{"file": "/m/a.mkv", "colour": "red"}])


_PATH_CHARS = st.sampled_from("ab/.É é\\")


def _item(index: int, file: str) -> Item:
    return Item(str(1000 + index), 1, "movie", file, 1000 + index, 0, 0, {})


@given(files=st.lists(st.text(_PATH_CHARS, max_size=8), max_size=8), wanted=st.text(_PATH_CHARS, max_size=4))
def test_file_index_finds_exactly_what_a_scan_finds(files: list[str], wanted: str):
    """The index behind `file=` lookups: the same items, in the same order, as testing every item's file."""
    items = [_item(i, f) for i, f in enumerate(files)]
    wanted = wanted.lower()
    assert _FileIndex(items).containing(wanted) == [item for item in items if wanted in item.file_key]


def lookup(emu: PlexEmulator, section: int, value: str) -> list[str]:
    response = requests.get(f"{emu.url}/library/sections/{section}/all", params={"type": 1, "file": value},
                            timeout=5)
    return [video.split('"')[0] for video in response.text.split('ratingKey="')[1:]]


def test_file_lookups_see_items_added_and_removed_after_an_earlier_lookup(plex_emu):
    movies = plex_emu.add_section("Movies", "movie", ["/m/"])
    first = plex_emu.add_item(movies, "/m/a/clip.mkv")
    assert lookup(plex_emu, movies, "clip.mkv") == [first]
    second = plex_emu.add_items(movies, [{"file": "/m/b/CLIP.mkv"}])[0]
    assert lookup(plex_emu, movies, "clip.mkv") == [first, second]
    plex_emu.delete_item(first)
    assert lookup(plex_emu, movies, "clip.mkv") == [second]
    other = plex_emu.add_section("Other", "movie", ["/o/"])
    third = plex_emu.add_item(other, "/o/clip.mkv")
    assert lookup(plex_emu, other, "clip.mkv") == [third]
    plex_emu.remove_section(other)
    plex_emu.add_section("Again", "movie", ["/o/"])
    assert lookup(plex_emu, movies, "clip.mkv") == [second]
    assert lookup(plex_emu, movies, "nothing") == []


def find_scenes(emu: StashEmulator, ids: list[str]) -> list[dict]:
    body = {"query": q.find_scenes_by_ids(True, "ids"), "operationName": "FindScenesByIds", "variables": {"ids": ids}}
    response = requests.post(emu.url + "/graphql", json=body, headers={"Accept": "application/json"}, timeout=5)
    return response.json()["data"]["findScenes"]["scenes"]


def test_stash_bulk_scenes_match_one_by_one(stash_emu):
    spec = dict(title="Same", studio="Harbour", performers=["Ada Lane"], tags=["Outdoor"], files=["/d/a.mp4"],
                date="2024-02-03", details="Two\nlines")
    single = stash_emu.add_scene(**spec)
    bulk = stash_emu.add_scenes([spec, {**spec, "title": "Other"}])
    assert bulk == [str(int(single) + 1), str(int(single) + 2)]
    one, two, three = find_scenes(stash_emu, [single, *bulk])
    for key in ("studio", "performers", "tags", "date", "details", "created_at", "updated_at"):
        assert one[key] == two[key], key
    assert three["title"] == "Other"


def test_stash_ids_continue_after_the_highest_scene(stash_emu):
    stash_emu.add_scenes([{"title": "a"}, {"title": "b"}, {"title": "c"}])
    stash_emu.add_scene(title="d", scene_id="10")
    assert stash_emu.add_scene(title="e") == "11"
    stash_emu.delete_scene("11")
    stash_emu.delete_scene("10")
    assert stash_emu.add_scenes([{"title": "f"}]) == ["4"]  # like SQLite's rowid: highest existing + 1
