"""A thin layer over plexapi: connect, find an item by file path, read it in full, write one PUT, upload a poster.

plexapi connects, authenticates, sends and parses; the per-scene answers (lookups and full items) are read here as
plain XML, because building plexapi objects for them cost as much CPU as the requests themselves (profiled; see the
README's Performance section). Its main job is translating failures. plexapi raises BadRequest for 5xx and 429,
TypeError for statuses `requests` cannot name, ParseError for non-XML bodies, and leaves transport errors unwrapped
(docs/plex-protocol.md §11).
Every call here runs inside `_translated`, which turns all of that into PlexSync's error classes by HTTP status.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element, ParseError

import plexapi
import requests
from plexapi.exceptions import PlexApiException
from plexapi.server import PlexServer
from plexapi.utils import joinArgs, parseXMLString
from requests.structures import CaseInsensitiveDict

from plexsync_gui import __version__
from plexsync_gui.core.errors import (
    Cancelled,
    PermanentError,
    PlexAuthError,
    PlexEditRefused,
    PlexNotFound,
    PlexPermanentError,
    PlexTemporaryError,
    SyncError,
)
from plexsync_gui.core.net.http import (
    Cancellation,
    RedirectRefused,
    RequestCancelled,
    ResponseTooLarge,
    guarded_session,
)
from plexsync_gui.core.net.transport import transport_reason
from plexsync_gui.core.plex.edits import MAX_REQUEST_LINE, PlexItemSnapshot, describe_fields, fields_in, split_edit
from plexsync_gui.core.plex.history import HISTORY_PATH, PlexPlay, ViewState, read_plays, read_view_states
from plexsync_gui.core.setup.security import allow_unverified_tls
from plexsync_gui.core.sync.paths import basename, normalise, unicode_forms

log = logging.getLogger(__name__)

_STATUS_IN_MESSAGE = re.compile(r"^\((\d{3})\)")
SEARCH_TYPES = {"movie": 1, "show": 4}  # items of a show section are episodes
EPISODE = 4
ITEM_TYPES = {"movie": 1, "episode": EPISODE}  # the `type=` of an edit, by the item's own type
TAG_ELEMENTS = {"genre": "Genre", "actor": "Role", "collection": "Collection"}
PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class SectionInfo:
    key: int
    title: str
    type: str
    locations: tuple[str, ...]


@dataclass(frozen=True)
class PlexItem:
    """A full item (`/library/metadata/{key}`), as much of it as a sync needs."""

    rating_key: str
    section_key: str  # where its edits go: PUT /library/sections/{section_key}/all
    search_type: int
    files: tuple[str, ...]
    snapshot: PlexItemSnapshot


@dataclass(frozen=True)
class Candidate:
    rating_key: str
    title: str
    file: str
    section: str

    def as_dict(self) -> dict[str, str]:
        return {"rating_key": self.rating_key, "title": self.title, "file": self.file, "section": self.section}


@dataclass(frozen=True)
class CandidateDetails:
    """What tells duplicates apart in the picker: read-only attributes of an item, never used by a sync."""

    rating_key: str
    added_at: int | None  # epoch seconds
    duration_ms: int | None
    size: int | None  # bytes, of all its parts
    thumb: str | None  # server path of its poster, fetched with `image`


def plex_web_url(plex_url: str, machine_identifier: str, rating_key: str) -> str:
    """The item's page in Plex Web. Never carries the token: the browser signs in on its own."""
    key = quote(f"/library/metadata/{int(rating_key)}", safe="")
    return f"{plex_url.rstrip('/')}/web/index.html#!/server/{quote(machine_identifier, safe='')}/details?key={key}"


def set_client_identity(client_id: str) -> None:
    """A stable identifier, so Plex does not announce a "new device" on every start."""
    plexapi.BASE_HEADERS["X-Plex-Client-Identifier"] = client_id
    plexapi.BASE_HEADERS["X-Plex-Product"] = "PlexSync"
    plexapi.BASE_HEADERS["X-Plex-Version"] = __version__
    plexapi.BASE_HEADERS["X-Plex-Device-Name"] = "PlexSync"


class PlexClient:
    """One connection to Plex. Not for concurrent use: `requests.Session` makes no thread-safety promise (psf/requests
    #2766), and plexapi objects keep using the session of the server that built them. Concurrent work takes a
    `clone()` per worker, and plexapi objects never cross from one client to another."""

    def __init__(self, url: str, token: str | None, timeout: float = 30.0, verify: bool | str = True,
                 cancellation: Cancellation | None = None) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._verify = verify
        self._token = token
        self._cancellation = cancellation
        self._session = guarded_session(cancellation)
        self._session.verify = verify
        if verify is False:
            allow_unverified_tls()
        self._session.hooks["response"].append(self._remember_status)
        self._last_status = threading.local()
        self._server: PlexServer | None = None

    def clone(self) -> PlexClient:
        """A client for the same server with its own HTTP session and server object (it connects on first use)."""
        return PlexClient(self.url, self._token, self.timeout, self._verify, self._cancellation)

    def close(self) -> None:
        self._session.close()

    def _remember_status(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_status.value = response.status_code

    @contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Map any failure of a plexapi call to PlexSync's error classes, by HTTP status."""
        self._last_status.value = None
        try:
            yield
        except PlexApiException as exc:
            raise self._from_status(_status_of(exc), action, exc) from None
        except RedirectRefused as exc:
            raise PlexTemporaryError(f"Plex at {exc.source} redirected to {exc.target} while {action}; "
                                     f"{exc.advice('Plex', 'token')}") from exc
        except ResponseTooLarge as exc:
            raise PlexTemporaryError(f"Plex {exc} while {action}") from exc
        except RequestCancelled as exc:
            raise Cancelled(f"PlexSync is stopping; {action} was cut short") from exc
        except requests.Timeout as exc:  # the causes tell the connection check what kind of failure it was
            raise PlexTemporaryError(f"Plex did not answer within {self.timeout:g} s while {action}") from exc
        except requests.RequestException as exc:
            raise PlexTemporaryError(f"Plex is unreachable while {action} ({transport_reason(exc)})") from exc
        except ParseError as exc:
            raise PlexTemporaryError(f"Plex sent an answer that is not XML while {action}") from exc
        except TypeError:
            status = getattr(self._last_status, "value", None)
            if status is None or status < 300:
                raise  # a genuine bug, not plexapi choking on an unnamed status
            raise PlexTemporaryError(f"Plex answered HTTP {status} while {action}") from None

    def _from_status(self, status: int | None, action: str, exc: Exception | None) -> Exception:
        error = self._error_for(status, action, exc)
        error.status = status
        return error

    def _error_for(self, status: int | None, action: str, exc: Exception | None) -> SyncError:
        if status in (401, 403):
            return PlexAuthError(f"Plex rejected the token (HTTP {status}) while {action}; check plex token")
        if status == 404:
            return PlexNotFound(f"Plex answered 404 while {action}")
        if status is not None and (status == 429 or status >= 500):
            return PlexTemporaryError(f"Plex answered HTTP {status} while {action}")
        if status is None:
            return PlexPermanentError(f"plexapi refused {action}: {str(exc)[:200]}")
        return PlexPermanentError(f"Plex refused {action} (HTTP {status})")

    # ---- server ------------------------------------------------------------------------------------------------

    @property
    def server(self) -> PlexServer:
        if self._server is None:
            with self._translated("connecting"):
                server = PlexServer(self.url, self._token, session=self._session, timeout=self.timeout)
                if not getattr(server, "machineIdentifier", None):
                    raise ParseError("no machineIdentifier")
            self._server = server
        return self._server

    def reconnect(self) -> None:
        """Forget the cached server object: plexapi caches the section list per object."""
        self._server = None

    def identity(self) -> bool:
        """Cheap liveness probe for the circuit breaker: True when Plex answers. It carries the token, so a Plex
        that answers 401/403 is up but rejects the token: PlexAuthError, for the engine's rejected-token pause."""
        headers = {"X-Plex-Token": self._token} if self._token else {}
        try:
            response = self._session.get(f"{self.url}/identity", headers=headers, timeout=PROBE_TIMEOUT)
        except requests.RequestException:  # also a redirect, an oversized answer or a stop: no usable answer
            return False
        if response.status_code in (401, 403):
            raise self._from_status(response.status_code, "probing /identity", None)
        return response.status_code == 200 and b"MediaContainer" in response.content

    def server_name(self) -> str:
        return str(getattr(self.server, "friendlyName", "") or self.url)

    def sections(self) -> list[SectionInfo]:
        with self._translated("listing libraries"):
            found = self.server.library.sections()
        return [SectionInfo(int(s.key), s.title, s.type, tuple(s.locations)) for s in found]

    def target_sections(self, libraries: list[str]) -> list[SectionInfo]:
        """The configured sections (all movie and show sections when none are named).

        A named library that is missing is looked for once more on a fresh server object before it is declared
        absent, because plexapi never refreshes its cached section list.
        """
        for fresh in (False, True):
            if fresh:
                self.reconnect()
            sections = [s for s in self.sections() if s.type in SEARCH_TYPES]
            if not libraries:
                return sections
            by_title = {s.title.strip().lower(): s for s in sections}
            missing = [name for name in libraries if name.strip().lower() not in by_title]
            if not missing:
                return [by_title[name.strip().lower()] for name in libraries]
        raise PermanentError(
            f"Plex library {missing[0]!r} not found (movie/show libraries: {', '.join(s.title for s in sections)})"
        )

    # ---- items -------------------------------------------------------------------------------------------------

    def find_candidates(self, plex_path: str, sections: list[SectionInfo]) -> list[Candidate]:
        """Items whose file is `plex_path`: the `file=` filter by full path, then by basename.

        `file=` is not an exact match, so every hit is re-checked against `Part.file`. A basename query only
        counts items whose file has the same basename, and then only if no item has the exact path. `file=` matches
        the form Plex stored, which may be NFD where Stash sent NFC, so each query is sent in every Unicode form.
        """
        ordered = sections_for_path(plex_path, sections)
        exact = self._query_files(plex_path, ordered, lambda f: normalise(f) == normalise(plex_path))
        if exact:
            return exact
        name = basename(plex_path)
        same_name = self._query_files(name, ordered, lambda f: basename(normalise(f)) == basename(normalise(name)))
        exact = [c for c in same_name if normalise(c.file) == normalise(plex_path)]
        return exact or same_name

    def _query_files(self, value: str, sections: list[SectionInfo], accept: Callable[[str], bool]) -> list[Candidate]:
        """The listing read as plain XML: a candidate needs three attributes."""
        found: dict[str, Candidate] = {}
        for form, section in ((f, s) for f in unicode_forms(value) for s in sections):
            query = joinArgs({"type": SEARCH_TYPES[section.type], "file": form})
            with self._translated(f"looking up {basename(value)!r} in {section.title!r}"):
                container = self.server.query(f"/library/sections/{section.key}/all{query}")
            for video in container.findall("Video") if container is not None else []:
                rating_key = video.get("ratingKey")
                for part in video.iter("Part"):
                    file = part.get("file")
                    if rating_key and file and accept(file) and rating_key not in found:
                        found[rating_key] = Candidate(rating_key, video.get("title") or "", file, section.title)
        return list(found.values())

    def sample_file_paths(self, section: SectionInfo, limit: int) -> list[str]:
        """The files of the first `limit` items of a section: one listing page (X-Plex-Container-Size), never the
        whole section."""
        query = joinArgs({"type": SEARCH_TYPES[section.type], "X-Plex-Container-Start": 0,
                          "X-Plex-Container-Size": limit})
        with self._translated(f"listing files of {section.title!r}"):
            container = self.server.query(f"/library/sections/{section.key}/all{query}")
        parts = container.iter("Part") if container is not None else []
        return [file for part in parts if (file := part.get("file"))]

    def fetch_full(self, rating_key: str) -> PlexItem | None:
        """The item with all its tags and locks (the detail view), or None when Plex no longer has it."""
        try:
            with self._translated(f"reading item {rating_key}"):
                container = self.server.query(f"/library/metadata/{int(rating_key)}")
        except PlexNotFound:
            return None
        element = container[0] if container is not None and len(container) else None
        return None if element is None else read_item(element, container.get("librarySectionID"))

    def fetch_many(self, rating_keys: list[str]) -> dict[str, PlexItem]:
        """Full items in one request (`/library/metadata/{k1},{k2},…`, as plexapi's `fetchItems` reads a list), by
        ratingKey; keys Plex no longer has are simply absent. In a multi-item answer only items naming their own
        section are kept: the container's `librarySectionID` is one section's, and the others' edits would go
        astray (a caller reads the rest one by one)."""
        keys = [str(int(key)) for key in rating_keys]
        container = self._metadata(keys)
        if container is None:
            return {}
        section = container.get("librarySectionID") if len(keys) == 1 else None
        items: dict[str, PlexItem] = {}
        for element in container:
            rating_key = element.get("ratingKey") or ""
            if rating_key in keys and (section or element.get("librarySectionID")):
                try:
                    items[rating_key] = read_item(element, section)
                except PlexPermanentError:
                    continue  # not editable (no section, not a video): its own read tells its job why
        return items

    def candidate_details(self, rating_keys: list[str]) -> dict[str, CandidateDetails]:
        """Added date, duration, size and poster path of several items in one request, by ratingKey (the
        duplicate picker's); keys Plex no longer has are absent."""
        keys = [str(int(key)) for key in rating_keys]
        container = self._metadata(keys)
        elements = list(container) if container is not None else []
        return {key: read_candidate_details(element) for element in elements
                if (key := element.get("ratingKey") or "") in keys}

    def files_of(self, rating_keys: list[str]) -> dict[str, tuple[str, ...]]:
        """The files of several items in one request, by ratingKey (what an announced new item holds); keys Plex
        no longer has are absent. Needs no section, unlike `fetch_many`: nothing is edited from this answer."""
        keys = [str(int(key)) for key in rating_keys]
        container = self._metadata(keys)
        elements = list(container) if container is not None else []
        return {key: tuple(file for part in element.iterfind("Media/Part") if (file := part.get("file")))
                for element in elements if (key := element.get("ratingKey") or "") in keys}

    def _metadata(self, keys: list[str]) -> Element | None:
        """`/library/metadata/{k1},{k2},…`: the container, or None when there are no keys or Plex has none."""
        if not keys:
            return None
        try:
            with self._translated(f"reading {len(keys)} items"):
                container: Element | None = self.server.query(f"/library/metadata/{','.join(keys)}")
        except PlexNotFound:
            return None
        return container

    def play_history(self, since: int, page_size: int = 500) -> list[PlexPlay]:
        """Every play with `viewedAt` at or after `since` (unix seconds), newest first, read a page at a time."""
        plays: list[PlexPlay] = []
        start = 0
        while True:
            query = joinArgs({"sort": "viewedAt:desc", "viewedAt>": since,
                              "X-Plex-Container-Start": start, "X-Plex-Container-Size": page_size})
            with self._translated("reading the play history"):
                container = self.server.query(f"{HISTORY_PATH}{query}")
            page = read_plays(container)
            plays.extend(page)
            size = len(container) if container is not None else 0
            total = _integer(container.get("totalSize") if container is not None else None)
            start += size
            if size < page_size or (total is not None and start >= total):
                return plays

    def view_states(self, rating_keys: list[str]) -> dict[str, ViewState]:
        """Resume point and rating of several items, 100 per request; keys Plex no longer has are absent."""
        states: dict[str, ViewState] = {}
        for begin in range(0, len(rating_keys), 100):
            states.update(read_view_states(self._metadata([str(int(k)) for k in rating_keys[begin:begin + 100]])))
        return states

    def machine_identifier(self) -> str:
        return str(self.server.machineIdentifier)

    def image(self, path: str) -> bytes:
        """An image the server serves at `path` (an item's `thumb`), the token in a header, never in the URL."""
        if not path.startswith("/"):
            raise PlexPermanentError(f"refusing to fetch an image outside this Plex server ({path[:80]!r})")
        headers = {"X-Plex-Token": self._token} if self._token else {}
        with self._translated("reading a poster"):
            response = self._session.get(f"{self.url}{path}", headers=headers, timeout=self.timeout)
        if response.status_code != 200:
            raise self._from_status(response.status_code, "reading a poster", None)
        return response.content

    def section_size(self, section: SectionInfo) -> int:
        """How many items the section holds: an empty page's `totalSize`, as plexapi's `totalSize` asks for it."""
        query = joinArgs({"type": SEARCH_TYPES[section.type], "X-Plex-Container-Start": 0, "X-Plex-Container-Size": 0})
        with self._translated(f"counting the items of {section.title!r}"):
            container = self.server.query(f"/library/sections/{section.key}/all{query}")
        return int(_number(int, container.get("totalSize") if container is not None else None) or 0)

    def section_files(self, section: SectionInfo, page_size: int) -> Iterator[tuple[str, str, str]]:
        """Every item of the section as (ratingKey, title, file), one `X-Plex-Container-Start/-Size` page at a time
        (docs/plex-protocol.md §4), so a caller can keep what it needs of a 100,000-item section without holding
        its pages. It stops at the root's `totalSize` (else at a short page), as plexapi's paging does."""
        path = f"/library/sections/{section.key}/all{joinArgs({'type': SEARCH_TYPES[section.type]})}"
        start = 0
        while True:
            headers = {"X-Plex-Container-Start": str(start), "X-Plex-Container-Size": str(page_size)}
            with self._translated(f"listing {section.title!r}"):
                container = self.server.query(path, headers=headers)
            videos = container.findall("Video") if container is not None else []
            for video in videos:
                rating_key = video.get("ratingKey")
                for part in video.iterfind("Media/Part"):
                    file = part.get("file")
                    if rating_key and file:
                        yield rating_key, video.get("title") or "", file
            start += len(videos)
            total = _number(int, container.get("totalSize") if container is not None else None)
            if not videos or (total is not None and start >= total) or (total is None and len(videos) < page_size):
                return

    def scan_folder(self, section: SectionInfo, folder: str) -> None:
        """Ask Plex to scan one folder of a section (`/library/sections/{id}/refresh?path=…`, as plexapi's
        `LibrarySection.update(path=…)` does): a new file shows up in seconds instead of at Plex's next full scan."""
        with self._translated(f"asking {section.title!r} to scan {basename(folder.rstrip('/')) or folder!r}"):
            self.server.query(f"/library/sections/{section.key}/refresh{joinArgs({'path': folder})}")

    def apply(self, item: PlexItem, params: dict[str, Any]) -> None:
        """Every changed field with its lock and the tag lists, built as plexapi's `edit` builds them
        (docs/plex-protocol.md §7): one PUT, or several when one would be longer than a proxy's request line
        allows (`split_edit`)."""
        path = f"/library/sections/{item.section_key}/all"
        overhead = len(f"PUT {path}{edit_query(item.rating_key, item.search_type, {})}& HTTP/1.1")
        for batch in split_edit(params, MAX_REQUEST_LINE - overhead):
            self._put_edit(path, item, batch)

    def _put_edit(self, path: str, item: PlexItem, params: dict[str, Any]) -> None:
        """One edit PUT; Plex's refusals of it say which fields it carried."""
        query = edit_query(item.rating_key, item.search_type, params)
        carried = describe_fields(fields_in(params))
        try:
            self._write("PUT", path + query, f"editing item {item.rating_key}")
        except SyncError as exc:
            if exc.status == 414:
                raise PlexPermanentError(
                    f"Plex (or a proxy in front of it) refused the edit of item {item.rating_key} as too long "
                    f"(HTTP 414): the request carrying {carried} was {len(query):,} bytes; shorten {carried} in Stash"
                ) from None
            if exc.status == 500:
                raise PlexEditRefused(
                    f"Plex refused the edit of item {item.rating_key} (HTTP 500); it carried {carried}") from None
            raise

    def selected_poster(self, rating_key: str) -> str | None:
        """The ratingKey of the item's selected poster (`GET …/posters`, the `selected` entry, §9), None when none
        is selected: what undo re-selects, since the item's `thumb` URL does not name the poster."""
        with self._translated(f"listing the posters of item {rating_key}"):
            container = self.server.query(f"/library/metadata/{int(rating_key)}/posters")
        photos = list(container) if container is not None else []
        return next((p.get("ratingKey") for p in photos if p.get("selected") in ("1", "true")), None)

    def select_poster(self, item: PlexItem, poster: str | None) -> None:
        """Select one of the item's posters by its ratingKey (`PUT …/poster?url=`, plexapi's `setPoster`), or with
        None select none (`DELETE …/thumb`, plexapi's `deletePoster`)."""
        path = f"/library/metadata/{int(item.rating_key)}"
        with self._translated(f"selecting the poster of item {item.rating_key}"):
            if poster is None:
                self.server.query(f"{path}/thumb", method=self._session.delete)
            else:
                self.server.query(f"{path}/poster{joinArgs({'url': poster})}", method=self._session.put)

    def request(self, path: str, action: str, method: str = "GET") -> Element | None:
        """One request to this server (the token in a header), its failures translated; the XML answer, None when
        the answer is empty. For the few calls without a helper of their own (core/plex/collections.py)."""
        with self._translated(action):
            answer: Element | None = self.server.query(path, method=getattr(self._session, method.lower()))
        return answer

    def upload_poster(self, item: PlexItem, data: bytes) -> None:
        """The raw bytes as the body, as plexapi's `uploadPoster(filepath=bytes)` sends them (§9)."""
        self._write("POST", f"/library/metadata/{item.rating_key}/posters",
                    f"uploading the poster of item {item.rating_key}", data)

    def _write(self, method: str, path: str, action: str, body: bytes | None = None) -> None:
        """Send an edit PUT or a poster POST (`path` carries its query, quoted by `joinArgs`) and check its status;
        Plex's answer to either is not read.

        The request is prepared here rather than by plexapi's `query` and `Session.request`, which rebuild the
        headers, merge settings and re-parse and re-quote the whole URL on every call: a third of a PUT's CPU
        (profiled, issue 13). The wire request is the same: the session's and plexapi's headers, the token in a
        header, the URL as `Session.request` would leave it. It goes through the same guarded session, so the
        adapter's deadline, size cap and cancellation and `Session.send`'s refusal of redirects all apply. Any status
        but 200, 201 or 204 fails, and so does an answer that is not XML, as plexapi's `query` fails them."""
        request = requests.PreparedRequest()
        request.method = method
        request.url = self.url + path
        request.headers = CaseInsensitiveDict({**self._session.headers, **plexapi.BASE_HEADERS,
                                               "Content-Length": str(len(body) if body else 0)})
        if self._token:
            request.headers["X-Plex-Token"] = self._token
        request.body = body
        with self._translated(action):
            response = self._session.send(request, timeout=self.timeout)
            if response.status_code not in (200, 201, 204):
                raise self._from_status(response.status_code, action, None)
            parseXMLString(response.text)  # a 200 that is no Plex answer (a proxy's login page) edited nothing


def edit_query(rating_key: str, item_type: int, params: dict[str, Any]) -> str:
    """The query string of an edit PUT, and the one guard every edit passes: PMS applies an edit whose `id` is empty
    to every item of the section, so a request without a real item id is never built."""
    if not str(rating_key).strip().isdigit():
        raise PlexPermanentError(f"refusing to send a Plex edit without an item id (got {rating_key!r}): "
                                 "Plex would apply it to every item of the library")
    return str(joinArgs({**params, "id": str(rating_key).strip(), "type": item_type}))


def read_item(element: Element, container_section: str | None = None) -> PlexItem:
    """A full item from its `<Video>` element, with plexapi's readings of each attribute.

    Its section is the item's own `librarySectionID`, else the container's: PMS may put it only on the
    `MediaContainer` (python-plexapi issue #550; PMS 1.43.1 listings do, see shared/captures)."""
    rating_key = element.get("ratingKey") or ""
    section_key, item_type = element.get("librarySectionID") or container_section, element.get("type") or ""
    if not section_key:  # plexapi would fail the edit the same way (python-plexapi issue #661)
        raise PlexPermanentError(f"Plex item {rating_key} names no library section, so it cannot be edited")
    if item_type not in ITEM_TYPES:
        raise PlexPermanentError(f"Plex item {rating_key} is a {item_type or 'untyped item'}, not a movie or episode")
    snapshot = PlexItemSnapshot(
        rating_key=rating_key,
        scalars={
            "title": element.get("title") or None,
            "studio": element.get("studio") or None,
            "summary": element.get("summary") or None,
            "originallyAvailableAt": _date(element.get("originallyAvailableAt")),
            "year": _number(int, element.get("year")),
            "userRating": _number(float, element.get("userRating")),
        },
        tags={name: [t.get("tag") or "" for t in element.findall(tag)] for name, tag in TAG_ELEMENTS.items()},
        locks=frozenset(f.get("name") or "" for f in element.findall("Field") if f.get("locked") in ("1", "true")),
        thumb=element.get("thumb") or None,
        actor_thumbs={role.get("tag") or "": thumb for role in element.findall("Role") if (thumb := role.get("thumb"))},
    )
    files = tuple(part.get("file") or "" for part in element.iterfind("Media/Part") if part.get("file"))
    return PlexItem(rating_key, section_key, ITEM_TYPES[item_type], files, snapshot)


def read_candidate_details(element: Element) -> CandidateDetails:
    """An item's `addedAt`, `duration` (milliseconds), its parts' `size` and `thumb`, as PMS writes them."""
    sizes = [_integer(part.get("size")) for part in element.iterfind("Media/Part")]
    known = [size for size in sizes if size is not None]
    return CandidateDetails(
        rating_key=element.get("ratingKey") or "",
        added_at=_integer(element.get("addedAt")),
        duration_ms=_integer(element.get("duration")),
        size=sum(known) if known else None,
        thumb=element.get("thumb") or None,
    )


def _integer(text: str | None) -> int | None:
    value = _number(int, text)
    return None if value is None else int(value)


def _date(text: str | None) -> str | None:
    """A `YYYY-MM-DD` date as Plex stores it; anything else reads as no date (as in plexapi)."""
    try:
        return datetime.strptime(text, "%Y-%m-%d").strftime("%Y-%m-%d") if text else None
    except ValueError:
        return None


def _number(kind: type[int] | type[float], text: str | None) -> int | float | None:
    try:
        return kind(text) if text else None
    except ValueError:
        return None


def sections_for_path(plex_path: str, sections: list[SectionInfo]) -> list[SectionInfo]:
    """Sections whose location holds the path, longest location first; all sections when none does."""
    target = normalise(plex_path)

    def best_prefix(section: SectionInfo) -> int:
        lengths = [len(normalise(loc)) for loc in section.locations
                   if target.startswith(normalise(loc).rstrip("/") + "/")]
        return max(lengths, default=0)

    matching = sorted((s for s in sections if best_prefix(s)), key=best_prefix, reverse=True)
    return matching or sections


def _status_of(exc: Exception) -> int | None:
    match = _STATUS_IN_MESSAGE.match(str(exc))
    return int(match.group(1)) if match else None
