"""Change detection on the Stash side: a light `updated_at` poll with a server-derived cursor.

The cursor is the largest `updated_at` string seen, compared as text like Stash does. Each poll asks for everything
newer than the cursor minus a two-hour overlap (DST fall-back, same-second edits), and skips scenes whose string
equals the one already seen, so the overlap costs only bytes. Stash stamps whole seconds, so a second edit in the
cursor's own second leaves the stamp unchanged: the scenes stamped with the cursor are fetched again, and the payload
hash decides whether anything is queued, until a poll that began once Stash had surely left that second (two seconds
after the poll that first saw it ended) has fetched them. Idle polls after that fetch no scene. An hourly full
listing finds deleted scenes (Stash keeps no tombstones) and anything the cursor could have missed.

Renaming a tag, performer or studio changes what Plex should show but leaves the scenes' `updated_at` alone. Each
kind is polled the same way by its own `updated_at` (own cursor, same overlap); an entity whose name differs from
the one remembered has its scenes fetched and queued, the payload hash again deciding. Comparing names rather than
stamps also covers a second rename in the same second. The full pass lists every entity, to catch anything missed.

A change of the sync rules (`[rules]`, or the tags under `rules.genre_parent_tag` in Stash) leaves every
`updated_at` alone too: a poll that finds the rules' fingerprint differing from the last one applied re-reads every
scene once, and the payload hashes queue exactly the scenes the change affects.

The poller only finds changes and queues them through a `Queuer`; it never calls the engine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from plexsync_gui.core.stash.client import StashClient
from plexsync_gui.core.stash.queries import EntityKind
from plexsync_gui.core.stash.stamps import shift_stamp
from plexsync_gui.core.storage.keys import WATERMARK_KEY
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.queueing import EnqueueResult, Queuer
from plexsync_gui.core.sync.rules import DEFAULT_FINGERPRINT

log = logging.getLogger(__name__)

RECONCILED_AT_KEY = "stash_reconciled_at"
OVERLAP_SECONDS = 2 * 3600
RECONCILE_EVERY = 3600
CURSOR_SEEN_AT_KEY = "stash_watermark_seen_at"  # local time the poll that moved the cursor ended
CURSOR_SETTLED_KEY = "stash_watermark_settled"  # the cursor, once its second was fetched again after it ended
RULES_KEY = "rules_fingerprint"  # the fingerprint of the sync rules the last successful poll applied
SECOND_OVER_AFTER = 2.0  # seconds after a poll saw a stamp by which the server has left that second (1 s + margin)


@dataclass
class PollResult:
    full: bool
    returned: int
    changed: int
    enqueued: EnqueueResult
    renamed: int = 0  # tags, performers and studios renamed since the last poll


class ChangePoller:
    def __init__(self, stash: StashClient, store: Store, queuer: Queuer,
                 clock: Callable[[], float] = time.time) -> None:
        """Changes found are handed to `queuer`; processing them is the engine's business, not the poller's."""
        self.stash = stash
        self.store = store
        self.queuer = queuer
        self.clock = clock

    def poll(self) -> PollResult:
        """One poll. Raises StashError on any failure, leaving the cursors where they were."""
        started = self.clock()
        watermark = self.store.get(WATERMARK_KEY)
        rules = self.queuer.refresh_rules().fingerprint
        applied = self.store.get(RULES_KEY)
        reread = watermark is not None and rules != (applied or DEFAULT_FINGERPRINT)
        if reread:
            log.info("the sync rules changed: every scene is read again, the affected ones are queued")
        full = watermark is None or reread or self._reconcile_due()
        enqueued = EnqueueResult()
        returned, changed = self._poll_scenes(watermark, full, enqueued, started, reread)
        renamed = sum(self._poll_entities(kind, full, enqueued) for kind in self.stash.entity_kinds())
        if full:
            self.store.set(RECONCILED_AT_KEY, str(self.clock()))
        if rules != applied:
            self.store.set(RULES_KEY, rules)
        if changed or renamed or enqueued.queued or enqueued.deleted:
            log.info("Stash poll: %d changed, %d renamed, %d queued, %d deleted", changed, renamed,
                     enqueued.queued, enqueued.deleted)
        return PollResult(full, returned, changed, enqueued, renamed)

    def _poll_scenes(self, watermark: str | None, full: bool, enqueued: EnqueueResult,
                     started: float, reread: bool = False) -> tuple[int, int]:
        """Queue changed scenes (every scene when `reread`; on the full pass, drop deleted ones); returns (listed,
        changed)."""
        if full or watermark is None:
            stamps = self.stash.all_scenes()
        else:
            stamps = self.stash.changed_since(shift_stamp(watermark, -OVERLAP_SECONDS))
        seen = self.store.seen_updated_at(None if full else [s.scene_id for s in stamps])
        changed = [s.scene_id for s in stamps if reread or seen.get(s.scene_id) != s.updated_at]
        settled = watermark is None or self.store.get(CURSOR_SETTLED_KEY) == watermark
        recheck = [] if settled else [s.scene_id for s in stamps
                                      if s.updated_at == watermark and seen.get(s.scene_id) == watermark]
        for batch in self.stash.scene_batches(changed + recheck):  # queued batch by batch: memory stays flat
            enqueued.add(self.queuer.enqueue_raw(batch))
        if full:
            present = {s.scene_id for s in stamps}
            enqueued.add(self.queuer.enqueue_raw({scene_id: None for scene_id in seen if scene_id not in present}))
        if self._advance(WATERMARK_KEY, watermark, [s.updated_at for s in stamps]):
            self.store.set(CURSOR_SEEN_AT_KEY, str(self.clock()))
        elif not settled and self._second_over(started):
            self.store.set(CURSOR_SETTLED_KEY, watermark)
        return len(stamps), len(changed)

    def _second_over(self, started: float) -> bool:
        """Whether this poll began late enough that Stash can no longer stamp anything with the cursor's second."""
        try:
            return abs(started - float(self.store.get(CURSOR_SEEN_AT_KEY) or "")) >= SECOND_OVER_AFTER
        except ValueError:
            return True  # no record of when the cursor was seen: it was seen by an earlier version, long ago

    def _poll_entities(self, kind: EntityKind, full: bool, enqueued: EnqueueResult) -> int:
        """Queue the scenes of the entities of `kind` renamed since they were last seen; returns how many were.
        Names are remembered only after their scenes are queued, so a failure in between asks again."""
        key = f"{WATERMARK_KEY}_{kind.name}"
        watermark = self.store.get(key)
        full = full or watermark is None
        since = None if full or watermark is None else shift_stamp(watermark, -OVERLAP_SECONDS)
        listing = self.stash.entities(kind, since)
        known = self.store.entity_names(kind.name, None if full else [e.entity_id for e in listing])
        renamed = [e.entity_id for e in listing if known.get(e.entity_id, e.name) != e.name]
        if not full and kind.name == "performer" and self.queuer.config.fields.performer_photos:
            renamed = [e.entity_id for e in listing]  # a new photo bumps only the performer: its scenes re-hash
        for batch in self.stash.scene_batches(self.stash.scenes_using(kind, renamed)):
            enqueued.add(self.queuer.enqueue_raw(batch))
        present = {e.entity_id for e in listing}
        changed = {e.entity_id: e.name for e in listing if known.get(e.entity_id) != e.name}
        gone = [entity_id for entity_id in known if entity_id not in present] if full else []
        self.store.remember_entity_names(kind.name, changed, gone)
        self._advance(key, watermark, [e.updated_at for e in listing])
        return len(renamed)

    def _reconcile_due(self) -> bool:
        last = self.store.get(RECONCILED_AT_KEY)
        try:
            return last is None or abs(self.clock() - float(last)) >= RECONCILE_EVERY
        except ValueError:
            return True

    def _advance(self, key: str, watermark: str | None, stamps: list[str]) -> bool:
        """The new cursor is the largest string, compared as text exactly as the server compares. True if moved."""
        newest = max(stamps, default=None)
        if newest is None or (watermark is not None and newest <= watermark):
            return False
        self.store.set(key, newest)
        return True
