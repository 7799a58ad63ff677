"""The sync worker: the core engine driven by a timer in its own QThread, reporting plain data.

It owns its own Store (SQLite connection) and network clients, all created in `start` inside the worker thread.
Each timer round runs `Runner.step` under a time budget, so pause, stop and the user's table actions (queued slots)
are handled between jobs rather than after a whole batch. The round returns its outcomes and status as frozen data
(`RoundResult`), which the worker turns into signals after each round: the time budget keeps rounds short, so the
GUI gets outcomes as they come without any callback from the core. The worker reads what a round returns and never
writes into core objects. It never touches a widget: everything it reports is plain data (the store's frozen rows,
the frozen status), and job failures are data, never exceptions escaping a slot.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from plexsync_gui.core.activity.plex_to_stash import PlexActivity
from plexsync_gui.core.errors import StashError, SyncError
from plexsync_gui.core.net.http import Cancellation
from plexsync_gui.core.plex.client import CandidateDetails, PlexClient, PlexItem, plex_web_url
from plexsync_gui.core.preview.compute import ScenePreview, fetch_scenes, preview, queued_scenes
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.logs import redact
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Locations, Session, open_session, open_store
from plexsync_gui.core.storage.process_lock import ProcessLock, ProcessLockBusy
from plexsync_gui.core.storage.store import DiskFullError, Store
from plexsync_gui.core.sync.engine import Outcome
from plexsync_gui.core.sync.runner import RoundResult, Runner
from plexsync_gui.core.sync.status import SyncStatus
from plexsync_gui.core.sync.undo import undo
from plexsync_gui.ui import wording
from plexsync_gui.ui.times import CLOCK, local_time

log = logging.getLogger(__name__)

ROUND_BUDGET = 0.25  # seconds of syncing before the worker returns to its event loop
LOCK_RETRY_MS = 5000  # how often a worker kept out by another process's lock tries again
ACTIVITY_ROWS = 500
THUMBNAIL_PX = 160  # posters are scaled here, in the worker: the GUI thread only ever gets a small image


QUEUED, ALL_SCENES = "queued", "all"  # what a preview covers


@dataclass(frozen=True)
class PreviewOutcome:
    """A preview's rows for the window, or the one line saying why there are none."""

    selection: str
    rows: list[ScenePreview]
    error: str | None = None


class SyncWorker(QObject):
    status_changed = Signal(dict)
    queue_changed = Signal(list, list, bool)  # rows to insert or update, ids removed, rows are the whole table
    failed_changed = Signal(list, list, bool)
    activity_changed = Signal(list)  # the most recent activity, newest first
    failures_added = Signal(list)  # titles of scenes that just reached the dead letters
    detail_ready = Signal(object)  # one DeadLetterDetail (payload and candidates), or None when it is gone
    plex_now_ready = Signal(int, object)  # dead letter id, its Plex item's current fields (dict) or None
    poster_ready = Signal(str, QImage)  # scene id, its poster scaled to THUMBNAIL_PX (a null image when it has none)
    candidates_ready = Signal(int, list)  # dead letter id, one dict per candidate read from Plex (candidate_facts)
    problem = Signal(str)  # the worker cannot run (database or config trouble), one line
    preview_ready = Signal(object)  # a PreviewOutcome: the rows of core/preview, or why there are none
    undo_done = Signal(object)  # an UndoReport, or a one-line str saying why nothing could be undone
    plays_imported = Signal(str)  # the one-time import of Plex's plays finished: its summary line, or why not
    stopped = Signal()
    _events_arrived = Signal()  # emitted on a listener's thread; queued to the worker's, where a round starts

    def __init__(self, locations: Locations, config: Config, secrets: Secrets, stop_event: threading.Event,
                 cancellation: Cancellation) -> None:
        """`stop_event` and `cancellation` are set from the GUI thread: the first ends the round between jobs, the
        second cuts the requests in flight."""
        super().__init__()
        self._locations = locations
        self._config = config
        self._secrets = secrets
        self._stop_event = stop_event
        self._cancellation = cancellation
        self._paused = False
        self._lock: ProcessLock | None = None
        self._lock_retry: QTimer | None = None  # runs start() again while another process holds the lock
        self._stopped = False
        self._store: Store | None = None
        self._session: Session | None = None
        self._details_plex: PlexClient | None = None  # the details pane's reads, kept with the session
        self._runner: Runner | None = None
        self._timer: QTimer | None = None
        self._last_synced_at: float | None = None
        self._round_started = 0.0
        self._events_arrived.connect(self._on_events, Qt.ConnectionType.QueuedConnection)

    # ---- lifecycle (slots run in the worker thread) ------------------------------------------------------------

    @Slot()
    def start(self) -> None:
        if not self._take_lock():
            return
        notices: list[str] = []
        try:
            self._store = open_store(self._locations, self._config, notices)
            self._store.recover_interrupted()
            self._open_session()
        except Exception as exc:
            log.exception("the sync worker could not start")
            self.problem.emit(f"PlexSync cannot start syncing: {exc}")
            return
        for notice in notices:
            self.problem.emit(notice)
        self._last_synced_at = self._store.last_synced_at()
        self._timer = QTimer(self)  # a child: deleted with the worker, in the worker's thread, never by the GC
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._round)
        self._publish_tables()
        self._schedule(0)

    def _take_lock(self) -> bool:
        """The data directory's processing lock. While another process holds it, say so once and try again every
        LOCK_RETRY_MS: a `plexsync run` that stops (or a second app that quits) hands over without a restart."""
        try:
            self._lock = ProcessLock(self._locations.data_dir).__enter__()
        except ProcessLockBusy as exc:
            if self._lock_retry is None:
                self.problem.emit(f"{exc} (a `plexsync run`?); stop it to sync from the app, which starts syncing "
                                  "as soon as it stops")
                self._lock_retry = QTimer(self)
                self._lock_retry.setSingleShot(True)
                self._lock_retry.setInterval(LOCK_RETRY_MS)
                self._lock_retry.timeout.connect(self.start)
            if not self._stop_event.is_set():
                self._lock_retry.start()
            return False
        if self._lock_retry is not None:
            log.info("the processing lock of %s is free now; syncing starts", self._locations.data_dir)
        return True

    @Slot()
    def stop(self) -> None:
        """Runs after the current round: the job in progress has finished or been released by then. Also called as
        the thread finishes (see SyncService), so a second call finds nothing left to close and says nothing."""
        if self._stopped:
            return
        self._stopped = True
        if self._lock_retry is not None:
            self._lock_retry.stop()
        if self._timer is not None:
            self._timer.stop()
        self._close_session()
        if self._store is not None:
            self._store.close()
        if self._lock is not None:
            self._lock.__exit__(None, None, None)
        self._session = self._store = self._runner = self._lock = None
        self.stopped.emit()

    @Slot(bool)
    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        self._publish_status()
        if not paused:
            self._schedule(0)

    @Slot()
    def sync_now(self) -> None:
        """Poll Stash now and make waiting retries due now."""
        if self._runner is None or self._store is None:
            return
        self._runner.poll_soon()
        self._store.retry_now(None)
        self._publish_queue()
        self._schedule(0)

    @Slot(object, object)
    def set_config(self, config: Config, secrets: Secrets) -> None:
        """Settings saved: reconnect with the new values between jobs; the queue is untouched."""
        self._config, self._secrets = config, secrets
        if self._store is None:
            return
        self._store.default_max_attempts = config.sync.max_retries
        self._close_session()
        self._open_session()
        self._schedule(0)

    # ---- user actions on rows ----------------------------------------------------------------------------------

    @Slot(list)
    def retry_jobs(self, job_ids: list[int]) -> None:
        if self._store is not None:
            self._store.retry_now(job_ids)
            self._publish_rows(job_ids)
            self._schedule(0)

    @Slot(list)
    def remove_jobs(self, job_ids: list[int]) -> None:
        if self._store is not None:
            self._store.remove_jobs(job_ids)
            self._publish_rows(job_ids)
            self._publish_status()

    @Slot(object)
    def retry_failed(self, ids: list[int] | None) -> None:
        """Back to the queue, due now with fresh attempts (all of them when `ids` is None)."""
        if self._store is not None:
            self._store.retry_dead_letters(ids)
            self._publish_tables()
            self._schedule(0)

    @Slot(object)
    def discard_failed(self, ids: list[int] | None) -> None:
        if self._store is not None:
            self._store.discard_dead_letters(ids)
            self._publish_failed(full=True)
            self._publish_status()

    @Slot(int, str)
    def choose_candidate(self, dead_letter_id: int, rating_key: str) -> None:
        """Remember the user's pick for an ambiguous match, then retry that scene."""
        if self._store is None:
            return
        detail = self._store.dead_letter_detail(dead_letter_id)
        if detail is None:
            return
        self._store.update_state(detail.scene_id, rating_key=rating_key)
        log.info("scene %s: the user chose Plex item %s", detail.scene_id, rating_key)
        self.retry_failed([dead_letter_id])

    @Slot()
    def import_plays(self) -> None:
        """Settings' "Import past plays now": Plex's whole play history into Stash, with the saved settings."""
        if self._session is None:
            self.plays_imported.emit("Not connected to Stash and Plex yet: save the settings first")
            return
        stash, plex = self._session.stash.clone(), self._session.plex.clone()
        try:
            activity = PlexActivity(self._session.store, stash, plex, lambda: self._config.plex_to_stash)
            line = activity.import_past().line()
        except (SyncError, StashError, DiskFullError) as exc:
            line = f"The import stopped: {exc}"
        finally:
            stash.close()
            plex.close()
        self.plays_imported.emit(line)
        self._publish_activity()
    def wake(self) -> None:
        """Something queued a job outside the rounds (a pick in the Library tab): show it and process it now."""
        if self._store is not None:
            self._publish_queue()
            self._schedule(0)

    @Slot(int)
    def fetch_detail(self, dead_letter_id: int) -> None:
        if self._store is not None:
            self.detail_ready.emit(self._store.dead_letter_detail(dead_letter_id))

    @Slot(str, str)
    def fetch_poster(self, scene_id: str, url: str) -> None:
        """The scene's poster from Stash, downloaded and scaled here (QImage, unlike QPixmap, is made off the GUI
        thread). Any failure is a missing thumbnail, never an error: the scene's own sync reports Stash's state."""
        data = None
        if self._session is not None:
            url = url or f"{self._config.stash.url.rstrip('/')}/scene/{scene_id}/screenshot"
            try:
                data = self._session.stash.download_image(url)
            except Exception as exc:  # a thumbnail is decoration: log the kind of failure, show none
                log.info("no poster for scene %s: %s", scene_id, type(exc).__name__)
        self.poster_ready.emit(scene_id, thumbnail(data))

    @Slot(int, list)
    def fetch_candidates(self, dead_letter_id: int, rating_keys: list[str]) -> None:
        """The duplicate picker's facts about each candidate: added date, duration, size, poster and its page in
        Plex Web, read in one request through a client of its own (as `fetch_plex_now`). A candidate Plex cannot
        describe keeps only its key: the picker is decoration, the scene's sync reports Plex's trouble."""
        facts: list[dict[str, Any]] = [{"rating_key": key} for key in rating_keys]
        client = self._plex_for_details()
        if client is not None and rating_keys:
            try:
                details = client.candidate_details(rating_keys)
                machine = client.machine_identifier()
                facts = [candidate_facts(client, key, details.get(key), plex_web_url(client.url, machine, key))
                         for key in rating_keys]
            except Exception as exc:
                log.info("could not read the Plex candidates for the details pane: %s", type(exc).__name__)
        self.candidates_ready.emit(dead_letter_id, facts)

    @Slot(int)
    def fetch_plex_now(self, dead_letter_id: int) -> None:
        """What the scene's Plex item holds now, for the details pane's side-by-side: the remembered item, else the
        first candidate. Read through a client of its own (the engine's may be busy in its pool); None when there is
        no item or Plex cannot say (the scene's sync reports that)."""
        detail = self._store.dead_letter_detail(dead_letter_id) if self._store is not None else None
        state = self._store.sync_state(detail.scene_id) if self._store is not None and detail is not None else None
        rating_key = state.rating_key if state is not None else None
        if rating_key is None and detail is not None and detail.candidates:
            rating_key = detail.candidates[0]["rating_key"]
        fields = None
        client = self._plex_for_details()
        if rating_key is not None and client is not None:
            try:
                item = client.fetch_full(rating_key)
                fields = None if item is None else plex_fields(item)
            except Exception as exc:  # decoration, like the poster: the sync itself reports Plex's trouble
                log.info("could not read Plex item %s for the details pane: %s", rating_key, type(exc).__name__)
        self.plex_now_ready.emit(dead_letter_id, fields)

    # ---- preview and undo ---------------------------------------------------------------------------------------

    @Slot(str)
    def preview(self, selection: str) -> None:
        """What a sync of the queued scenes (`QUEUED`) or of every scene in Stash (`ALL_SCENES`) would write, read
        through the details pane's own client; between rounds, so the preview and the sync see the same store."""
        client = self._plex_for_details()
        if self._session is None or self._store is None or client is None:
            self.preview_ready.emit(PreviewOutcome(selection, [], "PlexSync is not connected yet"))
            return
        try:
            if selection == QUEUED:
                rows = preview(queued_scenes(self._store), self._config, self._store, client, self._session.stash,
                               explicit=True)
            else:
                queuer = self._session.queuer
                fetched = fetch_scenes(self._session.stash, queuer.all_ids(), queuer.refresh_rules())
                rows = preview(fetched.scenes, self._config, self._store, client, self._session.stash,
                               ruled_out=fetched.ruled_out)
        except Exception as exc:  # Stash or Plex trouble: the dialog says so in one line
            log.info("preview failed: %s", exc)
            self.preview_ready.emit(PreviewOutcome(selection, [], redact(str(exc), self._secrets.values())))
            return
        self.preview_ready.emit(PreviewOutcome(selection, rows))

    @Slot(object)
    def undo(self, scene_ids: list[str] | None) -> None:
        """Put back Plex's values on these scenes' items (None: every item), between rounds: no job of these
        scenes is in flight meanwhile."""
        if self._session is None or self._store is None:
            self.undo_done.emit("PlexSync is not connected yet; nothing was undone")
            return
        try:
            report = undo(self._store, self._session.plex, scene_ids)
        except Exception as exc:
            log.info("undo failed: %s", exc)
            self.undo_done.emit(f"Nothing more was undone: {redact(str(exc), self._secrets.values())}")
            return
        self.undo_done.emit(report)
        self._publish_tables()

    @Slot(list)
    def sync_scenes(self, scene_ids: list[str]) -> None:
        """The user asked for these scenes by name: queue them (compared with Plex even when unchanged), which
        also ends an undo's hold on them."""
        if self._session is None:
            return
        try:
            self._session.queuer.sync_scenes(scene_ids, force=True, explicit=True)
        except Exception as exc:  # Stash unreachable: one line, the scenes stay as they were
            self.problem.emit(f"Could not queue the scenes: {redact(str(exc), self._secrets.values())}")
            return
        self._publish_queue()
        self._publish_status()
        self._schedule(0)

    # ---- the sync round ----------------------------------------------------------------------------------------

    def _plex_for_details(self) -> PlexClient | None:
        """One Plex client of its own for the details pane (the rounds' clients stay the engine's), made on first
        use and kept with the session: looking at failed scenes costs their reads, not a new connection each."""
        if self._details_plex is None and self._session is not None:
            self._details_plex = self._session.plex.clone()
        return self._details_plex

    def _close_session(self) -> None:
        if self._runner is not None:
            self._runner.close()
        if self._details_plex is not None:
            self._details_plex.close()
        if self._session is not None:
            self._session.close()
        self._details_plex = self._session = None

    def _open_session(self) -> None:
        assert self._store is not None
        self._session = open_session(self._config, self._secrets, self._store, self._cancellation)
        self._runner = Runner(self._session.engine, self._session.poller, self._config.sync.poll_interval,
                              on_event=self._events_arrived.emit)
        self._runner.listen(self._secrets)

    @Slot()
    def _on_events(self) -> None:
        """Stash or Plex reported something: the next round starts now and acts on it."""
        if self._runner is not None and not self._paused:
            self._schedule(0)

    def _should_stop(self) -> bool:
        return (self._stop_event.is_set() or self._paused
                or time.monotonic() - self._round_started > ROUND_BUDGET)

    @Slot()
    def _round(self) -> None:
        if self._runner is None or self._paused or self._stop_event.is_set():
            return
        self._round_started = time.monotonic()
        try:
            result = self._runner.step(self._should_stop)
        except Exception:
            log.exception("unexpected error in a sync round")
            self._publish_tables()  # the round's outcomes did not come back: show what the store has
            self._schedule(self._config.sync.poll_interval)
            return
        budget_spent = time.monotonic() - self._round_started > ROUND_BUDGET
        self._report_round(result)
        self._schedule(0 if budget_spent else result.wait)

    def _report_round(self, result: RoundResult) -> None:
        outcomes = result.outcomes
        if result.enqueued:
            self._publish_queue()
            self._publish_failed(full=True)  # a changed scene leaves the dead letters when it is queued again
        elif outcomes:
            self._publish_rows([o.job_id for o in outcomes])
        failed = [o for o in outcomes if o.outcome == Outcome.FAILED]
        if failed:
            self._publish_failed(scene_ids=[o.scene_id for o in failed])
            self.failures_added.emit([o.title for o in failed])
        if any(o.outcome == Outcome.SYNCED for o in outcomes):
            self._last_synced_at = time.time()
        if outcomes or result.from_plex:
            self._publish_activity()
        self._emit_status(result.status)

    def _schedule(self, seconds: float) -> None:
        if self._timer is not None and not self._stop_event.is_set():
            self._timer.start(int(max(0.0, seconds) * 1000))

    # ---- reporting ---------------------------------------------------------------------------------------------

    def _publish_tables(self) -> None:
        self._publish_queue()
        self._publish_failed(full=True)
        self._publish_activity()
        self._publish_status()

    def _publish_queue(self) -> None:
        assert self._store is not None
        self.queue_changed.emit(self._store.list_jobs(), [], True)

    def _publish_rows(self, job_ids: list[int]) -> None:
        """The current rows of these jobs; the ones that are gone (synced, failed, removed) are reported removed."""
        assert self._store is not None
        rows = self._store.list_jobs(job_ids)
        present = {row.id for row in rows}
        self.queue_changed.emit(rows, [i for i in job_ids if i not in present], False)

    def _publish_failed(self, full: bool = False, scene_ids: list[str] | None = None) -> None:
        assert self._store is not None
        self.failed_changed.emit(self._store.list_dead_letters(None if full else scene_ids), [], full)

    def _publish_activity(self) -> None:
        assert self._store is not None
        self.activity_changed.emit(self._store.recent_activity(ACTIVITY_ROWS))

    def _publish_status(self) -> None:
        """Outside a round (a user action, a pause): the runner reads the status the same way a round does."""
        if self._runner is not None:
            self._emit_status(self._runner.status())

    def _emit_status(self, status: SyncStatus) -> None:
        """The GUI's view of the status, plus what only the app knows (its pause, its last sync)."""
        counts = status.counts
        report = {
            "pending": status.waiting,
            "due": counts["pending"],
            "failed": counts["dlq"],
            "synced": counts["synced"],
            "paused": self._paused,
            "syncing": not self._paused and counts["pending"] + counts["in_progress"] > 0,
            "breaker": status.breaker.value,
            "next_plex_try_at": self._next_plex_try(),
            "plex_paused": status.paused,
            "stash_error": status.stash_error["message"] if status.stash_error else None,
            "stash_config_problem": bool(status.stash_error and status.stash_error.get("config")),
            "last_synced_at": self._last_synced_at,
            "last_poll_at": status.last_poll_at,
            "events": dict(status.events) if status.events else None,
        }
        report["plex_error"] = wording.plex_state(report)  # in words: "Plex is unreachable; next try in 30 s"
        self.status_changed.emit(report)


    def _next_plex_try(self) -> float | None:
        """When the open breaker next asks Plex whether it is back (for "next try in 30 s")."""
        return self._session.engine.breaker.next_probe_at if self._session is not None else None


def plex_fields(item: PlexItem) -> dict[str, Any]:
    """A Plex item's fields under the names of the scene's data from Stash, so the two sit side by side."""
    scalars, tags = item.snapshot.scalars, item.snapshot.tags
    return {"title": scalars.get("title"), "date": scalars.get("originallyAvailableAt"),
            "studio": scalars.get("studio"), "rating": scalars.get("userRating"), "performers": tags.get("actor"),
            "tags": tags.get("genre"), "summary": scalars.get("summary"),
            "path": item.files[0] if item.files else None}


def thumbnail(data: bytes | None) -> QImage:
    """Image bytes as a QImage scaled to THUMBNAIL_PX, made here so the GUI thread only gets a small image; a null
    image when there are none or they are no image."""
    image = QImage()
    if data and image.loadFromData(data):
        image = image.scaled(THUMBNAIL_PX, THUMBNAIL_PX, Qt.AspectRatioMode.KeepAspectRatio,
                             Qt.TransformationMode.SmoothTransformation)
    return image


def candidate_facts(client: PlexClient, rating_key: str, details: CandidateDetails | None,
                    web_url: str) -> dict[str, Any]:
    """One candidate for the picker as plain data; its poster is read here, and a missing one is no error."""
    data = None
    if details is not None and details.thumb:
        try:
            data = client.image(details.thumb)
        except Exception as exc:  # decoration: log the kind of failure, show none
            log.info("no Plex poster for item %s: %s", rating_key, type(exc).__name__)
    return {"rating_key": rating_key, "web_url": web_url,
            "added_at": details.added_at if details else None,
            "duration_ms": details.duration_ms if details else None,
            "size": details.size if details else None,
            "image": thumbnail(data)}


def status_summary(status: dict[str, Any]) -> str:
    """One line for the tooltip and the status bar: pending, failed, last successful sync."""
    last = status.get("last_synced_at")
    when = local_time(last, CLOCK) if last else "never"
    return f"{status.get('pending', 0)} pending · {status.get('failed', 0)} failed · last sync {when}"
