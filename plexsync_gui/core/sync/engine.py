"""The sync engine: turns Stash scenes into queued jobs, and queued jobs into Plex edits.

Both front ends (the CLI and the desktop worker) drive this one class. It owns the retry policy, the circuit
breaker and the pause on a rejected token; it never sleeps, so a caller decides how to wait.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plexsync_gui.core.sync.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.errors import (
    Cancelled,
    PermanentError,
    PlexAuthError,
    PlexEditRefused,
    PlexNotFound,
    PlexPermanentError,
    PlexTemporaryError,
    StashDownError,
    SyncError,
    TransientError,
    backoff_delay,
    get_retry_params,
)
from plexsync_gui.core.sync.health import database_notice, stash_error
from plexsync_gui.core.setup.logs import redact
from plexsync_gui.core.sync.paths import map_path, normalise
from plexsync_gui.core.plex.client import PlexClient
from plexsync_gui.core.sync.pool import Done, LanePool
from plexsync_gui.core.sync.push import Lane, PushResult, PushTask, push
from plexsync_gui.core.sync.resolve import CLAIM_BATCH, ClaimedBatch, ItemResolver
from plexsync_gui.core.stash.stamps import shift_stamp
from plexsync_gui.core.sync.scene import SceneMetadata, payload_hash, scene_from_stash
from plexsync_gui.core.stash.client import StashClient
from plexsync_gui.core.storage.keys import AUTH_PAUSE_KEY, BREAKER_KEY
from plexsync_gui.core.storage.store import DiskFullError, Job, NewJob, OwnedItem, Store

log = logging.getLogger(__name__)

STASH_WAIT_CAP = 300.0  # longest pause of job processing while Stash cannot serve posters


@dataclass
class EnqueueResult:
    queued: int = 0
    unchanged: int = 0
    deleted: int = 0
    unknown: list[str] = field(default_factory=list)

    def add(self, other: EnqueueResult) -> None:
        """Fold in the result of another batch."""
        self.queued += other.queued
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        self.unknown += other.unknown


@dataclass
class JobOutcome:
    job_id: int
    scene_id: str
    title: str
    outcome: str  # synced | unchanged | retry | failed | released
    detail: str = ""
    error_type: str | None = None


@dataclass
class ProcessSummary:
    synced: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0  # put back uncharged: in flight when another job paused processing or opened the breaker
    stopped_reason: str | None = None  # why processing stopped early (breaker open, token rejected, disk full)


class SyncEngine:
    def __init__(self, config: Config, store: Store, stash: StashClient, plex: PlexClient,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None) -> None:
        self.config = config
        self.store = store
        self.stash = stash
        self.plex = plex
        self.clock = clock
        self.rng = rng or random.Random()
        self.breaker = CircuitBreaker.from_json(store.get(BREAKER_KEY))
        self._lanes = [Lane(plex, stash)]
        self._streak: list[int] = []  # jobs charged for Plex failures since Plex last answered
        self._stranded: list[Job] = []  # claimed jobs a full disk kept from being put back
        self.stash_wait_until: float | None = None  # jobs wait while Stash, which they need for posters, is down
        self._stash_failures = 0
        self._claimed = ClaimedBatch(lambda: ItemResolver(self.plex.clone(), self.config.plex.libraries,
                                                          lambda: self.store.counts()["pending"]))

    # ---- enqueue -----------------------------------------------------------------------------------------------

    def enqueue_raw(self, scenes: dict[str, dict[str, Any] | None], force: bool = False) -> EnqueueResult:
        """Queue the scenes whose payload differs from their live job's (or, without one, from what was pushed or
        dead-lettered); drop scenes Stash no longer has (None). One transaction for the queued and seen scenes:
        callers pass one Stash batch at a time."""
        result = EnqueueResult()
        metas: list[SceneMetadata] = []
        for scene_id, raw in scenes.items():
            if raw is None:
                self.store.drop_scene(scene_id)
                result.deleted += 1
            else:
                metas.append(scene_from_stash(raw))
        settled = self.store.settled_hashes([m.scene_id for m in metas])
        jobs, unchanged = [], []
        for meta in metas:
            digest = payload_hash(meta, self.config.fields)
            if not force and digest in settled.get(meta.scene_id, set()):
                unchanged.append((meta.scene_id, digest))
                continue
            jobs.append(NewJob(meta.scene_id, meta.display_title, meta.path, meta.to_json(), digest, force))
        result.unchanged = len(unchanged)
        for scene_id in self.store.drop_stale_dead_letters(unchanged):
            log.info("scene %s: dead letter dropped, Stash is back at the values Plex already has", scene_id)
        result.queued = self.store.enqueue(jobs, now=self.clock(),
                                           seen=[(m.scene_id, m.updated_at) for m in metas if m.updated_at])
        return result

    def sync_scenes(self, scene_ids: list[str], force: bool = False) -> EnqueueResult:
        """Fetch and queue the scenes one Stash batch at a time, so memory stays flat for any library size."""
        result = EnqueueResult()
        for found in self.stash.scene_batches(scene_ids):
            result.unknown += [i for i, s in found.items() if s is None]
            result.add(self.enqueue_raw({i: s for i, s in found.items() if s is not None}, force))
        return result

    def sync_all(self, force: bool = False) -> EnqueueResult:
        return self.sync_scenes([s.scene_id for s in self.stash.all_scenes()], force)

    def sync_recent(self, hours: float, force: bool = False) -> EnqueueResult:
        """Scenes updated within `hours` of the newest server timestamp (never the local clock)."""
        newest = self.stash.newest_updated_at()
        if newest is None:
            return EnqueueResult()
        since = shift_stamp(newest, -hours * 3600)
        return self.sync_scenes([s.scene_id for s in self.stash.changed_since(since)], force)

    # ---- processing --------------------------------------------------------------------------------------------

    @property
    def auth_problem(self) -> str | None:
        return self.store.get(AUTH_PAUSE_KEY)

    def check_auth_recovered(self) -> bool:
        """After a rejected token, test it with one cheap request; clear the pause when Plex accepts it."""
        if self.auth_problem is None:
            return True
        for lane in self._lanes:
            lane.forget_sections()
        try:
            self.plex.sections()
        except SyncError:
            return False
        self.store.set(AUTH_PAUSE_KEY, None)
        log.info("Plex accepts the token again; processing resumes")
        return True

    def breaker_allows(self) -> bool:
        """False while the breaker is open; a due probe of /identity may half-open it."""
        now = self.clock()
        if self.breaker.probe_due(now):
            self.breaker.record_probe(self._probe(), now, self.rng)
            self._save_breaker()
        return self.breaker.allows_requests()

    def _probe(self) -> bool:
        """Whether Plex answers /identity. An answer that rejects the token means Plex is up: processing pauses
        for the token (with Plex's reason), so a wrong token never reads as "Plex is unreachable"."""
        try:
            return self.plex.identity()
        except PlexAuthError as exc:
            self._pause_for_token(redact(str(exc), []))
            return True

    def process_due(self, should_stop: Callable[[], bool] = lambda: False,
                    on_outcome: Callable[[JobOutcome], None] | None = None) -> ProcessSummary:
        """Process every job due now, up to `sync.workers` at a time; stop early when the breaker opens, Plex
        rejects the token, Stash cannot serve posters or the disk is full.

        Workers only talk to Plex and Stash. Claiming, recording and `on_outcome` all happen here, in the calling
        thread, so the store never crosses threads. `should_stop` is asked before each new job; jobs already in
        flight are finished and recorded before this returns, so none is lost or left in progress.
        """
        summary = ProcessSummary()
        try:
            self._release_stranded()
            with LanePool(self._active_lanes(), push) as pool:
                self._run(pool, should_stop, summary, on_outcome)
        except DiskFullError as exc:
            summary.stopped_reason = str(exc)
            log.error("%s", exc)
        return summary

    def _run(self, pool: LanePool[Lane, PushTask, PushResult], should_stop: Callable[[], bool],
             summary: ProcessSummary, on_outcome: Callable[[JobOutcome], None] | None) -> None:
        finished: list[Done[PushTask, PushResult]] = []
        try:
            while True:
                self._start_jobs(pool, should_stop, summary, on_outcome)
                if not pool.busy:
                    return
                finished = pool.wait()
                while finished:
                    self._report(summary, self._commit(finished[0]), on_outcome)
                    finished.pop(0)
        except BaseException:
            # An error here (a full disk, an interrupt): the jobs not recorded go back untouched, now or next round.
            self._stranded += [done.task.job for done in finished + pool.drain()]
            self._claimed.drop_unstarted()
            with contextlib.suppress(DiskFullError):
                self._release_stranded()
            raise

    def _release_stranded(self) -> None:
        """Put back the claimed jobs an earlier round could not record (they are still `in_progress`)."""
        while self._stranded:
            self.store.release(self._stranded[0])
            self._stranded.pop(0)

    def _start_jobs(self, pool: LanePool[Lane, PushTask, PushResult], should_stop: Callable[[], bool],
                    summary: ProcessSummary, on_outcome: Callable[[JobOutcome], None] | None) -> None:
        """Claim due jobs while a lane is free; a job that needs no Plex request is finished right here."""
        stopped = False
        while pool.has_room(1 if self.breaker.state == HALF_OPEN else self.config.sync.workers):
            reason = None if (stopped := should_stop()) else self._stop_reason(busy=pool.busy > 0)
            if stopped or reason:
                summary.stopped_reason = reason or summary.stopped_reason
                stopped = True
                break
            task = self._claimed.next_task(self.store, self.clock(), self._claim_size(), should_stop, self._prepare,
                                           lambda outcome: self._report(summary, outcome, on_outcome))
            if task is None:
                break
            pool.submit(task)
        if stopped:
            self._claimed.drop_unstarted()  # read ahead, never claimed: still queued

    def _claim_size(self) -> int:
        """Jobs to claim (and resolve) together: one while the breaker tries a single job, one per worker when
        processing (re)starts (see ClaimedBatch), else a batch."""
        if self.breaker.state != CLOSED:
            return 1
        return CLAIM_BATCH if self._claimed.warm else self.config.sync.workers

    def _stop_reason(self, busy: bool) -> str | None:
        """Why no new job may start. The breaker's probe is only sent when no job is in flight, so a probe never
        overlaps a worker's request and an answer can only be judged against a quiet queue."""
        if not self.auth_problem and not (self.breaker.allows_requests() if busy else self.breaker_allows()):
            return "Plex is unreachable; the circuit breaker is open"
        if self.auth_problem:  # also when the probe just now found the token rejected
            return self.auth_problem
        if self.stash_wait_until is not None and self.clock() < self.stash_wait_until:
            return "Stash is unreachable; jobs wait for it"
        return None

    def _prepare(self, job: Job) -> PushTask | JobOutcome:
        """Read what the worker needs; finish at once what needs no network (nothing changed, no file)."""
        try:
            scene = SceneMetadata.from_json(job.payload)
            state = self.store.sync_state(scene.scene_id)
            if not job.force and state is not None and state.pushed_hash == job.payload_hash:
                self.store.finish(job, {}, None)
                return JobOutcome(job.id, job.scene_id, job.title, "unchanged", "no change")
            if not scene.path:
                raise PermanentError("the scene has no file in Stash, so it cannot be matched to a Plex item")
            plex_path = map_path(scene.path, self.config.path_map)
            owned = self.store.owned_item(state.rating_key if state else None, normalise(plex_path))
            return PushTask(job, scene, plex_path, owned, self.config)
        except SyncError as exc:
            return self._fail(job, exc)
        except DiskFullError:
            raise
        except Exception as exc:  # a bug must cost one job an attempt, never the worker
            log.exception("unexpected error while preparing scene %s", job.scene_id)
            return self._fail(job, TransientError(f"internal error: {type(exc).__name__}: {exc}"))

    def _commit(self, done: Done[PushTask, PushResult]) -> JobOutcome:
        """Record a worker's result (in the calling thread)."""
        job = done.task.job
        try:
            result = done.result()
        except Exception as exc:  # push() returns its errors; this is a bug in the pool itself
            result = PushResult(error=TransientError(f"internal error: {type(exc).__name__}: {exc}"))
        if result.forget_rating_key and done.task.owned is not None:
            self.store.forget_item(job.scene_id, done.task.owned.rating_key)
        if result.stash_answered:
            self._stash_failures, self.stash_wait_until = 0, None
        if result.error is not None:
            return self._fail(job, result.error)
        self._plex_answered()
        self.store.finish(
            job, {"rating_key": result.rating_key, "pushed_hash": job.payload_hash, "synced_at": self.clock()},
            ("synced", result.detail),
            OwnedItem(result.rating_key, normalise(done.task.plex_path), result.written, result.poster_sha1))
        outcome = "unchanged" if result.detail == "no change" else "synced"
        return JobOutcome(job.id, job.scene_id, job.title, outcome, result.detail)

    @staticmethod
    def _report(summary: ProcessSummary, outcome: JobOutcome,
                on_outcome: Callable[[JobOutcome], None] | None) -> None:
        log.info("scene %s %r: %s %s", outcome.scene_id, outcome.title, outcome.outcome, outcome.detail)
        summary.synced += outcome.outcome in ("synced", "unchanged")
        summary.retried += outcome.outcome == "retry"
        summary.failed += outcome.outcome == "failed"
        summary.released += outcome.outcome == "released"
        if on_outcome:
            on_outcome(outcome)

    def _active_lanes(self) -> list[Lane]:
        """One lane per worker: the first uses the session's own clients, the others clones, made once and kept
        (with their connections) until close()."""
        while len(self._lanes) < self.config.sync.workers:
            self._lanes.append(Lane(self.plex.clone(), self.stash.clone()))
        return self._lanes[:self.config.sync.workers]

    def close(self) -> None:
        """Close the extra lanes' clients; the session closes its own."""
        for lane in self._lanes[1:]:
            lane.plex.close()
            lane.stash.close()
        del self._lanes[1:]
        self._claimed.close()

    # ---- failures ----------------------------------------------------------------------------------------------

    def _fail(self, job: Job, error: SyncError) -> JobOutcome:
        message = redact(str(error), [])  # URL-borne secrets never reach the dead letters, the activity or the log
        if self._already_known(error):
            self.store.release(job)
            return JobOutcome(job.id, job.scene_id, job.title, "released", f"{message}; put back uncharged",
                              error.type_name)
        attempts = job.attempts + 1
        if isinstance(error, StashDownError):
            return self._wait_for_stash(job, error, message)
        if isinstance(error, PlexAuthError):
            self._dead_letter(job, "PlexPermanentError", message, attempts, [])
            self._pause_for_token(message)
            return JobOutcome(job.id, job.scene_id, job.title, "failed", message, "PlexPermanentError")
        base, cap, max_attempts = get_retry_params(error, self.config.sync.max_retries)
        if isinstance(error, PlexEditRefused) and self._probe():
            self._plex_answered()  # Plex is up and refuses this item's edit: the item's problem, not an outage
        elif isinstance(error, PlexTemporaryError):
            if self._plex_failure(job, last_attempt=attempts >= max_attempts):
                return self._outage_began(job, error, message)
            if self.auth_problem:  # its probe found the token rejected: the pause, not this job, explains it
                self.store.release(job)
                return JobOutcome(job.id, job.scene_id, job.title, "released", f"{message}; put back uncharged",
                                  error.type_name)
        elif isinstance(error, (PlexNotFound, PlexPermanentError)):
            self._plex_answered()  # Plex answered; Stash-side and internal failures leave the breaker alone
        if not error.retryable:
            self._dead_letter(job, error.type_name, message, attempts, getattr(error, "candidates", []))
            return JobOutcome(job.id, job.scene_id, job.title, "failed", message, error.type_name)
        if attempts >= max_attempts:
            self._dead_letter(job, error.type_name, f"{message} (gave up after {attempts} attempts)", attempts, [])
            return JobOutcome(job.id, job.scene_id, job.title, "failed", message, error.type_name)
        delay = backoff_delay(attempts, base, cap, self.rng)
        self.store.reschedule(job, error.type_name, message, attempts, max_attempts, self.clock() + delay)
        return JobOutcome(job.id, job.scene_id, job.title, "retry", f"{message}; retry in {delay:.0f} s",
                          error.type_name)

    def _plex_failure(self, job: Job, last_attempt: bool) -> bool:
        """Count a temporary Plex failure toward the breaker. True when it shows an outage rather than a bad job:
        it opened the breaker, or it would spend the job's last attempt while Plex does not even answer a probe
        (after a suspend, every retry is due at once: their last attempts must not go to a network not up yet)."""
        was_closed = self.breaker.state == CLOSED
        self.breaker.record_failure(self.clock(), self.rng)
        outage = was_closed and not self.breaker.allows_requests()
        if not outage and last_attempt and not self._probe():
            self.breaker.trip(self.clock(), self.rng)
            outage = True
        self._save_breaker()
        if not outage and not self.auth_problem:
            self._streak.append(job.id)
        return outage

    def _outage_began(self, job: Job, error: SyncError, message: str) -> JobOutcome:
        """A failure that shows Plex is down (see _plex_failure), not that these jobs are bad: this job goes back
        uncharged and the jobs charged in the same failure streak get their attempt back, so an outage never
        spends (or exhausts) attempts. A failed half-open trial is charged, which keeps retries finite when Plex
        answers its probe but fails every job."""
        self.store.release(job)
        refunded = self.store.refund_attempts(self._streak)
        self._streak.clear()
        log.warning("Plex looks down (%s): circuit breaker open, %d attempt(s) given back", message, refunded)
        return JobOutcome(job.id, job.scene_id, job.title, "released", f"{message}; circuit breaker open",
                          error.type_name)

    def _wait_for_stash(self, job: Job, error: SyncError, message: str) -> JobOutcome:
        """Stash is down, not the job bad: put it back uncharged and pause all jobs for a growing while (one
        download tries again after it), so a Stash outage neither dead-letters jobs nor floods Stash."""
        self.store.release(job)
        self._stash_failures += 1
        ceiling = min(STASH_WAIT_CAP, 5.0 * 2 ** (self._stash_failures - 1))
        self.stash_wait_until = self.clock() + self.rng.uniform(ceiling / 2, ceiling)
        log.warning("%s; jobs wait %.0f s for Stash", message, self.stash_wait_until - self.clock())
        return JobOutcome(job.id, job.scene_id, job.title, "released", f"{message}; waiting for Stash",
                          error.type_name)

    def _pause_for_token(self, message: str) -> None:
        self.store.set(AUTH_PAUSE_KEY, message)
        log.error("processing paused: %s", message)

    def _already_known(self, error: SyncError) -> bool:
        """A failure of a job that was in flight when another one paused processing or opened the breaker, or
        that the app cut short while stopping: it says nothing new, so it is neither charged nor counted (once
        open, only the probe moves the breaker; a Stash pause already running is not lengthened by the jobs that
        were in flight when it began)."""
        if isinstance(error, Cancelled):
            return True
        if isinstance(error, PlexAuthError):
            return self.auth_problem is not None
        if isinstance(error, StashDownError):
            return self.stash_wait_until is not None and self.clock() < self.stash_wait_until
        return isinstance(error, PlexTemporaryError) and self.breaker.state == OPEN

    def _dead_letter(self, job: Job, error_type: str, message: str, attempts: int, candidates: list[dict]) -> None:
        self.store.dead_letter(job, error_type, message, attempts, candidates or None, now=self.clock())

    def _plex_answered(self) -> None:
        self._streak.clear()
        if self.breaker.state == OPEN:
            return  # an answer to a request sent before the breaker opened; only the probe closes it
        if self.breaker.state != CLOSED or self.breaker.failures:
            self.breaker.record_success()
            self._save_breaker()

    def _save_breaker(self) -> None:
        self.store.set(BREAKER_KEY, self.breaker.to_json())

    def status(self) -> dict[str, Any]:
        counts = self.store.counts()
        return {**counts, "breaker": self.breaker.state, "paused": self.auth_problem,
                "stash_error": stash_error(self.store), "database_notice": database_notice(self.store)}
