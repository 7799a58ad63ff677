"""Wall-clock jumps (suspend/resume, NTP, manual changes) and DST: polls are neither lost nor bunched, retries are not
stranded hours late nor all fired into a Plex that is not back yet."""

from __future__ import annotations

import itertools

import pytest
import requests

from plexsync_gui.core.errors import LONGEST_BACKOFF
from plexsync_gui.core.sync.breaker import CircuitBreaker
from plexsync_gui.core.sync.runner import Runner
from tests.servers import FakeClock

pytestmark = pytest.mark.reliability

HOUR = 3600.0


def make_all_wait(session, clock, attempts: int, delay: float = 40.0) -> None:
    """Put every queued job in retry_wait, `attempts` already spent, due `delay` seconds from now (as the engine
    records a temporary Plex failure)."""
    while (job := session.store.claim_next(clock())) is not None:
        session.store.reschedule(job, "PlexTemporaryError", "Plex answered HTTP 500", attempts, 5, clock() + delay)


def test_a_backwards_jump_does_not_strand_waiting_retries(session, library, plex):
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = clock
    pairs = dict(library.add(title=f"Scene {i}") for i in range(3))
    session.queuer.sync_all()
    make_all_wait(session, clock, attempts=1)
    assert session.store.counts()["retry_wait"] == 3
    clock.advance(-2 * HOUR)  # NTP or a user sets the clock back two hours
    assert session.store.next_due_at(clock()) == 0  # due now, not in two hours
    assert session.engine.process_due().synced == 3
    assert all(plex.item_state(rk)["title"] == f"Scene {i}" for i, rk in enumerate(pairs.values()))


def test_a_short_backwards_jump_keeps_the_backoff(session, library, plex):
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = clock
    library.add(title="x")
    session.queuer.sync_all()
    make_all_wait(session, clock, attempts=1)
    clock.advance(-LONGEST_BACKOFF / 2)  # within what a backoff could schedule: still waits
    assert session.engine.process_due().synced == 0


def test_a_backwards_jump_does_not_keep_the_breaker_open_for_hours(session, library, plex):
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = clock
    for i in range(6):
        library.add(title=f"Scene {i}")
    session.queuer.sync_all()
    session.plex.sections()
    plex.refuse()
    assert "circuit breaker" in session.engine.process_due().stopped_reason
    plex.resume()
    clock.advance(-3 * HOUR)
    assert session.engine.process_due().synced == 6  # the probe ran at once and closed the breaker
    assert session.engine.breaker.state == "closed"


def test_resume_after_suspend_does_not_fire_every_retry_into_a_plex_not_back_yet(session, library, plex,
                                                                                   monkeypatch):
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = clock
    pairs = dict(library.add(title=f"Scene {i}") for i in range(20))
    session.queuer.sync_all()
    session.plex.sections()
    make_all_wait(session, clock, attempts=4)  # every job is one attempt from the dead letters
    attempts = []  # every request the client tries, refused ones included
    send = requests.Session.send
    monkeypatch.setattr(requests.Session, "send", lambda self, r, **kw: attempts.append(r.url) or send(self, r, **kw))
    plex.refuse()  # the laptop wakes up before the network does
    clock.advance(8 * HOUR)
    summary = session.engine.process_due()
    assert "circuit breaker" in summary.stopped_reason
    assert len(attempts) <= CircuitBreaker().threshold  # not 20 retries at once: one job, one probe, breaker open
    assert session.store.list_dead_letters() == []  # no job lost its last attempt to the network being down
    assert {j.attempts for j in session.store.list_jobs()} == {4}
    plex.resume()
    clock.advance(61)
    assert session.engine.process_due().synced == 20
    assert all(plex.item_state(rk)["title"] == f"Scene {i}" for i, rk in enumerate(pairs.values()))


def test_polls_follow_the_monotonic_clock_whatever_the_wall_clock_does(session, library, stash):
    wall, monotonic = FakeClock(), FakeClock(0.0)
    session.engine.clock = session.queuer.clock = session.poller.clock = wall
    runner = Runner(session.engine, session.poller, 30.0, clock=monotonic)
    library.add(title="x")
    polls = []
    for step in range(40):
        before = stash.count(operation="ChangedSceneIds") + stash.count(operation="AllSceneIds")
        wait = runner.step(lambda: False).wait
        if stash.count(operation="ChangedSceneIds") + stash.count(operation="AllSceneIds") > before:
            polls.append(monotonic())
        assert 0 < wait <= 30.0
        monotonic.advance(wait)
        wall.advance({10: -5 * HOUR, 20: 9 * HOUR, 30: -HOUR}.get(step, wait))
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    assert gaps and all(gap == pytest.approx(30.0) for gap in gaps), gaps  # never skipped, never bunched


def test_a_dst_fall_back_on_the_stash_server_loses_no_edit(session, library, stash, plex):
    stash.set_clock("2026-10-25T02:40:00", "+02:00")  # summer time, the hour before the change
    first, first_key = library.add(title="before the change")
    session.poller.poll()
    session.engine.process_due()
    stash.set_clock("2026-10-25T02:10:00", "+01:00")  # 03:00 summer time became 02:00 winter time
    stash.update_scene(first, title="edited in the repeated hour")  # a textually smaller updated_at
    _second, second_key = library.add(title="added in the repeated hour")
    assert stash.scene(first)["updated_at"] < session.store.get("stash_watermark")
    session.poller.poll()
    session.engine.process_due()
    assert plex.item_state(first_key)["title"] == "edited in the repeated hour"
    assert plex.item_state(second_key)["title"] == "added in the repeated hour"
