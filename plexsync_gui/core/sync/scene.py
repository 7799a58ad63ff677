"""What a Stash scene says, cleaned up, and what PlexSync would therefore write to Plex.

Everything here is pure: the same scene and toggles always give the same desired fields and the same hash, which is
what lets an unchanged scene be skipped without a single Plex request.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import date as date_cls
from functools import lru_cache
from typing import Any

from plexsync_gui.core.errors import PermanentError
from plexsync_gui.core.setup.config import FieldToggles
from plexsync_gui.core.sync.paths import basename
from plexsync_gui.core.sync.people import GroupEntry, photo_url, scene_groups

MAX_TITLE = 255
MAX_SUMMARY = 10_000  # every field travels in one PUT's query string; keep it well under server URL limits
MAX_SUMMARY_BYTES = 12_000  # UTF-8, so a non-Latin summary (3 bytes a character, 9 once URL-encoded) fits too
MAX_NAME = 255
MAX_TAGS = 100  # per list (genres, actors): more would bloat the PUT and no Plex view shows them

_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
# Encoders made once: `json.dumps` with options builds a new one per call, a tenth of enqueueing's CPU (issue 13).
# Their output is exactly `json.dumps`'s with the same options, so stored payloads and hashes stay comparable. No
# circular check: the values are flat dicts, lists and strings made here (the check only guards against a cycle).
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
_HASH_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, check_circular=False)


@dataclass(frozen=True)
class SceneMetadata:
    """A Stash scene reduced to what PlexSync uses; stored as JSON in its queue row."""

    scene_id: str
    updated_at: str
    path: str | None
    title: str | None
    studio: str | None
    summary: str | None
    date: str | None  # YYYY-MM-DD, partial Stash dates padded to the first day
    rating: float | None  # Plex's 0-10 scale
    performers: tuple[str, ...]
    tags: tuple[str, ...]
    screenshot_url: str | None
    # Added after the first release: payloads queued by an older version have neither, hence the defaults.
    groups: tuple[GroupEntry, ...] = ()  # (group name, the scene's index in it), for collections and their order
    performer_photos: tuple[str | None, ...] = ()  # each performer's photo address (Plex fetches it), or None

    @property
    def display_title(self) -> str:
        return self.title or (basename(self.path) if self.path else f"scene {self.scene_id}")

    def to_json(self) -> str:
        # vars(), not asdict(): the fields are flat, and asdict's deep copy was a third of enqueueing's CPU
        return _COMPACT_JSON.encode(vars(self))

    @classmethod
    def from_json(cls, text: str) -> SceneMetadata:
        data = json.loads(text)
        data["performers"] = tuple(data["performers"])
        data["tags"] = tuple(data["tags"])
        data["groups"] = tuple((name, index) for name, index in data.get("groups", ()))
        data["performer_photos"] = tuple(data.get("performer_photos", ()))
        return cls(**data)


def clean_text(value: Any, limit: int, keep_newlines: bool = False, max_bytes: int | None = None) -> str | None:
    """NFC, no control or format characters, trimmed, at most `limit` characters (and `max_bytes` UTF-8 bytes);
    empty becomes None."""
    if not isinstance(value, str):
        return None
    allowed = "\n\t" if keep_newlines else ""
    text = value.replace("\r\n", "\n")
    # Filter first, then normalise: a dropped character could otherwise leave a decomposed pair behind.
    text = _drop_invisible(text, allowed)
    text = unicodedata.normalize("NFC", text)
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip() if keep_newlines else " ".join(text.split())
    text = _shorten(text, limit)
    if max_bytes is not None and len(text.encode("utf-8")) > max_bytes:
        text = _shorten(text, len(text.encode("utf-8")[:max_bytes].decode("utf-8", "ignore")))
    return text or None


_DROPPED_CATEGORIES = frozenset(("Cc", "Cf", "Cs", "Co", "Cn"))
_ASCII_CONTROLS = {allowed: {c: None for c in [*range(32), 127] if chr(c) not in allowed} for allowed in ("", "\n\t")}


def _drop_invisible(text: str, allowed: str) -> str:
    """Drop control, format and unassigned characters except `allowed`. In ASCII those are only the C0 controls
    and DEL, so plain ASCII (most titles) skips the per-character scan: it was half of enqueueing's CPU."""
    if text.isascii():
        return text.translate(_ASCII_CONTROLS[allowed])
    return "".join(ch for ch in text if ch in allowed or unicodedata.category(ch) not in _DROPPED_CATEGORIES)


def _shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a space in the second half when there is one; never trailing space."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut).rstrip()


def _plain(value: Any) -> str:
    """A string Stash sent that is stored and compared, not shown: only made encodable (a lone surrogate from an
    escaped JSON string becomes U+FFFD, as Stash's own encoder would have written it)."""
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace") if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def clean_name(value: Any) -> str | None:
    """A studio, performer or tag name, cleaned like any text (see _clean_name)."""
    return _clean_name(value) if isinstance(value, str) else None


@lru_cache(maxsize=8192)
def _clean_name(value: str) -> str | None:
    """Names repeat across a library, so each is cleaned once: this was a third of mapping a scene (issue 4)."""
    return clean_text(value, MAX_NAME)


def clean_names(values: Any) -> tuple[str, ...]:
    """Names from a list of `{name: …}` objects: cleaned, de-duplicated case-insensitively, capped."""
    return tuple(name for name, _ in named_entries(values))


def named_entries(values: Any) -> list[tuple[str, dict[str, Any]]]:
    """The `{name: …}` objects of a list with their cleaned names, the first of each name (case-insensitively),
    capped: one pass for a performer's name and its photo."""
    entries: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for item in _list(values):
        raw = item.get("name") if isinstance(item, dict) else None
        name = _clean_name(raw) if isinstance(raw, str) else None
        if name and (folded := name.casefold()) not in seen:
            seen.add(folded)
            entries.append((name, item))
    return entries[:MAX_TAGS]


def parse_date(value: Any) -> str | None:
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD` as Plex's `YYYY-MM-DD`; anything invalid becomes None."""
    return _parse_date(value) if isinstance(value, str) else None


@lru_cache(maxsize=4096)
def _parse_date(value: str) -> str | None:
    """Dates repeat across a library (a few thousand days), so each is parsed once."""
    match = _PARTIAL_DATE.match(value.strip())
    if not match:
        return None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        return date_cls(year, month, day).isoformat()
    except ValueError:
        return None


def parse_rating(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 100:
        return None
    return round(value / 10, 1)


def scene_from_stash(raw: dict[str, Any]) -> SceneMetadata:
    """Map one scene as Stash's GraphQL returns it. Odd values become None or are dropped; only a scene without a
    usable id is an error (PermanentError), since nothing could be queued or reported for it."""
    files = [f for f in _list(raw.get("files")) if isinstance(f, dict) and isinstance(f.get("path"), str)]
    studio: dict[str, Any] = raw["studio"] if isinstance(raw.get("studio"), dict) else {}
    paths: dict[str, Any] = raw["paths"] if isinstance(raw.get("paths"), dict) else {}
    screenshot = _plain(paths.get("screenshot"))
    performers = named_entries(raw.get("performers"))
    return SceneMetadata(
        scene_id=_scene_id(raw.get("id")),
        updated_at=_plain(raw.get("updated_at")),
        path=_plain(files[0]["path"]) or None if files else None,
        title=clean_text(raw.get("title"), MAX_TITLE),
        studio=clean_name(studio.get("name")),
        summary=clean_text(raw.get("details"), MAX_SUMMARY, keep_newlines=True, max_bytes=MAX_SUMMARY_BYTES),
        date=parse_date(raw.get("date")),
        rating=parse_rating(raw.get("rating100")),
        performers=tuple(name for name, _ in performers),
        tags=clean_names(raw.get("tags")),
        screenshot_url=screenshot or None,
        groups=scene_groups(raw, clean_name, MAX_TAGS),
        performer_photos=tuple(photo_url(performer.get("image_path")) for _, performer in performers),
    )


def _scene_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip() and _plain(value) == value:
        return value.strip()
    raise PermanentError(f"Stash sent a scene without a usable id ({type(value).__name__} {str(value)[:40]!r})")


def desired_fields(scene: SceneMetadata, toggles: FieldToggles) -> dict[str, Any]:
    """The Plex fields PlexSync owns for this scene, by Plex field name; None means "clear it".

    A missing Stash title is left out entirely (Plex keeps its own): an empty title is never written.
    """
    want: dict[str, Any] = {}
    if toggles.title and scene.title:
        want["title"] = scene.title
    if toggles.studio:
        want["studio"] = scene.studio
    if toggles.summary:
        want["summary"] = scene.summary
    if toggles.date:
        want["originallyAvailableAt"] = scene.date
        want["year"] = int(scene.date[:4]) if scene.date else None
    if toggles.rating:
        want["userRating"] = scene.rating
    if toggles.performers:
        want["actor"] = list(scene.performers)
    if toggles.tags:
        want["genre"] = list(scene.tags)
    if toggles.collection:
        want["collection"] = scene.studio
    if toggles.groups:
        want["groups"] = [name for name, _ in scene.groups]
    if toggles.performers and toggles.performer_photos:
        want["actor_thumb"] = {name: url for name, url in zip(scene.performers, scene.performer_photos, strict=False)
                               if url}
    return want


# Wanted fields left out of the hash while empty, so a scene without groups or photos keeps the hash it had before
# they existed (no library-wide re-sync after an upgrade); a scene that loses its last group still changes hash.
_HASHED_WHEN_SET = ("groups", "actor_thumb")


def payload_hash(scene: SceneMetadata, toggles: FieldToggles, fill_empty: frozenset[str] = frozenset()) -> str:
    """Fingerprint of everything a sync would push; equal to the stored one means nothing to do. `fill_empty` (the
    Plex fields written only while empty, `[rules.fields]`) counts for the fields this scene writes, and only when
    set, so a library synced before the rules keeps its hashes."""
    fields = {name: value for name, value in desired_fields(scene, toggles).items()
              if value or name not in _HASHED_WHEN_SET}
    material: dict[str, Any] = {
        "fields": fields,
        "poster": scene.screenshot_url if toggles.poster else None,
        "path": scene.path,
    }
    filling = sorted(name for name in fill_empty if name in fields)
    if filling:
        material["fill_empty"] = filling
    if toggles.groups and scene.groups:  # a new place in a group re-syncs the scene, so its collection is reordered
        material["group_order"] = [list(entry) for entry in scene.groups]
    encoded = _HASH_JSON.encode(material).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()
