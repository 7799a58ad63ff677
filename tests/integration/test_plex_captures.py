"""Recorded answers of a real Plex Media Server 1.43.1 (../shared/captures, VCR cassettes) replayed over HTTP
through PlexSync's real client code, and the emulated Plex held to the same shape.

The replay server answers each recorded request with its recorded answer; a `file=` listing that was not recorded
gets the recorded miss (`size="0"`), which is what PMS answered for a file it does not have.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import yaml

from plexsync_gui.core.plex.client import PlexClient, SectionInfo, read_item
from plexsync_gui.emulators.plex import PlexEmulator

pytestmark = pytest.mark.integration

# CI clones the repository with ../shared beside it; a local checkout needs the same layout (or a symlink).
CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "captures" / "plex-1.43.1"
HIT = "TestResolveOnePathContract.test_known_path_resolves_to_rating_key.yaml"
MISS = "TestResolveOnePathContract.test_unknown_path_returns_none_via_file_filter.yaml"
HIT_FILE = "/media/Movies/Test Movie H264 (2024)/Test Movie H264 (2024).mkv"
MISS_FILE = "/media/Movies/MPG_Cassette_Sentinel_DoesNotExist_99999.mkv"
TOKEN = "FAKE_PLEX_TOKEN"  # the cassettes' own scrubbed token


Key = tuple[str, str, frozenset[tuple[str, str]]]


def _key(method: str, uri: str) -> Key:
    split = urlsplit(uri)
    return method, split.path.rstrip("/") or "/", frozenset(parse_qsl(split.query, keep_blank_values=True))


def _xml_interactions() -> dict[Key, tuple[int, bytes]]:
    """Every recorded XML answer (plexapi asks for XML; one cassette holds a JSON `/`), by request."""
    if not CAPTURES.is_dir():
        pytest.fail(f"the recorded PMS answers are missing: expected {CAPTURES} (../shared beside the repository)")
    recorded: dict[Key, tuple[int, bytes]] = {}
    for cassette in sorted(CAPTURES.glob("*.yaml")):
        for interaction in yaml.safe_load(cassette.read_text(encoding="utf-8"))["interactions"]:
            request, response = interaction["request"], interaction["response"]
            body = (response["body"]["string"] or "").encode("utf-8")
            if body.lstrip().startswith(b"<?xml"):
                recorded[_key(request["method"], request["uri"])] = (response["status"]["code"], body)
    return recorded


RECORDED = _xml_interactions() if CAPTURES.is_dir() else {}


def recorded_body(name: str, path: str) -> bytes:
    """The recorded answer of one cassette's request for `path`."""
    interactions = yaml.safe_load((CAPTURES / name).read_text(encoding="utf-8"))["interactions"]
    [match] = [i for i in interactions if urlsplit(i["request"]["uri"]).path == path]
    return match["response"]["body"]["string"].encode("utf-8")


class _Replay(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    asked: list[Key]

    def do_GET(self) -> None:
        key = _key("GET", self.path)
        self.server.asked.append(key)  # type: ignore[attr-defined]
        if key not in RECORDED and key[1].endswith("/all") and any(name == "file" for name, _ in key[2]):
            key = _key("GET", "/library/sections/1/all?file=MPG_Cassette_Sentinel_DoesNotExist_99999.mkv&type=1")
        status, body = RECORDED.get(key, (404, b"<html><body>404 Not Found</body></html>"))
        self.send_response(status)
        self.send_header("Content-Type", "text/xml;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def replay() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Replay)
    server.asked = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def real(replay) -> Iterator[PlexClient]:
    client = PlexClient(f"http://127.0.0.1:{replay.server_address[1]}", TOKEN, timeout=5)
    yield client
    client.close()


@pytest.fixture
def emulated() -> Iterator[tuple[PlexEmulator, PlexClient]]:
    """The emulated Plex seeded like the recorded server: one "Movies" section at /media/Movies with the same file."""
    with PlexEmulator(token=TOKEN) as emulator:
        section = emulator.add_section("Movies", "movie", ["/media/Movies"])
        emulator.add_item(section, HIT_FILE, "Test Movie: G-BOAF", year=2025, originallyAvailableAt="2025-01-01")
        client = PlexClient(emulator.url, TOKEN, timeout=5)
        yield emulator, client
        client.close()


# --- the real answers through the client --------------------------------------------------------------------------


def test_the_recorded_section_listing_reads_as_one_movie_section(real):
    assert real.sections() == [SectionInfo(1, "Movies", "movie", ("/media/Movies",))]


def test_a_recorded_file_hit_by_basename_finds_the_item(real, replay):
    [candidate] = real.find_candidates(HIT_FILE, real.target_sections(["Movies"]))
    assert (candidate.rating_key, candidate.title, candidate.file) == ("1", "Test Movie: G-BOAF", HIT_FILE)
    lookups = [dict(query) for _, path, query in replay.asked if path == "/library/sections/1/all"]
    assert lookups == [{"file": HIT_FILE, "type": "1"}, {"file": "Test Movie H264 (2024).mkv", "type": "1"}]


def test_a_recorded_file_miss_finds_nothing(real):
    assert real.find_candidates(MISS_FILE, real.target_sections(["Movies"])) == []


def test_the_recorded_item_reads_with_its_section_from_the_container():
    """PMS 1.43.1 puts `librarySectionID` on the container only (python-plexapi #550)."""
    container = ET.fromstring(recorded_body(HIT, "/library/sections/1/all"))
    [video] = container.findall("Video")
    assert video.get("librarySectionID") is None
    item = read_item(video, container.get("librarySectionID"))
    assert (item.rating_key, item.section_key, item.search_type, item.files) == ("1", "1", 1, (HIT_FILE,))
    assert item.snapshot.scalars == {"title": "Test Movie: G-BOAF", "studio": None, "summary": None,
                                     "originallyAvailableAt": "2025-01-01", "year": 2025, "userRating": None}


# --- the emulated Plex answers in the same shape ------------------------------------------------------------------

LISTING_CONTAINER = ("size", "totalSize", "offset", "identifier", "librarySectionID", "librarySectionTitle",
                     "librarySectionUUID", "title1")
LISTED_VIDEO = ("ratingKey", "key", "guid", "type", "title", "year", "originallyAvailableAt")


def _listing(base_url: str, file: str) -> ET.Element:
    answer = requests.get(f"{base_url}/library/sections/1/all", params={"type": 1, "file": file},
                          headers={"X-Plex-Token": TOKEN}, timeout=5)
    assert answer.status_code == 200
    return ET.fromstring(answer.content)


def test_the_emulated_section_listing_has_the_recorded_attributes(emulated):
    emulator, _ = emulated
    real = ET.fromstring(recorded_body(HIT, "/library/sections"))
    ours = ET.fromstring(requests.get(f"{emulator.url}/library/sections", headers={"X-Plex-Token": TOKEN},
                                      timeout=5).content)
    [real_section], [our_section] = real.findall("Directory"), ours.findall("Directory")
    assert set(real_section.attrib) <= set(our_section.attrib)
    assert [loc.get("path") for loc in our_section.findall("Location")] == ["/media/Movies"]


def test_the_emulated_file_hit_and_miss_have_the_recorded_shape(emulated):
    emulator, _ = emulated
    real_hit = ET.fromstring(recorded_body(HIT, "/library/sections/1/all"))
    real_miss = ET.fromstring(recorded_body(MISS, "/library/sections/1/all"))
    our_hit = _listing(emulator.url, "Test Movie H264 (2024).mkv")  # a basename: `file=` matches a substring
    our_miss = _listing(emulator.url, "MPG_Cassette_Sentinel_DoesNotExist_99999.mkv")
    for real, ours in ((real_hit, our_hit), (real_miss, our_miss)):
        assert (ours.get("size"), ours.get("totalSize")) == (real.get("size"), real.get("totalSize"))
    for container in (real_hit, our_hit):
        assert all(container.get(name) is not None for name in LISTING_CONTAINER)
        [video] = container.findall("Video")
        assert all(video.get(name) is not None for name in LISTED_VIDEO)
        assert video.get("librarySectionID") is None  # only the container names the section
        assert [part.get("file") for part in video.iterfind("Media/Part")] == [HIT_FILE]  # the FULL path


def test_the_client_reads_the_emulated_listing_as_it_reads_the_recorded_one(emulated):
    _, client = emulated
    [candidate] = client.find_candidates(HIT_FILE, client.target_sections(["Movies"]))
    assert (candidate.title, candidate.file) == ("Test Movie: G-BOAF", HIT_FILE)
    item = client.fetch_full(candidate.rating_key)
    assert item is not None and item.snapshot.scalars["originallyAvailableAt"] == "2025-01-01"


def test_the_emulated_identity_answers_without_a_token_and_file_without_type_is_500(emulated):
    emulator, _ = emulated
    identity = requests.get(f"{emulator.url}/identity", timeout=5)
    assert identity.status_code == 200 and ET.fromstring(identity.content).get("machineIdentifier")
    no_type = requests.get(f"{emulator.url}/library/sections/1/all", params={"file": "Test Movie H264 (2024).mkv"},
                           headers={"X-Plex-Token": TOKEN}, timeout=5)
    assert no_type.status_code == 500
