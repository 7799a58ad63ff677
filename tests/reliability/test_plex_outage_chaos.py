"""Plex outage chaos: a seeded timeline of outages (refused connections, resets, drops, 5xx, 429, 520, truncated
and non-XML bodies, timeouts, mixes of all of them) separated by flaky stretches, while scenes keep changing in Stash.

The runner and engine run on a fake clock, so minutes of breaker and backoff schedule pass in seconds; every request
is real HTTP to the emulated Plex. Requests are counted on the client, where refused connections show up too.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import pytest
import requests

from plexsync_gui.core.sync.breaker import CircuitBreaker
from plexsync_gui.core.sync.runner import Runner
from tests.servers import FakeClock

pytestmark = pytest.mark.reliability

SCENES = 30
POLL_INTERVAL = 10.0
FAILING = [500, 502, 503, 429, 520, "drop", "reset", "truncate", "html"]
FLAKY = [*FAILING, "slow", "timeout"]
FLAKY_PROBABILITY = 0.04


@dataclass(frozen=True)
class Episode:
    kind: str  # "refused", "timeout", an entry of FAILING as text, "mixed" (all of FAILING), or "flaky"
    seconds: float

    @property
    def outage(self) -> bool:
        return self.kind != "flaky"


def timeline(rng: random.Random) -> list[Episode]:
    outages = [Episode("refused", 120), Episode("mixed", 150), Episode("timeout", 15)]
    outages += [Episode(str(kind), rng.choice([30, 45, 60])) for kind in FAILING]
    rng.shuffle(outages)
    episodes = [Episode("flaky", 40)]
    for outage in outages:
        episodes += [outage, Episode("flaky", rng.choice([20, 40, 60]))]
    return episodes


def start(plex, episode: Episode, seed: int) -> None:
    if episode.kind == "refused":
        plex.refuse()
    elif episode.kind == "timeout":  # every answer 1.2 s late: past the 1 s job timeout, within the probe's
        plex.chaos(seed, 1.0, ["timeout"], timeout=1.2)
    elif episode.kind == "mixed":
        plex.chaos(seed, 1.0, FAILING)
    elif episode.kind == "flaky":
        plex.chaos(seed, FLAKY_PROBABILITY, FLAKY, slow=0.1, timeout=1.2)
    else:
        plex.chaos(seed, 1.0, [int(episode.kind) if episode.kind.isdigit() else episode.kind])


def stop(plex) -> None:
    plex.clear_faults()
    plex.resume()


@pytest.mark.parametrize("seed", [5, 11])
def test_plex_chaos_loses_nothing_and_never_hammers_plex(make_session, config, library, stash, plex, monkeypatch,
                                                         seed):
    rng = random.Random(seed)
    config.plex.timeout = 1
    session = make_session()
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = session.poller.clock = clock
    session.engine.rng = random.Random(seed)
    runner = Runner(session.engine, session.poller, POLL_INTERVAL, clock=clock)
    pairs = dict(library.add(title=f"Scene {i}", details=f"Details {i}") for i in range(SCENES))

    sent: list[float] = []  # fake-clock time of every request attempt to Plex, refused ones included
    send = requests.Session.send

    def counting_send(self, request, **kwargs):
        if request.url.startswith(plex.url):
            sent.append(clock())
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", counting_send)
    outcomes = []

    episodes = timeline(rng)
    windows: list[tuple[Episode, float, float]] = []
    breaker_seen: list[tuple[float, str]] = []
    max_attempts_seen = 0
    next_edit = clock()
    for number, episode in enumerate(episodes):
        start(plex, episode, seed * 1000 + number)
        began, end = clock(), clock() + episode.seconds
        while clock() < end:
            if clock() >= next_edit:  # Stash keeps changing: two scenes edited every poll interval
                stash.advance(1)
                for scene_id in rng.sample(sorted(pairs), 2):
                    stash.update_scene(scene_id, title=f"{scene_id} at {clock():.0f}", details=f"{number}")
                next_edit = clock() + POLL_INTERVAL
            result = runner.step(lambda: False)
            wait = result.wait
            outcomes += result.outcomes
            breaker_seen.append((clock(), session.engine.breaker.state))
            max_attempts_seen = max([max_attempts_seen] + [j.attempts for j in session.store.list_jobs()])
            clock.advance(min(wait, end - clock()) if clock() + wait > end else wait)
        stop(plex)
        windows.append((episode, began, clock()))

    # Faults stop: everything queued must reach Plex, with the latest Stash values.
    for _ in range(500):
        clock.advance(runner.step(lambda: False).wait)
        if not session.store.list_jobs() and session.engine.breaker.state == "closed":
            break
    for scene_id, rating_key in pairs.items():
        scene, item = stash.scene(scene_id), plex.item_state(rating_key)
        assert (item["title"], item.get("summary")) == (scene["title"], scene["details"]), scene_id

    # No transient fault sent a job to the dead letters; attempts stayed below the limit; outages cost none.
    assert session.store.list_dead_letters() == []
    assert not [o for o in outcomes if o.outcome == "failed"]
    assert 0 < max_attempts_seen < config.sync.max_retries
    assert sum(o.outcome == "retry" for o in outcomes) > 0  # faults were really met, and retried
    assert session.engine.breaker.state == "closed"

    # The breaker was open in every outage long enough to see five failures (it may stay open through a short
    # flaky stretch: its probes back off to a minute), opened and closed many times, and ends closed.
    breaker = CircuitBreaker()
    for episode, began, ended in windows:
        states = {state for at, state in breaker_seen if began <= at < ended}
        if episode.outage and episode.kind != "timeout":
            assert "open" in states, episode
    opened = sum(1 for (_, a), (_, b) in itertools.pairwise(breaker_seen) if a == "closed" and b != "closed")
    assert opened >= 5

    # Never hammered: while Plex is down, at most `threshold` failures open the breaker, then only probes
    # (at least probe_base/2 apart) and the one job a half-open breaker lets through.
    per_second_bound = breaker.threshold + 2
    for episode, began, ended in windows:
        if not episode.outage:
            continue
        during = [t for t in sent if began <= t < ended]
        buckets: dict[int, int] = {}
        for t in during:
            buckets[int(t)] = buckets.get(int(t), 0) + 1
        assert max(buckets.values(), default=0) <= per_second_bound, (episode, buckets)
        probes = (ended - began) / (breaker.probe_base / 2) + 1
        assert len(during) <= breaker.threshold + 2 * probes, (episode, len(during))
    assert plex.errors == []
    report(plex, windows, sent, outcomes, opened)


def report(plex, windows, sent, outcomes, opened) -> None:
    """Figures for the README: faults injected, refused connection attempts, outages, requests."""
    refused = sum(1 for episode, began, ended in windows if episode.kind == "refused"
                  for t in sent if began <= t < ended)
    injected = sum(plex.faults_injected.values()) + refused
    print(f"\nchaos: {len(windows)} episodes ({sum(w[0].outage for w in windows)} outages), "
          f"{injected} faults injected ({refused} refused connections, {dict(sorted(plex.faults_injected.items()))}), "
          f"{len(sent)} requests, {len(outcomes)} job outcomes, breaker opened {opened} times, "
          f"simulated {windows[-1][2] - windows[0][1]:.0f} s")
