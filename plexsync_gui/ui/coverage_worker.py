"""The Library view's worker: checks coverage and carries out its row actions in a thread of its own.

A check lists every Stash scene and Plex item, which takes seconds on a large library; on the sync worker's thread
it would hold up syncing meanwhile, and on the GUI thread it would freeze the window. So it runs here, on its own
clients and its own database connection (a Store is never shared between threads), reporting plain data: the
frozen report, progress counts, and one line when something went wrong. Actions change the cached report in place
(an ignore or a pick needs no new listing); a scan only asks Plex, whose answer the next check shows.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot

from plexsync_gui.core.coverage import actions
from plexsync_gui.core.coverage.check import check_coverage
from plexsync_gui.core.coverage.report import CoverageReport, CoverageRow, Reason
from plexsync_gui.core.errors import Cancelled, PermanentError, StashError, SyncError
from plexsync_gui.core.net.http import Cancellation
from plexsync_gui.core.plex.client import PlexClient
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.logs import redact
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Locations
from plexsync_gui.core.stash.client import StashClient
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.queueing import Queuer

log = logging.getLogger(__name__)


class _Stopped(Exception):
    """The app is quitting: the check ends here, quietly."""


class CoverageWorker(QObject):
    progress = Signal(str, int)  # "plex" or "stash", how many listed so far
    report_ready = Signal(object)  # a CoverageReport
    done = Signal(str)  # a finished action, in words
    failed = Signal(str)  # one line: Plex or Stash unreachable, a bad pick…
    queued = Signal()  # a pick queued a scene: the sync worker should look at the queue now

    def __init__(self, locations: Locations, config: Config, secrets: Secrets, stop_event: threading.Event,
                 cancellation: Cancellation) -> None:
        super().__init__()
        self._locations = locations
        self._config, self._secrets = config, secrets
        self._stop_event = stop_event
        self._cancellation = cancellation
        self._store: Store | None = None
        self._stash: StashClient | None = None
        self._plex: PlexClient | None = None
        self._report: CoverageReport | None = None

    # ---- slots (worker thread) ---------------------------------------------------------------------------------

    @Slot()
    def check(self) -> None:
        def progress(what: str, count: int) -> None:
            if self._stop_event.is_set():
                raise _Stopped
            self.progress.emit(what, count)

        def run() -> None:
            store, stash, plex = self._open()
            self._report = check_coverage(stash, plex, self._config, store, progress)
            self.report_ready.emit(self._report)

        self._guarded("checking the library", run)

    @Slot(list)
    def scan(self, plex_paths: list[str]) -> None:
        def run() -> None:
            _store, _stash, plex = self._open()
            requests, outside = actions.plan_scans(plex, self._config, plex_paths)
            actions.scan_folders(plex, requests)
            folders = "; ".join(f"{r.section.title}: {r.folder}" for r in requests)
            text = f"Asked Plex to scan {len(requests)} folder(s): {folders}." if requests else "Nothing to scan."
            if outside:
                text += f" {len(outside)} file(s) lie in no folder of the chosen libraries."
            self.done.emit(text + " Check again once Plex has scanned them.")

        self._guarded("asking Plex to scan", run)

    @Slot(str, str)
    def pick(self, scene_id: str, rating_key: str) -> None:
        def run() -> None:
            store, stash, plex = self._open()
            actions.pick_item(plex, Queuer(self._config, store, stash), store, self._config, scene_id, rating_key)
            self.queued.emit()
            self._update_report(lambda rows: [r for r in rows if r.scene_id != scene_id], matched=1)
            self.done.emit(f"Scene {scene_id} will sync to Plex item {rating_key}; it is queued.")

        self._guarded("remembering the pick", run)

    @Slot(list, bool)
    def set_ignored(self, refs: list[str], ignored: bool) -> None:
        def run() -> None:
            changed = actions.set_ignored(self._db(), refs, ignored)
            wanted = set(refs)
            self._update_report(lambda rows: [dataclasses.replace(r, ignored=ignored) if r.ref in wanted else r
                                              for r in rows])
            self.done.emit(f"Ignored {changed} row(s)." if ignored else f"Showing {changed} row(s) again.")

        self._guarded("remembering ignored rows", run)

    @Slot(object, object)
    def set_config(self, config: Config, secrets: Secrets) -> None:
        """Settings saved: the next action uses new clients; the last report stays until the next check."""
        self._config, self._secrets = config, secrets
        self._close_clients()

    @Slot()
    def stop(self) -> None:
        self._close_clients()
        if self._store is not None:
            self._store.close()
            self._store = None

    # ---- internals ---------------------------------------------------------------------------------------------

    def _db(self) -> Store:
        if self._store is None:
            self._store = Store(self._locations.database, self._config.sync.max_retries)
        return self._store

    def _open(self) -> tuple[Store, StashClient, PlexClient]:
        """The database and both clients, made on first use in this thread (and again after new settings)."""
        config, secrets = self._config, self._secrets
        if self._stash is None:
            self._stash = StashClient(config.stash.url, secrets.stash_api_key, config.stash.timeout,
                                      verify=config.stash.verify, cancellation=self._cancellation)
        if self._plex is None:
            self._plex = PlexClient(config.plex.url, secrets.plex_token, config.plex.timeout,
                                    verify=config.plex.verify, cancellation=self._cancellation)
        return self._db(), self._stash, self._plex

    def _close_clients(self) -> None:
        for client in (self._stash, self._plex):
            if client is not None:
                client.close()
        self._stash = self._plex = None

    def _update_report(self, change: Callable[[list[CoverageRow]], list[CoverageRow]], matched: int = 0) -> None:
        """Re-emit the cached report with its rows changed (no new listing)."""
        report = self._report
        if report is None:
            return
        self._report = dataclasses.replace(report, rows=tuple(change(list(report.rows))),
                                           matched=report.matched + matched)
        self.report_ready.emit(self._report)

    def _guarded(self, doing: str, run: Callable[[], None]) -> None:
        """Run one request; every failure becomes one line on `failed`, never an exception out of a slot."""
        try:
            run()
        except (_Stopped, Cancelled):
            return
        except (SyncError, StashError, PermanentError) as exc:
            if not self._stop_event.is_set():
                self.failed.emit(redact(f"{doing[0].upper()}{doing[1:]} failed: {exc}", self._secrets.values()))
        except Exception as exc:  # a bug here must not take the app down: log it, say it in one line
            log.exception("unexpected error while %s", doing)
            self.failed.emit(f"{doing[0].upper()}{doing[1:]} failed: internal error {type(exc).__name__} "
                             "(details in the log)")


def not_scanned_paths(report: CoverageReport, refs: set[str]) -> list[str]:
    """The Plex-side files of the selected rows a scan can help (not scanned)."""
    return [row.plex_path for row in report.rows
            if row.ref in refs and row.reason == Reason.NOT_SCANNED and row.plex_path]
