"""The circuit breaker's `/identity` probe carries the token, and a Plex that answers it with 401/403 is up but
rejects the token: processing pauses for the token with Plex's reason (as a rejected job request does), and Plex
never reads as "unreachable" for it. Real HTTP against the emulated Plex, whose /identity is made to answer 401."""

from __future__ import annotations

import pytest

from plexsync_gui.core.errors import PlexAuthError
from plexsync_gui.core.plex.client import PlexClient
from plexsync_gui.core.sync.breaker import BreakerState
from plexsync_gui.core.sync.status import read_status
from tests.servers import PLEX_TOKEN, FakeClock

pytestmark = pytest.mark.security

REJECTED = "Plex rejected the token (HTTP 401) while probing /identity; check plex token"


def test_the_probe_sends_the_token_and_raises_on_a_rejection(plex):
    client = PlexClient(plex.url, PLEX_TOKEN, timeout=2)
    try:
        assert client.identity() is True
        plex.fail_next(403, route="/identity")
        with pytest.raises(PlexAuthError, match=r"HTTP 403"):
            client.identity()
    finally:
        client.close()
    probes = [r for r in plex.requests if r.path == "/identity"]
    assert probes and all(r.headers.get("X-Plex-Token") == PLEX_TOKEN for r in probes)


def test_an_open_breaker_whose_probe_is_rejected_pauses_for_the_token(make_session, library, plex):
    session = make_session()
    engine, clock = session.engine, FakeClock()
    engine.clock = session.queuer.clock = clock
    library.add(title="Waiting")
    session.queuer.sync_all()
    engine.breaker.trip(clock())
    clock.advance(engine.breaker.next_probe_at - clock() + 1)
    plex.fail_next(401, count=100, route="/identity")

    summary = engine.process_due()

    assert summary.stopped_reason == REJECTED
    assert engine.auth_problem == REJECTED and read_status(session.store).paused == REJECTED
    assert engine.breaker.state != BreakerState.OPEN
    [job] = session.store.list_jobs()
    assert (job.status, job.attempts) == ("pending", 0)


def test_a_last_attempt_whose_probe_is_rejected_pauses_and_is_not_charged(config, make_session, library, plex):
    config.sync.max_retries = 1  # the first attempt is the last: a failed one asks the probe whether Plex is down
    session = make_session()
    engine = session.engine
    library.add(title="Last chance")
    session.queuer.sync_all()
    plex.fail_next(401, count=100, route="/identity")
    plex.fail_next(500, count=100)  # every other request

    summary = engine.process_due()

    assert engine.auth_problem == REJECTED and summary.stopped_reason == REJECTED
    assert engine.breaker.state == BreakerState.CLOSED
    assert session.store.list_dead_letters() == []
    [job] = session.store.list_jobs()
    assert (job.status, job.attempts) == ("pending", 0)
