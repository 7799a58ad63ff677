"""The `[rules]` applied to one Stash scene: whether it is synced at all, which of its tags become genres, and its
title from the template.

Applied where scenes are queued (`queueing.Queuer`), so the queued payload, and therefore its hash, already carries
the rules: a rule change alters the hash of exactly the scenes it affects, which then sync once, and every later
step (the engine, a dry-run preview) sees the ruled scene without knowing the rules. Only "fill empty" depends on
what Plex holds and is applied when the edit is planned (`core/plex/edits.py`).

Pure: the one input from Stash beyond the scene, the ids of the tags under `genre_parent_tag`, is resolved by the
queuer once per poll round and handed in as `ActiveRules.genre_tag_ids`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields, replace
from typing import Any

from plexsync_gui.core.setup.rules_config import FILL_EMPTY, FieldModes, RuleSettings
from plexsync_gui.core.sync.scene import (
    MAX_TITLE,
    SceneMetadata,
    clean_name,
    clean_names,
    clean_text,
    scene_from_stash,
)
from plexsync_gui.core.sync.title_template import DEFAULT_TEMPLATE, render


@dataclass(frozen=True)
class ActiveRules:
    """The rules as configured, with the tag hierarchy they need resolved from Stash."""

    settings: RuleSettings
    genre_tag_ids: frozenset[str] | None = None  # tags under genre_parent_tag; None: any tag may be a genre

    @property
    def fill_empty(self) -> frozenset[str]:
        return self.settings.fill_empty_fields()

    @property
    def fingerprint(self) -> str:
        """Changes whenever a rule would change which scenes are queued or what they carry: the poller re-reads
        every scene once when it differs from the last one applied (the payload hashes then pick the affected)."""
        s = self.settings
        material = {
            "exclude": sorted(_key(name) for name in s.exclude_tags),
            "genre_ids": sorted(self.genre_tag_ids) if self.genre_tag_ids is not None else None,
            "organized": s.only_organized,
            "require": _key(s.require_tag) if s.require_tag else None,
            "template": s.title_template,
            "fill_empty": sorted(self.fill_empty),
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()


DEFAULT_FINGERPRINT = ActiveRules(RuleSettings()).fingerprint  # what a database from before the rules applied


def _key(name: str) -> str:
    """Tag names compare as Stash shows them, ignoring case and spacing."""
    return (clean_name(name) or "").casefold()


def scene_under_rules(raw: dict[str, Any], rules: ActiveRules) -> tuple[SceneMetadata, str | None]:
    """The one way a Stash scene is mapped under the rules (the queuer, a dry-run preview): the scene as the rules
    have it and None, or, for a scene the rules do not sync, the plain scene and the reason."""
    scene = scene_from_stash(raw)
    reason = skip_reason(raw, rules.settings)
    return (scene, reason) if reason else (apply_rules(scene, raw, rules), None)


def skip_reason(raw: dict[str, Any], settings: RuleSettings) -> str | None:
    """Why the scene is not synced under the rules, naming the rule's key, or None when it is."""
    if settings.only_organized and raw.get("organized") is not True:
        return "not organized in Stash (rules.only_organized)"
    if settings.require_tag and _key(settings.require_tag) not in {_key(t["name"]) for t in _tags(raw)}:
        return f"does not have the tag {settings.require_tag!r} (rules.require_tag)"
    return None


def leaves_scenes_out(settings: RuleSettings) -> bool:
    """Whether a rule `skip_reason` reads is on: only then do listings need each scene's organized flag and tags."""
    return settings.only_organized or bool(settings.require_tag)


def _tags(raw: dict[str, Any]) -> list[dict[str, Any]]:
    tags = raw.get("tags")
    return [t for t in tags if isinstance(t, dict) and isinstance(t.get("name"), str)] if isinstance(tags, list) else []


def apply_rules(scene: SceneMetadata, raw: dict[str, Any], rules: ActiveRules) -> SceneMetadata:
    """The scene as the rules have it: genres filtered, title from the template. Default rules return it as is."""
    s = rules.settings
    if s.exclude_tags or rules.genre_tag_ids is not None:
        excluded = {_key(name) for name in s.exclude_tags}
        kept = [t for t in _tags(raw) if _key(t["name"]) not in excluded
                and (rules.genre_tag_ids is None or str(t.get("id")) in rules.genre_tag_ids)]
        scene = replace(scene, tags=clean_names(kept))
    if s.title_template != DEFAULT_TEMPLATE:
        scene = replace(scene, title=templated_title(scene, raw, s.title_template))
    return scene


def templated_title(scene: SceneMetadata, raw: dict[str, Any], template: str) -> str | None:
    """The template filled from the scene; an empty result falls back to the plain title."""
    values = {
        "title": scene.title or "",
        "studio": scene.studio or "",
        "date": scene.date or "",
        "year": scene.date[:4] if scene.date else "",
        "code": clean_name(raw.get("code")) or "",
        "performers": ", ".join(scene.performers),
    }
    return clean_text(render(template, values), MAX_TITLE) or scene.title


def describe(settings: RuleSettings) -> list[str]:
    """The active rules in words, one line each (`plexsync check`, the log at start)."""
    lines = []
    if settings.only_organized:
        lines.append("only organized scenes are synced (rules.only_organized)")
    if settings.require_tag:
        lines.append(f"only scenes with the tag {settings.require_tag!r} are synced (rules.require_tag)")
    if settings.genre_parent_tag:
        lines.append(f"genres: only tags under {settings.genre_parent_tag!r} (rules.genre_parent_tag)")
    if settings.exclude_tags:
        lines.append(f"never genres: {', '.join(settings.exclude_tags)} (rules.exclude_tags)")
    if settings.title_template != DEFAULT_TEMPLATE:
        lines.append(f"title: {settings.title_template} (rules.title_template)")
    filling = [f.name for f in fields(FieldModes) if getattr(settings.fields, f.name) == FILL_EMPTY]
    if filling:
        lines.append(f"only filled when empty in Plex: {', '.join(filling)} (rules.fields)")
    return lines or ["none: every scene is synced, every tag is a genre, Stash wins on every field"]
