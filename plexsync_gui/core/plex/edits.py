"""Plan the edit that brings a Plex item in line with a scene, and cut it into PUTs a proxy lets through.

Pure logic over plain values, so every rule is unit-testable: which fields changed, which someone edited in Plex
(and `preserve_plex_edits` keeps), how tag lists are replaced exactly, how the studio collection follows the
studio, which fields an episode has at all, and how a long edit is split. See docs/plex-protocol.md §7-§8 for
the parameter grammar.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from plexsync_gui.core.errors import PermanentError

SCALAR_FIELDS = ("title", "studio", "summary", "originallyAvailableAt", "year", "userRating")
LIST_FIELDS = ("genre", "actor")
# The PUT carries everything in its query string. Python's and many servers' request-line limit is 64 KiB; PMS's
# own limit is unknown, so stay below the smallest known one rather than find out with a half-applied library.
MAX_EDIT_QUERY = 60_000
# nginx's default `large_client_header_buffers` (8 KB) bounds the request line; a longer PUT gets 414 behind such a
# proxy. An edit longer than this goes out as several PUTs (a usual edit is far below it and stays one PUT).
MAX_REQUEST_LINE = 8192
TAG_FIELDS = (*LIST_FIELDS, "collection")
# Fields Plex does not model on episodes: plexapi's Episode has no studio, genre or actor edit (its EpisodeEditMixins
# lack them) and Kometa never edits them on episodes. Sent anyway, they never show up on the item.
NOT_ON_EPISODES = ("studio", "genre", "actor", "actor_thumb")


@dataclass(frozen=True)
class PlexItemSnapshot:
    """The parts of a full (reloaded) Plex item that PlexSync compares against."""

    rating_key: str
    scalars: dict[str, Any]
    tags: dict[str, list[str]]  # "genre", "actor", "collection"
    locks: frozenset[str]
    thumb: str | None = None  # the selected poster's URL on the server; None when the item shows none
    actor_thumbs: dict[str, str] = field(default_factory=dict)  # an actor's photo address, by name


@dataclass
class EditPlan:
    params: dict[str, Any] = field(default_factory=dict)
    written: dict[str, Any] = field(default_factory=dict)  # what PlexSync now owns in Plex, per field
    changed: list[str] = field(default_factory=list)
    preserved: list[str] = field(default_factory=list)  # skipped because someone edited them in Plex
    kept_filled: list[str] = field(default_factory=list)  # "fill empty" fields Plex already had a value in


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(float(a) - float(b)) < 1e-6
    return bool(a == b)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _edited_in_plex(current: Any, last: Any, has_record: bool,
                    compare: Callable[[Any, Any], bool] = _same) -> bool:
    """A non-empty Plex value that differs from what PlexSync last wrote (or that PlexSync never wrote)."""
    if _empty(current):
        return False
    return not has_record or not compare(current, last)


def _same_tags(a: list[str] | None, b: list[str] | None) -> bool:
    return sorted(a or []) == sorted(b or [])


def tag_params(tag: str, want: list[str], current: list[str]) -> dict[str, Any]:
    """Set a tag list to exactly `want`: indexed entries plus a removal of the rest, whatever PMS's semantics.

    Removal names are quoted once here and once more by plexapi, the double encoding PMS expects.
    """
    params: dict[str, Any] = {f"{tag}[{i}].tag.tag": name for i, name in enumerate(want)}
    params[f"{tag}.locked"] = 1
    wanted = set(want)
    gone = [name for name in current if name not in wanted]
    if gone:
        params[f"{tag}[].tag.tag-"] = ",".join(quote(name, safe="") for name in gone)
    return params


def plan_edit(
    want: dict[str, Any],
    item: PlexItemSnapshot,
    last_written: dict[str, Any] | None,
    preserve_plex_edits: bool,
    fill_empty: frozenset[str] = frozenset(),
) -> EditPlan:
    """`fill_empty`: Plex fields written only while empty in Plex (`[rules.fields]`), whoever put the value there.
    The year follows a release date that was filled, so the two never disagree."""
    plan = EditPlan()
    last = last_written or {}
    for name in SCALAR_FIELDS:  # the release date comes before the year
        if name in want:
            only_fill = name in fill_empty and not (name == "year" and "originallyAvailableAt" in plan.changed)
            _plan_scalar(plan, name, want[name], item, last, preserve_plex_edits, only_fill)
    for name in LIST_FIELDS:
        if name in want:
            _plan_list(plan, name, want[name], item, last, preserve_plex_edits, name in fill_empty)
    if "actor_thumb" in want and "actor" in want and "actor" not in plan.preserved:
        _plan_actor_photos(plan, want["actor"], want["actor_thumb"], item)
    if "collection" in want or "groups" in want:
        _plan_collections(plan, want, item, last)
    _check_size(plan.params)
    return plan


def for_episode(want: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The fields an episode has, and the names of the wanted ones it has not (to report, never to send)."""
    kept = {name: value for name, value in want.items() if name not in NOT_ON_EPISODES}
    return kept, [name for name in want if name in NOT_ON_EPISODES]


def encoded_size(params: dict[str, Any]) -> int:
    """Bytes of the query string plexapi builds from `params` (values percent-encoded; keys counted as if encoded
    too, since brackets may travel as `%5B`/`%5D`), separators included."""
    return sum(_quoted_length(key) + 2 + _quoted_length(str(value)) for key, value in params.items())


_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"  # what `quote(…, safe="")` keeps


def _quoted_length(text: str) -> int:
    """`len(quote(text, safe=""))` without building the quoted text: every UTF-8 byte outside the unreserved set
    becomes three characters. Counted in C (`bytes.translate`), since each edit is measured before it is sent."""
    data = text.encode("utf-8")
    return len(data) + 2 * len(data.translate(None, _UNRESERVED))


def field_of(key: str) -> str:
    """The Plex field an edit parameter belongs to: `genre[0].tag.tag` and `genre.locked` both to `genre`."""
    return key.split("[")[0].split(".")[0]


def split_edit(params: dict[str, Any], budget: int) -> list[dict[str, Any]]:
    """The edit as PUTs of at most `budget` query bytes: one when it fits, else the scalars and the tag lists in
    separate PUTs, each packed as full as it goes. A field's parameters always travel together (a tag list's entries
    and its removal must arrive in one request to leave exactly the wanted list), so a single field longer than the
    budget goes alone in a PUT of its own (a proxy's 414 to it then names that field)."""
    if encoded_size(params) <= budget:
        return [params]
    groups: dict[str, dict[str, Any]] = {}
    for key, value in params.items():
        groups.setdefault(field_of(key), {})[key] = value
    scalars = [group for name, group in groups.items() if name not in TAG_FIELDS]
    tags = [group for name, group in groups.items() if name in TAG_FIELDS]
    return _pack(scalars, budget) + _pack(tags, budget)


def _pack(groups: list[dict[str, Any]], budget: int) -> list[dict[str, Any]]:
    batches: list[dict[str, Any]] = []
    for group in groups:
        if batches and encoded_size(batches[-1]) + encoded_size(group) <= budget:
            batches[-1].update(group)
        else:
            batches.append(dict(group))
    return batches


def fields_in(params: dict[str, Any]) -> list[str]:
    """The fields an edit carries, in order, each once."""
    return list(dict.fromkeys(field_of(key) for key in params))


def _check_size(params: dict[str, Any]) -> None:
    size = encoded_size(params)
    if size <= MAX_EDIT_QUERY:
        return
    parts: dict[str, int] = {}
    for key, value in params.items():
        name = key.split("[")[0].split(".")[0]
        parts[name] = parts.get(name, 0) + encoded_size({key: value})
    biggest = ", ".join(f"{name} {n:,} bytes" for name, n in sorted(parts.items(), key=lambda p: -p[1])[:3])
    raise PermanentError(f"the Plex edit for this scene would be {size:,} bytes long, more than the {MAX_EDIT_QUERY:,} "
                         f"one Plex request can safely carry (largest: {biggest}); shorten those values in Stash")


def _keep_filled(plan: EditPlan, name: str, last: dict[str, Any]) -> None:
    """A "fill empty" field Plex has a value in: left as it is; what PlexSync wrote before stays on record."""
    plan.kept_filled.append(name)
    if name in last:
        plan.written[name] = last[name]


def _plan_scalar(plan: EditPlan, name: str, value: Any, item: PlexItemSnapshot, last: dict[str, Any],
                 preserve: bool, only_fill: bool = False) -> None:
    current = item.scalars.get(name)
    if _same(current, value) or (_empty(current) and _empty(value)):
        plan.written[name] = value
        if name not in item.locks and not _empty(value):
            plan.params[f"{name}.locked"] = 1
        return
    if only_fill and not _empty(current):
        _keep_filled(plan, name, last)
        return
    if preserve and _edited_in_plex(current, last.get(name), name in last):
        plan.preserved.append(name)
        if name in last:
            plan.written[name] = last[name]
        return
    plan.params[f"{name}.value"] = "" if value is None else value
    plan.params[f"{name}.locked"] = 1
    plan.written[name] = value
    plan.changed.append(name)


def _plan_list(plan: EditPlan, name: str, value: list[str], item: PlexItemSnapshot, last: dict[str, Any],
               preserve: bool, only_fill: bool = False) -> None:
    current = item.tags.get(name, [])
    if _same_tags(current, value):
        plan.written[name] = value
        if name not in item.locks and value:
            plan.params[f"{name}.locked"] = 1
        return
    if only_fill and current:
        _keep_filled(plan, name, last)
        return
    if preserve and _edited_in_plex(current, last.get(name), name in last, _same_tags):
        plan.preserved.append(name)
        if name in last:
            plan.written[name] = last[name]
        return
    plan.params.update(tag_params(name, value, current))
    plan.written[name] = value
    plan.changed.append(name)


def _plan_collections(plan: EditPlan, want: dict[str, Any], item: PlexItemSnapshot, last: dict[str, Any]) -> None:
    """The studio collection follows the studio and the group collections follow the groups: the ones PlexSync
    added before and no longer wants are removed, the user's own collections stay."""
    before: list[str | None] = []
    now: list[str] = []
    if "collection" in want:
        studio = want["collection"]
        before.append(last.get("collection"))
        now += [studio] if studio else []
        plan.written["collection"] = studio
    if "groups" in want:
        before += last.get("groups") or []
        now += want["groups"]
        plan.written["groups"] = list(want["groups"])
    current = item.tags.get("collection", [])
    keep = [c for c in current if c not in before or c in now]
    target = keep + [c for c in dict.fromkeys(now) if c not in keep]
    if _same_tags(current, target):
        return
    plan.params.update(tag_params("collection", target, current))
    plan.changed.append("collection")


def _plan_actor_photos(plan: EditPlan, actors: list[str], photos: dict[str, str], item: PlexItemSnapshot) -> None:
    """Each performer's photo address on its actor tag (`actor[i].tag.thumb`), sent with the whole actor list (a tag
    entry needs its name); nothing is sent while every wanted photo is already the actor's."""
    if all(item.actor_thumbs.get(name) == url for name, url in photos.items() if name in actors):
        return
    if "actor[0].tag.tag" not in plan.params:
        plan.params.update(tag_params("actor", actors, item.tags.get("actor", [])))
    for index, name in enumerate(actors):
        if name in photos:
            plan.params[f"actor[{index}].tag.thumb"] = photos[name]
    plan.changed.append("actor_thumb")


_FIELD_WORDS = {"originallyAvailableAt": "date", "year": "date", "summary": "description", "genre": "tags",
                "actor": "performers", "userRating": "rating",
                "actor_thumb": "performer photos", "groups": "group collections"}


def describe_fields(names: list[str]) -> str:
    """Plex field names in the words a Stash user knows ("genre" is where tags go), each once, in order."""
    words = [_FIELD_WORDS.get(name, name) for name in names]
    return ", ".join(dict.fromkeys(words))
