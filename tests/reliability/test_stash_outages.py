"""Stash going away or answering garbage: polling backs off on the policy's schedule, the cursor never skips a change,
jobs wait uncharged, and every status view (engine, `plexsync status`) says why, from the store."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from plexsync_gui.cli.main import main
from plexsync_gui.core.setup.config import Config, save_config
from plexsync_gui.core.sync.health import STASH_POLL_CAP
from plexsync_gui.core.sync.runner import Runner
from plexsync_gui.core.sync.status import read_status
from tests.servers import FakeClock

pytestmark = pytest.mark.reliability

POLL_INTERVAL = 10.0
OUTAGE_SECONDS = 400.0
# fault name -> (how to start it, words the recorded error must contain)
FAULTS = {
    "refused": (lambda s: s.refuse(), "unreachable"),
    "401": (lambda s: s.unauthorized_next(10**6), "rejected the API key"),
    "500": (lambda s: s.fail_next(500, 10**6, path="/"), "HTTP 500"),
    "502": (lambda s: s.fail_next(502, 10**6, path="/"), "HTTP 502"),
    "503": (lambda s: s.fail_next(503, 10**6, path="/"), "HTTP 503"),
    "proxy html": (lambda s: s.html_next(10**6, path="/"), "answers but is not Stash"),
    "database is locked": (lambda s: s.graphql_error_next("database is locked", 10**6), "database is locked"),
    "graphql error": (lambda s: s.graphql_error_next("Internal system error. Error <boom>", 10**6),
                      "Internal system error"),
}


def _config_file(tmp_path) -> Path:
    """`status` needs a config file (without one PlexSync is not set up); it reads only the store."""
    path = tmp_path / "status-config.toml"
    if not path.exists():
        save_config(path, Config())
    return path


def stash_status(tmp_path, capsys) -> dict:
    assert main(["--config", str(_config_file(tmp_path)), "--data-dir", str(tmp_path), "status", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("fault", list(FAULTS))
def test_stash_outage_backs_off_keeps_every_change_and_says_why(make_session, library, stash, plex, tmp_path,
                                                                capsys, fault):
    start_fault, words = FAULTS[fault]
    session = make_session()
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = session.poller.clock = clock
    session.engine.rng = random.Random(len(fault))
    runner = Runner(session.engine, session.poller, POLL_INTERVAL, clock=clock)
    pairs = dict(library.add(title=f"Before {i}") for i in range(3))
    clock.advance(runner.step(lambda: False).wait)
    assert session.store.counts()["synced"] == 3

    # Queued before the outage, processed during it: the job needs its poster from Stash.
    stash.advance(5)
    stash.update_scene(next(iter(pairs)), title="Edited just before")
    session.poller.poll()
    cursor = session.store.get("stash_watermark")
    start_fault(stash)

    polls: list[float] = []  # times of failed polls
    failures_before = 0
    end = clock() + OUTAGE_SECONDS
    while clock() < end:
        if clock() < end - 100:  # changes keep being made in Stash during the outage
            stash.advance(1)
            scene_id, rating_key = library.add(title=f"During {clock():.0f}")
            pairs[scene_id] = rating_key
        wait = runner.step(lambda: False).wait
        if session.stash_health.poll_failures > failures_before:
            polls.append(clock())
            failures_before = session.stash_health.poll_failures
            assert session.store.get("stash_watermark") == cursor  # never moves while polls fail
            status = read_status(session.store)
            assert words in status.stash_error["message"], status
            assert status.stash_error["failures"] == session.stash_health.poll_failures
        clock.advance(wait)

    # Backoff: each gap is drawn from [d/2, d], d doubling from the poll interval up to the cap.
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    for n, gap in enumerate(gaps, start=1):
        ceiling = min(STASH_POLL_CAP, POLL_INTERVAL * 2 ** (n - 1))
        assert ceiling / 2 - 0.1 <= gap <= ceiling + 0.1, (n, gaps)
    assert 4 <= len(polls) <= 7, polls  # ~40 polls without backoff

    # `plexsync status` (another process, reading the store) says why, with times.
    shown = stash_status(tmp_path, capsys)["stash_error"]
    assert words in shown["message"] and shown["since"] and shown["at"] and shown["failures"] == len(polls)
    assert main(["--config", str(_config_file(tmp_path)), "--data-dir", str(tmp_path), "status"]) == 0
    assert "Stash polls failing since" in capsys.readouterr().out

    # No job was charged or dead-lettered for Stash's outage.
    assert session.store.list_dead_letters() == []
    assert all(job.attempts == 0 for job in session.store.list_jobs())

    # Recovery: the next poll (at most one backoff cap away) finds every change made during the outage.
    stash.clear_faults()
    stash.resume()

    def in_plex() -> bool:
        return all(plex.item_state(rk)["title"] == stash.scene(sid)["title"] for sid, rk in pairs.items())

    recovered_by = clock() + STASH_POLL_CAP + POLL_INTERVAL
    while clock() < recovered_by and not in_plex():
        clock.advance(runner.step(lambda: False).wait)
    assert in_plex()
    assert read_status(session.store).stash_error is None
    assert stash_status(tmp_path, capsys)["stash_error"] is None
