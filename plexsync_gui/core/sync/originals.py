"""Plex's own values from before PlexSync overwrote them: what a sync keeps, and the edit that puts them back.

Pure logic over plain values. A sync keeps, per field its edit touches, the value and lock the item had in the
snapshot it read anyway (no extra request); the store keeps the first one only, so later syncs never replace it.
Undo turns the kept values into one edit with the same grammar as a sync's (core/plex/edits.py): scalars set and
locked as they were, tag lists set exactly (`tag_params`) with their old lock state.
"""

from __future__ import annotations

from typing import Any

from plexsync_gui.core.plex.edits import TAG_FIELDS, PlexItemSnapshot, fields_in, tag_params
from plexsync_gui.core.storage.store import Original

POSTER_FIELD = "thumb"  # Plex's name (and lock) of the poster; its kept value is the selected poster's ratingKey


def originals_before(snapshot: PlexItemSnapshot, params: dict[str, Any]) -> dict[str, Original]:
    """Each field the edit touches (its value or only its lock), as the item had it before the edit."""
    kept: dict[str, Original] = {}
    for name in fields_in(params):
        value = list(snapshot.tags.get(name, [])) if name in TAG_FIELDS else snapshot.scalars.get(name)
        kept[name] = Original(value, name in snapshot.locks)
    return kept


def restore_params(originals: dict[str, Original], snapshot: PlexItemSnapshot) -> dict[str, Any]:
    """The edit that puts every kept field back, value and lock, on the item as it is now. The poster is not an
    edit parameter except for its lock (it is re-selected with its own request)."""
    params: dict[str, Any] = {}
    for name, original in originals.items():
        if name == POSTER_FIELD:
            params[f"{name}.locked"] = int(original.locked)
        elif name in TAG_FIELDS:
            wanted = [str(tag) for tag in original.value or []]
            params.update(tag_params(name, wanted, snapshot.tags.get(name, [])))
            params[f"{name}.locked"] = int(original.locked)
        else:
            params[f"{name}.value"] = "" if original.value is None else original.value
            params[f"{name}.locked"] = int(original.locked)
    return params
