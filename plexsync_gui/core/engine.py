"""The sync engine: turns Stash scenes into queued jobs, and queued jobs into Plex edits.

Both front ends (the CLI and the desktop worker) drive this one class. It owns the retry policy, the circuit
breaker and the pause on a rejected token; it never sleeps, so a caller decides how to wait.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plexsync_gui.core.breaker import CLOSED, CircuitBreaker
from plexsync_gui.core.config import Config
from plexsync_gui.core.edits import describe_fields, plan_edit
from plexsync_gui.core.errors import (
    PermanentError,
    PlexAuthError,
    PlexNotFound,
    PlexPermanentError,
    PlexTemporaryError,
    StashDownError,
    StashError,
    SyncError,
    TransientError,
    backoff_delay,
    get_retry_params,
)
from plexsync_gui.core.health import database_notice, stash_error
from plexsync_gui.core.logs import redact
from plexsync_gui.core.paths import map_path, same_file
from plexsync_gui.core.plex_client import Candidate, PlexClient, item_files, snapshot
from plexsync_gui.core.stamps import shift_stamp
from plexsync_gui.core.scene import SceneMetadata, desired_fields, payload_hash, scene_from_stash
from plexsync_gui.core.stash_client import StashClient
from plexsync_gui.core.store import DiskFullError, Job, NewJob, Store

log = logging.getLogger(__name__)

AUTH_PAUSE_KEY = "plex_auth_error"
BREAKER_KEY = "breaker"
STASH_WAIT_CAP = 300.0  # longest pause of job processing while Stash cannot serve posters


@dataclass
class EnqueueResult:
    queued: int = 0
    unchanged: int = 0
    deleted: int = 0
    unknown: list[str] = field(default_factory=list)


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
        self._sections: list[Any] | None = None
        self._streak: list[int] = []  # jobs charged for Plex failures since Plex last answered
        self._stranded: list[Job] = []  # claimed jobs a full disk kept from being put back
        self.stash_wait_until: float | None = None  # jobs wait while Stash, which they need for posters, is down
        self._stash_failures = 0

    # ---- enqueue -----------------------------------------------------------------------------------------------

    def enqueue_raw(self, scenes: dict[str, dict[str, Any] | None], force: bool = False) -> EnqueueResult:
        """Queue the scenes whose payload is new; drop scenes Stash no longer has (None)."""
        result = EnqueueResult()
        metas: list[SceneMetadata] = []
        for scene_id, raw in scenes.items():
            if raw is None:
                self.store.drop_scene(scene_id)
                result.deleted += 1
            else:
                metas.append(scene_from_stash(raw))
        known = self.store.known_hashes([m.scene_id for m in metas])
        jobs = []
        for meta in metas:
            digest = payload_hash(meta, self.config.fields)
            if not force and digest in known.get(meta.scene_id, set()):
                result.unchanged += 1
                continue
            jobs.append(NewJob(meta.scene_id, meta.display_title, meta.path, meta.to_json(), digest, force))
        result.queued = self.store.enqueue(jobs, now=self.clock())
        self.store.mark_seen((m.scene_id, m.updated_at) for m in metas if m.updated_at)
        return result

    def sync_scenes(self, scene_ids: list[str], force: bool = False) -> EnqueueResult:
        found = self.stash.scenes_by_ids(scene_ids)
        unknown = [i for i in scene_ids if found.get(i) is None]
        result = self.enqueue_raw({i: s for i, s in found.items() if s is not None}, force)
        result.unknown = unknown
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
        self.plex.reconnect()
        self._sections = None
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
            self.breaker.record_probe(self.plex.identity(), now, self.rng)
            self._save_breaker()
        return self.breaker.allows_requests()

    def process_due(self, should_stop: Callable[[], bool] = lambda: False,
                    on_outcome: Callable[[JobOutcome], None] | None = None) -> ProcessSummary:
        """Process every job due now; stop early when the breaker opens, Plex rejects the token or the disk is full."""
        summary = ProcessSummary()
        try:
            self._process_due(summary, should_stop, on_outcome)
        except DiskFullError as exc:
            summary.stopped_reason = str(exc)
            log.error("%s", exc)
        return summary

    def _process_due(self, summary: ProcessSummary, should_stop: Callable[[], bool],
                     on_outcome: Callable[[JobOutcome], None] | None) -> None:
        while self._stranded:
            self.store.release(self._stranded[0])
            self._stranded.pop(0)
        while not should_stop():
            if self.auth_problem:
                summary.stopped_reason = self.auth_problem
                break
            if not self.breaker_allows():
                summary.stopped_reason = "Plex is unreachable; the circuit breaker is open"
                break
            if self.stash_wait_until is not None and self.clock() < self.stash_wait_until:
                summary.stopped_reason = "Stash is unreachable; jobs wait for it"
                break
            outcome = self.process_next()
            if outcome is None:
                break
            log.info("scene %s %r: %s %s", outcome.scene_id, outcome.title, outcome.outcome, outcome.detail)
            summary.synced += outcome.outcome in ("synced", "unchanged")
            summary.retried += outcome.outcome == "retry"
            summary.failed += outcome.outcome == "failed"
            if on_outcome:
                on_outcome(outcome)

    def process_next(self) -> JobOutcome | None:
        job = self.store.claim_next(self.clock())
        if job is None:
            return None
        try:
            return self._process(job)
        except DiskFullError:
            self._stranded.append(job)  # still in progress in the database: put back once a write succeeds
            raise

    def _process(self, job: Job) -> JobOutcome:
        try:
            detail = self._sync(job)
        except SyncError as exc:
            return self._fail(job, exc)
        except DiskFullError:
            raise
        except Exception as exc:  # a bug must cost one job an attempt, never the worker
            log.exception("unexpected error while syncing scene %s", job.scene_id)
            return self._fail(job, TransientError(f"internal error: {type(exc).__name__}: {exc}"))
        self._plex_answered()
        return JobOutcome(job.id, job.scene_id, job.title, "unchanged" if detail == "no change" else "synced", detail)

    def _sync(self, job: Job) -> str:
        scene = SceneMetadata.from_json(job.payload)
        state = self.store.sync_state(scene.scene_id)
        if not job.force and state is not None and state.pushed_hash == job.payload_hash:
            self.store.finish(job, {}, None)
            return "no change"
        if not scene.path:
            raise PermanentError("the scene has no file in Stash, so it cannot be matched to a Plex item")
        plex_path = map_path(scene.path, self.config.path_map)
        item = self._item_for(scene.scene_id, plex_path, state.rating_key if state else None)
        plan = plan_edit(desired_fields(scene, self.config.fields), snapshot(item),
                         state.written if state else None, self.config.sync.preserve_plex_edits)
        if plan.params:
            self.plex.apply(item, plan.params)
        poster_sha1 = self._sync_poster(scene, item, state.poster_sha1 if state else None)
        changed = plan.changed + (["poster"] if poster_sha1 != (state.poster_sha1 if state else None) else [])
        detail = describe_fields(changed) + " changed" if changed else "no change"
        if plan.preserved:
            detail += f"; kept Plex edits to {describe_fields(plan.preserved)}"
        self.store.finish(job, {
            "rating_key": str(item.ratingKey), "pushed_hash": job.payload_hash, "written": plan.written,
            "poster_sha1": poster_sha1, "synced_at": self.clock(),
        }, ("synced", detail))
        return detail

    def _item_for(self, scene_id: str, plex_path: str, rating_key: str | None) -> Any:
        """The full Plex item: through the remembered ratingKey when it still holds the file, else a lookup."""
        if rating_key:
            item = self.plex.fetch_full(rating_key)
            if item is not None and any(same_file(f, plex_path) for f in item_files(item)):
                return item
            self.store.update_state(scene_id, rating_key=None)
        candidate = self._match(plex_path)
        item = self.plex.fetch_full(candidate.rating_key)
        if item is None:
            raise PlexNotFound(f"Plex item {candidate.rating_key} vanished while syncing")
        return item

    def _match(self, plex_path: str) -> Candidate:
        if self._sections is None:
            self._sections = self.plex.target_sections(self.config.plex.libraries)
        candidates = self.plex.find_candidates(plex_path, self._sections)
        if not candidates:
            raise PlexNotFound(f"no Plex item has the file {plex_path} (not scanned yet, or a path_map is missing)")
        if len(candidates) > 1 and self.config.sync.strict_matching:
            listed = "; ".join(f"{c.rating_key} {c.title!r} ({c.file})" for c in candidates[:10])
            raise PermanentError(
                f"{len(candidates)} Plex items match {plex_path} and strict_matching is on: {listed}. "
                "Pick one in the app, or turn strict_matching off to take the first",
                candidates=[c.as_dict() for c in candidates],
            )
        return candidates[0]

    def _sync_poster(self, scene: SceneMetadata, item: Any, last_sha1: str | None) -> str | None:
        """Upload the scene's screenshot when its bytes changed; Stash placeholders are never uploaded."""
        if not self.config.fields.poster or not scene.screenshot_url:
            return last_sha1
        try:
            data = self.stash.download_image(scene.screenshot_url)
        except StashError as exc:
            raise StashDownError(f"could not download the poster from Stash: {exc}") from None
        self._stash_failures, self.stash_wait_until = 0, None
        if data is None:
            return last_sha1
        sha1 = hashlib.sha1(data).hexdigest()
        if sha1 != last_sha1:
            self.plex.upload_poster(item, data)
        return sha1

    # ---- failures ----------------------------------------------------------------------------------------------

    def _fail(self, job: Job, error: SyncError) -> JobOutcome:
        attempts = job.attempts + 1
        message = redact(str(error), [])  # URL-borne secrets never reach the dead letters or the activity
        if isinstance(error, StashDownError):
            return self._wait_for_stash(job, error, message)
        if isinstance(error, PlexAuthError):
            self._dead_letter(job, "PlexPermanentError", message, attempts, [])
            self.store.set(AUTH_PAUSE_KEY, message)
            log.error("processing paused: %s", message)
            return JobOutcome(job.id, job.scene_id, job.title, "failed", message, "PlexPermanentError")
        base, cap, max_attempts = get_retry_params(error, self.config.sync.max_retries)
        if isinstance(error, PlexTemporaryError):
            if self._plex_failure(job, last_attempt=attempts >= max_attempts):
                return self._outage_began(job, error, message)
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
        if not outage and last_attempt and not self.plex.identity():
            self.breaker.trip(self.clock(), self.rng)
            outage = True
        self._save_breaker()
        if not outage:
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

    def _dead_letter(self, job: Job, error_type: str, message: str, attempts: int, candidates: list[dict]) -> None:
        self.store.dead_letter(job, error_type, message, attempts, candidates or None, now=self.clock())

    def _plex_answered(self) -> None:
        self._streak.clear()
        if self.breaker.state != CLOSED or self.breaker.failures:
            self.breaker.record_success()
            self._save_breaker()

    def _save_breaker(self) -> None:
        self.store.set(BREAKER_KEY, self.breaker.to_json())

    def status(self) -> dict[str, Any]:
        counts = self.store.counts()
        return {**counts, "breaker": self.breaker.state, "paused": self.auth_problem,
                "stash_error": stash_error(self.store), "database_notice": database_notice(self.store)}
