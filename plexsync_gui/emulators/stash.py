"""An emulated Stash server on 127.0.0.1 that speaks the protocol in docs/stash-protocol.md.

Tests and `--demo` mode run the real client against it over real HTTP. It behaves like Stash wherever the client
could tell the difference: auth decision order, 401 vs 302, 422 validation wording per schema version, textual
`updated_at` comparison, ORDER BY tie-breaks, image ETags. It also injects the faults a client must survive.
Standard library only; all state sits behind one lock.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any, cast

from plexsync_gui.emulators.stash_activity import MUTATION_RESULTS, ActivityMutations, mutation_fields
from plexsync_gui.emulators.stash_graphql import (
    ENTITY_ROOTS,
    Field,
    GraphQLError,
    Operation,
    ResolverError,
    Var,
    expand,
    object_types,
    parse,
    project,
    query_fields,
    resolve,
    scene_fields,
    validate,
)
from plexsync_gui.emulators.stash_http import QuietServer, Request, Response, image_response, json_response
from plexsync_gui.emulators.stash_images import PERFORMER_PLACEHOLDER_PNG, SCENE_PLACEHOLDER_SVG, sniff_content_type
from plexsync_gui.emulators.stash_jobs import StashJobs
from plexsync_gui.emulators.stash_store import DATE_MODIFIERS, ENTITY_FILTERS, Clock, SceneStore, atoi

_VERSIONS = {24: "v0.24.3", 25: "v0.25.1", 26: "v0.26.2", 27: "v0.27.2", 28: "v0.28.1", 29: "v0.29.3",
             30: "v0.30.1"}
_SCHEMA_VERSIONS = {24: 55, 25: 60, 26: 64, 27: 67, 28: 70, 29: 73, 30: 75}  # appSchema per release (approx.)
_CRITERION_MODIFIERS = (*DATE_MODIFIERS, "INCLUDES_ALL", "INCLUDES", "EXCLUDES", "MATCHES_REGEX", "NOT_MATCHES_REGEX")
_DEPRECATION_REASONS = {"url": "Use urls", "movies": "Use groups"}
_TIMESTAMPS = ("updated_at", "created_at")
_TAG_CRITERIA = {"name", "parents"}  # what findTags also filters on here (the sync rules' genre parent tag)
_FILTERABLE = set(_TIMESTAMPS) | set(ENTITY_FILTERS)  # scene_filter keys the emulator evaluates; others fail loudly
_NON_NULL_ROOTS = {"findScenes", "version", "systemStatus", *ENTITY_ROOTS}  # an error there nulls the whole `data`
_REGISTRIES = {"tag": "tags", "performer": "performers", "studio": "studios", "group": "groups"}
# The PlexScene fragment of protocol §3, used to shape `StashEmulator.scene()` like a real response.
_PLEX_SCENE = """
  id title code details director date rating100 organized urls created_at updated_at
  studio { id name parent_studio { id name } }
  performers { id name disambiguation gender image_path }
  tags { id name }
  {groups}
  files { id path basename size duration width height }
  paths { screenshot }
"""
_LOGIN_PAGE = b"<!doctype html><html><head><title>Login</title></head><body><form method=post></form></body></html>"
_UI_PAGE = b'<!doctype html><html><head><title>Stash</title></head><body><div id="root"></div></body></html>'
_PROXY_LOGIN_PAGE = (b"<!doctype html><html><head><title>Sign in</title></head><body><h1>Sign in to continue</h1>"
                     b'<form action="/oauth2/sign_in" method="post"></form></body></html>')


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it, for assertions on what the client sent."""

    method: str
    path: str  # path and query string as sent
    operation: str | None
    variables: dict[str, Any] | None
    headers: dict[str, str]
    status: int


@dataclass
class _Fault:
    """A queued fault; consumed one request at a time by requests whose path starts with `path`."""

    kind: str  # "status", "html", "unauthorized", "delay"
    remaining: int
    path: str | None
    status: int = 0
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        if self.path is None:  # unauthorized_next: every route behind auth
            return path != "/healthz"
        return path.startswith(self.path)


def _error_payload(message: str, **extra: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, **extra}], "data": None}


def _profile_minor(profile: str) -> int:
    match = re.fullmatch(r"v0\.(\d+)", profile)
    if match is None or int(match.group(1)) not in _VERSIONS:
        raise ValueError(f"profile must be one of {[f'v0.{m}' for m in _VERSIONS]}, got {profile!r}")
    return int(match.group(1))


class StashEmulator:
    """A Stash GraphQL endpoint with seeding, a settable clock, a request log and fault injection.

    `latency` (seconds, an attribute tests may change) is added to every request before it is handled, outside the
    lock, like a network round trip: concurrent requests overlap. Benchmarks use 0.005.
    """

    def __init__(self, api_key: str | None = None, *, host: str = "127.0.0.1", port: int = 0,
                 profile: str = "v0.30", utc_offset: str = "Z", start_time: str = "2026-01-01T12:00:00",
                 latency: float = 0.0, ssl_context: ssl.SSLContext | None = None) -> None:
        if latency < 0:
            raise ValueError(f"latency must be zero or more seconds, not {latency!r}")
        self.latency = latency
        self._api_key = api_key or None
        self._ssl_context = ssl_context
        self._host, self._port = host, port
        self.profile = profile
        self._minor = _profile_minor(profile)
        self._lock = threading.RLock()
        self._clock = Clock(start_time, utc_offset)
        self._store = SceneStore(self._clock, partial_dates=self._minor >= 30)
        self._types = object_types(self._minor)
        self._query_args = query_fields(self._minor)
        self._mutation_args = mutation_fields(self._minor)
        self._types["Mutation"] = {name: MUTATION_RESULTS.get(name) for name in self._mutation_args}
        self._types["HistoryMutationResult"] = {"count": None, "history": None}
        self._activity = ActivityMutations(self._store, self._clock,
                                           lambda record, base: self._store.view(record, base, self._api_key))
        self._log: list[RequestRecord] = []
        self._faults: list[_Fault] = []
        self._graphql_errors: list[str] = []
        self._status = "OK"
        self._server: QuietServer | None = None
        self._stopping = threading.Event()
        self.jobs = StashJobs()  # the job queue and its jobsSubscribe websocket (run_job plays a job's life)

    # ------------------------------------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        """`http://host:port` (https with an ssl_context); the port is fixed at the first start() and kept across
        refuse()/resume()."""
        if self._server is None and not self._port:
            raise RuntimeError("StashEmulator not started")
        return f"{'https' if self._ssl_context else 'http'}://{self._host}:{self._port}"

    def start(self) -> StashEmulator:
        self._stopping.clear()
        self._listen()
        return self

    def stop(self) -> None:
        """Stop listening and cut pending delays short, so a test never waits on an injected slow response."""
        self._stopping.set()
        self._close()

    def refuse(self) -> None:
        """Close the listening socket: connections are refused, as with a stopped Stash. State is kept."""
        self._close()

    def resume(self) -> None:
        """Listen again on the same port (SO_REUSEADDR)."""
        self._listen()

    def __enter__(self) -> StashEmulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _listen(self) -> None:
        if self._server is None:
            self._server = QuietServer((self._host, self._port), self._handle, self._websocket)
            if self._ssl_context is not None:
                self._server.socket = self._ssl_context.wrap_socket(self._server.socket, server_side=True)
            self._port = self._server.server_address[1]
            self._server.start()

    def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()

    # ---------------------------------------------------------------------------------------------------- clock
    def advance(self, seconds: float) -> None:
        with self._lock:
            self._clock.advance(seconds)

    def set_clock(self, local_time: str, utc_offset: str | None = None) -> None:
        """Set local time and maybe the offset, e.g. 02:59+02:00 then 02:10+01:00 for a DST fall-back."""
        with self._lock:
            self._clock.set(local_time, utc_offset)

    def now(self) -> str:
        """The stamp a write would get right now."""
        with self._lock:
            return self._clock.stamp()

    # -------------------------------------------------------------------------------------------------- seeding
    def add_scene(self, *, title: str | None = None, details: str | None = None, date: str | None = None,
                  rating100: int | None = None, studio: str | None = None, performers: Sequence[str] = (),
                  tags: Sequence[str] = (), files: Sequence[str] = (), code: str | None = None,
                  director: str | None = None, organized: bool = False, urls: Sequence[str] = (),
                  groups: Sequence[str | tuple[str, int | None]] = (), has_cover: bool = True,
                  scene_id: str | None = None, updated_at: str | None = None) -> str:
        """Create a scene; related entities are created by name (`groups` as names or (name, scene_index) pairs).
        Returns its id (`"1"`, `"2"`, …)."""
        fields = dict(title=title, details=details, date=date, rating100=rating100, studio=studio,
                      performers=performers, tags=tags, files=files, code=code, director=director,
                      organized=organized, urls=urls, groups=groups, has_cover=has_cover, updated_at=updated_at)
        with self._lock:
            return self._store.add(scene_id, fields)

    def add_scenes(self, scenes: Iterable[Mapping[str, Any]]) -> list[str]:
        """Create many scenes under one lock (10,000 in about a second, for benchmarks). Each mapping takes
        add_scene's keywords; related entities are created by name. Returns the ids in order."""
        with self._lock:
            return [self._store.add(spec.get("scene_id"), {k: v for k, v in spec.items() if k != "scene_id"})
                    for spec in scenes]

    def update_scene(self, scene_id: str, **fields: Any) -> str:
        """Edit with add_scene's keywords; stamps and returns the new `updated_at` (unless one is given)."""
        with self._lock:
            return self._store.update(scene_id, fields)

    def delete_scene(self, scene_id: str) -> None:
        with self._lock:
            self._store.delete(scene_id)

    def rename(self, kind: str, old: str, new: str) -> str:
        """Rename a tag, performer, studio or group (`kind`): it gets a new `updated_at` (returned) and the scenes
        that use it keep theirs, as in Stash."""
        with self._lock:
            stamp = self._clock.stamp()
            getattr(self._store, _REGISTRIES[kind]).rename(old, new, stamp)
            return stamp

    def set_tag_parents(self, name: str, parents: Sequence[str]) -> str:
        """Put a tag (created if new) under these parent tags; returns its new `updated_at`."""
        with self._lock:
            stamp = self._clock.stamp()
            self._store.set_tag_parents(name, parents, stamp)
            return stamp

    def set_performer_image(self, name: str, data: bytes | None) -> str:
        """Give a performer (made when unknown) an image, or take it away (None: Stash's placeholder again). Like
        Stash's performerUpdate, it bumps the performer's `updated_at` (returned) and not its scenes'."""
        with self._lock:
            stamp = self._clock.stamp()
            performer_id = self._store.performers.id_for(name, stamp)
            self._store.performers.updated[performer_id] = stamp
            if data is None:
                self._store.performer_images.pop(performer_id, None)
            else:
                self._store.performer_images[performer_id] = data
            return stamp

    def set_cover(self, scene_id: str, data: bytes | None) -> None:
        """New cover bytes (None → the SVG placeholder); bumps `updated_at` as Stash's cover mutation does."""
        with self._lock:
            self._store.set_cover(scene_id, data)

    def set_system_status(self, status: str) -> None:
        """`systemStatus.status`: OK, SETUP or NEEDS_MIGRATION."""
        with self._lock:
            self._status = status

    def scene(self, scene_id: str) -> dict[str, Any]:
        """The scene as the PlexScene fragment returns it (`groups` or `movies` by profile)."""
        groups = "groups { scene_index group { id name } }" if self._minor >= 27 else \
            "movies { scene_index movie { id name } }"
        operations, _ = parse("{" + _PLEX_SCENE.replace("{groups}", groups) + "}")
        with self._lock:
            view = self._store.view(self._store.get(scene_id), f"http://{self._host}:{self._port}", self._api_key)
        return cast(dict[str, Any], project(view, operations[0].selections))

    def cover_bytes(self, scene_id: str) -> bytes:
        """The bytes `/scene/{id}/screenshot` serves: the cover JPEG, or the SVG placeholder without a cover."""
        with self._lock:
            cover = self._store.get(scene_id).cover
        return SCENE_PLACEHOLDER_SVG if cover is None else cover

    # ------------------------------------------------------------------------------------------------ request log
    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)

    def count(self, operation: str | None = None, path: str | None = None) -> int:
        """Requests with this operationName and/or whose path starts with `path`."""
        with self._lock:
            return sum(1 for r in self._log if (operation is None or r.operation == operation)
                       and (path is None or r.path.startswith(path)))

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # -------------------------------------------------------------------------------------------------- faults
    def fail_next(self, status: int, count: int = 1, path: str | None = None) -> None:
        """The next `count` matching requests get `status` with a proxy's HTML error page."""
        self._queue(_Fault("status", count, path or "/graphql", status=status))

    def graphql_error_next(self, message: str = "database is locked", count: int = 1) -> None:
        """The next `count` executed operations fail in their first resolver: 200 with `errors`."""
        with self._lock:
            self._graphql_errors.extend([message] * count)

    def delay_next(self, seconds: float, count: int = 1, path: str | None = None) -> None:
        """Hold the next `count` matching requests for `seconds` before handling them (client timeouts)."""
        self._queue(_Fault("delay", count, path or "/graphql", seconds=seconds))

    def html_next(self, count: int = 1, path: str | None = None) -> None:
        """200 text/html, as a reverse proxy's login page answers in front of Stash."""
        self._queue(_Fault("html", count, path or "/graphql"))

    def unauthorized_next(self, count: int = 1) -> None:
        """401 with an empty body on every route but /healthz, as after the API key was regenerated."""
        self._queue(_Fault("unauthorized", count, None))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._graphql_errors.clear()

    def _queue(self, fault: _Fault) -> None:
        if fault.remaining > 0:
            with self._lock:
                self._faults.append(fault)

    def _take_fault(self, path: str, delays: bool) -> _Fault | None:
        """Consume one use of the first queued fault (delays, or the others) that matches `path`."""
        with self._lock:
            for fault in self._faults:
                if (fault.kind == "delay") == delays and fault.matches(path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    # ------------------------------------------------------------------------------------------------- routing
    def _handle(self, request: Request) -> Response:
        """Serve one HTTP request and log it (before the client can see the answer, so asserts never race)."""
        if self.latency:
            self._stopping.wait(self.latency)
        delay = self._take_fault(request.path, delays=True)
        if delay is not None:
            self._stopping.wait(delay.seconds)
        response = self._route(request)
        operation, variables = self._peek_body(request)
        with self._lock:
            self._log.append(RequestRecord(request.method, request.target, operation, variables,
                                           dict(request.raw_headers), response.status))
        return response

    def _websocket(self, request: Request, sock: socket.socket) -> Response | None:
        """A websocket upgrade: only `/graphql` has one, authenticated like the route itself."""
        denied = self._authenticate(request) if request.path == "/graphql" else Response(404)
        if denied is None and self.jobs.hub.refusing:
            denied = Response(503)
        with self._lock:
            self._log.append(RequestRecord(request.method, request.target, None, None, dict(request.raw_headers),
                                           denied.status if denied else 101))
        if denied is not None:
            return denied
        server = self._server
        self.jobs.serve(sock, request.raw_headers, request.target, server.released if server else self._stopping)
        return None

    def drop_websockets(self) -> None:
        """Cut every subscription socket, as a Stash restart does."""
        self.jobs.hub.drop_all()

    def refuse_websockets(self, refuse: bool = True) -> None:
        """Answer upgrades with HTTP 503 (a proxy without websockets), or stop doing so."""
        self.jobs.hub.refusing = refuse

    @staticmethod
    def _peek_body(request: Request) -> tuple[str | None, dict[str, Any] | None]:
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return None, None
        if not isinstance(body, dict):
            return None, None
        variables = body.get("variables")
        return body.get("operationName"), variables if isinstance(variables, dict) else None

    def _route(self, request: Request) -> Response:
        path = request.path
        fault = self._take_fault(path, delays=False)
        if fault is not None:
            return self._fault_response(fault)
        if path == "/healthz":
            return Response(200, b".", "text/plain; charset=utf-8")
        if path == "/login" or path.startswith("/login/"):
            return Response(200, _LOGIN_PAGE, "text/html; charset=utf-8")
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        if path == "/graphql":
            return self._graphql(request)
        if match := re.fullmatch(r"/scene/([^/]+)/screenshot", path):
            return self._screenshot(request, match.group(1))
        if match := re.fullmatch(r"/performer/([^/]+)/image", path):
            return self._performer_image(request, match.group(1))
        return Response(200, _UI_PAGE, "text/html; charset=utf-8")  # Stash's UI answers every other path

    @staticmethod
    def _fault_response(fault: _Fault) -> Response:
        if fault.kind == "unauthorized":
            return Response(401, headers=(("WWW-Authenticate", "FormBased"),))
        if fault.kind == "html":
            return Response(200, _PROXY_LOGIN_PAGE, "text/html; charset=utf-8")
        try:
            phrase = HTTPStatus(fault.status).phrase
        except ValueError:
            phrase = "Error"
        page = (f"<html><head><title>{fault.status} {phrase}</title></head><body><center><h1>{fault.status} "
                f"{phrase}</h1></center><hr><center>nginx</center></body></html>")
        return Response(fault.status, page.encode(), "text/html")

    def _authenticate(self, request: Request) -> Response | None:
        """Stash's middleware order: a presented key must match; no key on a keyed server → 401 or 302."""
        key = request.headers.get("apikey") or request.query.get("apikey")
        unauthorized = Response(401, headers=(("WWW-Authenticate", "FormBased"),))
        if key:
            return None if key == self._api_key else unauthorized
        if self._api_key is None:
            return None
        extension = re.search(r"\.[^./]*$", request.path)
        if request.path == "/graphql" or (extension and extension.group() != ".html"):
            return unauthorized
        location = "/login?" + urllib.parse.urlencode({"returnURL": request.target})
        body = f'<a href="{location}">Found</a>.\n\n'.encode()
        return Response(302, body, "text/html; charset=utf-8", (("Location", location),))

    # ------------------------------------------------------------------------------------------------- graphql
    def _graphql(self, request: Request) -> Response:
        """gqlgen's POST transport: JSON only, 422 (or 400) before execution, 200 once anything ran."""
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if request.method != "POST" or content_type != "application/json":
            return json_response(400, _error_payload("transport not supported"))
        try:
            body = json.loads(request.body)
            if not isinstance(body, dict):
                raise ValueError(f"cannot unmarshal {type(body).__name__} into a request")
        except ValueError as exc:
            text = request.body.decode("utf-8", "replace")
            return json_response(400, _error_payload(f"json request body could not be decoded: {exc} body:{text}"))
        # From v0.29 a client that does not ask for application/json gets the graphql-response+json media type,
        # whose rules turn the 422 of a failed validation into 400.
        legacy_json = self._minor < 29 or "application/json" in request.headers.get("accept", "")
        content_type = "application/json" if legacy_json else "application/graphql-response+json"
        try:
            operation = self._prepare(body)
        except GraphQLError as exc:
            return json_response(422 if legacy_json else 400, {"errors": [exc.to_json()], "data": None},
                                 content_type)
        data, errors = self._execute(operation, self._base_url(request))
        payload = {"errors": errors, "data": data} if errors else {"data": data}
        return json_response(200, payload, content_type)

    def _base_url(self, request: Request) -> str:
        """Stash builds image URLs from the request's scheme and Host."""
        host = request.headers.get("host")
        return f"http://{host}" if host else self.url

    def _prepare(self, body: dict[str, Any]) -> Operation:
        """Parse, pick the operation, validate against this profile's schema, bind variables."""
        query = body.get("query")
        if not isinstance(query, str) or not query.strip():
            raise GraphQLError("no operation provided")
        operations, fragments = parse(query)
        operation = self._pick_operation(operations, body.get("operationName"))
        operation.selections = expand(operation.selections, fragments)
        mutation = operation.kind == "mutation"
        validate(operation.selections, "Mutation" if mutation else "Query", self._types,
                 (self._mutation_args if mutation else self._query_args).get)
        variables = self._variables(operation, body.get("variables"))
        for root in operation.selections:
            self._check_input(root, variables)
        _bind(operation.selections, variables)
        return operation

    @staticmethod
    def _pick_operation(operations: list[Operation], name: Any) -> Operation:
        if name:
            for operation in operations:
                if operation.name == name:
                    return operation
            raise GraphQLError(f"operation {name} not found")
        if len(operations) != 1:
            raise GraphQLError("operation name is required" if operations else "no operation provided")
        return operations[0]

    @staticmethod
    def _variables(operation: Operation, given: Any) -> dict[str, Any]:
        """Declared variables with defaults; non-null ones must be present (gqlparser's wording)."""
        given = given if isinstance(given, dict) else {}
        values: dict[str, Any] = {}
        for name, type_text in operation.var_types.items():
            if name in given:
                values[name] = given[name]
            elif name in operation.var_defaults:
                values[name] = operation.var_defaults[name]
            if type_text.endswith("!") and values.get(name) is None:
                message = "cannot be null" if name in given else "must be defined"
                raise GraphQLError(message, path=["variable", name])
        return values

    def _check_input(self, root: Field, variables: dict[str, Any]) -> None:
        """Enum and required-field checks on findScenes and entity listing input, done during variable coercion
        (→ 422)."""
        if root.name == "findScenes":
            filter_argument, criteria = "scene_filter", _TIMESTAMPS + tuple(ENTITY_FILTERS)
        elif root.name in ENTITY_ROOTS:
            filter_argument, criteria = ENTITY_ROOTS[root.name][2], _TIMESTAMPS
        else:
            return
        raw_filter, raw_find = root.args.get(filter_argument), root.args.get("filter")
        given_filter = resolve(raw_filter, variables) or {}
        if isinstance(given_filter, dict) and "files_filter" in given_filter and self._minor < 30:
            raise GraphQLError("unknown field", path=[*_input_path(raw_filter, filter_argument), "files_filter"])
        for column in criteria:
            criterion = given_filter.get(column) if isinstance(given_filter, dict) else None
            if isinstance(criterion, dict):
                where = [*_input_path(raw_filter, filter_argument), column]
                _require(criterion, "modifier", where, _CRITERION_MODIFIERS, "CriterionModifier")
                if column in _TIMESTAMPS:
                    _require(criterion, "value", where)
        find_filter = resolve(raw_find, variables) or {}
        direction = find_filter.get("direction") if isinstance(find_filter, dict) else None
        if direction is not None and direction not in ("ASC", "DESC"):
            raise GraphQLError(f"{direction} is not a valid SortDirectionEnum",
                               path=[*_input_path(raw_find, "filter"), "direction"])

    def _execute(self, operation: Operation, base: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """Run root fields in order; an error in a non-null root nulls `data`, in a nullable one only itself."""
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        with self._lock:
            injected = self._graphql_errors.pop(0) if self._graphql_errors else None
            for index, root in enumerate(operation.selections):
                try:
                    if injected is not None and index == 0:
                        raise ResolverError(injected)
                    value = self._resolvers().get(root.name, self._unimplemented)(root.args, base)
                except ResolverError as exc:
                    errors.append({"message": str(exc), "path": [root.alias]})
                    if root.name in _NON_NULL_ROOTS:
                        return None, errors
                    value = None
                data[root.alias] = project(value, root.selections)
        return data, errors

    def _resolvers(self) -> dict[str, Callable[[dict[str, Any], str], Any]]:
        listings = {root: self._entity_listing(root) for root in ENTITY_ROOTS}
        return {"findScenes": self._find_scenes, "findScene": self._find_scene, "version": self._version,
                "systemStatus": self._system_status, "__type": self._introspect_type, **listings,
                **self._activity.resolvers()}

    def _entity_listing(self, root: str) -> Callable[[dict[str, Any], str], Any]:
        """The resolver of `findTags` and its kin: `{count, <list>}` filtered by the entity's own timestamps."""
        result, type_name, filter_argument = ENTITY_ROOTS[root]
        registry = _REGISTRIES[type_name.lower()] if type_name != "Movie" else "groups"

        def listing(args: dict[str, Any], base: str) -> dict[str, Any]:
            entity_filter = args.get(filter_argument) or {}
            allowed = set(_TIMESTAMPS) | (_TAG_CRITERIA if registry == "tags" else set())
            unsupported = sorted(set(entity_filter) - allowed)
            if unsupported:
                raise ResolverError(f"the emulated Stash cannot filter {result} on {', '.join(unsupported)}")
            count, rows = self._store.find_entities(registry, entity_filter, args.get("filter"))
            return {"count": count, result: rows}

        return listing

    @staticmethod
    def _unimplemented(args: dict[str, Any], base: str) -> Any:
        raise ResolverError("not implemented by the emulated Stash")

    def _find_scenes(self, args: dict[str, Any], base: str) -> dict[str, Any]:
        """`ids` (or legacy `scene_ids`) when non-empty, else the filtered, sorted, paged query."""
        ids = args.get("ids") or args.get("scene_ids")
        if ids:
            records = self._store.find_many(ids)
            count = len(records)
        else:
            unsupported = sorted(set(args.get("scene_filter") or {}) - _FILTERABLE)
            if unsupported:  # better a loud error than a silently unfiltered result
                raise ResolverError(f"the emulated Stash cannot filter scenes on {', '.join(unsupported)}")
            count, records = self._store.query(args.get("scene_filter"), args.get("filter"))
        scenes = [self._store.view(record, base, self._api_key) for record in records]
        return {"count": count, "scenes": scenes}

    def _find_scene(self, args: dict[str, Any], base: str) -> dict[str, Any] | None:
        record = self._store.scenes.get(atoi(args.get("id")))
        return None if record is None else self._store.view(record, base, self._api_key)

    def _version(self, args: dict[str, Any], base: str) -> dict[str, Any]:
        return {"version": _VERSIONS[self._minor], "hash": f"{self._minor:02d}c0ffee",
                "build_time": "2025-12-01 10:00:00"}

    def _system_status(self, args: dict[str, Any], base: str) -> dict[str, Any]:
        schema = _SCHEMA_VERSIONS[self._minor]
        return {"status": self._status, "appSchema": schema, "databaseSchema": schema,
                "databasePath": "/root/.stash/stash-go.sqlite", "configPath": "/root/.stash/config.yml",
                "os": "linux", "workingDir": "/", "homeDir": "/root"}

    def _introspect_type(self, args: dict[str, Any], base: str) -> dict[str, Any] | None:
        """`__type(name:)` for the modelled types; `fields(includeDeprecated:)` filters deprecated ones."""
        name = args.get("name")
        if name == "Scene":
            fields = [_field_info(field, _DEPRECATION_REASONS[field] if deprecated else None)
                      for field, deprecated in scene_fields(self._minor)]
        elif name == "Query":
            fields = [_field_info(field, None, args_) for field, args_ in self._query_args.items()
                      if not field.startswith("__")]
        elif name == "Mutation":
            fields = [_field_info(field, None, args_) for field, args_ in self._mutation_args.items()]
        elif name in self._types:
            fields = [_field_info(field, None) for field in self._types[name]]
        else:
            return None

        def visible(field_args: dict[str, Any]) -> list[dict[str, Any]]:
            return [f for f in fields if field_args.get("includeDeprecated") or not f["isDeprecated"]]

        return {"name": name, "kind": "OBJECT", "description": None, "fields": visible}

    # -------------------------------------------------------------------------------------------------- images
    def _screenshot(self, request: Request, scene_id: str) -> Response:
        if not scene_id.isdigit():
            return Response(400, f'strconv.Atoi: parsing "{scene_id}": invalid syntax\n'.encode(), "text/plain")
        with self._lock:
            record = self._store.scenes.get(int(scene_id))
            cover = None if record is None else record.cover
        if record is None:
            return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        data = SCENE_PLACEHOLDER_SVG if cover is None else cover
        return image_response(request, data, "image/svg+xml" if cover is None else sniff_content_type(data))

    def _performer_image(self, request: Request, performer_id: str) -> Response:
        """The performer's image; without one Stash answers with its default PNG, `default=true` or not."""
        if not performer_id.isdigit():
            return Response(400, f'strconv.Atoi: parsing "{performer_id}": invalid syntax\n'.encode(), "text/plain")
        with self._lock:
            known = int(performer_id) in self._store.performers.names
            image = self._store.performer_images.get(int(performer_id))
        if not known:
            return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")
        if image is None:
            return image_response(request, PERFORMER_PLACEHOLDER_PNG, "image/png")
        return image_response(request, image, sniff_content_type(image))


def _field_info(name: str, deprecation: str | None, args: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """An introspection `__Field`; `deprecation` is the reason, None when the field is current."""
    return {"name": name, "isDeprecated": deprecation is not None, "deprecationReason": deprecation,
            "description": None, "args": [{"name": arg, "description": None, "defaultValue": None} for arg in args]}


def _input_path(raw: Any, argument: str) -> list[str]:
    """Where gqlparser reports a bad input value: under the variable it came from, else the argument."""
    return ["variable", raw.name] if isinstance(raw, Var) else ["argument", argument]


def _require(values: dict[str, Any], key: str, where: list[str], enum: tuple[str, ...] = (),
             enum_name: str = "") -> None:
    if values.get(key) is None:
        raise GraphQLError("must be defined", path=[*where, key])
    if enum and values[key] not in enum:
        raise GraphQLError(f"{values[key]} is not a valid {enum_name}", path=[*where, key])


def _bind(selections: list[Field], variables: dict[str, Any]) -> None:
    """Replace `$var` references in every field's arguments (nested ones too, e.g. `fields(includeDeprecated:)`)."""
    for sel in selections:
        sel.args = resolve(sel.args, variables)
        _bind(sel.selections, variables)
