"""The headless service loop behind `plexsync run`: poll Stash, process due jobs, wait for the next event.

Waiting is `threading.Event.wait` with a bounded timeout, so SIGINT/SIGTERM end it promptly and a wall-clock jump
(suspend, DST) costs at most one poll interval. Stash failures back off exponentially and never move the cursor.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from plexsync_gui.core.engine import JobOutcome, SyncEngine
from plexsync_gui.core.errors import StashError
from plexsync_gui.core.poller import ChangePoller

log = logging.getLogger(__name__)

STASH_BACKOFF_CAP = 300.0


@dataclass
class RunnerStatus:
    stash_error: str | None = None
    stash_failures: int = 0
    last_poll_at: float | None = None
    last_enqueued: int = 0  # jobs queued or dropped by the last poll: the desktop app reloads its queue view then


class Runner:
    def __init__(self, engine: SyncEngine, poller: ChangePoller, poll_interval: float) -> None:
        self.engine = engine
        self.poller = poller
        self.poll_interval = poll_interval
        self.status = RunnerStatus()
        self.on_outcome: Callable[[JobOutcome], None] | None = None
        self._next_poll = 0.0

    def run(self, stop: threading.Event) -> None:
        log.info("running: polling Stash every %g s", self.poll_interval)
        while not stop.is_set():
            stop.wait(self.step(stop.is_set))
        log.info("stopped")

    def step(self, should_stop: Callable[[], bool]) -> float:
        """One round: poll Stash when due, process the due jobs; returns how long to wait before the next round.

        The desktop worker calls this from a timer, the headless loop from `run`; both share one schedule.
        """
        now = time.time()
        if now >= self._next_poll or abs(now - self._next_poll) > 10 * self.poll_interval:
            self._poll(now)
            if self.engine.auth_problem:
                self.engine.check_auth_recovered()
        self.engine.process_due(should_stop, self.on_outcome)
        return self._wait_seconds()

    def poll_soon(self) -> None:
        """Make the next round poll Stash ("Sync now", a resume, a changed poll interval)."""
        self._next_poll = 0.0

    def _poll(self, now: float) -> None:
        try:
            result = self.poller.poll()
        except StashError as exc:
            self.status.stash_failures += 1
            self.status.stash_error = str(exc)
            delay = min(STASH_BACKOFF_CAP, self.poll_interval * 2 ** (self.status.stash_failures - 1))
            self._next_poll = now + random.uniform(delay / 2, delay)
            log.warning("Stash poll failed (%s); next try in %.0f s", exc, self._next_poll - now)
            return
        enqueued = result.enqueued
        self.status = RunnerStatus(last_poll_at=now, last_enqueued=enqueued.queued + enqueued.deleted)
        self._next_poll = now + self.poll_interval

    def _wait_seconds(self) -> float:
        """Until the next poll, the next due retry or the next breaker probe, whichever comes first."""
        now = time.time()
        wake = [self._next_poll]
        due = self.engine.store.next_due_at()
        if due is not None and not self.engine.auth_problem and self.engine.breaker.allows_requests():
            wake.append(max(due, now))
        if self.engine.breaker.next_probe_at is not None:
            wake.append(self.engine.breaker.next_probe_at)
        return min(max(min(wake) - now, 0.05), self.poll_interval)
