"""A tolerant GraphQL reader for the emulated Stash: documents, variables, selection projection and the schema.

Not a full GraphQL implementation (no graphql-core dependency): it reads executable documents well enough to pick
the named operation, expand fragments, resolve arguments against variables, reject fields a Stash version does not
have (with gqlparser's wording) and project resolver output onto exactly the selected fields and aliases.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_TOKEN_RE = re.compile(
    r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n]*)
  | (?P<spread>\.\.\.)
  | (?P<string>"(?:\\.|[^"\\\n])*")
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<punct>[!$&()\[\]{}:=@|])
    """,
    re.VERBOSE,
)


class ResolverError(Exception):
    """A resolver failure: HTTP 200 with `errors[].path` and the field (or the whole `data`) null."""


class GraphQLError(Exception):
    """A request-level error answered with 422 before anything executes (parse or validation failure)."""

    def __init__(self, message: str, code: str = "GRAPHQL_VALIDATION_FAILED", *,
                 locations: list[dict[str, int]] | None = None, path: list[str] | None = None) -> None:
        super().__init__(message)
        self.message, self.code, self.locations, self.path = message, code, locations, path

    def to_json(self) -> dict[str, Any]:
        """The error object in gqlgen's shape."""
        error: dict[str, Any] = {"message": self.message}
        if self.path:
            error["path"] = self.path
        if self.locations:
            error["locations"] = self.locations
        error["extensions"] = {"code": self.code}
        return error


@dataclass(frozen=True)
class Var:
    """A `$name` reference inside an argument value, resolved against the request's variables."""

    name: str


@dataclass
class Field:
    """One selected field; `selections` holds Fields and, before expansion, FragmentSpreads."""

    alias: str
    name: str
    args: dict[str, Any]
    selections: list[Any]
    location: dict[str, int]


@dataclass
class FragmentSpread:
    """`...Name`, replaced by the fragment's fields during expansion."""

    name: str
    location: dict[str, int]


@dataclass
class Operation:
    """A named (or anonymous) operation with its variable definitions (type text and default)."""

    name: str | None
    var_types: dict[str, str]
    var_defaults: dict[str, Any]
    selections: list[Field] = field(default_factory=list)
    kind: str = "query"  # or "mutation"


class _Parser:
    """Recursive-descent reader of executable GraphQL documents (operations and fragments)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens = self._tokenize(text)
        self._i = 0

    def _tokenize(self, text: str) -> list[tuple[str, str, int]]:
        tokens: list[tuple[str, str, int]] = []
        pos = 0
        while pos < len(text):
            match = _TOKEN_RE.match(text, pos)
            if match is None:
                raise self._error(f"Unexpected character {text[pos]!r}", pos)
            if match.lastgroup != "skip":
                tokens.append((match.lastgroup or "", match.group(), pos))
            pos = match.end()
        tokens.append(("eof", "<EOF>", len(text)))
        return tokens

    def _location(self, pos: int) -> dict[str, int]:
        line = self._text.count("\n", 0, pos) + 1
        return {"line": line, "column": pos - (self._text.rfind("\n", 0, pos) + 1) + 1}

    def _error(self, message: str, pos: int) -> GraphQLError:
        return GraphQLError(message, "GRAPHQL_PARSE_FAILED", locations=[self._location(pos)])

    def _peek(self) -> tuple[str, str, int]:
        return self._tokens[self._i]

    def _take(self, text: str | None = None, kind: str | None = None) -> str:
        token_kind, token_text, pos = self._tokens[self._i]
        if (text is not None and token_text != text) or (kind is not None and token_kind != kind):
            raise self._error(f"Expected {text or kind}, found {token_text}", pos)
        self._i += 1
        return token_text

    def _at(self, text: str) -> bool:
        return self._peek()[1] == text and self._peek()[0] != "string"

    def document(self) -> tuple[list[Operation], dict[str, list[Any]]]:
        """All operations and fragments of the document."""
        operations: list[Operation] = []
        fragments: dict[str, list[Any]] = {}
        while self._peek()[0] != "eof":
            if self._at("fragment"):
                self._take()
                name = self._take(kind="name")
                self._take("on")
                self._take(kind="name")
                self._directives()
                fragments[name] = self._selection_set()
            else:
                operations.append(self._operation())
        return operations, fragments

    def _operation(self) -> Operation:
        if self._at("{"):
            return Operation(None, {}, {}, self._selection_set())
        if self._peek()[1] not in ("query", "mutation", "subscription"):
            raise self._error(f"Unexpected {self._peek()[1]}", self._peek()[2])
        kind = self._take()
        name = self._take(kind="name") if self._peek()[0] == "name" else None
        var_types, var_defaults = self._variable_definitions()
        self._directives()
        return Operation(name, var_types, var_defaults, self._selection_set(), kind)

    def _variable_definitions(self) -> tuple[dict[str, str], dict[str, Any]]:
        types: dict[str, str] = {}
        defaults: dict[str, Any] = {}
        if not self._at("("):
            return types, defaults
        self._take("(")
        while not self._at(")"):
            self._take("$")
            name = self._take(kind="name")
            self._take(":")
            types[name] = self._type_ref()
            if self._at("="):
                self._take("=")
                defaults[name] = self._value()
        self._take(")")
        return types, defaults

    def _type_ref(self) -> str:
        if self._at("["):
            self._take("[")
            inner = self._type_ref()
            self._take("]")
            text = f"[{inner}]"
        else:
            text = self._take(kind="name")
        if self._at("!"):
            self._take("!")
            text += "!"
        return text

    def _directives(self) -> None:
        while self._at("@"):
            self._take("@")
            self._take(kind="name")
            self._arguments()

    def _selection_set(self) -> list[Any]:
        self._take("{")
        selections: list[Any] = []
        while not self._at("}"):
            selections.extend(self._selection())
        self._take("}")
        return selections

    def _selection(self) -> list[Any]:
        kind, _, pos = self._peek()
        if kind == "spread":
            self._take()
            if self._at("on") or self._at("{") or self._at("@"):
                if self._at("on"):
                    self._take("on")
                    self._take(kind="name")
                self._directives()
                return self._selection_set()  # inline fragment: its fields join the parent's
            name = self._take(kind="name")
            self._directives()
            return [FragmentSpread(name, self._location(pos))]
        alias = name = self._take(kind="name")
        if self._at(":"):
            self._take(":")
            name = self._take(kind="name")
        args = self._arguments()
        self._directives()
        children = self._selection_set() if self._at("{") else []
        return [Field(alias, name, args, children, self._location(pos))]

    def _arguments(self) -> dict[str, Any]:
        args: dict[str, Any] = {}
        if self._at("("):
            self._take("(")
            while not self._at(")"):
                name = self._take(kind="name")
                self._take(":")
                args[name] = self._value()
            self._take(")")
        return args

    def _value(self) -> Any:
        kind, text, pos = self._peek()
        if text == "$" and kind == "punct":
            self._take("$")
            return Var(self._take(kind="name"))
        if text in ("[", "{") and kind == "punct":
            return self._list() if text == "[" else self._object()
        self._i += 1
        if kind == "string":
            return json.loads(text)  # GraphQL string escapes are JSON's
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, text)  # enum values stay text
        raise self._error(f"Unexpected {text}", pos)

    def _list(self) -> list[Any]:
        self._take("[")
        items = []
        while not self._at("]"):
            items.append(self._value())
        self._take("]")
        return items

    def _object(self) -> dict[str, Any]:
        self._take("{")
        fields: dict[str, Any] = {}
        while not self._at("}"):
            name = self._take(kind="name")
            self._take(":")
            fields[name] = self._value()
        self._take("}")
        return fields


def parse(text: str) -> tuple[list[Operation], dict[str, list[Any]]]:
    """Operations and fragments of `text`; raises GraphQLError (GRAPHQL_PARSE_FAILED) on bad syntax."""
    return _Parser(text).document()


def expand(selections: list[Any], fragments: dict[str, list[Any]], depth: int = 0) -> list[Field]:
    """Replace fragment spreads by their fields, recursively, so later stages see plain Field trees."""
    if depth > 20:
        raise GraphQLError("Cannot spread fragments within themselves.")
    out: list[Field] = []
    for item in selections:
        if isinstance(item, FragmentSpread):
            if item.name not in fragments:
                raise GraphQLError(f'Unknown fragment "{item.name}".', locations=[item.location])
            out.extend(expand(fragments[item.name], fragments, depth + 1))
        else:
            item.selections = expand(item.selections, fragments, depth + 1)
            out.append(item)
    return out


def resolve(value: Any, variables: dict[str, Any]) -> Any:
    """An argument value with every `$var` replaced by the request's variable (absent → None)."""
    if isinstance(value, Var):
        return variables.get(value.name)
    if isinstance(value, list):
        return [resolve(item, variables) for item in value]
    if isinstance(value, dict):
        return {key: resolve(item, variables) for key, item in value.items()}
    return value


def project(value: Any, selections: list[Field]) -> Any:
    """Keep only the selected fields, under their aliases; a callable value is a field that takes arguments."""
    if value is None or not selections:
        return value
    if isinstance(value, list):
        return [project(item, selections) for item in value]
    out: dict[str, Any] = {}
    for sel in selections:
        item = value.get(sel.name)
        if callable(item):
            item = item(sel.args)
        out[sel.alias] = project(item, sel.selections)
    return out


# ---------------------------------------------------------------------------------------------- the schema subset

ObjectFields = dict[str, str | None]  # field name → object type name, or None for a scalar/enum

# The entity listings: root field → (result list field, object type, filter argument).
ENTITY_ROOTS: dict[str, tuple[str, str, str]] = {
    "findTags": ("tags", "Tag", "tag_filter"),
    "findPerformers": ("performers", "Performer", "performer_filter"),
    "findStudios": ("studios", "Studio", "studio_filter"),
    "findGroups": ("groups", "Group", "group_filter"),
    "findMovies": ("movies", "Movie", "movie_filter"),
}

_SCENE_FIELDS_V024: list[str] = [
    "id", "title", "code", "details", "director", "url", "urls", "date", "rating100", "organized", "o_counter",
    "interactive", "interactive_speed", "captions", "created_at", "updated_at", "last_played_at", "resume_time",
    "play_duration", "play_count", "files", "paths", "scene_markers", "galleries",
    "studio", "movies", "tags", "performers", "stash_ids", "sceneStreams",
]
_SCENE_OBJECT_FIELDS: dict[str, str] = {
    "files": "VideoFile", "paths": "ScenePathsType", "studio": "Studio", "movies": "SceneMovie",
    "groups": "SceneGroup", "tags": "Tag", "performers": "Performer",
}


def scene_fields(minor: int) -> list[tuple[str, bool]]:
    """(name, isDeprecated) of Scene for Stash v0.<minor>: `groups` from v0.27, when `movies` became deprecated."""
    names = list(_SCENE_FIELDS_V024)
    if minor >= 25:  # play and O dates arrived in v0.25
        names[names.index("play_count") + 1:names.index("play_count") + 1] = ["play_history", "o_history"]
    if minor >= 27:
        names.insert(names.index("movies") + 1, "groups")
    deprecated = {"url"} | ({"movies"} if minor >= 27 else set())
    return [(name, name in deprecated) for name in names]


def query_fields(minor: int) -> dict[str, list[str]]:
    """Query root fields and their argument names: `findScenes(ids:)` exists from v0.25."""
    find_scenes = ["scene_filter", "scene_ids"] + (["ids"] if minor >= 25 else []) + ["filter"]
    return {
        "findScene": ["id", "checksum"],
        "findSceneByHash": ["input"],
        "findScenes": find_scenes,
        "findScenesByPathRegex": ["filter"],
        "findPerformers": ["performer_filter", "filter", "performer_ids", "ids"],
        "findStudios": ["studio_filter", "filter", "ids"],
        "findTags": ["tag_filter", "filter", "ids"],
        "findMovies": ["movie_filter", "filter", "ids"],
        **({"findGroups": ["group_filter", "filter", "ids"]} if minor >= 27 else {}),
        "version": [],
        "systemStatus": [],
        "__type": ["name"],
        "__schema": [],
    }


def object_types(minor: int) -> dict[str, ObjectFields]:
    """The object types the emulator validates selections against (Query down to the PlexScene fragment)."""
    scene: ObjectFields = {name: _SCENE_OBJECT_FIELDS.get(name) for name, _ in scene_fields(minor)}
    query: ObjectFields = {name: None for name in query_fields(minor)}
    query.update(findScene="Scene", findScenes="FindScenesResultType", version="Version",
                 systemStatus="SystemStatus", __type="__Type")
    query.update({root: f"{root[0].upper()}{root[1:]}ResultType" for root in ENTITY_ROOTS if root in query})
    def scalars(*names: str) -> ObjectFields:
        return dict.fromkeys(names)

    return {
        "Query": query,
        "FindScenesResultType": {**scalars("count", "duration", "filesize"), "scenes": "Scene"},
        "Scene": scene,
        "Studio": {**scalars("id", "name", "url", "image_path", "details", "created_at", "updated_at"),
                   "parent_studio": "Studio"},
        "Performer": scalars("id", "name", "disambiguation", "gender", "image_path", "created_at", "updated_at"),
        "Tag": scalars("id", "name", "description", "image_path", "created_at", "updated_at"),
        "SceneMovie": {"scene_index": None, "movie": "Movie"},
        "Movie": scalars("id", "name", "created_at", "updated_at"),
        "SceneGroup": {"scene_index": None, "group": "Group"},
        "Group": scalars("id", "name", "created_at", "updated_at"),
        **{f"{root[0].upper()}{root[1:]}ResultType": {"count": None, result: type_name}
           for root, (result, type_name, _) in ENTITY_ROOTS.items()},
        "VideoFile": scalars("id", "path", "basename", "size", "duration", "width", "height", "mod_time",
                             "video_codec", "audio_codec", "frame_rate", "bit_rate", "format"),
        "ScenePathsType": scalars("screenshot", "preview", "stream", "webp", "vtt", "sprite", "funscript",
                                  "interactive_heatmap", "caption"),
        "Version": scalars("version", "hash", "build_time"),
        "SystemStatus": scalars("status", "appSchema", "databaseSchema", "databasePath", "configPath",
                                "ffmpegPath", "ffprobePath", "os", "workingDir", "homeDir"),
        "__Type": {**scalars("name", "kind", "description"), "fields": "__Field", "inputFields": "__InputValue"},
        "__Field": {**scalars("name", "description", "isDeprecated", "deprecationReason"),
                    "args": "__InputValue"},
        "__InputValue": scalars("name", "description", "defaultValue"),
    }


def validate(selections: list[Field], type_name: str, types: dict[str, ObjectFields],
             args_of: Callable[[str], list[str] | None]) -> None:
    """Reject unknown fields and (root) arguments with gqlparser's messages, as Stash answers 422 before running."""
    fields = types.get(type_name)
    if fields is None:
        return  # a type the emulator does not model: accept whatever is selected
    for sel in selections:
        if sel.name == "__typename":
            continue
        if sel.name not in fields:
            raise GraphQLError(f'Cannot query field "{sel.name}" on type "{type_name}".',
                               locations=[sel.location])
        allowed = args_of(sel.name) if type_name in ("Query", "Mutation") else None
        for arg in sel.args:
            if allowed is not None and arg not in allowed:
                raise GraphQLError(f'Unknown argument "{arg}" on field "{type_name}.{sel.name}".',
                                   locations=[sel.location])
        child = fields[sel.name]
        if child is not None:
            validate(sel.selections, child, types, args_of)
