"""The emulated PMS, driven by unmodified plexapi (and raw requests where plexapi cannot say it).

Each test asserts behaviour a client relies on: what plexapi parses, what reaches the emulator's state, and which
exception a fault turns into. See docs/plex-protocol.md for the protocol these tests pin down.
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import quote

import plexapi
import pytest
import requests
from plexapi.exceptions import BadRequest, NotFound, Unauthorized
from plexapi.library import MovieSection, ShowSection
from plexapi.server import PlexServer
from plexapi.video import Episode, Movie

from plexsync_gui.emulators.plex import MAX_IMAGE_BYTES, PlexEmulator
from tests.certs import make_certificate

MOVIES = "/data/movies/"


@pytest.fixture
def emu() -> Iterator[PlexEmulator]:
    with PlexEmulator() as emulator:
        yield emulator
    assert emulator.errors == [], "the emulator hit an internal error:\n" + "\n".join(emulator.errors)


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.trust_env = False  # never route loopback traffic through a proxy from the environment
        yield s


def connect(emu: PlexEmulator, session: requests.Session, timeout: float = 5) -> PlexServer:
    return PlexServer(emu.url, emu.token, session=session, timeout=timeout)


def raw(
    emu: PlexEmulator, session: requests.Session, method: str, path: str, token: str | None = "default", **params: str
) -> requests.Response:
    """A request plexapi would not send as such; token "default" means the emulator's token in the header."""
    headers = {"X-Plex-Token": emu.token or ""} if token == "default" else {}
    return session.request(method, emu.url + path, params=params, headers=headers, timeout=5)


def seed_movie(emu: PlexEmulator, **attrs: object) -> tuple[int, str]:
    section = emu.add_section("Movies", "movie", [MOVIES])
    return section, emu.add_item(section, MOVIES + "Film/Film.mkv", "Film", **attrs)


# --- connecting and auth --------------------------------------------------------------------------------------


def test_connect_reads_root_container(emu: PlexEmulator, session: requests.Session) -> None:
    plex = connect(emu, session)
    assert plex.machineIdentifier == "emulated-pms"
    assert plex.friendlyName == "Emulated Plex"
    assert plex.version
    first = emu.requests[0]
    assert (first.method, first.path, first.status) == ("GET", "/", 200)
    assert first.headers["X-Plex-Token"] == "test-token"


def test_custom_identity_is_served(session: requests.Session) -> None:
    with PlexEmulator(machine_identifier="abc123", friendly_name="Den") as emu:
        plex = connect(emu, session)
        assert (plex.machineIdentifier, plex.friendlyName) == ("abc123", "Den")


def test_wrong_token_is_unauthorized(emu: PlexEmulator, session: requests.Session) -> None:
    with pytest.raises(Unauthorized, match=r"^\(401\)"):
        PlexServer(emu.url, "wrong-token", session=session, timeout=5)
    assert emu.requests[-1].status == 401


def test_missing_token_gets_401_html_but_identity_answers(emu: PlexEmulator, session: requests.Session) -> None:
    denied = raw(emu, session, "GET", "/", token=None)
    assert denied.status_code == 401
    assert denied.headers["Content-Type"].startswith("text/html")
    identity = raw(emu, session, "GET", "/identity", token=None)
    assert identity.status_code == 200
    assert ET.fromstring(identity.content).get("machineIdentifier") == "emulated-pms"


def test_token_as_query_parameter_is_accepted(emu: PlexEmulator, session: requests.Session) -> None:
    answer = raw(emu, session, "GET", "/library/sections", token=None, **{"X-Plex-Token": "test-token"})
    assert answer.status_code == 200
    assert emu.requests[-1].params["X-Plex-Token"] == ["test-token"]


def test_tokenless_emulator_accepts_anyone(session: requests.Session) -> None:
    with PlexEmulator(token=None) as emu:
        assert raw(emu, session, "GET", "/library/sections", token=None).status_code == 200


def test_xml_answers_are_declared_utf8_with_length(emu: PlexEmulator, session: requests.Session) -> None:
    answer = raw(emu, session, "GET", "/")
    assert answer.headers["Content-Type"] == "text/xml;charset=utf-8"
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    assert answer.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_unknown_route_is_404_html(emu: PlexEmulator, session: requests.Session) -> None:
    answer = raw(emu, session, "GET", "/hubs/search", query="x")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")


# --- sections -------------------------------------------------------------------------------------------------


def test_sections_with_types_and_locations(emu: PlexEmulator, session: requests.Session) -> None:
    movies = emu.add_section("Movies", "movie", ["/data/movies/", "/more/movies/"])
    shows = emu.add_section("TV", "show", ["/data/tv/"])
    library = connect(emu, session).library
    section = library.section("  movies ")  # plexapi compares lower-cased and stripped titles
    assert isinstance(section, MovieSection)
    assert section.key == movies
    assert section.locations == ["/data/movies/", "/more/movies/"]
    assert section.refreshing is False
    tv = library.sectionByID(shows)
    assert isinstance(tv, ShowSection)
    assert tv.locations == ["/data/tv/"]


def test_removed_section_is_invisible_to_a_new_server_object(emu: PlexEmulator, session: requests.Session) -> None:
    key = emu.add_section("Movies")
    emu.add_item(key, "/media/a.mkv")
    emu.remove_section(key)
    with pytest.raises(NotFound, match="Invalid library section"):
        connect(emu, session).library.section("Movies")


def test_section_update_and_cancel_hit_refresh(emu: PlexEmulator, session: requests.Session) -> None:
    key = emu.add_section("Movies")
    section = connect(emu, session).library.section("Movies")
    section.update(path="/media/new/")
    section.cancelUpdate()
    assert emu.count("GET", f"/library/sections/{key}/refresh") == 1
    assert emu.count("DELETE", f"/library/sections/{key}/refresh") == 1
    assert emu.requests[-2].params["path"] == ["/media/new/"]


# --- listing and paging ---------------------------------------------------------------------------------------


def test_listing_pages_by_container_headers(emu: PlexEmulator, session: requests.Session) -> None:
    key = emu.add_section("Movies")
    keys = [emu.add_item(key, f"/media/movie{i:03}.mkv") for i in range(251)]
    section = connect(emu, session).library.section("Movies")
    emu.clear_log()
    movies = section.all()
    assert [str(m.ratingKey) for m in movies] == keys
    assert all(isinstance(m, Movie) for m in movies)
    pages = [r for r in emu.requests if r.path == f"/library/sections/{key}/all"]
    page_size = plexapi.X_PLEX_CONTAINER_SIZE
    assert len(pages) == math.ceil(251 / page_size)
    assert [r.headers["X-Plex-Container-Start"] for r in pages] == [str(i * page_size) for i in range(len(pages))]


def test_count_only_request_uses_query_paging(emu: PlexEmulator, session: requests.Session) -> None:
    key = emu.add_section("Movies")
    for i in range(7):
        emu.add_item(key, f"/media/m{i}.mkv")
    section = connect(emu, session).library.section("Movies")
    assert section.totalViewSize(libtype="movie") == 7
    root = ET.fromstring(
        raw(emu, session, "GET", f"/library/sections/{key}/all", type="1", **{"X-Plex-Container-Size": "0"}).content
    )
    assert (root.get("size"), root.get("totalSize"), root.get("offset"), len(root)) == ("0", "7", "0", 0)


def test_query_paging_beats_headers_and_limit_caps_total(emu: PlexEmulator, session: requests.Session) -> None:
    key = emu.add_section("Movies")
    keys = [emu.add_item(key, f"/media/m{i}.mkv") for i in range(10)]
    answer = session.get(
        f"{emu.url}/library/sections/{key}/all",
        params={"X-Plex-Container-Start": "2", "X-Plex-Container-Size": "3", "limit": "8"},
        headers={"X-Plex-Token": "test-token", "X-Plex-Container-Start": "0", "X-Plex-Container-Size": "100"},
        timeout=5,
    )
    root = ET.fromstring(answer.content)
    assert [v.get("ratingKey") for v in root] == keys[2:5]
    assert (root.get("size"), root.get("totalSize"), root.get("offset")) == ("3", "8", "2")


def test_listed_videos_carry_their_type_and_only_the_container_names_the_section(
    emu: PlexEmulator, session: requests.Session
) -> None:
    """As PMS 1.43.1 answers (shared/captures): `librarySectionID` on the listing's container, not on its `<Video>`s;
    plexapi copies the container's onto each item."""
    key, _ = seed_movie(emu)
    root = ET.fromstring(raw(emu, session, "GET", f"/library/sections/{key}/all", type="1").content)
    assert (root.get("librarySectionID"), root.get("librarySectionTitle")) == (str(key), "Movies")
    video = root.find("Video")
    assert video is not None
    assert (video.get("type"), video.get("librarySectionID")) == ("movie", None)
    assert video.find("Media/Part") is not None
    assert connect(emu, session).library.sectionByID(key).all()[0].librarySectionID == key


def test_title_filter_is_case_insensitive_substring(emu: PlexEmulator, session: requests.Session) -> None:
    key = emu.add_section("Movies")
    emu.add_item(key, "/media/a.mkv", "The Alpha Film")
    emu.add_item(key, "/media/b.mkv", "Beta")
    section = connect(emu, session).library.section("Movies")
    assert [m.title for m in section.search(title="ALPHA")] == ["The Alpha Film"]


def test_show_sections_list_episodes_for_type_4_only(emu: PlexEmulator, session: requests.Session) -> None:
    key = emu.add_section("TV", "show", ["/data/tv/"])
    emu.add_item(key, "/data/tv/Show/Season 1/Show - s01e01.mkv")
    section = connect(emu, session).library.section("TV")
    episodes = section.fetchItems(f"/library/sections/{key}/all", params={"type": 4})
    assert len(episodes) == 1 and isinstance(episodes[0], Episode)
    assert episodes[0].title == "Show - s01e01"  # default title: basename without extension
    assert episodes[0].librarySectionID == key
    assert section.fetchItems(f"/library/sections/{key}/all", params={"type": 1}) == []


# --- lookup by file path --------------------------------------------------------------------------------------


@pytest.fixture
def three_files(emu: PlexEmulator) -> tuple[int, dict[str, str]]:
    key = emu.add_section("Movies", "movie", [MOVIES])
    paths = {
        "one": MOVIES + "Shared/One.mkv",
        "two": MOVIES + "Shared/Two.mkv",
        "other": MOVIES + "Elsewhere/Three.mkv",
    }
    return key, {name: emu.add_item(key, path) for name, path in paths.items()}


def file_lookup(plex: PlexServer, key: int, value: str) -> list[str]:
    section = plex.library.sectionByID(key)
    items = section.fetchItems(f"/library/sections/{key}/all", params={"type": 1, "file": value})
    return [str(item.ratingKey) for item in items]


def test_file_filter_matches_full_path_and_basename(
    emu: PlexEmulator, session: requests.Session, three_files: tuple[int, dict[str, str]]
) -> None:
    key, keys = three_files
    plex = connect(emu, session)
    assert file_lookup(plex, key, MOVIES + "Shared/One.mkv") == [keys["one"]]
    assert file_lookup(plex, key, "one.MKV") == [keys["one"]]  # case-insensitive substring
    assert file_lookup(plex, key, "/nowhere/One.mkv") == []
    assert emu.requests[-1].params["file"] == ["/nowhere/One.mkv"]


def test_loose_file_filter_adds_same_directory(
    emu: PlexEmulator, session: requests.Session, three_files: tuple[int, dict[str, str]]
) -> None:
    key, keys = three_files
    plex = connect(emu, session)
    emu.file_match = "loose"
    assert sorted(file_lookup(plex, key, "One.mkv")) == sorted([keys["one"], keys["two"]])
    emu.file_match = "substring"
    assert file_lookup(plex, key, "One.mkv") == [keys["one"]]


def test_file_filter_without_type_is_a_500(emu: PlexEmulator, session: requests.Session) -> None:
    key, _ = seed_movie(emu)
    section = connect(emu, session).library.sectionByID(key)
    with pytest.raises(BadRequest, match=r"^\(500\)"):
        section.fetchItems(f"/library/sections/{key}/all", params={"file": "Film.mkv"})


# --- listing versus full item ---------------------------------------------------------------------------------


def test_listing_truncates_tags_full_item_has_all_and_locks(emu: PlexEmulator, session: requests.Session) -> None:
    actors = ["A1", "A2", "A3", "A4", "A5"]
    key, rk = seed_movie(emu, actors=actors, genres=["G1"], locks={"title", "genre"}, summary="s")
    plex = connect(emu, session)
    listed = plex.library.sectionByID(key).all()[0]
    assert [r.tag for r in listed.roles] == actors[:3]
    fetched = plex.fetchItem(int(rk))
    assert [r.tag for r in fetched.actors] == actors
    assert all(role.id for role in fetched.roles)
    assert {(f.name, f.locked) for f in fetched.fields} == {("title", True), ("genre", True)}
    assert fetched.isLocked("title") and not fetched.isLocked("summary")
    listed.reload()
    assert [r.tag for r in listed.roles] == actors
    assert listed.librarySectionID == key


def test_listing_has_no_field_elements(emu: PlexEmulator, session: requests.Session) -> None:
    key, _ = seed_movie(emu, locks={"title"})
    root = ET.fromstring(raw(emu, session, "GET", f"/library/sections/{key}/all", type="1").content)
    assert root.findall("Video/Field") == []
    assert root.findall("Video") != []


def test_listing_tag_limit_is_a_runtime_switch(emu: PlexEmulator, session: requests.Session) -> None:
    key, _ = seed_movie(emu, genres=["G1", "G2", "G3", "G4"])
    section = connect(emu, session).library.sectionByID(key)
    emu.listing_tag_limit = 1
    assert [g.tag for g in section.all()[0].genres] == ["G1"]
    emu.listing_tag_limit = 10
    assert [g.tag for g in section.all()[0].genres] == ["G1", "G2", "G3", "G4"]


def test_tag_ids_are_stable_per_name(emu: PlexEmulator, session: requests.Session) -> None:
    key = emu.add_section("Movies")
    first = emu.add_item(key, "/media/a.mkv", genres=["Drama", "Comedy"])
    second = emu.add_item(key, "/media/b.mkv", genres=["Comedy"])
    plex = connect(emu, session)
    ids_first = {g.tag: g.id for g in plex.fetchItem(int(first)).genres}
    ids_second = {g.tag: g.id for g in plex.fetchItem(int(second)).genres}
    assert ids_first["Comedy"] == ids_second["Comedy"] != ids_first["Drama"]


def test_unknown_rating_key_is_not_found(emu: PlexEmulator, session: requests.Session) -> None:
    seed_movie(emu)
    with pytest.raises(NotFound, match=r"^\(404\)"):
        connect(emu, session).fetchItem(424242)


def test_user_edit_in_plex_shows_on_reload(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    item = connect(emu, session).fetchItem(int(rk))
    emu.edit_item(rk, title="Renamed", genres=["Noir"], year=1999)
    item.reload()
    assert (item.title, [g.tag for g in item.genres], item.year) == ("Renamed", ["Noir"], 1999)


# --- edits ----------------------------------------------------------------------------------------------------


def test_batched_edit_is_one_put_with_the_documented_effect(emu: PlexEmulator, session: requests.Session) -> None:
    removed = ["Ann Lee", "B, Jr."]
    key, rk = seed_movie(emu, genres=["Old"], actors=["Kept", *removed])
    item = connect(emu, session).fetchItem(int(rk))
    item.reload()
    emu.clear_log()
    item.batchEdits()
    item.edit(
        **{
            "title.value": "T",
            "title.locked": 1,
            "summary.value": "a\nb",
            "genre[0].tag.tag": "X",
            "genre[1].tag.tag": "Y,Z",
            "genre.locked": 1,
            "actor[].tag.tag-": ",".join(quote(n) for n in removed),
        }
    )
    item.saveEdits()
    assert [(r.method, r.path) for r in emu.requests if r.method != "GET"] == [("PUT", f"/library/sections/{key}/all")]
    put = emu.requests[-1]
    assert put.params["id"] == [rk] and put.params["type"] == ["1"]
    state = emu.item_state(rk)
    assert (state["title"], state["summary"]) == ("T", "a\nb")
    assert state["tags"]["genre"] == ["X", "Y,Z"]
    assert state["tags"]["actor"] == ["Kept"]
    assert {"title", "genre"} <= state["locks"] and "summary" not in state["locks"]
    item.reload()
    assert item.summary == "a\nb"  # the newline survives the XML attribute round trip
    assert [g.tag for g in item.genres] == ["X", "Y,Z"]


def test_indexed_tags_are_ordered_numerically(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    names = [f"Actor {i}" for i in range(12)]
    item = connect(emu, session).fetchItem(int(rk))
    item.edit(**{f"actor[{i}].tag.tag": name for i, name in enumerate(names)})
    raw_query = emu.requests[-1].query
    assert raw_query.index("actor%5B10%5D") < raw_query.index("actor%5B2%5D")  # plexapi sends them string-sorted
    assert emu.item_state(rk)["tags"]["actor"] == names


def test_merge_mode_adds_to_the_list(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu, genres=["Old"])
    item = connect(emu, session).fetchItem(int(rk))
    emu.tag_edit_mode = "merge"
    item.edit(**{"genre[0].tag.tag": "New"})
    assert emu.item_state(rk)["tags"]["genre"] == ["Old", "New"]
    emu.tag_edit_mode = "replace"
    item.edit(**{"genre[0].tag.tag": "Only"})
    assert emu.item_state(rk)["tags"]["genre"] == ["Only"]


@pytest.mark.parametrize("mode", ["replace", "merge"])
def test_want_plus_removal_gives_exactly_want_in_both_modes(
    emu: PlexEmulator, session: requests.Session, mode: str
) -> None:
    _, rk = seed_movie(emu, collections=["Gone 1", "Stay", "Gone, 2"])
    emu.tag_edit_mode = mode
    item = connect(emu, session).fetchItem(int(rk))
    want = ["Stay", "Added"]
    params: dict[str, object] = {f"collection[{i}].tag.tag": n for i, n in enumerate(want)}
    params["collection[].tag.tag-"] = ",".join(quote(n) for n in ["Gone 1", "Gone, 2"])
    item.edit(**params)
    assert emu.item_state(rk)["tags"]["collection"] == want


def test_plexapi_removal_is_double_encoded_and_decoded(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu, genres=["Sci Fi", "A,B", "Keep"])
    item = connect(emu, session).fetchItem(int(rk))
    item.removeGenre(["Sci Fi", "A,B"])
    assert "Sci%2520Fi%2CA%252CB" in emu.requests[-1].query
    assert emu.item_state(rk)["tags"]["genre"] == ["Keep"]


def test_tag_lock_alone_keeps_the_list(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu, genres=["G1", "G2"])
    item = connect(emu, session).fetchItem(int(rk))
    item.edit(**{"genre.locked": 1})
    state = emu.item_state(rk)
    assert state["tags"]["genre"] == ["G1", "G2"] and "genre" in state["locks"]
    item.edit(**{"genre.locked": 0})
    assert "genre" not in emu.item_state(rk)["locks"]


def test_field_helpers_lock_and_empty_value_clears(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu, summary="old", studio="Studio")
    item = connect(emu, session).fetchItem(int(rk))
    item.editSummary("")
    item.editStudio("Other", locked=False)
    item.editOriginallyAvailable("2020-05-17")
    state = emu.item_state(rk)
    assert state["summary"] is None and "summary" in state["locks"]
    assert state["studio"] == "Other" and "studio" not in state["locks"]
    assert state["originallyAvailableAt"] == "2020-05-17"
    item.reload()
    assert item.summary is None
    assert item.originallyAvailableAt is not None and item.originallyAvailableAt.year == 2020


def test_edit_bumps_updated_at(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    before = emu.item_state(rk)["updatedAt"]
    connect(emu, session).fetchItem(int(rk)).editTitle("New")
    assert emu.item_state(rk)["updatedAt"] > before


def test_edit_of_a_vanished_item_is_400(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    item = connect(emu, session).fetchItem(int(rk))
    emu.delete_item(rk)
    with pytest.raises(BadRequest, match=r"^\(400\)"):
        item.editTitle("Too late")


def test_edit_with_an_id_from_another_section_is_400_and_changes_nothing(
    emu: PlexEmulator, session: requests.Session
) -> None:
    movies, rk = seed_movie(emu)
    other = emu.add_item(emu.add_section("Other"), "/other/x.mkv", "X")
    answer = raw(emu, session, "PUT", f"/library/sections/{movies}/all", id=f"{rk},{other}", type="1", **{
        "title.value": "Hijacked"
    })
    assert answer.status_code == 400
    assert (emu.item_state(rk)["title"], emu.item_state(other)["title"]) == ("Film", "X")


def test_edit_without_an_id_applies_to_the_whole_section_like_pms(emu: PlexEmulator, session: requests.Session) -> None:
    """What makes an id-less edit dangerous on a real server (PlexSync's client never sends one)."""
    movies, rk = seed_movie(emu)
    second = emu.add_item(movies, MOVIES + "Two/Two.mkv", "Two")
    elsewhere = emu.add_item(emu.add_section("Other"), "/other/x.mkv", "X")
    answer = raw(emu, session, "PUT", f"/library/sections/{movies}/all", id="", type="1", **{"studio.value": "All"})
    assert answer.status_code == 200
    assert [emu.item_state(key).get("studio") for key in (rk, second, elsewhere)] == ["All", "All", None]


def test_episodes_ignore_the_fields_they_do_not_have(emu: PlexEmulator, session: requests.Session) -> None:
    tv = emu.add_section("TV", "show", ["/data/tv/"])
    rk = emu.add_item(tv, "/data/tv/Show/Season 1/Show - s01e01.mkv")
    answer = raw(emu, session, "PUT", f"/library/sections/{tv}/all", id=rk, type="4", **{
        "title.value": "Pilot", "studio.value": "Harbour", "studio.locked": "1", "genre[0].tag.tag": "Outdoor",
        "actor[0].tag.tag": "Ada Lane", "collection[0].tag.tag": "Harbour",
    })
    assert answer.status_code == 200
    state = emu.item_state(rk)
    assert (state["title"], state.get("studio"), state["tags"]["genre"], state["tags"]["actor"]) == (
        "Pilot", None, [], [])
    assert state["tags"]["collection"] == ["Harbour"] and "studio" not in state["locks"]


def test_broken_item_edits_are_500_and_change_nothing(emu: PlexEmulator, session: requests.Session) -> None:
    movies, rk = seed_movie(emu)
    emu.broken_items.add(rk)
    path = f"/library/sections/{movies}/all"
    assert raw(emu, session, "PUT", path, id=rk, type="1", **{"title.value": "No"}).status_code == 500
    assert emu.item_state(rk)["title"] == "Film"
    assert raw(emu, session, "GET", "/identity", token=None).status_code == 200


def test_a_request_line_over_the_proxy_limit_is_414(emu: PlexEmulator, session: requests.Session) -> None:
    movies, rk = seed_movie(emu)
    emu.max_request_line = 8192
    path = f"/library/sections/{movies}/all"
    assert raw(emu, session, "PUT", path, id=rk, type="1", **{"summary.value": "s" * 8200}).status_code == 414
    assert raw(emu, session, "PUT", path, id=rk, type="1", **{"summary.value": "s" * 8000}).status_code == 200
    assert emu.item_state(rk)["summary"] == "s" * 8000


def test_full_item_without_its_section_id_names_it_on_the_container(emu: PlexEmulator,
                                                                   session: requests.Session) -> None:
    movies, rk = seed_movie(emu)
    emu.item_section_id = False
    root = ET.fromstring(raw(emu, session, "GET", f"/library/metadata/{rk}").content)
    assert (root.get("librarySectionID"), root[0].get("librarySectionID")) == (str(movies), None)


def test_bad_lock_or_number_is_400(emu: PlexEmulator, session: requests.Session) -> None:
    movies, rk = seed_movie(emu)
    path = f"/library/sections/{movies}/all"
    assert raw(emu, session, "PUT", path, id=rk, type="1", **{"title.locked": "yes"}).status_code == 400
    assert raw(emu, session, "PUT", path, id=rk, type="1", **{"year.value": "soon"}).status_code == 400
    assert raw(emu, session, "PUT", path, id=rk, type="1", **{"year.value": "2001"}).status_code == 200
    assert emu.item_state(rk)["year"] == 2001


def test_rate_sets_and_clears_user_rating(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    item = connect(emu, session).fetchItem(int(rk))
    item.rate(7.5)
    assert emu.item_state(rk)["userRating"] == 7.5
    item.reload()
    assert item.userRating == 7.5
    item.rate()
    assert emu.item_state(rk)["userRating"] is None


# --- images ---------------------------------------------------------------------------------------------------


def test_upload_poster_bytes(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    item = connect(emu, session).fetchItem(int(rk))
    item.uploadPoster(filepath=b"first")
    first_thumb = emu.item_state(rk)["thumb"]
    item.uploadPoster(filepath=b"second")
    upload = emu.requests[-1]
    assert (upload.method, upload.path, upload.body_len) == ("POST", f"/library/metadata/{rk}/posters", 6)
    state = emu.item_state(rk)
    sha_first, sha_second = (hashlib.sha1(b).hexdigest() for b in (b"first", b"second"))
    assert state["posters"] == [
        {"ratingKey": f"upload://posters/{sha_first}", "selected": False, "sha1": sha_first},
        {"ratingKey": f"upload://posters/{sha_second}", "selected": True, "sha1": sha_second},
    ]
    assert state["thumb"].startswith(f"/library/metadata/{rk}/thumb/") and state["thumb"] != first_thumb
    assert "thumb" in state["locks"]
    posters = item.posters()
    assert [(p.ratingKey, p.selected) for p in posters] == [
        (f"upload://posters/{sha_first}", False),
        (f"upload://posters/{sha_second}", True),
    ]
    assert raw(emu, session, "GET", state["thumb"]).content == b"second"
    item.unlockPoster()
    assert "thumb" not in emu.item_state(rk)["locks"]


def test_posters_of_10_mb_and_more_are_a_500_like_pms(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    path = f"/library/metadata/{rk}/posters"
    headers = {"X-Plex-Token": emu.token or ""}
    big = session.post(emu.url + path, data=b"x" * MAX_IMAGE_BYTES, headers=headers, timeout=10)
    assert big.status_code == 500 and emu.item_state(rk)["posters"] == []
    fits = session.post(emu.url + path, data=b"x" * (MAX_IMAGE_BYTES - 1), headers=headers, timeout=10)
    assert fits.status_code == 200 and len(emu.item_state(rk)["posters"]) == 1


def test_poster_by_url_is_recorded_and_can_be_reselected_or_deleted(
    emu: PlexEmulator, session: requests.Session
) -> None:
    _, rk = seed_movie(emu)
    item = connect(emu, session).fetchItem(int(rk))
    item.uploadPoster(filepath=b"bytes")
    item.uploadPoster(url="http://images.invalid/cover.jpg")
    assert [p["ratingKey"] for p in emu.item_state(rk)["posters"]][-1] == "http://images.invalid/cover.jpg"
    uploaded = next(p for p in item.posters() if p.ratingKey.startswith("upload://"))
    item.setPoster(uploaded)
    assert emu.requests[-1].path == f"/library/metadata/{rk}/poster"
    assert [p["selected"] for p in emu.item_state(rk)["posters"]] == [False, True]
    item.deletePoster()
    assert emu.item_state(rk)["thumb"] is None


def test_upload_art(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    item = connect(emu, session).fetchItem(int(rk))
    item.uploadArt(filepath=b"background")
    state = emu.item_state(rk)
    assert state["arts"][0]["sha1"] == hashlib.sha1(b"background").hexdigest()
    assert state["art"].startswith(f"/library/metadata/{rk}/art/") and "art" in state["locks"]
    assert [a.selected for a in item.arts()] == [True]


# --- faults ---------------------------------------------------------------------------------------------------


# Fault tests call fetchItem(): unlike plex.library, it is not cached and does not fall back on BadRequest.


@pytest.mark.parametrize("status", [500, 503, 429, 403, 400])
def test_error_statuses_become_bad_request(emu: PlexEmulator, session: requests.Session, status: int) -> None:
    _, rk = seed_movie(emu)
    plex = connect(emu, session)
    emu.fail_next(status)
    with pytest.raises(BadRequest, match=rf"^\({status}\)") as caught:
        plex.fetchItem(int(rk))
    assert not isinstance(caught.value, (Unauthorized, NotFound))
    assert emu.requests[-1].status == status
    assert plex.fetchItem(int(rk)).title == "Film"  # the fault was consumed


def test_fault_401_is_unauthorized_and_404_not_found(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    plex = connect(emu, session)
    emu.fail_next(401)
    with pytest.raises(Unauthorized):
        plex.fetchItem(int(rk))
    emu.fail_next(404)
    with pytest.raises(NotFound):
        plex.fetchItem(int(rk))
    assert plex.fetchItem(int(rk)).title == "Film"


def test_unnamed_status_520_is_a_type_error_in_plexapi(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    plex = connect(emu, session)
    emu.fail_next(520)
    with pytest.raises(TypeError):
        plex.fetchItem(int(rk))
    assert emu.requests[-1].status == 520


def test_html_answer_is_a_parse_error(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    plex = connect(emu, session)
    emu.html_next()
    with pytest.raises(ET.ParseError):
        plex.fetchItem(int(rk))
    assert emu.requests[-1].status == 200


def test_delay_is_a_read_timeout_but_the_request_took_effect(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    item = connect(emu, session, timeout=0.5).fetchItem(int(rk))
    emu.delay_next(5, route="/library/sections/1/all")
    with pytest.raises(requests.exceptions.ReadTimeout):
        item.editTitle("Slow")
    assert emu.item_state(rk)["title"] == "Slow"


def test_drop_is_a_connection_error_and_changes_nothing(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    item = connect(emu, session).fetchItem(int(rk))
    emu.drop_next()
    with pytest.raises(requests.exceptions.ConnectionError):
        item.editTitle("Lost")
    assert emu.item_state(rk)["title"] == "Film"
    assert emu.requests[-1].status == 0
    item.editTitle("Kept")
    assert emu.item_state(rk)["title"] == "Kept"


def test_refuse_then_resume_on_the_same_url(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    plex = connect(emu, session)
    url = emu.url
    emu.refuse()
    with pytest.raises(requests.exceptions.ConnectionError):
        plex.fetchItem(int(rk))  # the pooled keep-alive connection must not be served any more
    emu.resume()
    assert emu.url == url
    assert plex.fetchItem(int(rk)).title == "Film"


def test_faults_are_counted_routed_and_precede_auth(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    plex = connect(emu, session)
    emu.fail_next(503, count=2, route="/library/metadata")
    assert raw(emu, session, "GET", "/library/sections").status_code == 200  # other routes are untouched
    assert raw(emu, session, "GET", f"/library/metadata/{rk}", token=None).status_code == 503  # before auth
    with pytest.raises(BadRequest, match=r"^\(503\)"):
        plex.fetchItem(int(rk))
    assert plex.fetchItem(int(rk)).title == "Film"


def test_reset_is_a_connection_error_and_changes_nothing(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    item = connect(emu, session).fetchItem(int(rk))
    emu.reset_next()
    with pytest.raises(requests.exceptions.ConnectionError):
        item.editTitle("Lost")
    assert emu.item_state(rk)["title"] == "Film"
    assert emu.faults_injected == {"reset": 1}


def test_truncated_body_fails_the_read_but_the_request_took_effect(emu: PlexEmulator,
                                                                   session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    plex = connect(emu, session)
    emu.truncate_next(route="/library/metadata")
    with pytest.raises(requests.exceptions.RequestException):
        plex.fetchItem(int(rk))
    item = plex.fetchItem(int(rk))
    emu.truncate_next(route="/library/sections/1/all")
    with pytest.raises(requests.exceptions.RequestException):
        item.editTitle("Sent")
    assert emu.item_state(rk)["title"] == "Sent"


def test_chaos_is_seeded_routed_and_stops_on_clear(emu: PlexEmulator, session: requests.Session) -> None:
    def statuses(seed: int) -> list[int]:
        emu.chaos(seed, 0.5, [500, 503, 429, 520], route="/library")
        got = [raw(emu, session, "GET", "/library/sections").status_code for _ in range(40)]
        assert raw(emu, session, "GET", "/").status_code == 200  # outside the route
        emu.clear_faults()
        return got

    first = statuses(7)
    assert first == statuses(7)
    assert {500, 503, 429, 520} <= set(first) and 200 in first
    assert [raw(emu, session, "GET", "/library/sections").status_code for _ in range(5)] == [200] * 5
    assert sum(emu.faults_injected.values()) == 2 * sum(code != 200 for code in first)


def test_chaos_rejects_unknown_kinds(emu: PlexEmulator) -> None:
    with pytest.raises(ValueError):
        emu.chaos(1, 0.5, ["meltdown"])


def test_tls_listener_serves_https(tmp_path) -> None:
    cert = make_certificate(tmp_path)
    with PlexEmulator(token=None, ssl_context=cert.server_context()) as emu, requests.Session() as client:
        assert emu.url.startswith("https://")
        assert client.get(f"{emu.url}/identity", verify=str(cert.ca_file)).status_code == 200


def test_queued_faults_apply_in_order(emu: PlexEmulator, session: requests.Session) -> None:
    emu.fail_next(500)
    emu.fail_next(429)
    assert [raw(emu, session, "GET", "/").status_code for _ in range(3)] == [500, 429, 200]


# --- log and reset --------------------------------------------------------------------------------------------


def test_count_and_reset(emu: PlexEmulator, session: requests.Session) -> None:
    _, rk = seed_movie(emu)
    plex = connect(emu, session)
    plex.fetchItem(int(rk))
    assert emu.count("GET", "/library/metadata/") == 1
    assert emu.count(path_prefix="/") == len(emu.requests)
    emu.fail_next(500)
    emu.reset()
    assert emu.requests == [] and emu.count() == 0
    with pytest.raises(KeyError):
        emu.item_state(rk)
    assert raw(emu, session, "GET", "/").status_code == 200  # the fault went with the reset
