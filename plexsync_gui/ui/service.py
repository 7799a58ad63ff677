"""The GUI-thread face of the sync worker: owns its thread, queues requests into it, coalesces what it reports.

Views talk only to this object. Requests become signals connected to the worker's slots, so they run in the worker
thread between jobs. Worker reports arrive in bound methods of this GUI-thread object (PySide6 runs lambdas
connected to a moved worker in the worker thread, see desktop-conventions.md §2) and are buffered by row id; a
single-shot timer applies them to the table models at most every FLUSH_MS, so a burst of thousands of outcomes
costs the GUI thread a handful of model updates.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from plexsync_gui.core.net.http import STOP_GRACE, Cancellation
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Locations
from plexsync_gui.core.storage.store import ActivityEntry, DeadLetterDetail
from plexsync_gui.ui.coverage_service import CoverageService
from plexsync_gui.ui.models import ACTIVITY_COLUMNS, FAILED_COLUMNS, QUEUE_COLUMNS, KeyedTableModel, Row
from plexsync_gui.ui.progress import ProgressTracker
from plexsync_gui.ui.worker import SyncWorker

log = logging.getLogger(__name__)

FLUSH_MS = 150
POSTER_CACHE = 600  # posters kept (160 px, about 100 KB each at most): the activity's 500 rows and some details
THUMBNAIL_HEIGHT = 22  # the Activity table's poster, inside its 24 px rows
SHUTDOWN_WAIT_MS = 10_000


@dataclass
class _PendingRows:
    """Updates for one table since the last flush; a whole-table snapshot supersedes everything before it."""

    snapshot: list[Row] | None = None
    upserts: dict[int, Row] = field(default_factory=dict)
    removed: set[int] = field(default_factory=set)

    def add(self, rows: list[Row], removed: list[int], whole: bool) -> None:
        if whole:
            self.snapshot, self.upserts, self.removed = list(rows), {}, set()
            return
        for row in rows:
            self.upserts[row.id] = row
            self.removed.discard(row.id)
        for row_id in removed:
            self.upserts.pop(row_id, None)
            self.removed.add(row_id)

    def apply_to(self, model: KeyedTableModel) -> None:
        if self.snapshot is not None:
            merged = {row.id: row for row in self.snapshot}
            merged.update(self.upserts)
            model.replace_all([row for row_id, row in merged.items() if row_id not in self.removed])
        else:
            model.remove(self.removed)
            model.upsert(self.upserts.values())


class SyncService(QObject):
    status_changed = Signal(dict)
    failures_added = Signal(list)
    detail_ready = Signal(object)  # DeadLetterDetail, or None when it is gone
    plex_now_ready = Signal(int, object)  # dead letter id, its Plex item's current fields or None
    poster_ready = Signal(str, QImage)  # scene id and its small poster (null when it has none)
    candidates_ready = Signal(int, list)  # dead letter id, the picker's facts about each candidate
    problem = Signal(str)
    preview_ready = Signal(object)  # PreviewOutcome
    undo_done = Signal(object)  # UndoReport, or a one-line str
    plays_imported = Signal(str)  # the summary line of "Import past plays now"
    stopped = Signal()

    _req_start = Signal()
    _req_stop = Signal()
    _req_pause = Signal(bool)
    _req_sync_now = Signal()
    _req_config = Signal(object, object)
    _req_retry_jobs = Signal(list)
    _req_remove_jobs = Signal(list)
    _req_retry_failed = Signal(object)
    _req_discard_failed = Signal(object)
    _req_choose = Signal(int, str)
    _req_detail = Signal(int)
    _req_poster = Signal(str, str)
    _req_plex_now = Signal(int)
    _req_candidates = Signal(int, list)
    _req_preview = Signal(str)
    _req_undo = Signal(object)
    _req_sync_scenes = Signal(list)
    _req_import_plays = Signal()
    _req_wake = Signal()

    def __init__(self, locations: Locations, config: Config, secrets: Secrets, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue_model = KeyedTableModel(QUEUE_COLUMNS, self)
        self.failed_model = KeyedTableModel(FAILED_COLUMNS, self)
        self.activity_model = KeyedTableModel(ACTIVITY_COLUMNS, self, sort=(0, Qt.SortOrder.DescendingOrder))
        self.status: dict[str, Any] = {}
        self.paused = False
        self._stop_event = threading.Event()
        self._cancellation = Cancellation()
        self._thread = QThread()
        self._thread.setObjectName("sync-worker")
        self._worker = SyncWorker(locations, config, secrets, self._stop_event, self._cancellation)
        self._worker.moveToThread(self._thread)
        self._pending = {"queue": _PendingRows(), "failed": _PendingRows()}
        self._activity: list[ActivityEntry] | None = None
        self._progress = ProgressTracker()
        self._posters: OrderedDict[str, QImage] = OrderedDict()  # small scaled images, most recently used last
        self._posters_asked: set[str] = set()
        self._thumbnails: dict[str, QPixmap] = {}  # row-height pixmaps of cached posters, for the Activity table
        self.activity_model.thumbnails = self.thumbnail
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self.coverage = CoverageService(locations, config, secrets, self)  # the Library tab's checks and actions
        self._connect()

    def _connect(self) -> None:
        worker = self._worker
        for request, slot in (
            (self._req_start, worker.start), (self._req_stop, worker.stop), (self._req_pause, worker.set_paused),
            (self._req_sync_now, worker.sync_now), (self._req_config, worker.set_config),
            (self._req_retry_jobs, worker.retry_jobs), (self._req_remove_jobs, worker.remove_jobs),
            (self._req_retry_failed, worker.retry_failed), (self._req_discard_failed, worker.discard_failed),
            (self._req_choose, worker.choose_candidate), (self._req_detail, worker.fetch_detail),
            (self._req_poster, worker.fetch_poster), (self._req_plex_now, worker.fetch_plex_now),
            (self._req_candidates, worker.fetch_candidates), (self._req_preview, worker.preview),
            (self._req_undo, worker.undo), (self._req_sync_scenes, worker.sync_scenes),
            (self._req_import_plays, worker.import_plays), (self._req_wake, worker.wake),
        ):
            request.connect(slot)
        worker.status_changed.connect(self._on_status)
        worker.queue_changed.connect(self._on_queue)
        worker.failed_changed.connect(self._on_failed)
        worker.activity_changed.connect(self._on_activity)
        worker.failures_added.connect(self._on_failures_added)
        worker.detail_ready.connect(self._on_detail)
        worker.poster_ready.connect(self._on_poster)
        worker.plex_now_ready.connect(self._on_plex_now)
        worker.candidates_ready.connect(self.candidates_ready)
        worker.preview_ready.connect(self.preview_ready)
        worker.undo_done.connect(self.undo_done)
        worker.problem.connect(self._on_problem)
        worker.plays_imported.connect(self.plays_imported)
        self.coverage.queued.connect(self._req_wake)  # a pick in the Library tab queued a scene
        worker.stopped.connect(self._on_stopped)
        # The stop request is queued, and quit() can end the thread's loop before it is delivered: closing again as
        # the thread finishes (in that thread, directly) guarantees the session, database and lock are closed.
        self._thread.finished.connect(worker.stop, Qt.ConnectionType.DirectConnection)
        self._thread.finished.connect(worker.deleteLater)

    # ---- requests (GUI thread -> worker thread) ----------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self._req_start.emit()

    def shutdown(self) -> None:
        """Ordered stop: the jobs in flight get STOP_GRACE seconds to finish, then their requests are cut (a hanging
        server would hold the worker in its round; the jobs go back to the queue uncharged); the worker closes its
        database and the thread ends. It waits for the thread however long that takes: a QThread destroyed while
        running aborts the process, and an abort's core dump would hold the secrets."""
        self.coverage.shutdown()
        if not self._thread.isRunning():
            return
        self._stop_event.set()
        self._req_stop.emit()
        self._thread.quit()  # from the GUI thread, never via worker.finished (desktop-conventions.md §2.3)
        if not self._thread.wait(int(STOP_GRACE * 1000)):
            self._cancellation.cancel()
        while not self._thread.wait(SHUTDOWN_WAIT_MS):
            log.warning("the sync worker is still finishing its round; waiting for it")
        self.flush()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        self._req_pause.emit(paused)

    def sync_now(self) -> None:
        self._req_sync_now.emit()

    def import_plays(self) -> None:
        self._req_import_plays.emit()

    def apply_config(self, config: Config, secrets: Secrets) -> None:
        self._req_config.emit(config, secrets)
        self.coverage.apply_config(config, secrets)

    def retry_jobs(self, job_ids: list[int]) -> None:
        self._req_retry_jobs.emit(list(job_ids))

    def remove_jobs(self, job_ids: list[int]) -> None:
        self._req_remove_jobs.emit(list(job_ids))

    def retry_failed(self, ids: list[int] | None) -> None:
        self._req_retry_failed.emit(None if ids is None else list(ids))

    def discard_failed(self, ids: list[int] | None) -> None:
        self._req_discard_failed.emit(None if ids is None else list(ids))

    def choose_candidate(self, dead_letter_id: int, rating_key: str) -> None:
        self._req_choose.emit(dead_letter_id, rating_key)

    def fetch_detail(self, dead_letter_id: int) -> None:
        self._req_detail.emit(dead_letter_id)

    def fetch_plex_now(self, dead_letter_id: int) -> None:
        self._req_plex_now.emit(dead_letter_id)

    def fetch_candidates(self, dead_letter_id: int, rating_keys: list[str]) -> None:
        """candidates_ready follows, once the worker has read them from Plex."""
        self._req_candidates.emit(dead_letter_id, rating_keys)

    def preview(self, selection: str) -> None:
        """preview_ready follows, once the worker has read Stash and Plex (between its rounds)."""
        self._req_preview.emit(selection)

    def undo(self, scene_ids: list[str] | None) -> None:
        """undo_done follows; None undoes every item PlexSync changed."""
        self._req_undo.emit(None if scene_ids is None else list(scene_ids))

    def sync_scenes(self, scene_ids: list[str]) -> None:
        """Queue these scenes as the user named them (ends an undo's hold on them)."""
        self._req_sync_scenes.emit(list(scene_ids))

    def thumbnail(self, scene_id: str) -> QPixmap | None:
        """The Activity table's small poster of a scene: from the cache, else None now and asked for (the row is
        repainted when it arrives). Only rows the view paints ask, so a long table costs no downloads."""
        image = self._posters.get(scene_id)
        if image is None:
            self.request_poster(scene_id, "")
            return None
        if image.isNull():
            return None
        pixmap = self._thumbnails.get(scene_id)
        if pixmap is None:
            pixmap = self._thumbnails[scene_id] = QPixmap.fromImage(
                image.scaledToHeight(THUMBNAIL_HEIGHT, Qt.TransformationMode.SmoothTransformation))
        return pixmap

    def request_poster(self, scene_id: str, url: str) -> None:
        """poster_ready follows: at once from the cache, else once the worker has downloaded and scaled it. An
        empty `url` means the scene's standard screenshot address in Stash."""
        if scene_id in self._posters:
            self._posters.move_to_end(scene_id)
            self.poster_ready.emit(scene_id, self._posters[scene_id])
        elif scene_id not in self._posters_asked:
            self._posters_asked.add(scene_id)
            self._req_poster.emit(scene_id, url)

    # ---- reports (worker thread -> here, queued) ---------------------------------------------------------------

    @Slot(dict)
    def _on_status(self, status: dict[str, Any]) -> None:
        """Adds the run's progress ("1,234 of 10,000", rate, time left), measured here so the window and the tray
        show the same numbers."""
        status = {**status, "progress": self._progress.observe(status, time.monotonic())}
        self.status = status
        self.status_changed.emit(status)

    @Slot(list, list, bool)
    def _on_queue(self, rows: list[Row], removed: list[int], whole: bool) -> None:
        self._pending["queue"].add(rows, removed, whole)
        self._schedule_flush()

    @Slot(list, list, bool)
    def _on_failed(self, rows: list[Row], removed: list[int], whole: bool) -> None:
        self._pending["failed"].add(rows, removed, whole)
        self._schedule_flush()

    @Slot(list)
    def _on_activity(self, rows: list[ActivityEntry]) -> None:
        self._activity = rows
        self._schedule_flush()

    @Slot(list)
    def _on_failures_added(self, titles: list[str]) -> None:
        self.failures_added.emit(titles)

    @Slot(object)
    def _on_detail(self, detail: DeadLetterDetail | None) -> None:
        self.detail_ready.emit(detail)

    @Slot(int, object)
    def _on_plex_now(self, dead_letter_id: int, fields: dict[str, Any] | None) -> None:
        self.plex_now_ready.emit(dead_letter_id, fields)

    @Slot(str, QImage)
    def _on_poster(self, scene_id: str, image: QImage) -> None:
        self._posters_asked.discard(scene_id)
        self._posters[scene_id] = image
        while len(self._posters) > POSTER_CACHE:
            gone, _ = self._posters.popitem(last=False)
            self._thumbnails.pop(gone, None)
        self.poster_ready.emit(scene_id, image)
        self.activity_model.thumbnail_arrived(scene_id)

    @Slot(str)
    def _on_problem(self, message: str) -> None:
        self.problem.emit(message)

    @Slot()
    def _on_stopped(self) -> None:
        self.stopped.emit()

    def _schedule_flush(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    @Slot()
    def flush(self) -> None:
        """Apply everything buffered since the last flush to the models."""
        pending, self._pending = self._pending, {"queue": _PendingRows(), "failed": _PendingRows()}
        pending["queue"].apply_to(self.queue_model)
        pending["failed"].apply_to(self.failed_model)
        if self._activity is not None:
            self.activity_model.replace_all(self._activity)
            self._activity = None
