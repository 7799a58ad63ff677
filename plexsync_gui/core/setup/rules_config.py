"""The `[rules]` section: which scenes are synced, which tags become genres, how a title is built, and per field
whether Stash's value always wins or only fills a Plex field that is empty.

Kept apart from config.py (which reads it through `rules_from_dict`) because the rules are their own subject with
their own validation; errors are ValueErrors with one line naming the key, which config.py turns into ConfigErrors.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from plexsync_gui.core.sync.title_template import DEFAULT_TEMPLATE, check_template

STASH_WINS = "stash_wins"
FILL_EMPTY = "fill_empty"
FIELD_MODES = (STASH_WINS, FILL_EMPTY)
# Each rule field and the Plex fields it governs (the date sets both the release date and the year).
PLEX_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "studio": ("studio",),
    "summary": ("summary",),
    "date": ("originallyAvailableAt", "year"),
    "rating": ("userRating",),
    "performers": ("actor",),
    "tags": ("genre",),
}


@dataclass
class FieldModes:
    """`[rules.fields]`: per field, "stash_wins" (write Stash's value) or "fill_empty" (only into an empty field)."""

    title: str = STASH_WINS
    studio: str = STASH_WINS
    summary: str = STASH_WINS
    date: str = STASH_WINS
    rating: str = STASH_WINS
    performers: str = STASH_WINS
    tags: str = STASH_WINS


@dataclass
class RuleSettings:
    exclude_tags: list[str] = field(default_factory=list)  # never genres (names, any case)
    genre_parent_tag: str | None = None  # only tags under this one (at any depth) become genres
    only_organized: bool = False  # sync only scenes marked organized in Stash
    require_tag: str | None = None  # sync only scenes that have this tag
    title_template: str = DEFAULT_TEMPLATE
    fields: FieldModes = field(default_factory=FieldModes)

    def fill_empty_fields(self) -> frozenset[str]:
        """The Plex fields written only while empty in Plex."""
        return frozenset(plex for name, plex_fields in PLEX_FIELDS.items()
                         if getattr(self.fields, name) == FILL_EMPTY for plex in plex_fields)


_KEYS = {f.name for f in fields(RuleSettings)}


def rules_from_dict(values: dict[str, Any]) -> RuleSettings:
    """Validate `[rules]`; ValueError("rules.<key>: …") on the first mistake."""
    rules = RuleSettings()
    for key, value in values.items():
        where = f"rules.{key}"
        if key not in _KEYS:
            raise ValueError(f"{where}: unknown key (known: {', '.join(sorted(_KEYS))})")
        if key == "exclude_tags":
            if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ValueError(f"{where}: must be a list of tag names, got {value!r}")
            rules.exclude_tags = [v.strip() for v in value]
        elif key in ("genre_parent_tag", "require_tag"):
            if not isinstance(value, str):
                raise ValueError(f"{where}: must be a tag name (a string; empty for none), got {value!r}")
            setattr(rules, key, value.strip() or None)
        elif key == "only_organized":
            if not isinstance(value, bool):
                raise ValueError(f"{where}: must be true or false, got {value!r}")
            rules.only_organized = value
        elif key == "title_template":
            rules.title_template = _template(where, value)
        else:
            rules.fields = _modes(value)
    return rules


def _template(where: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: must be a string such as \"{{studio}} - {{title}}\", got {value!r}")
    try:
        check_template(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return value.strip() or DEFAULT_TEMPLATE


def _modes(value: Any) -> FieldModes:
    if not isinstance(value, dict):
        raise ValueError("rules.fields: must be a table ([rules.fields])")
    modes = FieldModes()
    for name, mode in value.items():
        if name not in PLEX_FIELDS:
            raise ValueError(f"rules.fields.{name}: unknown field (known: {', '.join(PLEX_FIELDS)})")
        if mode not in FIELD_MODES:
            raise ValueError(f"rules.fields.{name}: must be \"stash_wins\" or \"fill_empty\", got {mode!r}")
        setattr(modes, name, mode)
    return modes


def rules_to_dict(rules: RuleSettings) -> dict[str, Any]:
    """The TOML form (unset tags left out: TOML has no null)."""
    out: dict[str, Any] = {"exclude_tags": list(rules.exclude_tags), "only_organized": rules.only_organized,
                           "title_template": rules.title_template}
    for key in ("genre_parent_tag", "require_tag"):
        if getattr(rules, key):
            out[key] = getattr(rules, key)
    out["fields"] = {f.name: getattr(rules.fields, f.name) for f in fields(FieldModes)}
    return out
