"""Undo: put Plex's own values back on the items PlexSync changed, then stop syncing their scenes.

Both front ends call `undo`. Per item: its kept values (core/sync/originals.py) become one edit on the item as read
now (read 100 items a request), the poster it had is selected again, and only then are the kept values, PlexSync's
record of the item and what was pushed for its scenes forgotten, and the scenes held (the poll skips them until
the user syncs them explicitly). An item gone from Plex is reported and forgotten; an item Plex refuses is
reported and kept, so the undo can be tried again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from plexsync_gui.core.errors import SyncError
from plexsync_gui.core.plex.client import PlexClient, PlexItem
from plexsync_gui.core.plex.edits import SCALAR_FIELDS, TAG_FIELDS, describe_fields
from plexsync_gui.core.storage.store import Original, Store
from plexsync_gui.core.sync.originals import POSTER_FIELD, restore_params
from plexsync_gui.core.sync.resolve import CLAIM_BATCH

log = logging.getLogger(__name__)


@dataclass
class UndoReport:
    """What an undo did, as plain data for the CLI's lines and the window's message."""

    restored: dict[str, list[str]] = field(default_factory=dict)  # ratingKey -> its scenes, now held
    gone: dict[str, list[str]] = field(default_factory=dict)  # items Plex no longer has -> their scenes
    failed: dict[str, str] = field(default_factory=dict)  # ratingKey -> why (kept, to try again)
    nothing: list[str] = field(default_factory=list)  # scenes asked for that have no kept values

    @property
    def held_scenes(self) -> list[str]:
        return sorted({s for scenes in (*self.restored.values(), *self.gone.values()) for s in scenes}, key=_order)

    def summary(self) -> str:
        """One line: what was restored, what was gone or failed, and what happens to the scenes now."""
        if not (self.restored or self.gone or self.failed):
            return ("nothing to undo: PlexSync kept no Plex values for "
                    + (_ids("scene", self.nothing) if self.nothing else "any item")
                    + " (never changed by PlexSync, or already undone)")
        parts = [f"restored {len(self.restored)} Plex item(s)"]
        if self.gone:
            parts.append(f"{len(self.gone)} gone from Plex")
        if self.failed:
            parts.append(f"{len(self.failed)} failed (kept; try again)")
        if self.nothing:
            parts.append(f"nothing kept for {_ids('scene', self.nothing)}")
        held = self.held_scenes
        if held:
            parts.append(f"{_ids('scene', held)} no longer synced until you sync "
                         f"{'it' if len(held) == 1 else 'them'} again explicitly")
        return "; ".join(parts)


def undo(store: Store, plex: PlexClient, scene_ids: list[str] | None) -> UndoReport:
    """Undo PlexSync's changes to the items of these scenes (None: every item it kept values for)."""
    report = UndoReport()
    targets = _targets(store, scene_ids, report)
    originals = store.originals(list(targets))
    report.nothing += [s for key in targets if key not in originals for s in targets[key]]
    keys = [key for key in targets if key in originals]
    for start in range(0, len(keys), CLAIM_BATCH):
        chunk = keys[start:start + CLAIM_BATCH]
        items = plex.fetch_many(chunk)
        for key in chunk:
            item = items.get(key) or plex.fetch_full(key)  # an item the batch read left out is read alone
            if item is None:
                store.forget_undone(key, targets[key])
                report.gone[key] = targets[key]
                continue
            try:
                restore(plex, item, originals[key])
            except SyncError as exc:
                log.warning("undo of Plex item %s failed: %s", key, exc)
                report.failed[key] = str(exc)
                continue
            store.forget_undone(key, targets[key], activity=_restored_words(originals[key]))
            report.restored[key] = targets[key]
    report.nothing.sort(key=_order)
    log.info("undo: %s", report.summary())
    return report


def restore(plex: PlexClient, item: PlexItem, originals: dict[str, Original]) -> None:
    """The poster selected again first (selecting locks it), then one edit with every value and lock."""
    if POSTER_FIELD in originals:
        plex.select_poster(item, originals[POSTER_FIELD].value)
    params = restore_params(originals, item.snapshot)
    if params:
        plex.apply(item, params)


def _restored_words(originals: dict[str, Original]) -> str:
    """The activity line of an undone scene: which fields got Plex's own values back."""
    order = [*SCALAR_FIELDS, *TAG_FIELDS]
    names = describe_fields(sorted((n for n in originals if n in order), key=order.index))
    names += (", " if names else "") + ("poster" if POSTER_FIELD in originals else "")
    return f"Plex's own {names} put back; not synced until synced again explicitly"


def _targets(store: Store, scene_ids: list[str] | None, report: UndoReport) -> dict[str, list[str]]:
    """The items to undo, each with the scenes synced to it."""
    if scene_ids is None:
        keys = sorted(store.originals(), key=_order)
        scenes = store.scenes_of_items(keys)
        return {key: scenes.get(key, []) for key in keys}
    targets: dict[str, list[str]] = {}
    for scene_id in dict.fromkeys(scene_ids):
        state = store.sync_state(scene_id)
        if state is None or state.rating_key is None:
            report.nothing.append(scene_id)
        else:
            targets.setdefault(state.rating_key, []).append(scene_id)
    return targets


def _ids(noun: str, ids: list[str], shown: int = 10) -> str:
    """"scene 1, 2" or, for many, "40 scenes (1, 2, 3 … 40)": one summary line stays one line."""
    if len(ids) <= shown:
        return f"{noun} {', '.join(ids)}"
    return f"{len(ids)} {noun}s ({', '.join(ids[:shown - 1])} … {ids[-1]})"


def _order(key: str) -> tuple[int, str]:
    """Numeric ids in numeric order."""
    return (int(key), "") if key.isdigit() else (1 << 62, key)
