"""The emulated Stash's data: a settable clock, scenes with their related entities, and `findScenes` semantics.

Kept apart from the HTTP layer so the query rules (textual `updated_at` comparison, Stash's ORDER BY, paging) read
as plain functions. Callers hold the emulator's lock; nothing here is thread-safe on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from plexsync_gui.emulators.stash_graphql import ResolverError
from plexsync_gui.emulators.stash_images import make_jpeg

_OFFSET_RE = re.compile(r"Z|[+-]\d\d:\d\d")
_FULL_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARTIAL_DATE_RE = re.compile(r"\d{4}(-\d{2})?")

# Stash's sort keys this emulator implements; any other text is the resolver error `invalid sort: X`.
SORT_KEYS = ("updated_at", "created_at", "id", "title", "date", "path", "rating", "code", "organized", "studio")
DATE_MODIFIERS = ("EQUALS", "NOT_EQUALS", "GREATER_THAN", "LESS_THAN", "BETWEEN", "NOT_BETWEEN", "IS_NULL",
                  "NOT_NULL")


class Clock:
    """The server's wall clock: naive local time plus the offset text Stash's Go runtime would print."""

    def __init__(self, local_time: str, utc_offset: str) -> None:
        self.local = datetime.min
        self.offset = "Z"
        self.set(local_time, utc_offset)

    def set(self, local_time: str, utc_offset: str | None = None) -> None:
        """Jump to `local_time` (naive ISO text), optionally switching offset as a DST change or TZ move does."""
        local = datetime.fromisoformat(local_time)
        if local.tzinfo is not None:
            raise ValueError("local_time must be naive; pass the offset as utc_offset")
        if utc_offset is not None and not _OFFSET_RE.fullmatch(utc_offset):
            raise ValueError(f"utc_offset must be 'Z' or ±HH:MM, got {utc_offset!r}")
        self.local = local
        self.offset = utc_offset if utc_offset is not None else self.offset

    def advance(self, seconds: float) -> None:
        """Move forward; stamps truncate to whole seconds, so sub-second advances may share a stamp."""
        self.local += timedelta(seconds=seconds)

    def stamp(self, later: timedelta = timedelta(0)) -> str:
        """`time.Now().Format(time.RFC3339)`: second precision, this clock's offset text."""
        return (self.local + later).strftime("%Y-%m-%dT%H:%M:%S") + self.offset


def unix_of(stamp: str) -> int:
    """Unix seconds of a stored timestamp for `?t=` URLs (0 if a seeded string is not a timestamp)."""
    try:
        return int(datetime.fromisoformat(stamp).timestamp())
    except ValueError:
        return 0


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Stash's NATURAL_CI collation: case-insensitive, digit runs compared as numbers."""
    parts = re.split(r"(\d+)", text.lower())
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts if part)


@dataclass
class FileRecord:
    """A video file; `files[0]` is the primary."""

    id: int
    path: str
    size: int = 1_073_741_824
    duration: float = 1800.0
    width: int = 1920
    height: int = 1080

    @property
    def basename(self) -> str:
        return re.split(r"[\\/]", self.path)[-1]

    @property
    def folder(self) -> str:
        return self.path[: len(self.path) - len(self.basename)]


@dataclass
class SceneRecord:
    """One stored scene; timestamps are kept as the exact text Stash would have written."""

    id: int
    created_at: str
    updated_at: str
    title: str | None = None
    details: str | None = None
    date: str | None = None
    rating100: int | None = None
    code: str | None = None
    director: str | None = None
    organized: bool = False
    urls: list[str] = field(default_factory=list)
    studio: int | None = None
    performers: list[int] = field(default_factory=list)
    tags: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)
    group_indexes: list[int | None] = field(default_factory=list)  # the scene's place in each of its groups
    files: list[FileRecord] = field(default_factory=list)
    cover: bytes | None = None
    cover_version: int = 0
    play_history: list[str] = field(default_factory=list)  # play times as Stash writes them, oldest first
    resume_time: float = 0.0
    play_duration: float = 0.0


class _Names:
    """Name → id registry for studios, performers, tags and groups: created on first use, ids stable. Each entity
    has its own `updated_at`; renaming one bumps it and leaves the scenes that use it alone, as in Stash."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.names: dict[int, str] = {}
        self.created: dict[int, str] = {}
        self.updated: dict[int, str] = {}

    def id_for(self, name: str, stamp: str) -> int:
        if name not in self.ids:
            new_id = len(self.names) + 1
            self.ids[name], self.names[new_id] = new_id, name
            self.created[new_id] = self.updated[new_id] = stamp
        return self.ids[name]

    def rename(self, old: str, new: str, stamp: str) -> None:
        if old not in self.ids:
            raise KeyError(f"no entity named {old!r}")
        if new in self.ids:
            raise ValueError(f"{new!r} already exists")
        entity_id = self.ids.pop(old)
        self.ids[new], self.names[entity_id], self.updated[entity_id] = entity_id, new, stamp

    def view(self, entity_id: int) -> dict[str, Any]:
        """The entity's own fields as GraphQL returns them."""
        return {"id": str(entity_id), "name": self.names[entity_id], "created_at": self.created[entity_id],
                "updated_at": self.updated[entity_id]}


# The scene filters on related entities (a MultiCriterionInput or HierarchicalMultiCriterionInput each), by the
# registry they name; only INCLUDES is modelled, and `depth` is moot while no entity has parents.
ENTITY_FILTERS = {"tags": "tags", "performers": "performers", "studios": "studios", "groups": "groups",
                  "movies": "groups"}

SCENE_FIELDS = ("title", "details", "date", "rating100", "studio", "performers", "tags", "files", "code",
                "director", "organized", "urls", "groups", "has_cover", "updated_at")


class SceneStore:
    """All scenes and related entities of one emulated Stash."""

    def __init__(self, clock: Clock, partial_dates: bool) -> None:
        self.clock = clock
        self.partial_dates = partial_dates
        self.scenes: dict[int, SceneRecord] = {}
        self._max_id = 0  # max(self.scenes), kept up to date so that adding is O(1)
        self.studios, self.performers, self.tags, self.groups = _Names(), _Names(), _Names(), _Names()
        self.tag_parents: dict[int, set[int]] = {}  # tag id -> its parent tags' ids (Stash tags form a DAG)
        self.performer_images: dict[int, bytes] = {}  # performers without one get Stash's placeholder
        self._next_file_id = 1

    # ------------------------------------------------------------------------------------------------ mutation
    def add(self, scene_id: str | None, fields: Mapping[str, Any]) -> str:
        """Create a scene stamped by the clock (or with an explicit `updated_at`, which also becomes created_at)."""
        new_id = int(scene_id) if scene_id is not None else self._max_id + 1
        if new_id in self.scenes:
            raise ValueError(f"scene {new_id} already exists")
        stamp = fields.get("updated_at") or self.clock.stamp()
        record = SceneRecord(id=new_id, created_at=stamp, updated_at=stamp)
        self._apply(record, {"has_cover": True, **fields})
        self.scenes[new_id] = record
        self._max_id = max(self._max_id, new_id)
        return str(new_id)

    def update(self, scene_id: str, fields: Mapping[str, Any]) -> str:
        """Edit a scene and bump `updated_at` from the clock, as every Stash scene mutation does."""
        record = self.get(scene_id)
        self._apply(record, fields)
        record.updated_at = fields.get("updated_at") or self.clock.stamp()
        return record.updated_at

    def set_cover(self, scene_id: str, data: bytes | None) -> str:
        """Replace the cover (None removes it); a cover change is a scene mutation."""
        record = self.get(scene_id)
        record.cover, record.cover_version = data, record.cover_version + 1
        record.updated_at = self.clock.stamp()
        return record.updated_at

    def delete(self, scene_id: str) -> None:
        """Remove a scene; Stash keeps no tombstones, so only a full id list reveals it."""
        del self.scenes[self.get(scene_id).id]
        self._max_id = max(self.scenes, default=0)

    def get(self, scene_id: str | int) -> SceneRecord:
        record = self.scenes.get(int(scene_id))
        if record is None:
            raise KeyError(f"no scene {scene_id}")
        return record

    def _apply(self, record: SceneRecord, fields: Mapping[str, Any]) -> None:
        unknown = set(fields) - set(SCENE_FIELDS)
        if unknown:
            raise TypeError(f"unknown scene fields: {sorted(unknown)}")
        self._check_date(fields.get("date"))  # before any change, so a bad date leaves the scene untouched
        stamp = self.clock.stamp()
        for name, value in fields.items():
            if name in ("title", "details", "date", "rating100", "code", "director", "organized"):
                setattr(record, name, value)
            elif name == "urls":
                record.urls = list(value)
            elif name == "studio":
                record.studio = None if value is None else self.studios.id_for(value, stamp)
            elif name == "groups":  # names, or (name, scene_index) pairs
                entries = [(item, None) if isinstance(item, str) else tuple(item) for item in value]
                record.groups = [self.groups.id_for(group, stamp) for group, _ in entries]
                record.group_indexes = [index for _, index in entries]
            elif name in ("performers", "tags"):
                registry = getattr(self, name)
                setattr(record, name, [registry.id_for(item, stamp) for item in value])
            elif name == "files":
                record.files = self._files(record, value)
            elif name == "has_cover" and bool(value) != (record.cover is not None):
                record.cover_version += 1
                record.cover = make_jpeg(f"stash-emulator scene {record.id} cover {record.cover_version}") \
                    if value else None

    def _files(self, record: SceneRecord, specs: Iterable[str | Mapping[str, Any]]) -> list[FileRecord]:
        """Files by path (or dicts with path/size/duration/width/height); known paths keep their file id."""
        known = {f.path: f.id for f in record.files}
        files = []
        for spec in specs:
            attrs = {"path": spec} if isinstance(spec, str) else dict(spec)
            file_id = known.get(attrs["path"])
            if file_id is None:
                file_id, self._next_file_id = self._next_file_id, self._next_file_id + 1
            files.append(FileRecord(id=file_id, **attrs))
        return files

    def _check_date(self, date: str | None) -> None:
        """Full `YYYY-MM-DD` always; `YYYY` and `YYYY-MM` only where Stash has date precision (v0.30+)."""
        if date is None:
            return
        if _FULL_DATE_RE.fullmatch(date):
            datetime.strptime(date, "%Y-%m-%d")  # ValueError for 2024-13-01
        elif self.partial_dates and _PARTIAL_DATE_RE.fullmatch(date):
            datetime.strptime(date, "%Y-%m" if "-" in date else "%Y")
        else:
            raise ValueError(f"date {date!r} is not valid for this Stash version")

    # ---------------------------------------------------------------------------------------------------- views
    def view(self, scene: SceneRecord, base: str, api_key: str | None) -> dict[str, Any]:
        """Every Scene field the emulator knows, as GraphQL returns it; the caller projects the selection."""
        stream_query = f"?apikey={api_key}" if api_key else ""  # Stash really embeds the key in paths.stream
        return {
            "id": str(scene.id), "title": scene.title, "code": scene.code, "details": scene.details,
            "director": scene.director, "date": scene.date, "rating100": scene.rating100,
            "organized": scene.organized, "url": scene.urls[0] if scene.urls else None, "urls": list(scene.urls),
            "created_at": scene.created_at, "updated_at": scene.updated_at,
            "studio": None if scene.studio is None else self._named(self.studios, scene.studio, parent_studio=None),
            "performers": [self._performer(pid, base) for pid in scene.performers],
            "tags": [self._named(self.tags, tid) for tid in scene.tags],
            "groups": [{"scene_index": index, "group": self._named(self.groups, gid)} for gid, index in
                       zip(scene.groups, self._indexes(scene), strict=True)],
            "movies": [{"scene_index": index, "movie": self._named(self.groups, gid)} for gid, index in
                       zip(scene.groups, self._indexes(scene), strict=True)],
            "files": [{"id": str(f.id), "path": f.path, "basename": f.basename, "size": f.size,
                       "duration": f.duration, "width": f.width, "height": f.height} for f in scene.files],
            "play_history": list(scene.play_history), "play_count": len(scene.play_history),
            "last_played_at": scene.play_history[-1] if scene.play_history else None,
            "resume_time": scene.resume_time, "play_duration": scene.play_duration,
            "paths": {"screenshot": f"{base}/scene/{scene.id}/screenshot?t={unix_of(scene.updated_at)}",
                      "stream": f"{base}/scene/{scene.id}/stream{stream_query}"},
        }

    @staticmethod
    def _named(registry: _Names, entity_id: int, **extra: Any) -> dict[str, Any]:
        return {**registry.view(entity_id), **extra}

    @staticmethod
    def _indexes(scene: SceneRecord) -> list[int | None]:
        return scene.group_indexes if len(scene.group_indexes) == len(scene.groups) else [None] * len(scene.groups)

    def _performer(self, performer_id: int, base: str) -> dict[str, Any]:
        """A performer without an image gets Stash's `&default=true` marker in `image_path`."""
        stamp = self.performers.updated[performer_id]
        marker = "" if performer_id in self.performer_images else "&default=true"
        image = f"{base}/performer/{performer_id}/image?t={unix_of(stamp)}{marker}"
        return self._named(self.performers, performer_id, disambiguation=None, gender=None, image_path=image)

    # ------------------------------------------------------------------------------------------------- queries
    def find_many(self, ids: list[Any]) -> list[SceneRecord]:
        """`findScenes(ids:)`: ids order kept; one unknown id fails the whole call."""
        numbers = [atoi(value) for value in ids]
        missing = next((n for n in numbers if n not in self.scenes), None)
        if missing is not None:
            raise ResolverError(f"scene with id {missing} not found")
        return [self.scenes[n] for n in numbers]

    def query(self, scene_filter: Mapping[str, Any] | None, find_filter: Mapping[str, Any] | None
              ) -> tuple[int, list[SceneRecord]]:
        """`findScenes(scene_filter:, filter:)`: (total count, the requested page)."""
        find_filter = find_filter or {}
        rows = [s for s in self.scenes.values() if self._matches(s, scene_filter or {})]
        rows = self._sorted(rows, find_filter.get("sort"), find_filter.get("direction") or "ASC")
        return len(rows), _page(rows, find_filter.get("page"), find_filter.get("per_page"))

    def _matches(self, scene: SceneRecord, scene_filter: Mapping[str, Any]) -> bool:
        for column in ("updated_at", "created_at"):
            criterion = scene_filter.get(column)
            if criterion is not None and not self.timestamp_matches(getattr(scene, column), criterion):
                return False
        for name, registry in ENTITY_FILTERS.items():
            criterion = scene_filter.get(name)
            if criterion is not None and not _includes(self._related(scene, registry), criterion):
                return False
        return True

    @staticmethod
    def _related(scene: SceneRecord, registry: str) -> set[int]:
        if registry == "studios":
            return set() if scene.studio is None else {scene.studio}
        return set(getattr(scene, registry))

    def set_tag_parents(self, name: str, parents: Iterable[str], stamp: str) -> None:
        """Give a tag (created if new) these parent tags; the tag's own `updated_at` moves, its scenes' do not."""
        tag_id = self.tags.id_for(name, stamp)
        self.tag_parents[tag_id] = {self.tags.id_for(parent, stamp) for parent in parents}
        self.tags.updated[tag_id] = stamp

    def _ancestors(self, tag_id: int, depth: int) -> set[int]:
        """The tag's parents up to `depth` + 1 levels (-1: every level), as Stash's hierarchical criteria count."""
        found: set[int] = set()
        level, frontier = 0, self.tag_parents.get(tag_id, set())
        while frontier and (depth < 0 or level <= depth):
            found |= frontier
            frontier = {p for t in frontier for p in self.tag_parents.get(t, set())} - found
            level += 1
        return found

    def _tag_matches(self, view: Mapping[str, Any], entity_filter: Mapping[str, Any]) -> bool:
        """The tag-only criteria the rules use: `name` (EQUALS, ignoring case as Stash's LIKE does) and
        `parents` (INCLUDES, with depth)."""
        name = entity_filter.get("name")
        if name is not None:
            if name.get("modifier") != "EQUALS":
                raise ResolverError("the emulated Stash only filters tag names with EQUALS")
            if str(view["name"]).casefold() != str(name.get("value") or "").casefold():
                return False
        parents = entity_filter.get("parents")
        if parents is not None:
            ancestors = self._ancestors(int(view["id"]), atoi(parents.get("depth") or 0))
            return _includes(ancestors, parents)
        return True

    def find_entities(self, registry: str, entity_filter: Mapping[str, Any] | None,
                      find_filter: Mapping[str, Any] | None) -> tuple[int, list[dict[str, Any]]]:
        """`findTags` / `findPerformers` / `findStudios` / `findGroups`: filtered on `updated_at` or
        `created_at`, in id order (the emulator does not model their sort keys), paged like scenes."""
        names: _Names = getattr(self, registry)
        rows = []
        for entity_id in sorted(names.names):
            view = names.view(entity_id)
            if all(self.timestamp_matches(view[column], (entity_filter or {})[column])
                   for column in ("updated_at", "created_at") if (entity_filter or {}).get(column) is not None) \
                    and (registry != "tags" or self._tag_matches(view, entity_filter or {})):
                rows.append(view)
        find_filter = find_filter or {}
        return len(rows), _page(rows, find_filter.get("page"), find_filter.get("per_page"))

    def timestamp_matches(self, stored: str, criterion: Mapping[str, Any]) -> bool:
        """Stash binds the value unparsed: `scenes.updated_at > ?` is TEXT against TEXT, binary collation."""
        modifier, value = criterion.get("modifier"), cast(Any, criterion.get("value"))
        upper: Any = criterion.get("value2") or self.clock.stamp(timedelta(days=1))  # Go: time.Now().AddDate(0,0,1)
        tests: dict[str, Callable[[], bool]] = {
            "EQUALS": lambda: stored == value,
            "NOT_EQUALS": lambda: stored != value,
            "GREATER_THAN": lambda: stored > value,
            "LESS_THAN": lambda: stored < value,
            "BETWEEN": lambda: value <= stored <= upper,
            "NOT_BETWEEN": lambda: not value <= stored <= upper,
            "IS_NULL": lambda: stored.strip() == "",
            "NOT_NULL": lambda: stored.strip() != "",
        }
        if modifier not in tests:
            raise ResolverError("Internal system error. Error <unsupported date modifier type>")
        return tests[modifier]()

    def _sorted(self, rows: list[SceneRecord], sort: str | None, direction: str) -> list[SceneRecord]:
        """ORDER BY <key> <direction>, COALESCE(title, id) COLLATE NATURAL_CI ASC; no sort → rowid order."""
        rows = sorted(rows, key=lambda s: s.id)
        if not sort:
            return rows
        if sort not in SORT_KEYS:
            raise ResolverError(f"invalid sort: {sort}")
        rows.sort(key=_tie_break)
        # SQLite puts NULL first ascending and last descending; a stable sort keeps the tie-break ASC.
        rows.sort(key=lambda s: _null_first(self._sort_value(s, sort)), reverse=direction == "DESC")
        return rows

    def _sort_value(self, scene: SceneRecord, sort: str) -> Any:
        primary = scene.files[0] if scene.files else None
        if sort == "title":  # COALESCE(title, files.basename) NATURAL_CI, then folders.path
            name = scene.title if scene.title is not None else (primary.basename if primary else None)
            return None if name is None else (natural_key(name), natural_key(primary.folder if primary else ""))
        if sort == "path":
            return natural_key(primary.path if primary else "")
        if sort == "studio":
            return None if scene.studio is None else self.studios.names[scene.studio]
        column = {"rating": "rating100"}.get(sort, sort)
        return getattr(scene, column)


def _includes(related: set[int], criterion: Mapping[str, Any]) -> bool:
    """A multi criterion: INCLUDES means "has any of these ids"."""
    if criterion.get("modifier") != "INCLUDES":
        raise ResolverError(f"the emulated Stash only filters related entities with INCLUDES, "
                            f"not {criterion.get('modifier')}")
    return bool(related & {atoi(value) for value in criterion.get("value") or []})


def _null_first(value: Any) -> tuple[int, Any]:
    return (0, 0) if value is None else (1, value)


def _tie_break(scene: SceneRecord) -> tuple[Any, ...]:
    """COALESCE(title, id): SQLite orders an INTEGER (untitled scene) before any TEXT."""
    return (0, scene.id, ()) if scene.title is None else (1, 0, natural_key(scene.title))


def _page(rows: list[Any], page: int | None, per_page: int | None) -> list[Any]:
    """page defaults to 1 (< 1 becomes 1); per_page defaults to 25, negative means all, 0 means none."""
    per_page = 25 if per_page is None else per_page
    if per_page < 0:
        return rows
    start = (max(page or 1, 1) - 1) * per_page
    return rows[start : start + per_page]


def atoi(value: Any) -> int:
    """Go's strconv.Atoi on an ID, with its error text."""
    text = str(value)
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ResolverError(f'strconv.Atoi: parsing "{text}": invalid syntax')
    return int(text)

