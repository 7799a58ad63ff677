"""The service loop behind `plexsync run` and the desktop worker: poll Stash, process due jobs, say how long to wait.

Waiting is `threading.Event.wait` with a bounded timeout, so SIGINT/SIGTERM end it promptly. The poll schedule runs
on a monotonic clock, so a wall-clock jump (NTP, a manual change) neither stalls nor bunches polls; retry times are
wall-clock (they are stored) and the store and breaker cap how far a backwards jump can push them. Stash failures
back off exponentially, never move the cursor, and are recorded in the session's `StashHealth`, which keeps them in
the store so every status view can say why.

Push events (core/events) only shorten waits: a listener's thread leaves what it heard in the runner's inbox and
wakes it; the next round drains the inbox (a finished Stash job: poll now; a new Plex item: the scenes waiting for
it are due now, see scan_watch). Without events every wait ends as it always did, by the poll or the retry time.

A round returns everything a front end shows (`RoundResult`: its outcomes, what the poll queued, the status, the
wait) as plain frozen data: a front end reads it and never writes into the runner or the engine.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from plexsync_gui.core.activity.plex_to_stash import PlexActivity
from plexsync_gui.core.errors import Cancelled, StashConfigError, StashError, SyncError
from plexsync_gui.core.events.inbox import EventInbox, Heard
from plexsync_gui.core.events.listeners import Listeners, start_listeners
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.stash.poller import ChangePoller
from plexsync_gui.core.storage.keys import EVENTS_KEY
from plexsync_gui.core.storage.store import DiskFullError
from plexsync_gui.core.sync.backoff import Backoff
from plexsync_gui.core.sync.engine import JobOutcome, SyncEngine
from plexsync_gui.core.sync.health import STASH_POLL_CAP
from plexsync_gui.core.sync.scan_watch import NOT_FOUND, ScanWatch
from plexsync_gui.core.sync.status import SyncStatus, read_status

log = logging.getLogger(__name__)

STOP_CHECK = 0.2  # seconds: how often a wait that events may cut short also looks at the stop flag


@dataclass(frozen=True)
class RoundResult:
    wait: float  # seconds until the next round is worth running
    outcomes: tuple[JobOutcome, ...]  # the jobs recorded this round, in order
    enqueued: int  # jobs queued or dropped by the poll, or whose wait for a Plex scan ended: views reload
    status: SyncStatus  # as of the end of the round
    from_plex: str = ""  # what came from Plex this round (plays, ratings, resume points), one line; "" for nothing


class Runner:
    def __init__(self, engine: SyncEngine, poller: ChangePoller, poll_interval: float,
                 clock: Callable[[], float] = time.monotonic, on_event: Callable[[], None] | None = None) -> None:
        """`clock` schedules polls and must not jump; wall-clock times come from the engine's clock. `on_event`
        is called on a listener's thread when an event arrives (the desktop worker schedules a round with it)."""
        self.engine = engine
        self.poller = poller
        self.poll_interval = poll_interval
        self.clock = clock
        self.health = engine.stash_health
        self.last_poll_at: float | None = None  # wall clock of the last successful poll
        self._poll_backoff = Backoff(poll_interval, STASH_POLL_CAP, jitter=0.5)
        self._next_poll: float | None = None  # None: poll at the next step
        self._plex_activity: PlexActivity | None = None  # made on first use: most users leave it off
        self._woken = threading.Event()
        self._on_event = on_event
        self.inbox = EventInbox(self._event_arrived)  # what listeners heard, drained each round
        self.listeners: Listeners | None = None
        self.scan_watch = ScanWatch(engine.store, engine.plex, engine.config, clock)
        self._events_shown: str | None = None  # the events state last written to the store

    def run(self, stop: threading.Event, on_round: Callable[[RoundResult], None] | None = None) -> None:
        """Rounds until `stop` is set; `on_round` receives each round's plain result (the CLI's progress line)."""
        log.info("running: polling Stash every %g s", self.poll_interval)
        while not stop.is_set():
            result = self.step(stop.is_set)
            if on_round is not None:
                on_round(result)
            self._sleep(stop, result.wait)
        log.info("stopped")

    def listen(self, secrets: Secrets | None) -> None:
        """Start the event listeners when the config asks for them, feeding `self.inbox`; `close` stops them."""
        self.listeners = start_listeners(self.engine.config, secrets, self.inbox)

    def close(self) -> None:
        """Stop the listeners and clear their state from the store (no process hears events any more)."""
        if self.listeners is not None:
            self.listeners.stop()
            self.listeners = None
        if self._events_shown is not None:
            self._events_shown = None
            self._guarded("clearing the events state", lambda: self.engine.store.set(EVENTS_KEY, None))

    def _event_arrived(self) -> None:
        self._woken.set()
        if self._on_event is not None:
            self._on_event()

    def _sleep(self, stop: threading.Event, seconds: float) -> None:
        """Wait `seconds` (real time), cut short by a stop or by an event."""
        deadline = time.monotonic() + seconds
        while not stop.is_set() and (remaining := deadline - time.monotonic()) > 0:
            if self._woken.wait(min(remaining, STOP_CHECK)):
                break
        self._woken.clear()

    def step(self, should_stop: Callable[[], bool]) -> RoundResult:
        """One round: poll Stash when due, process the due jobs; returns what happened and how long to wait.

        The desktop worker calls this from a timer, the headless loop from `run`; both share one schedule.
        """
        enqueued, from_plex = self._hear(self.inbox.drain()), ""  # scenes whose wait ended: the views change
        if self._next_poll is None or self.clock() >= self._next_poll:
            polled_before = self.last_poll_at
            enqueued += self._poll()
            if self.engine.auth_problem:
                self.engine.check_auth_recovered()
            if self.last_poll_at != polled_before:  # Stash answered this poll
                from_plex = self._from_plex()
        summary = self.engine.process_due(should_stop)
        missing = [o.job_id for o in summary.outcomes if o.error_type == NOT_FOUND]
        self._guarded("asking Plex to scan", lambda: self.scan_watch.request_scans(missing))
        enqueued += self._guarded("looking up scenes waiting for a Plex scan", self.scan_watch.fallback_check)
        self._show_events()
        return RoundResult(self._wait_seconds(), tuple(summary.outcomes), enqueued, self.status(), from_plex)

    def _hear(self, heard: Heard) -> int:
        """Act on what the listeners reported since the last round; returns how many waiting scenes are due now."""
        if heard.stash_jobs:
            log.info("Stash finished %s: polling now", ", ".join(heard.stash_jobs[:3]))
            self.poll_soon()
        if not (heard.items or heard.many_items):
            return 0
        return self._guarded("checking the items Plex announced",
                             lambda: self.scan_watch.items_appeared(heard.items, heard.many_items))

    def _show_events(self) -> None:
        """Keep the listeners' state in the store, where every status view (another process too) reads it."""
        if self.listeners is None:
            return
        shown = json.dumps(self.listeners.state().to_json(), sort_keys=True)
        if shown != self._events_shown:
            self._events_shown = shown
            self._guarded("recording the events state", lambda: self.engine.store.set(EVENTS_KEY, shown))

    @staticmethod
    def _guarded(action: str, work: Callable[[], int | None]) -> int:
        """Event work only shortens waits: a failure (a bug, a full disk) is logged and the round goes on. Returns
        how many waiting scenes the work made due (0 on failure)."""
        try:
            return work() or 0
        except Exception:
            log.exception("internal error while %s", action)
            return 0

    def status(self) -> SyncStatus:
        return read_status(self.engine.store, self.engine.breaker, self.health, self.last_poll_at)

    def poll_soon(self) -> None:
        """Make the next round poll Stash ("Sync now", a resume, a changed poll interval), and read Plex's resume
        points and ratings again when those come back from Plex."""
        self._next_poll = None
        if self._plex_activity is not None:
            self._plex_activity.read_states_soon()

    def _poll(self) -> int:
        """Poll once; returns how many jobs it queued or dropped (0 when it failed)."""
        try:
            result = self.poller.poll()
        except Cancelled:  # the app is stopping: not a Stash failure, and the cursor did not move
            return 0
        except DiskFullError as exc:  # the store cannot even record the failure; the cursor did not move
            self._poll_failed(str(exc), persist=False)
            return 0
        except StashError as exc:
            self._poll_failed(str(exc), config=isinstance(exc, StashConfigError))
            return 0
        except Exception as exc:  # a bug in one poll must not end the service; the cursor did not move
            log.exception("internal error while polling Stash")
            self._poll_failed(f"internal error while polling Stash: {type(exc).__name__}: {exc}")
            return 0
        self.last_poll_at = self.engine.clock()
        self._next_poll = self.clock() + self.poll_interval
        self.health.poll_answered()
        return result.enqueued.queued + result.enqueued.deleted

    def _from_plex(self) -> str:
        """Plays, resume points and ratings from Plex into Stash, at the poll's pace, when switched on and both
        servers are usable; a failure is logged and retried next poll (the watermark has not moved)."""
        if not self.engine.config.plex_to_stash.enabled or self.engine.auth_problem \
                or not self.engine.breaker.allows_requests():
            return ""
        if self._plex_activity is None:  # the engine's own clients: nothing else uses them between its rounds
            self._plex_activity = PlexActivity(self.engine.store, self.engine.stash, self.engine.plex,
                                               lambda: self.engine.config.plex_to_stash)
        try:
            summary = self._plex_activity.round()
        except Cancelled:
            return ""
        except (SyncError, StashError, DiskFullError) as exc:
            log.warning("reading activity from Plex failed (%s); trying again at the next poll", exc)
            return ""
        if summary is None or not (summary.scenes or summary.notices):
            return ""
        return summary.line()

    def _poll_failed(self, message: str, persist: bool = True, config: bool = False) -> None:
        """Back off exponentially (jittered, capped) and note why in the Stash health record."""
        failures = self.health.poll_failed(message, self.engine.clock(), persist, config)
        wait = self._poll_backoff.delay(failures, self.engine.rng)
        self._next_poll = self.clock() + wait
        log.warning("Stash poll failed (%s); next try in %.0f s", message, wait)

    def _wait_seconds(self) -> float:
        """Until the next poll, the next due retry or the next breaker probe, whichever comes first.

        Poll times are on the monotonic clock, retry and probe times on the wall clock; each is compared with its
        own clock, and the wait never exceeds one poll interval, whatever the wall clock does.
        """
        engine = self.engine
        waits = [(self._next_poll or 0.0) - self.clock()]
        wall = engine.clock()
        due = engine.store.next_due_at(wall)
        stash_wait = self.health.jobs_wait_until if self.health.jobs_wait(wall) else None
        if due is not None and not engine.auth_problem and engine.breaker.allows_requests() and not stash_wait:
            waits.append(due - wall)
        for wake in (engine.breaker.next_probe_at, stash_wait):
            if wake is not None:
                waits.append(wake - wall)
        return min(max(min(waits), 0.05), self.poll_interval)
