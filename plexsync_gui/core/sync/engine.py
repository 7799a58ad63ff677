"""The sync engine: turns queued jobs into Plex edits (queueing is `queueing.Queuer`'s).

Both front ends (the CLI and the desktop worker) drive this one class. It carries out the failure decisions of
`failures.decide`, keeps the circuit breaker and the pause on a rejected token; it never sleeps, so a caller decides
how to wait. A round's outcomes come back in its `ProcessSummary`, as plain data, never through callbacks.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from plexsync_gui.core.errors import InternalError, PermanentError, PlexAuthError, SyncError
from plexsync_gui.core.plex.client import PlexClient
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.logs import redact
from plexsync_gui.core.stash.client import StashClient
from plexsync_gui.core.storage.keys import AUTH_PAUSE_KEY, BREAKER_KEY
from plexsync_gui.core.storage.store import DiskFullError, Job, OwnedItem, Store
from plexsync_gui.core.sync.breaker import BreakerState, CircuitBreaker
from plexsync_gui.core.sync.collection_order import order_due_collections
from plexsync_gui.core.sync.failures import Action, BreakerEffect, Decision, FailureContext, decide
from plexsync_gui.core.sync.health import StashHealth
from plexsync_gui.core.sync.paths import map_path, normalise
from plexsync_gui.core.sync.pool import Done, LanePool
from plexsync_gui.core.sync.push import Lane, PushResult, PushTask, push
from plexsync_gui.core.sync.resolve import CLAIM_BATCH, ClaimedBatch, ItemResolver
from plexsync_gui.core.sync.scene import SceneMetadata

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What became of one job in a round; shown in the activity and stored there: the values must not change."""

    SYNCED = "synced"
    UNCHANGED = "unchanged"
    RETRY = "retry"
    FAILED = "failed"
    RELEASED = "released"  # put back uncharged


@dataclass(frozen=True)
class JobOutcome:
    job_id: int
    scene_id: str
    title: str
    outcome: Outcome
    detail: str = ""
    error_type: str | None = None


@dataclass
class ProcessSummary:
    synced: int = 0
    retried: int = 0
    failed: int = 0
    released: int = 0  # put back uncharged: in flight when another job paused processing or opened the breaker
    stopped_reason: str | None = None  # why processing stopped early (breaker open, token rejected, disk full)
    outcomes: list[JobOutcome] = field(default_factory=list)  # every job's outcome, in the order recorded

    def add(self, outcome: JobOutcome) -> None:
        log.info("scene %s %r: %s %s", outcome.scene_id, outcome.title, outcome.outcome, outcome.detail)
        self.synced += outcome.outcome in (Outcome.SYNCED, Outcome.UNCHANGED)
        self.retried += outcome.outcome == Outcome.RETRY
        self.failed += outcome.outcome == Outcome.FAILED
        self.released += outcome.outcome == Outcome.RELEASED
        self.outcomes.append(outcome)


def _succeeded(done: Done[PushTask, PushResult]) -> bool:
    """Whether a worker's push named its Plex item without an error (what `_commit` records as synced)."""
    if done.future.exception() is not None:
        return False
    result = done.result()
    return result.error is None and result.rating_key is not None


class SyncEngine:
    def __init__(self, config: Config, store: Store, stash: StashClient, plex: PlexClient,
                 stash_health: StashHealth | None = None, clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None) -> None:
        """`stash_health` is the session's record, shared with the poll; a new one when None."""
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
        self.stash_health = stash_health or StashHealth(store)
        self._claimed = ClaimedBatch(lambda: ItemResolver(self.plex.clone(), self.config.plex.libraries,
                                                          lambda: self.store.counts()["pending"]))

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

    def process_due(self, should_stop: Callable[[], bool] = lambda: False) -> ProcessSummary:
        """Process every job due now, up to `sync.workers` at a time; stop early when the breaker opens, Plex
        rejects the token, Stash cannot serve posters or the disk is full. The summary lists every outcome.

        Workers only talk to Plex and Stash. Claiming and recording happen here, in the calling thread, so the store
        never crosses threads. `should_stop` is asked before each new job; jobs already in flight are finished and
        recorded before this returns, so none is lost or left in progress.
        """
        summary = ProcessSummary()
        try:
            self._release_stranded()
            with LanePool(self._active_lanes(), push) as pool:
                self._run(pool, should_stop, summary)
            self._order_collections(summary, should_stop)
        except DiskFullError as exc:
            summary.stopped_reason = str(exc)
            log.error("%s", exc)
        return summary

    def _run(self, pool: LanePool[Lane, PushTask, PushResult], should_stop: Callable[[], bool],
             summary: ProcessSummary) -> None:
        finished: list[Done[PushTask, PushResult]] = []
        try:
            while True:
                self._start_jobs(pool, should_stop, summary)
                if not pool.busy:
                    return
                finished = pool.wait()
                while finished:
                    for outcome in self._record(finished):
                        summary.add(outcome)
        except BaseException:
            # An error here (a full disk, an interrupt): the jobs not recorded go back untouched, now or next round.
            self._stranded += [done.task.job for done in finished + pool.drain()]
            self._claimed.drop_unstarted()
            with contextlib.suppress(DiskFullError):
                self._release_stranded()
            raise

    def _order_collections(self, summary: ProcessSummary, should_stop: Callable[[], bool]) -> None:
        """After the round's edits (Plex makes a collection on its first tag): the group collections it touched,
        in their Stash order; skipped while processing is stopped or stopping, the collections stay due."""
        if (self.config.fields.groups and summary.stopped_reason is None and self.breaker.allows_requests()
                and not should_stop()):
            order_due_collections(self.plex, self.store)
    def _record(self, finished: list[Done[PushTask, PushResult]]) -> list[JobOutcome]:
        """Record the first jobs of `finished` (in order) and take them off it once recorded. Successes in a row
        share one transaction (`Store.batch`: one commit, not one per job, and a job's writes — its state, what
        was overwritten, its group places — land together); a failure is recorded on its own, outside a batch, as
        deciding it may ask Plex first, a request no open transaction should wait on."""
        succeeded = list(itertools.takewhile(_succeeded, finished))
        run = succeeded or finished[:1]
        with self.store.batch() if succeeded else contextlib.nullcontext():
            outcomes = [self._commit(done) for done in run]
        del finished[:len(run)]
        return outcomes

    def _release_stranded(self) -> None:
        """Put back the claimed jobs an earlier round could not record (they are still `in_progress`)."""
        while self._stranded:
            self.store.release(self._stranded[0])
            self._stranded.pop(0)

    def _start_jobs(self, pool: LanePool[Lane, PushTask, PushResult], should_stop: Callable[[], bool],
                    summary: ProcessSummary) -> None:
        """Claim due jobs while a lane is free (read ahead and resolved in batches, see ClaimedBatch); a job that
        needs no Plex request is finished right here."""
        stopped = False
        while pool.has_room(1 if self.breaker.state == BreakerState.HALF_OPEN else self.config.sync.workers):
            reason = None if (stopped := should_stop()) else self._stop_reason(busy=pool.busy > 0)
            if stopped or reason:
                summary.stopped_reason = reason or summary.stopped_reason
                stopped = True
                break
            task = self._claimed.next_task(self.store, self.clock(), self._claim_size(), should_stop, self._prepare,
                                           summary.add)
            if task is None:
                break
            pool.submit(task)
        if stopped:
            self._claimed.drop_unstarted()  # read ahead, never claimed: still queued

    def _claim_size(self) -> int:
        """Jobs to claim (and resolve) together: one while the breaker tries a single job, one per worker when
        processing (re)starts (see ClaimedBatch), else a batch."""
        if self.breaker.state != BreakerState.CLOSED:
            return 1
        return CLAIM_BATCH if self._claimed.warm else self.config.sync.workers

    def _stop_reason(self, busy: bool) -> str | None:
        """Why no new job may start. The breaker's probe is only sent when no job is in flight, so a probe never
        overlaps a worker's request and an answer can only be judged against a quiet queue."""
        if not self.auth_problem and not (self.breaker.allows_requests() if busy else self.breaker_allows()):
            return "Plex is unreachable; the circuit breaker is open"
        if self.auth_problem:  # also when the probe just now found the token rejected
            return self.auth_problem
        if self.stash_health.jobs_wait(self.clock()):
            return "Stash is unreachable; jobs wait for it"
        return None

    def _prepare(self, job: Job) -> PushTask | JobOutcome:
        """Read what the worker needs; finish at once what needs no network (nothing changed, no file)."""
        try:
            scene = SceneMetadata.from_json(job.payload)
            state = self.store.sync_state(scene.scene_id)
            if not job.force and state is not None and state.pushed_hash == job.payload_hash:
                self.store.finish(job, {}, None)
                return JobOutcome(job.id, job.scene_id, job.title, Outcome.UNCHANGED, "no change")
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
            return self._fail(job, InternalError.from_exception(exc))

    def _commit(self, done: Done[PushTask, PushResult]) -> JobOutcome:
        """Record a worker's result (in the calling thread)."""
        job = done.task.job
        try:
            result = done.result()
        except Exception as exc:  # push() returns its errors; this is a bug in the pool itself
            log.error("unexpected error in a sync worker for scene %s", job.scene_id, exc_info=exc)
            result = PushResult(error=InternalError.from_exception(exc))
        if result.forget_rating_key and done.task.owned is not None:
            self.store.forget_item(job.scene_id, done.task.owned.rating_key)
        if result.stash_answered:
            self.stash_health.download_answered()
        if result.originals_of is not None:  # also when a later step failed: what was overwritten is kept
            self.store.keep_originals(result.originals_of, result.originals)
        rating_key = result.rating_key
        if result.error is not None or rating_key is None:  # push sets one of the two
            return self._fail(job, result.error or InternalError("internal error: the push named no Plex item"))
        self._plex_answered()
        self.store.finish(
            job, {"rating_key": rating_key, "pushed_hash": job.payload_hash, "synced_at": self.clock()},
            (Outcome.SYNCED.value, result.detail),
            OwnedItem(rating_key, normalise(done.task.plex_path), result.written, result.poster_sha1))
        if self.config.fields.groups and result.section_key is not None:
            self.store.set_group_members(job.scene_id, result.section_key, rating_key, done.task.scene.groups)
        outcome = Outcome.UNCHANGED if result.detail == "no change" else Outcome.SYNCED
        return JobOutcome(job.id, job.scene_id, job.title, outcome, result.detail)

    def _active_lanes(self) -> list[Lane]:
        """One lane per worker: the first uses the session's own clients, the others clones, made once and kept
        (with their connections) until close()."""
        while len(self._lanes) < self.config.sync.workers:
            self._lanes.append(Lane(self.plex.clone(), self.stash.clone()))
        return self._lanes[:self.config.sync.workers]

    def close(self) -> None:
        """Close the extra lanes' clients (the session closes its own) and every lane's download thread."""
        for lane in self._lanes:
            lane.stop_downloads()
        for lane in self._lanes[1:]:
            lane.plex.close()
            lane.stash.close()
        del self._lanes[1:]
        self._claimed.close()

    # ---- failures: `failures.decide` says what happens, these methods do it -----------------------------------

    def _fail(self, job: Job, error: SyncError) -> JobOutcome:
        message = redact(str(error), [])  # URL-borne secrets never reach the dead letters, the activity or the log
        decision = decide(error, self._failure_context(job))
        if decision.action == Action.PROBE:  # the answer matters now: ask Plex once, then decide with it
            decision = decide(error, self._failure_context(job, plex_answers=self._probe()))
        self._apply_to_breaker(job, decision)
        if decision.pause_for_token:
            self._dead_letter(job, decision, message, [])
            self._pause_for_token(message)
            return self._outcome(job, Outcome.FAILED, message, decision)
        if decision.action == Action.RELEASE:
            return self._release(job, message, decision)
        if decision.action == Action.WAIT_FOR_STASH:
            self.store.release(job)
            wait = self.stash_health.download_failed(self.clock(), self.rng)
            log.warning("%s; jobs wait %.0f s for Stash", message, wait)
            return self._outcome(job, Outcome.RELEASED, f"{message}; {decision.note}", decision)
        if decision.action == Action.DEAD_LETTER:
            recorded = f"{message} ({decision.note})" if decision.note else message
            candidates = [] if decision.note else getattr(error, "candidates", [])
            self._dead_letter(job, decision, recorded, candidates)
            return self._outcome(job, Outcome.FAILED, message, decision)
        assert decision.backoff is not None
        delay = decision.backoff.delay(decision.attempts, self.rng)
        self.store.reschedule(job, decision.error_type, message, decision.attempts, decision.max_attempts,
                              self.clock() + delay)
        return self._outcome(job, Outcome.RETRY, f"{message}; retry in {delay:.0f} s", decision)

    def _failure_context(self, job: Job, plex_answers: bool | None = None) -> FailureContext:
        return FailureContext(
            attempts=job.attempts, max_retries=self.config.sync.max_retries, breaker_state=self.breaker.state,
            breaker_failures=self.breaker.failures, breaker_threshold=self.breaker.threshold,
            auth_paused=self.auth_problem is not None, stash_wait_running=self.stash_health.jobs_wait(self.clock()),
            plex_answers=plex_answers)

    def _apply_to_breaker(self, job: Job, decision: Decision) -> None:
        """Count a Plex failure toward the breaker (opening it at once when the probe confirmed an outage), or end
        the failure streak when Plex answered. A job charged while Plex may be down joins the streak."""
        if decision.breaker == BreakerEffect.ANSWERED:
            self._plex_answered()
        elif decision.breaker in (BreakerEffect.FAILURE, BreakerEffect.TRIP):
            self.breaker.record_failure(self.clock(), self.rng)
            if decision.breaker == BreakerEffect.TRIP:
                self.breaker.trip(self.clock(), self.rng)
            self._save_breaker()
        if decision.join_streak:
            self._streak.append(job.id)

    def _release(self, job: Job, message: str, decision: Decision) -> JobOutcome:
        """Back to the queue uncharged. When an outage began (see failures.decide), the jobs charged in the same
        failure streak get their attempt back too, so an outage never spends (or exhausts) attempts. A failed
        half-open trial is charged, which keeps retries finite when Plex answers its probe but fails every job."""
        self.store.release(job)
        if decision.refund_streak:
            refunded = self.store.refund_attempts(self._streak)
            self._streak.clear()
            log.warning("Plex looks down (%s): circuit breaker open, %d attempt(s) given back", message, refunded)
        return self._outcome(job, Outcome.RELEASED, f"{message}; {decision.note}", decision)

    @staticmethod
    def _outcome(job: Job, outcome: Outcome, detail: str, decision: Decision) -> JobOutcome:
        return JobOutcome(job.id, job.scene_id, job.title, outcome, detail, decision.error_type)

    def _pause_for_token(self, message: str) -> None:
        self.store.set(AUTH_PAUSE_KEY, message)
        log.error("processing paused: %s", message)

    def _dead_letter(self, job: Job, decision: Decision, message: str, candidates: list[dict[str, str]]) -> None:
        self.store.dead_letter(job, decision.error_type, message, decision.attempts, candidates or None,
                               now=self.clock(), max_attempts=decision.max_attempts)

    def _plex_answered(self) -> None:
        self._streak.clear()
        if self.breaker.state == BreakerState.OPEN:
            return  # an answer to a request sent before the breaker opened; only the probe closes it
        if self.breaker.state != BreakerState.CLOSED or self.breaker.failures:
            self.breaker.record_success()
            self._save_breaker()

    def _save_breaker(self) -> None:
        self.store.set(BREAKER_KEY, self.breaker.to_json())
