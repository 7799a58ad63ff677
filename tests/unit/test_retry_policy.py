"""Each error class's policy (schedule, attempts, breaker) and the one Backoff type, with today's numbers."""

import random

import pytest

from plexsync_gui.core.errors import (
    InternalError,
    PermanentError,
    PlexAuthError,
    PlexEditRefused,
    PlexNotFound,
    PlexPermanentError,
    PlexTemporaryError,
    StashDownError,
    TransientError,
)
from plexsync_gui.core.sync.backoff import Backoff
from plexsync_gui.core.sync.breaker import CircuitBreaker


def test_transient_errors_use_five_seconds_base_eighty_cap_and_the_configured_attempts():
    for error in (PlexTemporaryError("x"), TransientError("x"), PlexEditRefused("x")):
        assert error.policy.backoff == Backoff(5.0, 80.0)
        assert error.policy.max_attempts is None  # sync.max_retries decides


def test_not_found_retries_slowly_twelve_times():
    assert PlexNotFound("x").policy.backoff == Backoff(30.0, 600.0)
    assert PlexNotFound("x").policy.max_attempts == 12


@pytest.mark.parametrize("error", [PermanentError("x"), PlexPermanentError("x"), PlexAuthError("x")])
def test_permanent_errors_are_not_retried(error):
    assert error.policy.backoff is None


def test_only_plex_temporary_errors_count_toward_the_breaker():
    assert PlexTemporaryError("x").policy.counts_toward_breaker
    for error in (TransientError("x"), PlexNotFound("x"), PermanentError("x"), PlexPermanentError("x"),
                  StashDownError("x"), InternalError("x")):
        assert not error.policy.counts_toward_breaker


def test_an_internal_error_is_its_own_class_with_one_more_attempt():
    error = InternalError.from_exception(KeyError("boom"))
    assert not isinstance(error, TransientError)
    assert error.policy.max_attempts == 2 and not error.policy.counts_toward_breaker
    assert str(error) == "internal error: KeyError: 'boom' (details in the log)"


@pytest.mark.parametrize("attempt,ceiling", [(1, 5), (2, 10), (3, 20), (4, 40), (5, 80), (6, 80), (12, 80)])
def test_full_jitter_stays_within_the_capped_exponential_ceiling(attempt, ceiling):
    rng = random.Random(attempt)
    delays = [Backoff(5, 80).delay(attempt, rng) for _ in range(500)]
    assert all(0 <= d <= ceiling for d in delays)
    assert max(delays) > ceiling * 0.9  # full jitter uses the whole window
    assert min(delays) < ceiling * 0.1


@pytest.mark.parametrize("attempt,ceiling", [(1, 10), (2, 20), (5, 160), (6, 300), (40, 300)])
def test_half_jitter_keeps_at_least_half_the_ceiling(attempt, ceiling):
    rng = random.Random(attempt)
    delays = [Backoff(10, 300, jitter=0.5).delay(attempt, rng) for _ in range(500)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)


def test_the_breaker_probe_schedule_draws_the_same_numbers_as_before():
    """Same rng calls as the breaker's old formula: uniform(c/2, c), c = min(60, 5 * 2^probes)."""
    breaker, rng, expected = CircuitBreaker(), random.Random(7), random.Random(7)
    breaker.trip(1000.0, rng)
    for probes in range(6):
        ceiling = min(60.0, 5.0 * 2 ** probes)
        assert breaker.next_probe_at == 1000.0 + expected.uniform(ceiling / 2, ceiling)
        breaker.record_probe(False, 1000.0, rng)


def test_error_type_name_is_the_class_name():
    assert PlexNotFound("x").type_name == "PlexNotFound"
