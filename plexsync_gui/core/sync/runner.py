"""The headless service loop behind `plexsync run`: poll Stash, process due jobs, wait for the next event.

Waiting is `threading.Event.wait` with a bounded timeout, so SIGINT/SIGTERM end it promptly. The poll schedule runs
on a monotonic clock, so a wall-clock jump (NTP, a manual change) neither stalls nor bunches polls; retry times are
wall-clock (they are stored) and the store and breaker cap how far a backwards jump can push them. Stash failures
back off exponentially, never move the cursor, and are recorded in the store so every status view can say why.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from plexsync_gui.core.sync.engine import JobOutcome, SyncEngine
from plexsync_gui.core.errors import Cancelled, StashError
from plexsync_gui.core.sync.health import clear_stash_error, record_stash_error
from plexsync_gui.core.stash.poller import ChangePoller
from plexsync_gui.core.storage.store import DiskFullError

log = logging.getLogger(__name__)

STASH_BACKOFF_CAP = 300.0


@dataclass
class RunnerStatus:
    stash_error: str | None = None
    stash_failures: int = 0
    last_poll_at: float | None = None
    last_enqueued: int = 0  # jobs queued or dropped by the last poll: the desktop app reloads its queue view then


class Runner:
    def __init__(self, engine: SyncEngine, poller: ChangePoller, poll_interval: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`clock` schedules polls and must not jump; wall-clock times come from the engine's clock."""
        self.engine = engine
        self.poller = poller
        self.poll_interval = poll_interval
        self.clock = clock
        self.status = RunnerStatus()
        self.on_outcome: Callable[[JobOutcome], None] | None = None
        self.on_round: Callable[[], None] | None = None  # after each round of `run` (the CLI's progress line)
        self._next_poll: float | None = None  # None: poll at the next step

    def run(self, stop: threading.Event) -> None:
        log.info("running: polling Stash every %g s", self.poll_interval)
        while not stop.is_set():
            wait = self.step(stop.is_set)
            if self.on_round is not None:
                self.on_round()
            stop.wait(wait)
        log.info("stopped")

    def step(self, should_stop: Callable[[], bool]) -> float:
        """One round: poll Stash when due, process the due jobs; returns how long to wait before the next round.

        The desktop worker calls this from a timer, the headless loop from `run`; both share one schedule.
        """
        if self._next_poll is None or self.clock() >= self._next_poll:
            self._poll()
            if self.engine.auth_problem:
                self.engine.check_auth_recovered()
        self.engine.process_due(should_stop, self.on_outcome)
        return self._wait_seconds()

    def poll_soon(self) -> None:
        """Make the next round poll Stash ("Sync now", a resume, a changed poll interval)."""
        self._next_poll = None

    def _poll(self) -> None:
        try:
            result = self.poller.poll()
        except Cancelled:  # the app is stopping: not a Stash failure, and the cursor did not move
            return
        except DiskFullError as exc:  # the store cannot even record the failure; the cursor did not move
            self._poll_failed(str(exc), record=False)
            return
        except StashError as exc:
            self._poll_failed(str(exc))
            return
        except Exception as exc:  # a bug in one poll must not end the service; the cursor did not move
            log.exception("internal error while polling Stash")
            self._poll_failed(f"internal error while polling Stash: {type(exc).__name__}: {exc}")
            return
        enqueued = result.enqueued
        self.status = RunnerStatus(last_poll_at=self.engine.clock(), last_enqueued=enqueued.queued + enqueued.deleted)
        self._next_poll = self.clock() + self.poll_interval
        try:
            clear_stash_error(self.engine.store)
        except DiskFullError as exc:
            log.error("%s", exc)

    def _poll_failed(self, message: str, record: bool = True) -> None:
        """Back off exponentially (jittered, capped) and note why, in memory and in the store."""
        self.status.stash_failures += 1
        self.status.stash_error = message
        delay = min(STASH_BACKOFF_CAP, self.poll_interval * 2 ** (self.status.stash_failures - 1))
        wait = self.engine.rng.uniform(delay / 2, delay)
        self._next_poll = self.clock() + wait
        log.warning("Stash poll failed (%s); next try in %.0f s", message, wait)
        if record:
            try:
                record_stash_error(self.engine.store, message, self.engine.clock())
            except DiskFullError as exc:
                log.error("%s", exc)

    def _wait_seconds(self) -> float:
        """Until the next poll, the next due retry or the next breaker probe, whichever comes first.

        Poll times are on the monotonic clock, retry and probe times on the wall clock; each is compared with its
        own clock, and the wait never exceeds one poll interval, whatever the wall clock does.
        """
        engine = self.engine
        waits = [(self._next_poll or 0.0) - self.clock()]
        wall = engine.clock()
        due = engine.store.next_due_at(wall)
        stash_wait = engine.stash_wait_until if engine.stash_wait_until and engine.stash_wait_until > wall else None
        if due is not None and not engine.auth_problem and engine.breaker.allows_requests() and not stash_wait:
            waits.append(due - wall)
        for wake in (engine.breaker.next_probe_at, stash_wait):
            if wake is not None:
                waits.append(wake - wall)
        return min(max(min(waits), 0.05), self.poll_interval)
