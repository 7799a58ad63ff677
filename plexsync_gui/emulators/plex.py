"""An emulated Plex Media Server (PMS) on 127.0.0.1, for tests and `--demo` mode.

It speaks the subset of the PMS HTTP protocol that plexapi 4.18 uses for PlexSync (docs/plex-protocol.md §12):
real sockets, HTTP/1.1 keep-alive, XML answers, the `PUT /library/sections/{S}/all` edit grammar, image uploads,
and fault injection (error statuses, slow answers, dropped connections, HTML pages, refused connections).

Reading order for a newcomer:
1. the data model (`Section`, `Item`, `Resource`) and the edit grammar (`EditPlan`, `parse_edit`);
2. `PlexEmulator`: lifecycle, seeding/inspection API, fault injection, then one method per HTTP route;
3. `_Server` / `_Handler`: the thin HTTP layer that reads a request, asks the emulator, writes the answer.
XML rendering lives in `plex_xml.py`.

All state sits under one lock; a request is answered entirely inside it except for injected delays and the
per-request `latency`, which is spent outside it so that concurrent requests overlap as they do on a network.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import random
import re
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

from plexsync_gui.emulators import plex_xml
from plexsync_gui.emulators.plex_collections import SORTS, Collection, Collections
from plexsync_gui.emulators.plex_history import VIEW_FIELDS, PlayHistory
from plexsync_gui.emulators.plex_notifications import NOTIFICATIONS_PATH, PlexNotifications
from plexsync_gui.emulators.plex_xml import TAG_ELEMENTS
from plexsync_gui.emulators.websocket_server import is_upgrade

PMS_VERSION = "1.41.3.9314-emulated"
FIRST_RATING_KEY = 1000

FieldValue = str | int | float | None

# Scalar fields the edit grammar may set (`title.value=…`), with the type they are stored as.
EDITABLE_FIELDS: dict[str, type] = {
    "title": str,
    "titleSort": str,
    "originalTitle": str,
    "summary": str,
    "studio": str,
    "tagline": str,
    "contentRating": str,
    "originallyAvailableAt": str,  # stored verbatim: plexapi parses anything but YYYY-MM-DD to None
    "year": int,
    "userRating": float,
}
# Edit fields an episode does not have (plexapi's Episode has no studio, genre or actor edit). What PMS does with
# them is assumed: accepted and ignored, so they never show up on the episode.
NOT_ON_EPISODES: frozenset[str] = frozenset({"studio", "genre", "actor"})
# PMS answers HTTP 500 to an uploaded image of about 10 MB and more (reported for real servers).
MAX_IMAGE_BYTES = 10_000_000
# Read-only scalars episodes carry so that plexapi's Episode helpers have something to show.
EPISODE_FIELDS: dict[str, type] = {"grandparentTitle": str, "parentTitle": str, "parentIndex": int, "index": int}
TAG_TYPES: tuple[str, ...] = tuple(TAG_ELEMENTS)
# add_item()/edit_item() keyword -> tag type of the edit grammar.
TAG_KWARGS: dict[str, str] = {
    "genres": "genre",
    "collections": "collection",
    "actors": "actor",
    "directors": "director",
    "writers": "writer",
    "producers": "producer",
    "countries": "country",
    "labels": "label",
}


@dataclass(frozen=True)
class SectionKind:
    """What a section type implies: the item type it holds, plexapi's search type number, agent and scanner."""

    item_type: str
    search_type: int
    agent: str
    scanner: str


SECTION_KINDS: dict[str, SectionKind] = {
    "movie": SectionKind("movie", 1, "tv.plex.agents.movie", "Plex Movie"),
    "show": SectionKind("episode", 4, "tv.plex.agents.series", "Plex TV Series"),
}


@dataclass(frozen=True)
class ImageKind:
    """Posters and backgrounds behave alike; only their URL segments, field name and upload prefix differ."""

    field: str  # item attribute, lock name and DELETE segment: "thumb" / "art"
    upload_prefix: str  # ratingKey prefix PMS gives an uploaded image


POSTER = ImageKind("thumb", "upload://posters/")
ART = ImageKind("art", "upload://art/")
# Every URL segment that names an image kind: list/upload (`posters`), select (`poster`), delete (`thumb`).
IMAGE_KINDS: dict[str, ImageKind] = {"posters": POSTER, "poster": POSTER, "thumb": POSTER, "arts": ART, "art": ART}


@dataclass
class Section:
    key: int
    title: str
    type: str
    locations: list[tuple[int, str]]  # (Location id, path)
    uuid: str
    created_at: int

    @property
    def kind(self) -> SectionKind:
        return SECTION_KINDS[self.type]


@dataclass
class Resource:
    """One entry of an item's poster or background list (what Plex offers under "Edit > Poster")."""

    rating_key: str  # "upload://posters/<sha1>" for uploaded bytes, the URL itself for `?url=` uploads
    sha1: str | None
    selected: bool = False
    data: bytes = b""
    provider: str | None = None


@dataclass
class Item:
    rating_key: str
    section_key: int
    type: str  # "movie" or "episode"
    file: str
    part_id: int
    added_at: int
    updated_at: int
    fields: dict[str, FieldValue]
    tags: dict[str, list[str]] = field(default_factory=lambda: {tag: [] for tag in TAG_TYPES})
    locks: set[str] = field(default_factory=set)
    images: dict[str, list[Resource]] = field(default_factory=lambda: {"thumb": [], "art": []})
    image_url: dict[str, str | None] = field(default_factory=lambda: {"thumb": None, "art": None})
    duration: int = 2_520_000  # milliseconds, on the Video and its Media as PMS writes it
    size: int = 1_503_238_554  # bytes of its one Part
    file_key: str = field(init=False, repr=False)  # lower-cased once, for `file=` lookups

    def __post_init__(self) -> None:
        self.file_key = self.file.lower()


class _FileIndex:
    """Every item's lower-cased file in one NUL-separated string, so a `file=` substring lookup is a few C-speed
    `str.find` calls instead of a Python loop over every item. With the loop, a lookup in a 100,000-item section
    cost the emulator milliseconds under its one lock, and the benchmarks measured the emulator, not PlexSync.
    Built on the first lookup after the set of items changed (an item's file never changes)."""

    def __init__(self, items: Iterable[Item]) -> None:
        self._items = list(items)
        self._starts: list[int] = []
        position = 0
        for item in self._items:
            self._starts.append(position)
            position += len(item.file_key) + 1
        self._text = "\0".join(item.file_key for item in self._items)

    def containing(self, wanted: str) -> list[Item]:
        """The items whose file_key contains `wanted`, in insertion order (a path never holds NUL)."""
        if "\0" in wanted or not self._items:
            return []
        found: list[Item] = []
        position = self._text.find(wanted)
        while position != -1:
            index = bisect.bisect_right(self._starts, position) - 1
            found.append(self._items[index])
            if index + 1 == len(self._items):
                break
            position = self._text.find(wanted, self._starts[index + 1])
        return found


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it. `status` is 0 when the connection was dropped without an answer."""

    method: str
    path: str  # raw path, without the query
    query: str  # raw query string
    params: dict[str, list[str]]  # query decoded once (keys and values)
    headers: dict[str, str]
    body_len: int
    status: int


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: str
    params: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def request_line(self) -> str:
        """The HTTP request line as the client sent it (what a proxy's length limit applies to)."""
        target = f"{self.path}?{self.query}" if self.query else self.path
        return f"{self.method} {target} HTTP/1.1"

    def param(self, name: str) -> str | None:
        """First value of a query parameter, or None."""
        values = self.params.get(name)
        return values[0] if values else None

    def int_param(self, name: str) -> int | None:
        """An integer query parameter; garbage is the client's fault (400)."""
        value = self.param(name)
        return None if value is None or value == "" else _to_int(value)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None

    @classmethod
    def xml(cls, root: ET.Element) -> Response:
        return cls(200, plex_xml.to_bytes(root), "text/xml;charset=utf-8")

    @classmethod
    def html(cls, status: int) -> Response:
        """PMS answers errors (401, 404…) with a small HTML page, not XML."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        text = f"<html><head><title>{phrase}</title></head><body><h1>{status} {phrase}</h1></body></html>"
        return cls(status, text.encode(), "text/html")


class HttpError(Exception):
    """Raised by a route to answer with an HTML error page."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class _Fault:
    kind: str  # "fail", "delay", "drop", "reset", "truncate" or "html"
    remaining: int
    route: str | None
    status: int = 0
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.route is None or path.startswith(self.route)


@dataclass(frozen=True)
class _Outcome:
    """What the HTTP layer must do: send `response` (after `delay` seconds), or drop the connection if None.

    `reset` drops with a TCP RST instead of a clean close; `truncate` sends the headers and only part of the body.
    """

    response: Response | None
    delay: float = 0.0
    reset: bool = False
    truncate: bool = False


# Names accepted by PlexEmulator.chaos(); an int stands for that HTTP status.
CHAOS_KINDS = ("drop", "reset", "truncate", "html", "slow", "timeout")


@dataclass
class _Chaos:
    """A seeded random fault schedule: each request independently draws whether, and which, fault it gets."""

    rng: random.Random
    probability: float
    kinds: tuple[str | int, ...]
    slow: float
    timeout: float
    route: str | None

    def draw(self, path: str) -> _Fault | None:
        if (self.route is not None and not path.startswith(self.route)) or self.rng.random() >= self.probability:
            return None
        kind = self.rng.choice(self.kinds)
        if isinstance(kind, int):
            return _Fault("fail", 1, None, status=kind)
        if kind in ("slow", "timeout"):
            return _Fault("delay", 1, None, seconds=self.slow if kind == "slow" else self.timeout)
        return _Fault(kind, 1, None)


# A proxy's sign-in page. Deliberately not well-formed XML (unclosed <meta>, <input>): a well-formed XHTML body would
# parse, and plexapi would quietly return empty results instead of raising ParseError.
_LOGIN_PAGE = (
    b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Sign in</title></head>'
    b'<body><form method="post"><input name="user"><input type="password" name="pass"></form></body></html>'
)

# ---------------------------------------------------------------------------------------------------------------
# The edit grammar of PUT /library/sections/{S}/all (docs/plex-protocol.md §7, §8)
# ---------------------------------------------------------------------------------------------------------------

_INDEXED_TAG = re.compile(r"(?P<tag>\w+)\[(?P<index>\d+)\]\.tag\.tag")
_REMOVED_TAG = re.compile(r"(?P<tag>\w+)\[\]\.tag\.tag-")
_TAG_THUMB = re.compile(r"(?P<tag>\w+)\[(?P<index>\d+)\]\.tag\.thumb")


@dataclass
class EditPlan:
    """One edit PUT, parsed and validated before anything is applied, so a bad request changes nothing."""

    values: dict[str, FieldValue] = field(default_factory=dict)  # None clears the field
    locks: dict[str, bool] = field(default_factory=dict)
    tag_lists: dict[str, list[str]] = field(default_factory=dict)  # indexed entries: the new list
    tag_removals: dict[str, list[str]] = field(default_factory=dict)
    tag_thumbs: dict[str, dict[str, str]] = field(default_factory=dict)  # a tag's photo address, by tag name


def parse_edit(params: dict[str, list[str]]) -> EditPlan:
    """Turn once-decoded query parameters into an EditPlan. Unknown keys (`id`, `type`, tokens…) are ignored."""
    plan = EditPlan()
    indexed: dict[str, list[tuple[int, str]]] = {}
    thumbs: dict[tuple[str, int], str] = {}
    for key, values in params.items():
        value = values[-1]
        if match := _TAG_THUMB.fullmatch(key):
            if match["tag"] in TAG_TYPES:
                thumbs[(match["tag"], int(match["index"]))] = value
        elif match := _INDEXED_TAG.fullmatch(key):
            if match["tag"] in TAG_TYPES and value:
                indexed.setdefault(match["tag"], []).append((int(match["index"]), value))
        elif match := _REMOVED_TAG.fullmatch(key):
            if match["tag"] in TAG_TYPES:
                # plexapi quotes each name, joins with ",", and the query encoding quotes the whole value again.
                plan.tag_removals[match["tag"]] = [unquote(name) for name in value.split(",") if name]
        elif key.endswith(".value") and key[: -len(".value")] in EDITABLE_FIELDS:
            name = key[: -len(".value")]
            plan.values[name] = _cast_field(name, EDITABLE_FIELDS[name], value)
        elif key.endswith(".locked"):
            plan.locks[key[: -len(".locked")]] = _parse_lock(value)
    # plexapi sorts keys as strings (actor[10] before actor[2]); the list order is the numeric index order.
    for tag, entries in indexed.items():
        plan.tag_lists[tag] = _dedupe(name for _, name in sorted(entries, key=lambda entry: entry[0]))
    # `actor[i].tag.thumb` names the photo of the tag `actor[i].tag.tag` of the same request (assumed from other
    # projects' edits; no recorded answer): a photo belongs to the tag, so every item with that actor shows it.
    for tag, entries in indexed.items():
        names = dict(entries)
        plan.tag_thumbs[tag] = {names[index]: url for (kind, index), url in thumbs.items()
                                if kind == tag and index in names}
    return plan


def _for_episode(plan: EditPlan) -> EditPlan:
    """The part of an edit an episode takes: what it does not have is ignored, not refused."""

    def kept(values: dict[str, Any]) -> dict[str, Any]:
        return {name: value for name, value in values.items() if name not in NOT_ON_EPISODES}

    return EditPlan(kept(plan.values), kept(plan.locks), kept(plan.tag_lists), kept(plan.tag_removals),
                    kept(plan.tag_thumbs))


def _cast_field(name: str, kind: type, value: str) -> FieldValue:
    """An empty value clears the field; a value that does not fit the field's type is a 400."""
    if value == "":
        return None
    try:
        return cast(str | int | float, kind(value))
    except ValueError:
        raise HttpError(400) from None


def _parse_lock(value: str) -> bool:
    if value not in ("0", "1"):
        raise HttpError(400)
    return value == "1"


def _dedupe(names: Iterable[str]) -> list[str]:
    """Tags are a set with an order: keep the first occurrence of each name."""
    return list(dict.fromkeys(names))


def _to_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise HttpError(400) from None


def _directory(path: str) -> str:
    """Directory part of a server path, for either separator, lower-cased (the `loose` file match)."""
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[: cut + 1].lower()


def _default_title(path: str) -> str:
    """The file's basename without its extension, as Plex shows an unmatched file."""
    name = re.split(r"[\\/]", path)[-1]
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


# ---------------------------------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------------------------------

Route = Callable[[_Request, dict[str, str]], Response]


class PlexEmulator:
    """A PMS on 127.0.0.1 with in-process seeding, inspection, a request log and fault injection.

    Fidelity switches are plain attributes tests may change at any time:
    `listing_tag_limit` (tags per type in listings), `tag_edit_mode` ("replace" | "merge"),
    `file_match` ("substring" | "loose": also return items in the same directory as a match), `latency`
    (seconds added to every request before it is handled, like a network round trip; benchmarks use 0.005),
    `item_section_id` (False: the full item's `<Video>` has no `librarySectionID`, only its container, as
    python-plexapi #550 saw; listings never have it on the `<Video>`, as PMS 1.43.1 answers) and `max_request_line`
    (bytes; a longer request line gets 414, like nginx's default 8 KB in front of Plex; None: no proxy).
    """

    def __init__(
        self,
        token: str | None = "test-token",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        listing_tag_limit: int | None = 3,
        tag_edit_mode: str = "replace",
        file_match: str = "substring",
        machine_identifier: str = "emulated-pms",
        friendly_name: str = "Emulated Plex",
        ssl_context: ssl.SSLContext | None = None,
        latency: float = 0.0,
    ) -> None:
        if tag_edit_mode not in ("replace", "merge"):
            raise ValueError(f"tag_edit_mode must be 'replace' or 'merge', not {tag_edit_mode!r}")
        if file_match not in ("substring", "loose"):
            raise ValueError(f"file_match must be 'substring' or 'loose', not {file_match!r}")
        if latency < 0:
            raise ValueError(f"latency must be zero or more seconds, not {latency!r}")
        self.token = token
        self.latency = latency
        self.item_section_id = True
        self.broken_items: set[str] = set()  # ratingKeys whose edits get HTTP 500, as PMS answers a damaged item
        self.max_request_line: int | None = None
        self.listing_tag_limit = listing_tag_limit
        self.tag_edit_mode = tag_edit_mode
        self.file_match = file_match
        self.machine_identifier = machine_identifier
        self.friendly_name = friendly_name
        self.requests: list[RequestRecord] = []
        self.errors: list[str] = []  # tracebacks of emulator bugs (answered as 500); tests should keep it empty
        self.faults_injected: dict[str, int] = {}  # per fault name ("503", "drop", "delay"…), for test reports
        self._ssl_context = ssl_context
        self._host = host
        self._port = port
        self._server: _Server | None = None
        self._lock = threading.RLock()
        self._started_at = int(time.time())
        self._routes = self._route_table()
        self.notifications = PlexNotifications()  # the notification websocket and unscanned files (scans)
        self._clear_state()

    def _clear_state(self) -> None:
        self.history = PlayHistory()  # plays for /status/sessions/history/all (add_play)
        self._sections: dict[int, Section] = {}
        self._items: dict[str, Item] = {}
        self._file_index: _FileIndex | None = None  # rebuilt on demand after items are added or removed
        self._tag_ids: dict[tuple[str, str], int] = {}
        self._tag_thumbs: dict[tuple[str, str], str] = {}  # a tag's photo (an actor's), shared by every item
        self._collections = Collections(self._take_rating_key)
        self._faults: list[_Fault] = []
        self._chaos: _Chaos | None = None
        self._next_section_key = 1
        self._next_rating_key = FIRST_RATING_KEY
        self._next_location_id = 1
        self.requests.clear()  # emulator bugs in `errors` survive a reset on purpose

    # --- lifecycle -------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321 (https with an ssl_context); the same across refuse()/resume()."""
        if self._server is None and self._port == 0:
            raise RuntimeError("PlexEmulator is not started")
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://{self._host}:{self._port}"

    def start(self) -> PlexEmulator:
        if self._server is not None:
            raise RuntimeError("PlexEmulator is already started")
        self._listen()
        return self

    def stop(self) -> None:
        """Stop listening and cut open connections; safe to call twice."""
        self._unlisten()

    def refuse(self) -> None:
        """Stop listening, so connections are refused, but keep every section, item, fault and log entry."""
        self._unlisten()

    def resume(self) -> None:
        """Listen again on the same port (SO_REUSEADDR), so `url` and clients built from it stay valid."""
        if self._server is None:
            self._listen()

    def __enter__(self) -> PlexEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _listen(self) -> None:
        server = _Server((self._host, self._port), self)
        if self._ssl_context is not None:
            server.socket = self._ssl_context.wrap_socket(server.socket, server_side=True)
        self._port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name=f"plex-emulator:{self._port}", daemon=True
        )
        thread.start()
        self._server = server

    def _unlisten(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.released.set()  # wake handlers sleeping in an injected delay
            server.shutdown()
            server.server_close()
            server.close_connections()  # keep-alive connections would otherwise keep being served

    # --- seeding and inspection ------------------------------------------------------------------------------

    def add_section(self, title: str, type: str = "movie", locations: Sequence[str] = ("/media/",)) -> int:
        """Add a library section ("movie" or "show") and return its key (1, 2, …)."""
        if type not in SECTION_KINDS:
            raise ValueError(f"section type must be one of {sorted(SECTION_KINDS)}, not {type!r}")
        with self._lock:
            key = self._next_section_key
            self._next_section_key += 1
            location_ids = range(self._next_location_id, self._next_location_id + len(locations))
            self._next_location_id += len(locations)
            uuid = hashlib.md5(f"{self.machine_identifier}/{key}".encode()).hexdigest()
            self._sections[key] = Section(
                key=key,
                title=title,
                type=type,
                locations=list(zip(location_ids, locations, strict=False)),
                uuid=f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:]}",
                created_at=self._started_at,
            )
            return key

    def remove_section(self, key: int) -> None:
        """Remove a section and its items (KeyError if unknown)."""
        with self._lock:
            del self._sections[key]
            for rating_key in [rk for rk, item in self._items.items() if item.section_key == key]:
                del self._items[rating_key]
            self._file_index = None

    def add_item(self, section_key: int, file: str, title: str | None = None, **attrs: Any) -> str:
        """Add a movie (movie section) or episode (show section) for `file`; returns its ratingKey ("1000", …).

        attrs: any of EDITABLE_FIELDS (summary, studio, originallyAvailableAt, year, userRating…), the tag lists
        genres/actors/collections/labels/directors/writers/producers/countries, `locks` (field names), and for
        episodes grandparentTitle/parentTitle/parentIndex/index; `duration` (ms) and `size` (bytes) of its file.
        """
        return self.add_items(section_key, [{"file": file, "title": title, **attrs}])[0]

    def add_items(self, section_key: int, items: Iterable[dict[str, Any]]) -> list[str]:
        """Add many items under one lock (100,000 in about a second, for benchmarks); each dict holds `file`,
        optionally `title`, and add_item's attrs. Returns the ratingKeys in order."""
        with self._lock:
            section = self._sections[section_key]
            episodes = sum(1 for item in self._items.values() if item.section_key == section_key)
            now = int(time.time())
            added = []
            for spec in items:
                attrs = dict(spec)
                file, title = attrs.pop("file"), attrs.pop("title", None)
                rating_key = self._take_rating_key()
                fields: dict[str, FieldValue] = dict.fromkeys(EDITABLE_FIELDS)
                fields["title"] = title if title is not None else _default_title(file)
                if section.kind.item_type == "episode":
                    episodes += 1
                    fields.update(grandparentTitle="Emulated Show", parentTitle="Season 1", parentIndex=1)
                    fields["index"] = episodes
                item = Item(rating_key, section_key, section.kind.item_type, file, int(rating_key), now, now, fields)
                self._apply_attrs(item, attrs)
                self._items[rating_key] = item
                added.append(rating_key)
            self._file_index = None
            self.notifications.items_added(section_key, [(key, self._items[key].type,
                                                          str(self._items[key].fields["title"])) for key in added])
            return added

    def add_unscanned_file(self, section_key: int, file: str, title: str | None = None, **attrs: Any) -> None:
        """A file on disk Plex has not scanned yet: it becomes an item (announced on the notification socket) only
        when a refresh of its section covers its folder. Same attrs as add_item."""
        with self._lock:
            self._section(str(section_key))
        self.notifications.add_unscanned(section_key, {"file": file, "title": title, **attrs})

    def drop_websockets(self) -> None:
        """Cut every notification socket, as a PMS restart does; clients must reconnect."""
        self.notifications.hub.drop_all()

    def refuse_websockets(self, refuse: bool = True) -> None:
        """Answer notification upgrades with HTTP 503 (a proxy that does not pass websockets), or stop doing so."""
        self.notifications.hub.refusing = refuse

    def edit_item(self, rating_key: str, **attrs: Any) -> None:
        """Simulate a user editing the item in Plex: same attrs as add_item; lists and `locks` replace."""
        with self._lock:
            item = self._items[str(rating_key)]
            self._apply_attrs(item, attrs)
            self._touch(item)

    def add_play(self, rating_key: str, viewed_at: int, account_id: int = 1) -> None:
        """A completed view of the item at `viewed_at` (unix seconds), as PMS records a scrobble: a history row,
        viewCount up, lastViewedAt set, the resume point cleared."""
        with self._lock:
            item = self._items[str(rating_key)]
            self.history.add(item.rating_key, item.section_key, str(item.fields["title"] or ""), item.type,
                             int(viewed_at), account_id)
            count = item.fields.get("viewCount") or 0
            item.fields.update(viewCount=int(count) + 1, viewOffset=None,
                               lastViewedAt=max(int(viewed_at), int(item.fields.get("lastViewedAt") or 0)))

    def delete_item(self, rating_key: str) -> None:
        with self._lock:
            del self._items[str(rating_key)]
            self._file_index = None

    def item_state(self, rating_key: str) -> dict[str, Any]:
        """A snapshot (copies) of one item: fields, tags per type, locks, posters/arts, thumb/art URLs."""
        with self._lock:
            item = self._items[str(rating_key)]
            return {
                "ratingKey": item.rating_key,
                "type": item.type,
                **item.fields,
                "file": item.file,
                "section_key": item.section_key,
                "addedAt": item.added_at,
                "updatedAt": item.updated_at,
                "tags": {tag: list(names) for tag, names in item.tags.items()},
                "locks": set(item.locks),
                "posters": [self._resource_state(r) for r in item.images["thumb"]],
                "arts": [self._resource_state(r) for r in item.images["art"]],
                "thumb": item.image_url["thumb"],
                "art": item.image_url["art"],
            }

    @staticmethod
    def _resource_state(resource: Resource) -> dict[str, Any]:
        return {"ratingKey": resource.rating_key, "selected": resource.selected, "sha1": resource.sha1}

    def _apply_attrs(self, item: Item, attrs: dict[str, Any]) -> None:
        """Seed or overwrite attributes; unknown names raise TypeError so typos in tests fail loudly."""
        scalar_types = EDITABLE_FIELDS | VIEW_FIELDS | (EPISODE_FIELDS if item.type == "episode" else {})
        for name, value in attrs.items():
            if name in scalar_types:
                item.fields[name] = None if value is None else scalar_types[name](value)
            elif name in TAG_KWARGS:
                item.tags[TAG_KWARGS[name]] = _dedupe(str(v) for v in value)
            elif name == "locks":
                item.locks = set(value)
            elif name in ("duration", "size"):
                setattr(item, name, int(value))
            else:
                raise TypeError(f"unknown item attribute {name!r}")
        self._register_tags(item)

    def _register_tags(self, item: Item) -> None:
        """Give every tag name a stable id per tag type, as PMS does (the XML needs `id` on each tag)."""
        for tag_type, names in item.tags.items():
            for name in names:
                self._tag_ids.setdefault((tag_type, name), len(self._tag_ids) + 1)

    def _take_rating_key(self) -> str:
        """The next ratingKey: items and collections share one sequence, as in PMS."""
        rating_key = str(self._next_rating_key)
        self._next_rating_key += 1
        return rating_key

    @staticmethod
    def _touch(item: Item) -> int:
        """Move updatedAt to now, and always forward, so every change shows (also in the thumb/art URLs)."""
        item.updated_at = max(int(time.time()), item.updated_at + 1)
        return item.updated_at

    # --- request log -----------------------------------------------------------------------------------------

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Number of logged requests with this method and/or raw path prefix."""
        with self._lock:
            return sum(
                1
                for record in self.requests
                if (method is None or record.method == method.upper())
                and (path_prefix is None or record.path.startswith(path_prefix))
            )

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def reset(self) -> None:
        """Forget all sections, items, faults and the log (fidelity switches and the listener stay)."""
        with self._lock:
            self._clear_state()

    # --- fault injection -------------------------------------------------------------------------------------
    # Each matching request consumes one fault (the oldest queued that matches its path); faults apply before
    # authentication. `route` is a raw path prefix, e.g. "/library/sections"; None matches every request.

    def fail_next(self, status: int, count: int = 1, route: str | None = None) -> None:
        """Answer with `status` and a small HTML page, without touching state."""
        self._queue(_Fault("fail", count, route, status=status))

    def delay_next(self, seconds: float, count: int = 1, route: str | None = None) -> None:
        """Process the request normally, but hold the answer for `seconds` (client ReadTimeout).

        The request takes effect before the wait: a client that timed out cannot assume its edit was lost.
        """
        self._queue(_Fault("delay", count, route, seconds=seconds))

    def drop_next(self, count: int = 1, route: str | None = None) -> None:
        """Close the connection without any answer; the request does not take effect."""
        self._queue(_Fault("drop", count, route))

    def html_next(self, count: int = 1, route: str | None = None) -> None:
        """Answer 200 with an HTML page (a proxy login page, say): plexapi raises ParseError."""
        self._queue(_Fault("html", count, route))

    def reset_next(self, count: int = 1, route: str | None = None) -> None:
        """Abort the connection with a TCP RST before answering (client: "connection reset by peer")."""
        self._queue(_Fault("reset", count, route))

    def truncate_next(self, count: int = 1, route: str | None = None) -> None:
        """Process the request, then send the headers and only part of the promised body before closing.

        The request takes effect (the answer was lost in transit), as with `delay_next`.
        """
        self._queue(_Fault("truncate", count, route))

    def chaos(self, seed: int, probability: float, kinds: Iterable[str | int], *, slow: float = 0.2,
              timeout: float = 2.0, route: str | None = None) -> None:
        """From now on, each request (matching `route`) without a queued fault gets a random one with `probability`.

        `kinds` mixes HTTP statuses (500, 503, 429, 520…) and names from CHAOS_KINDS: "slow" and "timeout" hold the
        answer `slow` / `timeout` seconds. The schedule is seeded, so a test replays the same sequence of draws.
        """
        kinds = tuple(kinds)
        unknown = [k for k in kinds if not isinstance(k, int) and k not in CHAOS_KINDS]
        if unknown or not kinds or not 0 <= probability <= 1:
            raise ValueError(f"chaos needs kinds from {CHAOS_KINDS} or HTTP statuses and 0 <= probability <= 1")
        with self._lock:
            self._chaos = _Chaos(random.Random(seed), probability, kinds, slow, timeout, route)

    def clear_faults(self) -> None:
        """Forget queued faults and stop any chaos schedule (state, log and counters stay)."""
        with self._lock:
            self._faults.clear()
            self._chaos = None

    def _queue(self, fault: _Fault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, path: str) -> _Fault | None:
        fault = next((f for f in self._faults if f.matches(path)), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.remove(fault)
        elif self._chaos is not None:
            fault = self._chaos.draw(path)
        if fault is not None:
            name = str(fault.status) if fault.kind == "fail" else fault.kind
            self.faults_injected[name] = self.faults_injected.get(name, 0) + 1
        return fault

    # --- request handling ------------------------------------------------------------------------------------

    def _handle(self, request: _Request) -> _Outcome:
        """Decide the answer to one request (called by the HTTP layer) and log it before it is sent."""
        with self._lock:
            fault = self._take_fault(request.path)
            if fault is not None and fault.kind in ("drop", "reset"):
                self._log(request, 0)
                return _Outcome(None, reset=fault.kind == "reset")
            if fault is not None and fault.kind == "fail":
                response = Response.html(fault.status)
            elif self.max_request_line and len(request.request_line) > self.max_request_line:
                response = Response.html(414)
            elif fault is not None and fault.kind == "html":
                response = Response(200, _LOGIN_PAGE, "text/html")
            else:
                response = self._route(request)
            self._log(request, response.status)
            delay = fault.seconds if fault is not None and fault.kind == "delay" else 0.0
            return _Outcome(response, delay, truncate=fault is not None and fault.kind == "truncate")

    def _log(self, request: _Request, status: int) -> None:
        self.requests.append(
            RequestRecord(
                request.method, request.path, request.query, request.params, request.headers, len(request.body), status
            )
        )

    def _route(self, request: _Request) -> Response:
        """Authenticate, find the route, run it; HttpError becomes an HTML page, a bug becomes a logged 500."""
        try:
            path = request.path.rstrip("/") or "/"
            if path != "/identity" and not self._authorized(request):
                raise HttpError(401)
            for method, pattern, handler in self._routes:
                match = pattern.fullmatch(path)
                if match and request.method in method.split("|"):
                    return handler(request, match.groupdict())
            raise HttpError(404)
        except HttpError as error:
            return Response.html(error.status)
        except Exception:
            self.errors.append(traceback.format_exc())
            return Response.html(500)

    def _authorized(self, request: _Request) -> bool:
        """The token may come as the X-Plex-Token header or query parameter (plexapi uses the header)."""
        if self.token is None:
            return True
        supplied = {value for name, value in request.headers.items() if name.lower() == "x-plex-token"}
        supplied.update(request.params.get("X-Plex-Token", []))
        return self.token in supplied

    def _route_table(self) -> list[tuple[str, re.Pattern[str], Route]]:
        rk = r"/library/metadata/(?P<rk>\d+)"
        table: list[tuple[str, str, Route]] = [
            ("GET", r"/", self._get_root),
            ("GET", r"/identity", self._get_identity),
            ("GET", r"/library", self._get_library),
            ("GET", r"/library/sections", self._get_sections),
            ("GET", r"/library/sections/(?P<section>\d+)/all", self._get_listing),
            ("PUT", r"/library/sections/(?P<section>\d+)/all", self._put_edit),
            ("GET|DELETE", r"/library/sections/(?P<section>\d+|all)/refresh", self._refresh),
            ("GET", r"/library/metadata/(?P<keys>\d+(?:,\d+)*)", self._get_metadata),
            ("GET", rk + r"/(?P<kind>posters|arts)", self._get_images),
            ("POST", rk + r"/(?P<kind>posters|arts)", self._upload_image),
            ("PUT", rk + r"/(?P<kind>poster|art)", self._select_image),
            ("DELETE", rk + r"/(?P<kind>thumb|art)", self._delete_image),
            ("GET", rk + r"/(?P<kind>thumb|art)/\d+", self._get_image_bytes),
            ("PUT", r"/:/rate", self._rate),
            ("GET", r"/status/sessions/history/all", self._get_history),
            ("GET", r"/library/sections/(?P<section>\d+)/collections", self._get_collections),
            ("GET", r"/library/collections/(?P<rk>\d+)/children", self._get_collection_items),
            ("PUT", r"/library/collections/(?P<rk>\d+)/prefs", self._put_collection_prefs),
            ("PUT", r"/library/collections/(?P<rk>\d+)/items/(?P<item>\d+)/move", self._move_collection_item),
        ]
        return [(method, re.compile(pattern), handler) for method, pattern, handler in table]

    def _section(self, key: str) -> Section:
        section = self._sections.get(int(key))
        if section is None:
            raise HttpError(404)
        return section

    def _item(self, rating_key: str | None) -> Item:
        item = self._items.get(rating_key or "")
        if item is None:
            raise HttpError(404)
        return item

    def _video(self, item: Item, *, full: bool) -> ET.Element:
        return plex_xml.video_elem(
            item, self._sections[item.section_key], full=full, tag_limit=self.listing_tag_limit, tag_ids=self._tag_ids,
            section_on_item=full and self.item_section_id, tag_thumbs=self._tag_thumbs,
        )

    # --- routes: server and sections -------------------------------------------------------------------------

    def _get_root(self, request: _Request, groups: dict[str, str]) -> Response:
        return Response.xml(
            plex_xml.container(
                size=0,
                friendlyName=self.friendly_name,
                machineIdentifier=self.machine_identifier,
                version=PMS_VERSION,
                platform="Linux",
                platformVersion="emulated",
                myPlex=False,
                multiuser=False,
                allowSync=False,
                transcoderActiveVideoSessions=0,
                updatedAt=self._started_at,
            )
        )

    def _get_identity(self, request: _Request, groups: dict[str, str]) -> Response:
        return Response.xml(
            plex_xml.container(size=0, claimed=False, machineIdentifier=self.machine_identifier, version=PMS_VERSION)
        )

    def _get_library(self, request: _Request, groups: dict[str, str]) -> Response:
        root = plex_xml.container(size=1, identifier=plex_xml.LIBRARY_IDENTIFIER, title1="Plex Library")
        plex_xml.element("Directory", root, key="sections", title="Library Sections")
        return Response.xml(root)

    def _get_sections(self, request: _Request, groups: dict[str, str]) -> Response:
        root = plex_xml.container(size=len(self._sections), allowSync=False, title1="Plex Library")
        for section in self._sections.values():
            root.append(plex_xml.section_elem(section))
        return Response.xml(root)

    def _refresh(self, request: _Request, groups: dict[str, str]) -> Response:
        """A scan of the section (of its folder `path=` only, when given): the unscanned files it covers become
        items (see plex_notifications). Answered at once with an empty 200, as PMS 1.43.1 does (captured)."""
        sections = list(self._sections.values()) if groups["section"] == "all" else [self._section(groups["section"])]
        if request.method == "GET":
            for section in sections:
                self.notifications.scan(section.key, request.param("path"), self.add_items)
        return Response(200)

    def _websocket(self, handler: _Handler, request: _Request) -> None:
        """The notification socket: authenticated like every route, then held open by the handler's thread."""
        with self._lock:
            status = 101 if self._authorized(request) else 401
            if status == 101 and self.notifications.hub.refusing:
                status = 503
            self._log(request, status)
        handler.close_connection = True
        if status != 101:
            handler._write(Response.html(status))
            return
        self.notifications.serve(handler.connection, request.headers, request.path, handler.server.released)

    # --- routes: listing and the full item -------------------------------------------------------------------

    def _get_listing(self, request: _Request, groups: dict[str, str]) -> Response:
        """`…/all` with type/title/file/limit filters and paging from headers or query (query wins)."""
        section = self._section(groups["section"])
        items = self._filter_items(section, request)
        start = self._paging_value(request, "X-Plex-Container-Start") or 0
        size = self._paging_value(request, "X-Plex-Container-Size")
        page = items[start:] if size is None else items[start : start + size]
        root = plex_xml.container(
            size=len(page),
            totalSize=len(items),
            offset=start,
            allowSync=True,
            identifier=plex_xml.LIBRARY_IDENTIFIER,
            librarySectionUUID=section.uuid,
            title1=section.title,
            **plex_xml.section_attrs(section),
        )
        for item in page:
            root.append(self._video(item, full=False))
        return Response.xml(root)

    @staticmethod
    def _paging_value(request: _Request, name: str) -> int | None:
        value = request.int_param(name)
        if value is None:
            header = next((v for k, v in request.headers.items() if k.lower() == name.lower()), None)
            value = None if header is None else _to_int(header)
        return None if value is None else max(value, 0)

    def _filter_items(self, section: Section, request: _Request) -> list[Item]:
        search_type, file_value = request.int_param("type"), request.param("file")
        if file_value is not None and search_type is None:
            raise HttpError(500)  # what real PMS answers to `file=` without `type=`
        items: Iterable[Item] = self._items.values()
        if file_value is not None and self.file_match == "substring":  # the most selective test first
            items = self._files().containing(file_value.lower())
        key = section.key
        items = [item for item in items if item.section_key == key]
        if search_type is not None and search_type != section.kind.search_type:
            items = []  # movie sections hold only movies (type 1), show sections only episodes (type 4)
        title = (request.param("title") or "").lower()
        if title:
            items = [item for item in items if title in str(item.fields["title"] or "").lower()]
        if file_value is not None and self.file_match == "loose":
            items = self._match_file(items, file_value)
        limit = request.int_param("limit")
        return items if limit is None else items[: max(limit, 0)]

    def _files(self) -> _FileIndex:
        if self._file_index is None:
            self._file_index = _FileIndex(self._items.values())
        return self._file_index

    def _match_file(self, items: list[Item], value: str) -> list[Item]:
        """`loose` matching: the items whose file contains `value` (case-insensitive), plus every item in a
        matched item's folder."""
        listed = {id(item) for item in items}
        matched = [item for item in self._files().containing(value.lower()) if id(item) in listed]
        chosen = {id(item) for item in matched}
        folders = {_directory(item.file) for item in matched}
        return [item for item in items if id(item) in chosen or _directory(item.file) in folders]

    def _get_metadata(self, request: _Request, groups: dict[str, str]) -> Response:
        """The full item(s); `include*` parameters are accepted and ignored."""
        items = [self._items[key] for key in groups["keys"].split(",") if key in self._items]
        if not items:
            raise HttpError(404)
        section = self._sections[items[0].section_key]
        root = plex_xml.container(
            size=len(items),
            allowSync=True,
            identifier=plex_xml.LIBRARY_IDENTIFIER,
            librarySectionUUID=section.uuid,
            **plex_xml.section_attrs(section),
        )
        for item in items:
            root.append(self._video(item, full=True))
        return Response.xml(root)

    # --- routes: edits ---------------------------------------------------------------------------------------

    def _put_edit(self, request: _Request, groups: dict[str, str]) -> Response:
        """Apply the §7 grammar to every id; validate everything first, so a 400 changes nothing. Like PMS, an
        edit without an `id` applies to every item of the section (why PlexSync never sends one)."""
        section = self._section(groups["section"])
        rating_keys = [key for key in (request.param("id") or "").split(",") if key]
        if not rating_keys:
            rating_keys = [item.rating_key for item in self._items.values() if item.section_key == section.key]
        if any(self._items.get(key) is None for key in rating_keys):
            raise HttpError(400)
        items = [self._items[key] for key in rating_keys]
        if any(item.section_key != section.key for item in items):
            raise HttpError(400)
        if self.broken_items.intersection(rating_keys):
            raise HttpError(500)
        plan = parse_edit(request.params)
        for item in items:
            self._apply_edit(item, plan)
        return Response(200)

    def _apply_edit(self, item: Item, plan: EditPlan) -> None:
        if item.type == "episode":
            plan = _for_episode(plan)
        item.fields.update(plan.values)
        for name, locked in plan.locks.items():
            if locked:
                item.locks.add(name)
            else:
                item.locks.discard(name)
        for tag, names in plan.tag_lists.items():
            merged = [*item.tags[tag], *names] if self.tag_edit_mode == "merge" else names
            item.tags[tag] = _dedupe(merged)
        for tag, names in plan.tag_removals.items():
            item.tags[tag] = [name for name in item.tags[tag] if name not in names]
        for tag, photos in plan.tag_thumbs.items():
            self._tag_thumbs.update(((tag, name), url) for name, url in photos.items())
        self._register_tags(item)
        self._touch(item)

    def _rate(self, request: _Request, groups: dict[str, str]) -> Response:
        """`PUT /:/rate?key=R&rating=X`: X in 0..10 sets userRating, -1 clears it."""
        item = self._item(request.param("key"))
        try:
            rating = float(request.param("rating") or "")
        except ValueError:
            raise HttpError(400) from None
        if rating != -1 and not 0 <= rating <= 10:
            raise HttpError(400)
        item.fields["userRating"] = None if rating == -1 else rating
        self._touch(item)
        return Response(200)

    def _get_history(self, request: _Request, groups: dict[str, str]) -> Response:
        return Response.xml(self.history.answer(request.param, lambda name: self._paging_value(request, name)))
    # --- routes: collections (plexapi's Collection: items(), sortUpdate(), moveItem()) --------------------------

    def _get_collections(self, request: _Request, groups: dict[str, str]) -> Response:
        section = self._section(groups["section"])
        listed = self._collections.listed(section.key, self._items.values(), int(time.time()))
        root = plex_xml.container(size=len(listed), identifier=plex_xml.LIBRARY_IDENTIFIER, title1=section.title,
                                  librarySectionUUID=section.uuid, **plex_xml.section_attrs(section))
        for collection, members in listed:
            root.append(plex_xml.collection_elem(collection, section, len(members)))
        return Response.xml(root)

    def _get_collection_items(self, request: _Request, groups: dict[str, str]) -> Response:
        collection = self._collection(groups["rk"])
        members = self._collections.items(collection, self._items.values())
        root = plex_xml.container(size=len(members), identifier=plex_xml.LIBRARY_IDENTIFIER, title1=collection.title)
        for item in members:
            root.append(self._video(item, full=False))
        return Response.xml(root)

    def _put_collection_prefs(self, request: _Request, groups: dict[str, str]) -> Response:
        collection = self._collection(groups["rk"])
        sort = request.int_param("collectionSort")
        if sort is not None:
            if sort not in SORTS:
                raise HttpError(400)
            collection.sort = sort
        return Response(200)

    def _move_collection_item(self, request: _Request, groups: dict[str, str]) -> Response:
        collection = self._collection(groups["rk"])
        members = self._collections.items(collection, self._items.values())
        if not self._collections.move(collection, members, groups["item"], request.param("after")):
            raise HttpError(400)
        return Response(200)

    def _collection(self, rating_key: str) -> Collection:
        collection = self._collections.get(rating_key)
        if collection is None:
            raise HttpError(404)
        return collection

    def collection_state(self, section_key: int, title: str) -> dict[str, Any] | None:
        """A collection as Plex would show it: ratingKey, collectionSort and its items' ratingKeys in order (None
        when no item of the section carries the name)."""
        with self._lock:
            listed = self._collections.listed(section_key, self._items.values(), int(time.time()))
            for collection, members in listed:
                if collection.title == title:
                    return {"ratingKey": collection.rating_key, "collectionSort": collection.sort,
                            "items": [item.rating_key for item in members]}
            return None

    def tag_thumb(self, tag: str, name: str) -> str | None:
        """The photo address a tag (an actor) carries, as its `thumb`."""
        with self._lock:
            return self._tag_thumbs.get((tag, name))

    # --- routes: images --------------------------------------------------------------------------------------

    def _get_images(self, request: _Request, groups: dict[str, str]) -> Response:
        item = self._item(groups["rk"])
        resources = item.images[IMAGE_KINDS[groups["kind"]].field]
        root = plex_xml.container(size=len(resources), identifier=plex_xml.LIBRARY_IDENTIFIER)
        for resource in resources:
            root.append(plex_xml.photo_elem(item.rating_key, resource))
        return Response.xml(root)

    def _upload_image(self, request: _Request, groups: dict[str, str]) -> Response:
        """Raw body bytes (no multipart) or `?url=`, which is recorded and never fetched."""
        item = self._item(groups["rk"])
        kind = IMAGE_KINDS[groups["kind"]]
        url = request.param("url")
        if url:
            resource = Resource(url, None)
        elif len(request.body) >= MAX_IMAGE_BYTES:
            raise HttpError(500)
        elif request.body:
            sha1 = hashlib.sha1(request.body).hexdigest()
            resource = Resource(kind.upload_prefix + sha1, sha1, data=request.body)
        else:
            raise HttpError(400)
        self._select(item, kind, resource)
        return Response(200)

    def _select_image(self, request: _Request, groups: dict[str, str]) -> Response:
        """`PUT …/poster?url=<ratingKey>` selects a listed image; an unlisted URL is added first, as by upload."""
        item = self._item(groups["rk"])
        kind = IMAGE_KINDS[groups["kind"]]
        rating_key = request.param("url")
        if not rating_key:
            raise HttpError(400)
        existing = next((r for r in item.images[kind.field] if r.rating_key == rating_key), None)
        self._select(item, kind, existing or Resource(rating_key, None))
        return Response(200)

    def _select(self, item: Item, kind: ImageKind, resource: Resource) -> None:
        """Make `resource` the only selected image of its kind, point thumb/art at it, and lock the field."""
        others = [r for r in item.images[kind.field] if r.rating_key != resource.rating_key]
        for other in others:
            other.selected = False
        resource.selected = True
        item.images[kind.field] = [*others, resource]
        item.image_url[kind.field] = f"/library/metadata/{item.rating_key}/{kind.field}/{self._touch(item)}"
        item.locks.add(kind.field)

    def _delete_image(self, request: _Request, groups: dict[str, str]) -> Response:
        item = self._item(groups["rk"])
        field_name = IMAGE_KINDS[groups["kind"]].field
        for resource in item.images[field_name]:
            resource.selected = False
        item.image_url[field_name] = None
        self._touch(item)
        return Response(200)

    def _get_image_bytes(self, request: _Request, groups: dict[str, str]) -> Response:
        """Serve the selected uploaded bytes at the item's thumb/art URL (404 for URL-only or no image)."""
        item = self._item(groups["rk"])
        selected = next((r for r in item.images[IMAGE_KINDS[groups["kind"]].field] if r.selected and r.data), None)
        if selected is None:
            raise HttpError(404)
        return Response(200, selected.data, "image/jpeg")


# ---------------------------------------------------------------------------------------------------------------
# The HTTP layer
# ---------------------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    """One listening socket's lifetime; refuse()/resume() replace it, the emulator's state outlives it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: PlexEmulator) -> None:
        self.emulator = emulator
        self.released = threading.Event()  # set on shutdown: injected delays end at once
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Skip HTTPServer's getfqdn() reverse lookup, which can stall for seconds on some hosts."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self._connections.add if open_ else self._connections.discard)(connection)

    def close_connections(self) -> None:
        """Shut down keep-alive connections, so pooled client connections fail instead of being served."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up are normal here (timeouts, drops); anything else is an emulator bug to record."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            self.emulator.errors.append(traceback.format_exc())


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as two writes; without NODELAY, Nagle plus the client's delayed ACK adds ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator's request log replaces stderr lines."""

    def do_GET(self) -> None:
        self._serve()

    do_PUT = do_POST = do_DELETE = do_GET

    def _serve(self) -> None:
        request = self._read_request()
        if request.path == NOTIFICATIONS_PATH and is_upgrade(request.headers):
            self.server.emulator._websocket(self, request)
            return
        latency = self.server.emulator.latency
        if latency and self.server.released.wait(latency):
            self._drop()
            return
        outcome = self.server.emulator._handle(request)
        if outcome.response is None:
            self._drop(reset=outcome.reset)
            return
        if outcome.delay and self.server.released.wait(outcome.delay):
            self._drop()  # the server is stopping: nobody is waiting for this answer any more
            return
        self._write(outcome.response, outcome.truncate)

    def _read_request(self) -> _Request:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        return _Request(
            method=self.command,
            path=split.path,
            query=split.query,
            params=parse_qs(split.query, keep_blank_values=True),
            headers=dict(self.headers.items()),
            body=self.rfile.read(length) if length > 0 else b"",
        )

    def _write(self, response: Response, truncate: bool = False) -> None:
        """Send the answer; with `truncate`, promise more body than is sent, then hang up."""
        body = response.body[: len(response.body) // 2] if truncate else response.body
        try:
            self.send_response(response.status)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body) + (64 if truncate else 0)))
            self.end_headers()
            self.wfile.write(body)
            if truncate:
                self.wfile.flush()
                self._drop()
        except OSError:
            self.close_connection = True  # the client gave up (e.g. its read timeout fired)

    def _drop(self, reset: bool = False) -> None:
        self.close_connection = True
        try:
            if reset:  # linger 0: closing sends RST instead of FIN
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
