"""What the coverage check finds, as plain data both front ends read: one row per problem, counts per reason.

Matched scenes are only counted: a healthy library of 100,000 scenes yields a handful of rows, not 100,000. Each row
names what the user can do about it (scan the folder in Plex, pick the right item, ignore it), so the CLI and the
window offer the same actions with the same words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum


class Reason(StrEnum):
    """Why a scene has no Plex item, or that a Plex item has no scene; the values are the CLI's `--reason` words."""

    NO_PATH_MAPPING = "no_path_mapping"  # the mapped path lies under no library folder of Plex
    NOT_SCANNED = "not_scanned"  # under a chosen library's folder, but no item has the file (yet)
    AMBIGUOUS = "ambiguous"  # several items have the file
    EXCLUDED = "excluded"  # in a library PlexSync is not set to sync, or left out by the sync rules (`detail`)
    NO_FILE = "no_file"  # the scene has no file in Stash
    NO_STASH_SCENE = "no_stash_scene"  # a Plex item of a chosen library whose file no Stash scene has


class Action(StrEnum):
    SCAN = "scan"
    PICK = "pick"
    IGNORE = "ignore"


IGNORED = "ignored"  # the `--reason` word (and the window's filter) for ignored rows, whatever their reason
SCENE_REASONS = (Reason.NO_PATH_MAPPING, Reason.NOT_SCANNED, Reason.AMBIGUOUS, Reason.EXCLUDED, Reason.NO_FILE)

DESCRIPTIONS = {
    Reason.NO_PATH_MAPPING: "no path mapping: the file lies under no Plex library folder",
    Reason.NOT_SCANNED: "not scanned: in a library folder, but Plex has no item with the file",
    Reason.AMBIGUOUS: "ambiguous: several Plex items have the file",
    Reason.EXCLUDED: "excluded: in a library PlexSync does not sync, or left out by the sync rules",
    Reason.NO_FILE: "no file in Stash",
    Reason.NO_STASH_SCENE: "Plex item without a Stash scene",
}
ACTIONS = {
    Reason.NOT_SCANNED: (Action.SCAN, Action.IGNORE),
    Reason.AMBIGUOUS: (Action.PICK, Action.IGNORE),
}
ACTION_TEXT = {
    Reason.NO_PATH_MAPPING: "add a path mapping in Settings, or ignore",
    Reason.NOT_SCANNED: "scan the folder in Plex, or ignore",
    Reason.AMBIGUOUS: "pick the right Plex item, or ignore",
    Reason.EXCLUDED: "add the library in Settings, or ignore",
    Reason.NO_FILE: "ignore",
    Reason.NO_STASH_SCENE: "ignore",
}
RULE_ACTION_TEXT = "change the sync rules in Settings, or ignore"


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One scene without its Plex item, or one Plex item without a scene."""

    id: int  # its place in this report: the window's row key (reports are remade whole, never patched)
    reason: Reason
    scene_id: str | None  # None for a Plex item's row
    rating_keys: tuple[str, ...]  # the item (no_stash_scene) or the candidates (ambiguous)
    title: str
    path: str | None  # the scene's file in Stash, or the item's file in Plex
    plex_path: str | None  # a scene's file as Plex would see it (after the path mapping)
    section: str | None  # the Plex library the file lies in (or the item's)
    ignored: bool = False
    detail: str | None = None  # why, naming the setting: the sync rule (`skip_reason`) or plex.libraries (excluded)
    rule: bool = False  # excluded by a sync rule, not by the libraries chosen: the fix is in the rules

    @property
    def ref(self) -> str:
        """How the row is named for ignore/unignore: `scene:ID` or `item:RATINGKEY`."""
        return f"scene:{self.scene_id}" if self.scene_id is not None else f"item:{self.rating_keys[0]}"

    @property
    def actions(self) -> tuple[Action, ...]:
        return ACTIONS.get(self.reason, (Action.IGNORE,))

    @property
    def action_text(self) -> str:
        if self.ignored:
            return "ignored (show it again to act on it)"
        return RULE_ACTION_TEXT if self.rule else ACTION_TEXT[self.reason]


@dataclass(frozen=True)
class CoverageReport:
    scenes: int  # Stash scenes listed
    items: int  # Plex items listed in the chosen libraries
    matched: int  # scenes with exactly one Plex item
    libraries: tuple[str, ...]  # the chosen libraries' titles
    rows: tuple[CoverageRow, ...]

    def counts(self) -> dict[str, int]:
        """Rows per reason (ignored rows apart, under `ignored`), every reason present, in a fixed order."""
        found = Counter(IGNORED if row.ignored else row.reason.value for row in self.rows)
        return {**{reason.value: found[reason.value] for reason in Reason}, IGNORED: found[IGNORED]}

    def select(self, reason: str | None = None) -> list[CoverageRow]:
        """The rows a view shows: all not ignored (None), the ignored ones (`ignored`), or one reason's."""
        if reason == IGNORED:
            return [row for row in self.rows if row.ignored]
        return [row for row in self.rows if not row.ignored and (reason is None or row.reason == reason)]


def parse_ref(text: str) -> str:
    """A row reference as the user typed it: `scene:12`, `item:345`, or a bare scene id; ValueError otherwise."""
    kind, _, value = text.partition(":") if ":" in text else ("scene", "", text)
    if kind not in ("scene", "item") or not value.isdigit():
        raise ValueError(f"expected a scene id, scene:ID or item:RATINGKEY, got {text!r}")
    return f"{kind}:{int(value)}"
