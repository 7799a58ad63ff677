"""Queueing: turns Stash scenes into queued jobs, apart from the engine that processes them.

The change poller and the CLI's `sync` command queue through a `Queuer`; neither needs the engine, which only
processes what is queued. A scene is queued when its payload (the fields PlexSync writes) differs from what its
live job carries, or, without one, from what was last pushed or dead-lettered, so an unchanged scene costs nothing.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plexsync_gui.core.errors import StashConfigError
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.stash.client import StashClient
from plexsync_gui.core.stash.stamps import shift_stamp
from plexsync_gui.core.storage.store import NewJob, Store
from plexsync_gui.core.sync.rules import ActiveRules, scene_under_rules
from plexsync_gui.core.sync.scene import SceneMetadata, payload_hash

log = logging.getLogger(__name__)


@dataclass
class EnqueueResult:
    queued: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0  # not synced under the rules (rules.only_organized, rules.require_tag)
    unknown: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # skipped: their Plex changes were undone (see core/sync/undo.py)

    def add(self, other: EnqueueResult) -> None:
        """Fold in the result of another batch."""
        self.held += other.held
        self.queued += other.queued
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.skipped += other.skipped
        self.unknown += other.unknown


class Queuer:
    def __init__(self, config: Config, store: Store, stash: StashClient,
                 clock: Callable[[], float] = time.time) -> None:
        """Reads `config.fields` at each use, like the engine reads its settings, so both see the same values."""
        self.config = config
        self.store = store
        self.stash = stash
        self.clock = clock
        self._rules: ActiveRules | None = None
        self._parent: tuple[str, str] | None = None  # (genre_parent_tag, its Stash id), found in an earlier round

    # ---- rules -------------------------------------------------------------------------------------------------

    def refresh_rules(self) -> ActiveRules:
        """Resolve `config.rules` against Stash now (the tags under genre_parent_tag: one request, once per poll
        round). StashConfigError naming the key when the parent tag does not exist: every genre would go."""
        settings = copy.deepcopy(self.config.rules)
        genre_ids = None
        name = settings.genre_parent_tag
        if name:
            known = self._parent[1] if self._parent and self._parent[0] == name else None
            tree = self.stash.tags_under(name, known)
            if tree is None:
                raise StashConfigError(f"rules.genre_parent_tag: Stash has no tag named {name!r}; nothing is synced "
                                      "until it exists or the rule is changed (every genre would go otherwise)")
            self._parent = (name, tree.parent_id)
            genre_ids = tree.descendant_ids
        self._rules = ActiveRules(settings, genre_ids)
        return self._rules

    def active_rules(self) -> ActiveRules:
        """The rules resolved this round; resolved again when the config's rules changed since."""
        if self._rules is None or self._rules.settings != self.config.rules:
            return self.refresh_rules()
        return self._rules

    def enqueue_raw(self, scenes: dict[str, dict[str, Any] | None], force: bool = False,
                    explicit: bool = False) -> EnqueueResult:
        """Queue the scenes whose payload differs from their live job's (or, without one, from what was pushed or
        dead-lettered); drop scenes Stash no longer has (None). One transaction for the queued and seen scenes:
        callers pass one Stash batch at a time. Scenes held after an undo are left out (`held`), unless the user
        named them (`explicit`), which ends their hold."""
        result = EnqueueResult()
        rules = self.active_rules()
        metas: list[SceneMetadata] = []
        skipped: list[SceneMetadata] = []
        for scene_id, raw in scenes.items():
            if raw is None:
                self.store.drop_scene(scene_id)
                result.deleted += 1
                continue
            meta, reason = scene_under_rules(raw, rules)
            (skipped if reason else metas).append(meta)
        result.skipped = len(skipped)
        if self.store.remove_jobs_of_scenes([m.scene_id for m in skipped]):  # what Plex has stays as it is
            log.info("queued jobs dropped: their scenes no longer pass the sync rules")
        queueable = self._unheld(metas, explicit, result)
        settled = self.store.settled_hashes([m.scene_id for m in queueable])
        jobs, unchanged = [], []
        fill_empty = rules.fill_empty
        for meta in queueable:
            digest = payload_hash(meta, self.config.fields, fill_empty)
            if not force and digest in settled.get(meta.scene_id, set()):
                unchanged.append((meta.scene_id, digest))
                continue
            jobs.append(NewJob(meta.scene_id, meta.display_title, meta.path, meta.to_json(), digest, force))
        result.unchanged = len(unchanged)
        for scene_id in self.store.drop_stale_dead_letters(unchanged):
            log.info("scene %s: dead letter dropped, Stash is back at the values Plex already has", scene_id)
        result.queued = self.store.enqueue(jobs, now=self.clock(),
                                           seen=[(m.scene_id, m.updated_at) for m in metas + skipped if m.updated_at])
        return result

    def _unheld(self, metas: list[SceneMetadata], explicit: bool, result: EnqueueResult) -> list[SceneMetadata]:
        held = self.store.held_scenes([m.scene_id for m in metas])
        if not held:
            return metas
        if explicit:
            self.store.release_holds(sorted(held))
            return metas
        result.held += sorted(held)
        return [m for m in metas if m.scene_id not in held]

    def sync_scenes(self, scene_ids: list[str], force: bool = False, explicit: bool = False) -> EnqueueResult:
        """Fetch and queue the scenes one Stash batch at a time, so memory stays flat for any library size."""
        result = EnqueueResult()
        self.refresh_rules()
        for found in self.stash.scene_batches(scene_ids):
            result.unknown += [i for i, s in found.items() if s is None]
            result.add(self.enqueue_raw({i: s for i, s in found.items() if s is not None}, force, explicit))
        return result

    def sync_all(self, force: bool = False) -> EnqueueResult:
        return self.sync_scenes(self.all_ids(), force)

    def sync_recent(self, hours: float, force: bool = False) -> EnqueueResult:
        return self.sync_scenes(self.recent_ids(hours), force)

    def all_ids(self) -> list[str]:
        """Every scene in Stash."""
        return [s.scene_id for s in self.stash.all_scenes()]

    def recent_ids(self, hours: float) -> list[str]:
        """Scenes updated within `hours` of the newest server timestamp (never the local clock)."""
        newest = self.stash.newest_updated_at()
        if newest is None:
            return []
        since = shift_stamp(newest, -hours * 3600)
        return [s.scene_id for s in self.stash.changed_since(since)]
