"""Change detection on the Stash side: a light `updated_at` poll with a server-derived cursor.

The cursor is the largest `updated_at` string seen, compared as text like Stash does. Each poll asks for everything
newer than the cursor minus a two-hour overlap (DST fall-back, same-second edits), and skips scenes whose string
equals the one already seen, so the overlap costs only bytes. Stash stamps whole seconds, so a second edit in the
cursor's own second leaves the stamp unchanged: the few scenes stamped with the cursor are fetched again on every
poll, and the payload hash decides whether anything is queued. An hourly full listing finds deleted scenes (Stash
keeps no tombstones) and anything the cursor could have missed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from plexsync_gui.core.engine import EnqueueResult, SyncEngine
from plexsync_gui.core.stamps import shift_stamp
from plexsync_gui.core.stash_client import SceneStamp, StashClient
from plexsync_gui.core.store import Store

log = logging.getLogger(__name__)

WATERMARK_KEY = "stash_watermark"
RECONCILED_AT_KEY = "stash_reconciled_at"
OVERLAP_SECONDS = 2 * 3600
RECONCILE_EVERY = 3600


@dataclass
class PollResult:
    full: bool
    returned: int
    changed: int
    enqueued: EnqueueResult


class ChangePoller:
    def __init__(self, stash: StashClient, store: Store, engine: SyncEngine,
                 clock: Callable[[], float] = time.time) -> None:
        self.stash = stash
        self.store = store
        self.engine = engine
        self.clock = clock

    def poll(self) -> PollResult:
        """One poll. Raises StashError on any failure, leaving the cursor where it was."""
        watermark = self.store.get(WATERMARK_KEY)
        full = watermark is None or self._reconcile_due()
        stamps = self.stash.all_scenes() if full else self.stash.changed_since(shift_stamp(watermark, -OVERLAP_SECONDS))
        seen = self.store.seen_updated_at(None if full else [s.scene_id for s in stamps])
        changed = [s.scene_id for s in stamps if seen.get(s.scene_id) != s.updated_at]
        recheck = [s.scene_id for s in stamps if s.updated_at == watermark and seen.get(s.scene_id) == watermark]
        enqueued = EnqueueResult()
        for batch in self.stash.scene_batches(changed + recheck):  # queued batch by batch: memory stays flat
            enqueued.add(self.engine.enqueue_raw(batch))
        if full:
            present = {s.scene_id for s in stamps}
            enqueued.add(self.engine.enqueue_raw({scene_id: None for scene_id in seen if scene_id not in present}))
        self._advance(watermark, stamps)
        if full:
            self.store.set(RECONCILED_AT_KEY, str(self.clock()))
        if changed or enqueued.queued or enqueued.deleted:
            log.info("Stash poll: %d changed, %d queued, %d deleted", len(changed), enqueued.queued, enqueued.deleted)
        return PollResult(full, len(stamps), len(changed), enqueued)

    def _reconcile_due(self) -> bool:
        last = self.store.get(RECONCILED_AT_KEY)
        try:
            return last is None or abs(self.clock() - float(last)) >= RECONCILE_EVERY
        except ValueError:
            return True

    def _advance(self, watermark: str | None, stamps: list[SceneStamp]) -> None:
        """The new cursor is the largest string, compared as text exactly as the server compares."""
        newest = max((s.updated_at for s in stamps), default=None)
        if newest is not None and (watermark is None or newest > watermark):
            self.store.set(WATERMARK_KEY, newest)
