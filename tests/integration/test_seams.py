"""The seams between subsystems, through the real code path against the emulated servers: a bug in PlexSync is an
`InternalError` with its own policy, the poller queues without an engine, a round returns its outcomes and status,
and one `StashHealth` serves the poll and the poster downloads."""

from __future__ import annotations

import time

import pytest

from plexsync_gui.core.stash.poller import ChangePoller
from plexsync_gui.core.sync import push
from plexsync_gui.core.sync.breaker import BreakerState
from plexsync_gui.core.sync.engine import Outcome
from plexsync_gui.core.sync.queueing import Queuer
from plexsync_gui.core.sync.runner import Runner
from tests.servers import FakeClock

pytestmark = pytest.mark.integration


def test_a_bug_in_plexsync_gets_one_more_attempt_then_the_dead_letters(session, library, monkeypatch):
    """Not retried for minutes like an outage (five attempts), not counted toward the breaker: the second failure
    dead-letters the job as an internal error, pointing at the log."""
    scene_id, _ = library.add(title="Hits a bug")
    session.queuer.sync_scenes([scene_id])

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(push, "plan_edit", broken)
    outcomes = list(session.engine.process_due().outcomes)
    session.store.retry_now(None)
    outcomes += session.engine.process_due().outcomes
    assert [o.outcome for o in outcomes] == [Outcome.RETRY, Outcome.FAILED]
    assert {o.error_type for o in outcomes} == {"InternalError"}
    [dead] = session.store.list_dead_letters()
    assert dead.error_type == "InternalError" and dead.attempts == 2
    assert "internal error: KeyError" in dead.error and "details in the log" in dead.error
    assert (session.engine.breaker.state, session.engine.breaker.failures) == (BreakerState.CLOSED, 0)


def test_the_poller_queues_through_a_queuer_without_an_engine(session, library):
    scene_id, _ = library.add(title="Found by a poll")
    poller = ChangePoller(session.stash, session.store, Queuer(session.config, session.store, session.stash))
    assert poller.poll().enqueued.queued == 1
    assert [job.scene_id for job in session.store.list_jobs()] == [scene_id]


def test_a_round_returns_its_outcomes_what_it_queued_and_the_status(session, library):
    """What the desktop worker shows comes back from the round; nothing has to be reset in the runner."""
    library.add(title="One")
    library.add(title="Two")
    clock = FakeClock(time.time())
    runner = Runner(session.engine, session.poller, 10.0, clock=clock)
    first = runner.step(lambda: False)
    assert first.enqueued == 2
    assert sorted(o.outcome for o in first.outcomes) == [Outcome.SYNCED, Outcome.SYNCED]
    assert first.status.counts["synced"] == 2 and first.status.waiting == 0 and first.status.last_poll_at
    clock.advance(first.wait)
    second = runner.step(lambda: False)
    assert (second.enqueued, second.outcomes) == (0, ())  # the poll found nothing new: not the first round's 2
    with pytest.raises(AttributeError):
        second.status.breaker = BreakerState.OPEN  # frozen: a front end reads the status, never writes it


def test_one_stash_health_for_the_poll_and_the_poster_downloads(session, library, stash):
    assert session.engine.stash_health is session.stash_health
    scene_id, _ = library.add(title="Needs its poster")
    session.queuer.sync_scenes([scene_id])
    stash.fail_next(503, path="/scene/")
    session.engine.process_due()
    assert session.stash_health.jobs_wait(session.engine.clock())
    runner = Runner(session.engine, session.poller, 10.0)
    assert runner.step(lambda: False).wait <= session.stash_health.jobs_wait_until - session.engine.clock() + 0.01
