import random

from plexsync_gui.core.sync.breaker import BreakerState, CircuitBreaker


def test_opens_after_five_consecutive_failures():
    breaker = CircuitBreaker()
    for _ in range(4):
        breaker.record_failure(0)
    assert breaker.state == BreakerState.CLOSED
    breaker.record_failure(0)
    assert breaker.state == BreakerState.OPEN and not breaker.allows_requests()


def test_a_success_resets_the_count():
    breaker = CircuitBreaker()
    for _ in range(4):
        breaker.record_failure(0)
    breaker.record_success()
    breaker.record_failure(0)
    assert breaker.state == BreakerState.CLOSED


def test_probe_schedule_grows_and_half_opens_on_answer():
    rng = random.Random(1)
    breaker = CircuitBreaker()
    for _ in range(5):
        breaker.record_failure(100, rng)
    assert not breaker.probe_due(100)
    first = breaker.next_probe_at
    assert 102.5 <= first <= 105
    breaker.record_probe(False, first, rng)
    assert breaker.next_probe_at - first >= 5  # the second wait is at least half of 10 s
    breaker.record_probe(True, breaker.next_probe_at, rng)
    assert breaker.state == BreakerState.HALF_OPEN and breaker.allows_requests()


def test_failure_while_half_open_reopens_at_once():
    breaker = CircuitBreaker(state=BreakerState.HALF_OPEN)
    breaker.record_failure(0)
    assert breaker.state == BreakerState.OPEN


def test_round_trips_through_json_and_survives_garbage():
    breaker = CircuitBreaker()
    for _ in range(5):
        breaker.record_failure(7)
    assert CircuitBreaker.from_json(breaker.to_json()) == breaker
    assert CircuitBreaker.from_json("{not json").state == BreakerState.CLOSED


def test_trip_opens_at_once_and_schedules_a_probe():
    breaker = CircuitBreaker()
    breaker.trip(100, random.Random(3))
    assert breaker.state == BreakerState.OPEN and breaker.failures == breaker.threshold
    assert 100 + breaker.probe_base / 2 <= breaker.next_probe_at <= 100 + breaker.probe_base


def test_a_probe_scheduled_beyond_any_schedule_is_due_now():
    breaker = CircuitBreaker()
    breaker.trip(10_000, random.Random(3))
    assert not breaker.probe_due(10_000)
    assert breaker.probe_due(10_000 - 3600)  # the wall clock went back an hour
