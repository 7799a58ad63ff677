"""The GUI-thread face of the coverage worker: owns its thread, queues requests into it, keeps the Library table.

Like SyncService, views talk only to this object and the worker reports plain data through queued signals. The
thread starts on the first request, so an app whose Library tab is never opened costs nothing; it stops with the
app, cutting a check in progress (a check is disposable: the next one starts over).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from plexsync_gui.core.coverage.report import IGNORED, CoverageReport, CoverageRow, Reason
from plexsync_gui.core.net.http import Cancellation
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Locations
from plexsync_gui.ui.coverage_worker import CoverageWorker
from plexsync_gui.ui.models import COVERAGE_COLUMNS, KeyedTableModel

SHUTDOWN_WAIT_MS = 10_000
_STAGES = {"plex": "Plex items", "stash": "Stash scenes"}


class CoverageService(QObject):
    report_changed = Signal(object)  # the CoverageReport now shown
    busy_changed = Signal(bool)  # a check is running
    progress_text = Signal(str)  # "Checking the library… 12,000 Stash scenes"
    message = Signal(str)  # what an action did, or why it failed (one line)
    queued = Signal()  # a pick queued a scene

    _req_check = Signal()
    _req_scan = Signal(list)
    _req_pick = Signal(str, str)
    _req_ignore = Signal(list, bool)
    _req_config = Signal(object, object)
    _req_stop = Signal()

    def __init__(self, locations: Locations, config: Config, secrets: Secrets, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = KeyedTableModel(COVERAGE_COLUMNS, self, sort=(0, Qt.SortOrder.AscendingOrder))  # by problem
        self.report: CoverageReport | None = None
        self.reason: str | None = None  # the rows shown: None for every row not ignored, a Reason, or IGNORED
        self.busy = False
        self._stop_event = threading.Event()
        self._cancellation = Cancellation()
        self._thread = QThread()
        self._thread.setObjectName("coverage-worker")
        self._worker = CoverageWorker(locations, config, secrets, self._stop_event, self._cancellation)
        self._worker.moveToThread(self._thread)
        for request, slot in ((self._req_check, self._worker.check), (self._req_scan, self._worker.scan),
                              (self._req_pick, self._worker.pick), (self._req_ignore, self._worker.set_ignored),
                              (self._req_config, self._worker.set_config), (self._req_stop, self._worker.stop)):
            request.connect(slot)
        self._worker.report_ready.connect(self._on_report)
        self._worker.progress.connect(self._on_progress)
        self._worker.done.connect(self._on_done)
        self._worker.failed.connect(self._on_failed)
        self._worker.queued.connect(self.queued)
        self._thread.finished.connect(self._worker.deleteLater)

    # ---- requests ----------------------------------------------------------------------------------------------

    def check(self) -> None:
        """Check the whole library again; ignored while a check runs."""
        if self.busy:
            return
        self._set_busy(True)
        self.progress_text.emit("Checking the library…")
        self._ensure_thread()
        self._req_check.emit()

    def scan(self, plex_paths: list[str]) -> None:
        self._ensure_thread()
        self._req_scan.emit(list(plex_paths))

    def pick(self, scene_id: str, rating_key: str) -> None:
        self._ensure_thread()
        self._req_pick.emit(scene_id, rating_key)

    def set_ignored(self, refs: list[str], ignored: bool) -> None:
        self._ensure_thread()
        self._req_ignore.emit(list(refs), ignored)

    def apply_config(self, config: Config, secrets: Secrets) -> None:
        self._req_config.emit(config, secrets)  # queued: the worker takes it in its own thread

    def show_reason(self, reason: str | None) -> None:
        """Show the rows of one reason (None: every row not ignored; IGNORED: the ignored ones)."""
        self.reason = reason
        self._fill_model()

    def rows(self, ids: list[int]) -> list[CoverageRow]:
        """The report's rows with these ids (the table's selection)."""
        return [row for row_id in ids if isinstance(row := self.model.row(row_id), CoverageRow)]

    def shutdown(self) -> None:
        """Cut a running check and wait for the thread: a QThread destroyed while running aborts the process."""
        if not self._thread.isRunning():
            return
        self._stop_event.set()
        self._cancellation.cancel()
        self._req_stop.emit()
        self._thread.quit()
        while not self._thread.wait(SHUTDOWN_WAIT_MS):
            pass

    def _ensure_thread(self) -> None:
        if not self._thread.isRunning():
            self._thread.start()

    # ---- reports -----------------------------------------------------------------------------------------------

    @Slot(object)
    def _on_report(self, report: CoverageReport) -> None:
        self.report = report
        self._set_busy(False)
        self._fill_model()
        self.report_changed.emit(report)

    @Slot(str, int)
    def _on_progress(self, what: str, count: int) -> None:
        self.progress_text.emit(f"Checking the library… {count:,} {_STAGES.get(what, what)}")

    @Slot(str)
    def _on_done(self, text: str) -> None:
        self.message.emit(text)

    @Slot(str)
    def _on_failed(self, text: str) -> None:
        self._set_busy(False)
        self.message.emit(text)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.busy_changed.emit(busy)

    def _fill_model(self) -> None:
        rows = self.report.select(self.reason) if self.report is not None else []
        self.model.replace_all(rows)


def reason_choices(report: CoverageReport | None) -> list[tuple[str, str | None]]:
    """The filter's entries with their counts: (label, reason word or None for every row not ignored)."""
    from plexsync_gui.ui.models import REASON_LABELS

    counts = report.counts() if report is not None else {}
    shown = sum(n for reason, n in counts.items() if reason != IGNORED)
    choices: list[tuple[str, str | None]] = [(f"All problems ({shown:,})", None)]
    choices += [(f"{REASON_LABELS[reason]} ({counts.get(reason.value, 0):,})", reason.value) for reason in Reason]
    choices.append((f"Ignored ({counts.get(IGNORED, 0):,})", IGNORED))
    return choices
