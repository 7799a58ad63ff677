"""Claim due jobs in batches and resolve their Plex items together, so a worker's job is (at best) its one edit.

Alone, each job costs a `file=` lookup and a read of the full item before its edit. Here, in the calling thread and
on a connection of its own, a batch of claimed jobs gets its items in one multi-item read
(`/library/metadata/{k1},{k2},…`), found through the remembered ratingKey or, when many scenes are new to
PlexSync, through a `SectionIndex` of the target sections listed once. What this cannot settle for certain it
leaves to the worker, which then looks the item up and reads it exactly as before: a stale ratingKey, a file the
index does not know or knows twice, an item the read did not return, and any failure of these shared requests.
That keeps each job's failures (and the circuit breaker's view of them) the job's own: a failed batch read fails
no job, it only costs the jobs their own requests.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from plexsync_gui.core.errors import SyncError
from plexsync_gui.core.plex.client import PlexClient, PlexItem
from plexsync_gui.core.plex.index import SectionIndex
from plexsync_gui.core.storage.store import Job, Store
from plexsync_gui.core.sync.paths import basename, normalise, same_file
from plexsync_gui.core.sync.push import PushTask

log = logging.getLogger(__name__)

CLAIM_BATCH = 100  # jobs claimed (and items read) together while the breaker is closed
INDEX_MIN_NEW = 20  # scenes new to PlexSync in one batch that make listing the sections worth it
INDEX_MAX_AGE = 600.0  # seconds an index (or the choice not to build one) holds; later items: worker's lookup
ITEMS_PER_LOOKUP = 15  # listed items that cost about what one `file=` lookup costs (profiled: ~0.1 ms per item)

Outcome = TypeVar("Outcome")  # the engine's JobOutcome (not imported: the engine imports this module)


class ItemResolver:
    """Finds and reads the Plex items of a batch of tasks, on its own client (workers use theirs meanwhile)."""

    def __init__(self, plex: PlexClient, libraries: list[str], queued: Callable[[], int]) -> None:
        self.plex = plex
        self._libraries = libraries
        self._queued = queued  # jobs waiting, the most the index could save lookups for
        self._index: SectionIndex | None = None
        self._no_index_until = 0.0

    def resolve(self, tasks: list[PushTask]) -> list[PushTask]:
        """The tasks, each with its `item` when it was settled here; on any failure, the tasks as given."""
        try:
            return self._resolve(tasks)
        except SyncError as exc:
            log.info("reading %d Plex items together failed (%s); each job reads its own", len(tasks), exc)
        except Exception:  # a bug here must not stop processing: the jobs can still do it all themselves
            log.exception("unexpected error while reading %d Plex items together; each job reads its own", len(tasks))
        return tasks

    def _resolve(self, tasks: list[PushTask]) -> list[PushTask]:
        wanted = {i: hit for i, task in enumerate(tasks) if (hit := self._known_item(task, tasks)) is not None}
        items: dict[str, PlexItem] = {}
        keys = list(dict.fromkeys(key for key, _exact in wanted.values()))
        for start in range(0, len(keys), CLAIM_BATCH):
            items.update(self.plex.fetch_many(keys[start:start + CLAIM_BATCH]))
        resolved = list(tasks)
        for i, (key, exact) in wanted.items():
            item = items.get(key)
            if item is not None and _holds(item, tasks[i].plex_path, exact):
                resolved[i] = dataclasses.replace(tasks[i], item=item)
        return resolved

    def _known_item(self, task: PushTask, batch: list[PushTask]) -> tuple[str, bool] | None:
        """The ratingKey to read for a task, and whether the item must hold its exact path (else its basename)."""
        if task.owned is not None and task.owned.rating_key:
            return task.owned.rating_key, True
        index = self._index_for(batch)
        return index.match(task.plex_path) if index is not None else None

    def _index_for(self, batch: list[PushTask]) -> SectionIndex | None:
        """The section index, listed now when this batch has many new scenes, none is fresh enough, and listing
        costs less than the lookups it saves: a few hundred new scenes never list a 100,000-item section."""
        if self._index is not None and self._index.age() < INDEX_MAX_AGE:
            return self._index
        self._index = None
        if time.monotonic() < self._no_index_until or sum(task.owned is None for task in batch) < INDEX_MIN_NEW:
            return None
        sections = self.plex.target_sections(self._libraries)
        items = sum(self.plex.section_size(section) for section in sections)
        if items > ITEMS_PER_LOOKUP * (self._queued() + len(batch)):
            self._no_index_until = time.monotonic() + INDEX_MAX_AGE
            return None
        self._index = SectionIndex.build(self.plex, sections)
        return self._index

    def forget_index(self) -> None:
        """Drop the index (and the choice not to build one) once the queue ran dry: an idle service holds neither,
        and the next batch of new scenes is judged afresh."""
        self._index, self._no_index_until = None, 0.0

    def close(self) -> None:
        self.plex.close()


def _holds(item: PlexItem, plex_path: str, exact: bool) -> bool:
    """The re-check every match passes, as in `find_candidates`: the item's file is the path (or has its name)."""
    if exact:
        return any(same_file(f, plex_path) for f in item.files)
    return any(basename(normalise(f)) == basename(normalise(plex_path)) for f in item.files)


class ClaimedBatch:
    """Due jobs read a batch ahead of the pool, prepared and resolved together, and claimed one by one as workers
    take them: only jobs in flight are ever `in_progress` (a kill leaves no more behind than before), and jobs read
    ahead but not started need no putting back, since they never left the queue.

    The first batch after a stop or an empty queue is not resolved (`warm` is False; the engine reads one job per
    worker then): those jobs meet Plex first, as they did before batching, so after a suspend no shared request
    precedes them and the breaker opens on the jobs' failures alone.
    """

    def __init__(self, resolver: Callable[[], ItemResolver]) -> None:
        self._make_resolver = resolver
        self._resolver: ItemResolver | None = None
        self._tasks: deque[PushTask] = deque()
        self.warm = False  # a batch since the last stop or empty queue went out: batches may be resolved now

    def next_task(self, store: Store, now: float, size: int, should_stop: Callable[[], bool],
                  prepare: Callable[[Job], PushTask | Outcome], report: Callable[[Outcome], None]) -> PushTask | None:
        """The next task for a worker, its job claimed; None when nothing is due (or `should_stop` says so between
        batches). Jobs finished while preparing (nothing changed, no file) are reported at once; a job that changed
        since it was read is skipped here (its newer row is due on its own)."""
        while not should_stop():
            if not self._tasks:
                due = store.due_jobs(now, size)
                if not due:
                    self.warm = False
                    if self._resolver is not None:
                        self._resolver.forget_index()
                    return None
                tasks = self._prepare_all(due, prepare, report)
                self._tasks.extend(self._resolve(tasks) if self.warm and len(tasks) > 1 else tasks)
                self.warm = True
                continue
            task = self._tasks.popleft()
            claimed = store.claim(task.job)
            if claimed is not None:
                return dataclasses.replace(task, job=claimed)
        return None

    @staticmethod
    def _prepare_all(due: list[Job], prepare: Callable[[Job], PushTask | Outcome],
                     report: Callable[[Outcome], None]) -> list[PushTask]:
        tasks: list[PushTask] = []
        for job in due:
            prepared = prepare(job)
            if isinstance(prepared, PushTask):
                tasks.append(prepared)
            else:
                report(prepared)
        return tasks

    def _resolve(self, tasks: list[PushTask]) -> list[PushTask]:
        if self._resolver is None:
            self._resolver = self._make_resolver()
        return self._resolver.resolve(tasks)

    def drop_unstarted(self) -> None:
        """Forget the tasks not handed out (processing stopped): their jobs are still queued as they were."""
        self._tasks.clear()
        self.warm = False

    def close(self) -> None:
        if self._resolver is not None:
            self._resolver.close()
            self._resolver = None
