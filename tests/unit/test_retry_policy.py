import random

import pytest

from plexsync_gui.core.errors import (
    PermanentError,
    PlexAuthError,
    PlexNotFound,
    PlexPermanentError,
    PlexTemporaryError,
    TransientError,
    backoff_delay,
    get_retry_params,
)


def test_transient_errors_use_five_seconds_base_eighty_cap_five_attempts():
    assert get_retry_params(PlexTemporaryError("x")) == (5.0, 80.0, 5)
    assert get_retry_params(TransientError("x")) == (5.0, 80.0, 5)


def test_max_retries_changes_the_transient_limit_only():
    assert get_retry_params(PlexTemporaryError("x"), max_retries=9) == (5.0, 80.0, 9)
    assert get_retry_params(PlexNotFound("x"), max_retries=9) == (30.0, 600.0, 12)


def test_not_found_retries_slowly_twelve_times():
    assert get_retry_params(PlexNotFound("x")) == (30.0, 600.0, 12)


@pytest.mark.parametrize("error", [PermanentError("x"), PlexPermanentError("x"), PlexAuthError("x")])
def test_permanent_errors_are_not_retried(error):
    assert not error.retryable
    assert get_retry_params(error)[2] == 1


def test_only_plex_temporary_errors_count_toward_the_breaker():
    assert PlexTemporaryError("x").counts_toward_breaker
    for error in (TransientError("x"), PlexNotFound("x"), PermanentError("x"), PlexPermanentError("x")):
        assert not error.counts_toward_breaker


@pytest.mark.parametrize("attempt,ceiling", [(1, 5), (2, 10), (3, 20), (4, 40), (5, 80), (6, 80), (12, 80)])
def test_full_jitter_stays_within_the_capped_exponential_ceiling(attempt, ceiling):
    rng = random.Random(attempt)
    delays = [backoff_delay(attempt, 5, 80, rng) for _ in range(500)]
    assert all(0 <= d <= ceiling for d in delays)
    assert max(delays) > ceiling * 0.9  # full jitter uses the whole window
    assert min(delays) < ceiling * 0.1


def test_error_type_name_is_the_class_name():
    assert PlexNotFound("x").type_name == "PlexNotFound"
