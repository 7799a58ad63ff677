"""A small Stash GraphQL client on `requests`: fixed documents, timeouts, no redirects, errors told apart.

Why not stashapp-tools: it introspects the whole schema at start, has no timeouts, no reverse-proxy prefix and one
exception type for every failure (docs/stash-protocol.md §9). This client sends only the documents in
stash_queries and classifies every failure as auth, unavailable or query error, so callers can react precisely.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from plexsync_gui.core.errors import Cancelled, PermanentError, StashAuthError, StashQueryError, StashUnavailable
from plexsync_gui.core.net.http import (
    Cancellation,
    RedirectRefused,
    RequestCancelled,
    ResponseTooLarge,
    guarded_session,
)
from plexsync_gui.core.net.transport import transport_reason
from plexsync_gui.core.setup.security import allow_unverified_tls
from plexsync_gui.core.stash import queries as q

log = logging.getLogger(__name__)

BATCH_SIZE = 100
WRITE_BATCH = 50  # activity writes per request: 50 aliased mutations stay far below any request size limit
CONNECT_TIMEOUT = 5.0


@dataclass(frozen=True)
class StashInfo:
    version: str | None
    status: str


@dataclass(frozen=True)
class SceneStamp:
    """A scene id with its `updated_at` string exactly as the server returned it."""

    scene_id: str
    updated_at: str


@dataclass(frozen=True)
class EntityName:
    """A tag, performer or studio: its id, its name and its own `updated_at` string, as the server returned them."""

    entity_id: str
    name: str
    updated_at: str


@dataclass(frozen=True)
class ScenePath:
    """One scene of the coverage listing: its id, title (may be empty) and first file (None without one); `raw` is
    the listed scene as Stash answered it, which the sync rules read (`skip_reason`) when their fields were asked."""

    id: str
    title: str
    path: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class TagTree:
    """A tag and the ids of every tag under it (children, their children, …), not including itself."""

    parent_id: str
    descendant_ids: frozenset[str]


@dataclass(frozen=True)
class ActivityWrite:
    """One write of the Plex -> Stash activity: `play` (RFC 3339 times), `resume` (seconds) or `rating` (1-100)."""

    kind: str
    scene_id: str
    value: Any


@dataclass(frozen=True)
class StashOffers:
    """The mutation and Scene field names this server has (introspected once per connection)."""

    mutations: frozenset[str]
    scene_fields: frozenset[str]


class StashClient:
    """One connection to Stash; like PlexClient, not for concurrent use (concurrent work takes a `clone()`)."""

    def __init__(self, url: str, api_key: str | None, timeout: float = 30.0, verify: bool | str = True,
                 cancellation: Cancellation | None = None) -> None:
        self.base_url = url.rstrip("/").removesuffix("/graphql")
        self.timeout = timeout
        self._api_key = api_key
        self._verify = verify
        self._cancellation = cancellation
        self._session = guarded_session(cancellation)
        self._session.verify = verify
        if verify is False:
            allow_unverified_tls()
        self._session.headers.update({"Accept": "application/json", "Content-Type": "application/json"})
        if api_key:
            self._session.headers["ApiKey"] = api_key
        self._schema: tuple[bool, str] | None = None  # (has groups, ids argument name)
        self._offers: StashOffers | None = None

    def clone(self) -> StashClient:
        """A client for the same server with its own HTTP session."""
        return StashClient(self.base_url, self._api_key, self.timeout, self._verify, self._cancellation)

    def close(self) -> None:
        self._session.close()

    # ---- transport ---------------------------------------------------------------------------------------------

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Redirects are answers here (the callers read the 3xx); they are never followed with the key."""
        try:
            return self._session.request(method, url, timeout=(CONNECT_TIMEOUT, self.timeout),
                                         allow_redirects=False, **kwargs)
        except ResponseTooLarge as exc:
            raise StashUnavailable(f"Stash at {self.base_url} {exc}") from exc
        except RequestCancelled as exc:
            raise Cancelled("PlexSync is stopping; the request to Stash was cut short") from exc
        except requests.Timeout as exc:  # the cause tells the connection check what kind of failure it was
            raise StashUnavailable(f"Stash at {self.base_url} did not answer within {self.timeout:g} s") from exc
        except requests.RequestException as exc:
            raise StashUnavailable(f"Stash at {self.base_url} is unreachable ({transport_reason(exc)})") from exc

    def _graphql(self, operation: str, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = {"query": document, "operationName": operation, "variables": variables or {}}
        response = self._request("POST", f"{self.base_url}/graphql", json=body)
        payload = self._json_or_raise(response)
        errors = payload.get("errors")
        if errors:
            message = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict)) or str(errors)
            raise StashQueryError(f"Stash reported an error: {message[:300]}")
        data = payload.get("data")
        if not isinstance(data, dict):
            raise StashQueryError(f"{self.base_url} answers JSON without GraphQL data: is it Stash?")
        return data

    def _json_or_raise(self, response: requests.Response) -> dict[str, Any]:
        status = response.status_code
        if status in (401, 403):
            raise StashAuthError(f"Stash rejected the API key (HTTP {status}); check stash api_key")
        if 300 <= status < 400:
            refused = RedirectRefused.of(response)
            raise StashUnavailable(f"Stash at {refused.source} redirected to {refused.target} (HTTP {status}); "
                                   f"{refused.advice('Stash', 'API key')}") from refused
        if status >= 500:
            raise StashUnavailable(f"Stash answered HTTP {status}")
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type:
            raise StashUnavailable(f"{self.base_url} answers but is not Stash (/graphql sent HTTP {status}, "
                                   f"{content_type.split(';')[0] or 'no content type'})")
        try:
            payload = response.json()
        except ValueError:
            raise StashUnavailable("Stash sent a malformed JSON answer") from None
        if status >= 400 and not payload.get("errors"):
            raise StashQueryError(f"Stash refused the query (HTTP {status})")
        return payload if isinstance(payload, dict) else {}

    # ---- server ------------------------------------------------------------------------------------------------

    def healthy(self) -> bool:
        """True when the server answers /healthz, which needs no key: tells "down" from "bad key"."""
        try:
            return self._request("GET", f"{self.base_url}/healthz").status_code == 200
        except StashUnavailable:
            return False

    def probe(self) -> StashInfo:
        data = self._graphql("Probe", q.PROBE)
        version = (data.get("version") or {}).get("version")
        status = (data.get("systemStatus") or {}).get("status") or "UNKNOWN"
        return StashInfo(version=version, status=status)

    def _schema_choice(self) -> tuple[bool, str]:
        """Probe once which documents this server takes: `groups` (v0.27+) and `ids` (v0.25+)."""
        if self._schema is None:
            data = self._graphql("SchemaProbe", q.SCHEMA_PROBE)
            scene_fields = {f["name"] for f in (data.get("scene") or {}).get("fields") or []}
            query_fields = {f["name"]: {a["name"] for a in f.get("args") or []}
                            for f in (data.get("query") or {}).get("fields") or []}
            ids_argument = "ids" if "ids" in query_fields.get("findScenes", set()) else "scene_ids"
            self._schema = ("groups" in scene_fields, ids_argument)
            log.info("Stash schema: groups=%s, batch argument=%s", *self._schema)
        return self._schema

    # ---- scenes ------------------------------------------------------------------------------------------------

    def changed_since(self, cursor: str) -> list[SceneStamp]:
        """Scenes whose `updated_at` text is greater than `cursor` (Stash compares as text), oldest first."""
        variables = {
            "scene_filter": {"updated_at": {"value": cursor, "modifier": "GREATER_THAN"}},
            "filter": {"page": 1, "per_page": -1, "sort": "updated_at", "direction": "ASC"},
        }
        return _stamps(self._graphql("ChangedSceneIds", q.CHANGED_SCENE_IDS, variables))

    def all_scenes(self) -> list[SceneStamp]:
        variables = {"filter": {"page": 1, "per_page": -1, "sort": "id", "direction": "ASC"}}
        return _stamps(self._graphql("AllSceneIds", q.ALL_SCENE_IDS, variables))

    def sample_file_paths(self, limit: int) -> list[str]:
        """The file paths of the `limit` most recently updated scenes (a scene may have several files)."""
        variables = {"filter": {"page": 1, "per_page": limit, "sort": "updated_at", "direction": "DESC"}}
        data = self._graphql("SceneFilePaths", q.SCENE_FILE_PATHS, variables)
        scenes = (data.get("findScenes") or {}).get("scenes") or []
        return [file["path"] for scene in scenes if isinstance(scene, dict) for file in scene.get("files") or []
                if isinstance(file, dict) and isinstance(file.get("path"), str) and file["path"]]

    def scene_paths(self, page_size: int = 1000, rule_fields: bool = False) -> Iterator[ScenePath]:
        """Every scene as a ScenePath, one page at a time in id order, so a caller can keep what it needs of 100,000
        scenes without holding their pages. The first file is the one a sync matches (`scene_from_stash`).
        `rule_fields` also asks what the sync rules that leave scenes out read (organized, tag names); without it
        the listing stays light. Ends at a short page; a scene added meanwhile may be missed, one removed may shift
        another onto the page already read: ids are not repeated."""
        operation, query = ("ScenePathsRulesPage", q.SCENE_PATHS_RULES_PAGE) if rule_fields \
            else ("ScenePathsPage", q.SCENE_PATHS_PAGE)
        seen: set[int] = set()
        page = 1
        while True:
            variables = {"filter": {"page": page, "per_page": page_size, "sort": "id", "direction": "ASC"}}
            data = self._graphql(operation, query, variables)
            scenes = (data.get("findScenes") or {}).get("scenes") or []
            for scene in scenes:
                row = _scene_path(scene)
                if row is not None and (number := int(row.id) if row.id.isdigit() else hash(row.id)) not in seen:
                    seen.add(number)
                    yield row
            if len(scenes) < page_size:
                return
            page += 1

    def newest_updated_at(self) -> str | None:
        variables = {"filter": {"page": 1, "per_page": 1, "sort": "updated_at", "direction": "DESC"}}
        stamps = _stamps(self._graphql("AllSceneIds", q.ALL_SCENE_IDS, variables))
        return stamps[0].updated_at if stamps else None

    def scenes_using(self, kind: q.EntityKind, entity_ids: list[str]) -> list[str]:
        """Ids of the scenes that use any of these entities directly (`depth: 0`: Plex gets a scene's own tags and
        studio, not their parents), asked BATCH_SIZE entities at a time."""
        found: dict[str, None] = {}
        for start in range(0, len(entity_ids), BATCH_SIZE):
            criterion: dict[str, Any] = {"value": entity_ids[start:start + BATCH_SIZE], "modifier": "INCLUDES"}
            if kind.hierarchical:
                criterion["depth"] = 0
            variables = {"scene_filter": {kind.scene_filter: criterion},
                         "filter": {"page": 1, "per_page": -1, "sort": "id", "direction": "ASC"}}
            found.update((s.scene_id, None) for s in _stamps(self._graphql("ScenesUsing", q.SCENES_USING, variables)))
        return list(found)

    # ---- related entities --------------------------------------------------------------------------------------

    def entity_kinds(self) -> tuple[q.EntityKind, ...]:
        """The related entities whose renames are polled: tags, performers, studios, and groups (or movies)."""
        has_groups, _ = self._schema_choice()
        return (*q.ENTITY_KINDS, q.GROUP_KIND if has_groups else q.LEGACY_GROUP_KIND)

    def entities(self, kind: q.EntityKind, since: str | None = None) -> list[EntityName]:
        """Every entity of `kind`, or (with `since`) those whose own `updated_at` text is greater."""
        variables: dict[str, Any] = {"filter": {"page": 1, "per_page": -1}}
        if since is not None:
            variables["entity_filter"] = {"updated_at": {"value": since, "modifier": "GREATER_THAN"}}
        data = self._graphql(kind.operation, kind.changed_document, variables)
        rows = (data.get(kind.root) or {}).get(kind.results) or []
        return [EntityName(str(r["id"]), str(r.get("name") or ""), str(r.get("updated_at") or ""))
                for r in rows if isinstance(r, dict) and r.get("id") is not None]

    def tag_id(self, name: str) -> str | None:
        """The id of the tag called `name` (ignoring case), or None when Stash has none."""
        variables = {"name_filter": {"name": {"value": name, "modifier": "EQUALS"}},
                     "filter": {"page": 1, "per_page": -1}}
        return _tag_id(self._graphql("TagByName", q.TAG_BY_NAME, variables).get("findTags"), name)

    def tags_under(self, name: str, parent_id: str | None = None) -> TagTree | None:
        """The tag named `name` (any case) and the ids of every tag under it, at any depth; None when Stash has no
        such tag. `parent_id`, the id found last time, saves the lookup by name: one request when it still holds."""
        name_filter = {"name": {"value": name, "modifier": "EQUALS"}}
        find = {"page": 1, "per_page": -1}
        for _ in range(2):
            if parent_id is None:
                parent_id = self.tag_id(name)
                if parent_id is None:
                    return None
            under_filter = {"parents": {"value": [parent_id], "modifier": "INCLUDES", "depth": -1}}
            data = self._graphql("TagsUnder", q.TAGS_UNDER,
                                 {"name_filter": name_filter, "under_filter": under_filter, "filter": find})
            if _tag_id(data.get("parent"), name) == parent_id:
                rows = (data.get("under") or {}).get("tags") or []
                return TagTree(parent_id, frozenset(str(r["id"]) for r in rows
                                                    if isinstance(r, dict) and r.get("id") is not None))
            parent_id = None  # renamed, deleted or recreated since: look it up again
        return None

    def scene_batches(self, ids: Iterable[str]) -> Iterator[dict[str, dict[str, Any] | None]]:
        """Full scenes, one batch of BATCH_SIZE at a time (fetched as the caller asks for it); None for a scene
        that no longer exists."""
        wanted = [str(i) for i in ids]
        for start in range(0, len(wanted), BATCH_SIZE):
            yield self._batch(wanted[start:start + BATCH_SIZE])

    def _batch(self, ids: list[str]) -> dict[str, dict[str, Any] | None]:
        has_groups, ids_argument = self._schema_choice()
        values: list[Any] = ids if ids_argument == "ids" else [int(i) for i in ids if i.isdigit()]
        try:
            data = self._graphql("FindScenesByIds", q.find_scenes_by_ids(has_groups, ids_argument), {"ids": values})
        except StashQueryError as exc:
            if "not found" not in str(exc):
                raise
            # One missing id fails the whole batch: ask one by one, a missing scene answers null.
            return {scene_id: self.scene(scene_id) for scene_id in ids}
        scenes = (data.get("findScenes") or {}).get("scenes") or []
        by_id = {str(s["id"]): s for s in scenes if isinstance(s, dict) and "id" in s}
        return {scene_id: by_id.get(scene_id) for scene_id in ids}

    def scene(self, scene_id: str) -> dict[str, Any] | None:
        if not scene_id.isdigit():
            return None
        has_groups, _ = self._schema_choice()
        data = self._graphql("FindScene", q.find_scene(has_groups), {"id": scene_id})
        scene = data.get("findScene")
        return scene if isinstance(scene, dict) else None

    # ---- play activity (Plex -> Stash) --------------------------------------------------------------------------

    def offers(self) -> StashOffers:
        """Which mutations and Scene fields the server has, asked once: play history needs v0.25+."""
        if self._offers is None:
            data = self._graphql("ActivityProbe", q.ACTIVITY_PROBE)
            self._offers = StashOffers(
                frozenset(f["name"] for f in (data.get("mutation") or {}).get("fields") or []),
                frozenset(f["name"] for f in (data.get("scene") or {}).get("fields") or []))
        return self._offers

    def scene_activity(self, scene_ids: list[str], fields: tuple[str, ...]) -> dict[str, dict[str, Any]]:
        """`id`, `title` and these activity fields of each existing scene, BATCH_SIZE scenes a request."""
        _, ids_argument = self._schema_choice()
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(scene_ids), BATCH_SIZE):
            chunk = [i for i in scene_ids[start:start + BATCH_SIZE] if i.isdigit()]
            values: list[Any] = chunk if ids_argument == "ids" else [int(i) for i in chunk]
            data = self._graphql("SceneActivity", q.scene_activity(fields, ids_argument), {"ids": values})
            scenes = (data.get("findScenes") or {}).get("scenes") or []
            found.update((str(s["id"]), s) for s in scenes if isinstance(s, dict) and "id" in s)
        return found

    def write_activity(self, writes: list[ActivityWrite]) -> None:
        """Plays, resume points and ratings, WRITE_BATCH to a request; a failed batch raises (the caller's
        records of what it read stay unchanged, so the next round tries again and dedupes)."""
        for start in range(0, len(writes), WRITE_BATCH):
            batch = writes[start:start + WRITE_BATCH]
            variables: dict[str, Any] = {}
            for n, write in enumerate(batch):
                variables.update({f"id{n}": write.scene_id, f"{write.kind}{n}": write.value})
            self._graphql("ActivityWrites", q.activity_writes([w.kind for w in batch]), variables)

    # ---- images ------------------------------------------------------------------------------------------------

    def download_image(self, url: str) -> bytes | None:
        """The image bytes, fetched with the key through the configured base URL; None for Stash's placeholders
        (an SVG for a scene without a cover, `default=true` performer images), which must not become posters."""
        if "default=true" in url:
            return None
        try:
            response = self._request("GET", self._rebase(url))
        except StashUnavailable as exc:
            if isinstance(exc.__cause__, ResponseTooLarge):  # this scene's image, not Stash, is the problem
                raise PermanentError(f"the scene's image in Stash is too large: Stash {exc.__cause__}") from None
            raise
        if response.status_code == 404:
            return None
        content_type = response.headers.get("Content-Type", "")
        if response.status_code in (302, 401, 403):
            raise StashAuthError(f"Stash refused the image (HTTP {response.status_code}); check stash api_key")
        if response.status_code != 200 or not content_type.startswith("image/"):
            raise StashUnavailable(f"Stash image download failed (HTTP {response.status_code}, {content_type})")
        if content_type.startswith("image/svg"):
            return None
        return response.content

    def _rebase(self, url: str) -> str:
        """Stash builds image URLs from its own idea of its host; keep path and query, use our base URL."""
        base = urlsplit(self.base_url)
        parts = urlsplit(url)
        path = parts.path
        if base.path and not path.startswith(base.path):
            path = base.path.rstrip("/") + path
        return urlunsplit((base.scheme, base.netloc, path, parts.query, ""))


def _tag_id(listing: Any, name: str) -> str | None:
    """The id of the tag called `name` (ignoring case) in a findTags answer."""
    rows = listing.get("tags") if isinstance(listing, dict) else None
    wanted = name.casefold()
    return next((str(r["id"]) for r in rows or [] if isinstance(r, dict) and r.get("id") is not None
                 and str(r.get("name") or "").casefold() == wanted), None)


def _stamps(data: dict[str, Any]) -> list[SceneStamp]:
    scenes = (data.get("findScenes") or {}).get("scenes") or []
    return [SceneStamp(str(s["id"]), str(s["updated_at"])) for s in scenes if s.get("updated_at")]


def _scene_path(scene: Any) -> ScenePath | None:
    """One listed scene; None for a row without an id."""
    if not isinstance(scene, dict) or scene.get("id") is None:
        return None
    files = [f["path"] for f in scene.get("files") or [] if isinstance(f, dict) and isinstance(f.get("path"), str)]
    title = scene.get("title")
    path = files[0] if files and files[0] else None
    return ScenePath(str(scene["id"]), title if isinstance(title, str) else "", path, scene)
