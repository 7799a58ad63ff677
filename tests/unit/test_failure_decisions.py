"""`failures.decide` as a table: error x situation -> action, breaker effect, streak, pause. Pure: no store, no
network; the engine carries decisions out (the integration and reliability suites prove that end to end)."""

from __future__ import annotations

import pytest

from plexsync_gui.core.errors import (
    Cancelled,
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
from plexsync_gui.core.sync.breaker import BreakerState
from plexsync_gui.core.sync.failures import Action, BreakerEffect, FailureContext, decide

CLOSED, OPEN, HALF_OPEN = BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN


def ctx(attempts: int = 0, breaker: BreakerState = CLOSED, failures: int = 0, auth: bool = False,
        stash_wait: bool = False, answers: bool | None = None, max_retries: int = 5) -> FailureContext:
    return FailureContext(attempts=attempts, max_retries=max_retries, breaker_state=breaker,
                          breaker_failures=failures, breaker_threshold=5, auth_paused=auth,
                          stash_wait_running=stash_wait, plex_answers=answers)


R, W, T, D, P = Action.RELEASE, Action.WAIT_FOR_STASH, Action.RETRY, Action.DEAD_LETTER, Action.PROBE
NONE, ANS, FAIL, TRIP = BreakerEffect.NONE, BreakerEffect.ANSWERED, BreakerEffect.FAILURE, BreakerEffect.TRIP

# (name, error, context, action, breaker effect, join streak, refund streak, note)
TABLE = [
    ("stopping", Cancelled("cut"), ctx(), R, NONE, False, False, "put back uncharged"),
    ("stopping on its last attempt", Cancelled("cut"), ctx(attempts=4), R, NONE, False, False, "put back uncharged"),
    ("Stash down", StashDownError("x"), ctx(), W, NONE, False, False, "waiting for Stash"),
    ("Stash down, wait running", StashDownError("x"), ctx(stash_wait=True), R, NONE, False, False,
     "put back uncharged"),
    ("token rejected", PlexAuthError("401"), ctx(), D, NONE, False, False, ""),
    ("token rejected, already paused", PlexAuthError("401"), ctx(auth=True), R, NONE, False, False,
     "put back uncharged"),
    ("Plex 503", PlexTemporaryError("503"), ctx(), T, FAIL, True, False, ""),
    ("Plex 503 opens the breaker", PlexTemporaryError("503"), ctx(failures=4), R, FAIL, False, True,
     "circuit breaker open"),
    ("Plex 503 while open", PlexTemporaryError("503"), ctx(breaker=OPEN, failures=5), R, NONE, False, False,
     "put back uncharged"),
    ("Plex 503 in the half-open trial is charged", PlexTemporaryError("503"), ctx(breaker=HALF_OPEN), T, FAIL,
     True, False, ""),
    ("Plex 503 on the last attempt: probe first", PlexTemporaryError("503"), ctx(attempts=4), P, NONE, False,
     False, ""),
    ("last attempt, Plex answers the probe", PlexTemporaryError("503"), ctx(attempts=4, answers=True), D, FAIL,
     True, False, "gave up after 5 attempts"),
    ("last attempt, probe unanswered: outage", PlexTemporaryError("503"), ctx(attempts=4, answers=False), R,
     TRIP, False, True, "circuit breaker open"),
    ("last attempt, probe found the token rejected", PlexTemporaryError("503"),
     ctx(attempts=4, answers=True, auth=True), R, FAIL, False, False, "put back uncharged"),
    ("Plex 503 while paused for the token", PlexTemporaryError("503"), ctx(auth=True), R, FAIL, False, False,
     "put back uncharged"),
    ("500 on an edit: probe first", PlexEditRefused("500"), ctx(), P, NONE, False, False, ""),
    ("500 on an edit, Plex answers", PlexEditRefused("500"), ctx(answers=True), T, ANS, False, False, ""),
    ("500 on an edit, Plex answers, last attempt", PlexEditRefused("500"), ctx(attempts=4, answers=True), D, ANS,
     False, False, "gave up after 5 attempts"),
    ("500 on an edit, probe unanswered", PlexEditRefused("500"), ctx(answers=False), T, FAIL, True, False, ""),
    ("500 on an edit while open", PlexEditRefused("500"), ctx(breaker=OPEN, failures=5), R, NONE, False, False,
     "put back uncharged"),
    ("not scanned yet", PlexNotFound("x"), ctx(), T, ANS, False, False, ""),
    ("not scanned yet, ignores max_retries", PlexNotFound("x"), ctx(attempts=4, max_retries=5), T, ANS, False,
     False, ""),
    ("not scanned after 12 attempts", PlexNotFound("x"), ctx(attempts=11), D, ANS, False, False,
     "gave up after 12 attempts"),
    ("Plex refused for good", PlexPermanentError("400"), ctx(), D, ANS, False, False, ""),
    ("no file path", PermanentError("x"), ctx(), D, NONE, False, False, ""),
    ("passing failure", TransientError("x"), ctx(), T, NONE, False, False, ""),
    ("passing failure, max_retries reached", TransientError("x"), ctx(attempts=2, max_retries=3), D, NONE, False,
     False, "gave up after 3 attempts"),
    ("bug: one more attempt", InternalError("x"), ctx(), T, NONE, False, False, ""),
    ("bug: then the dead letters", InternalError("x"), ctx(attempts=1), D, NONE, False, False,
     "gave up after 2 attempts"),
    ("bug: not an outage, breaker open or not", InternalError("x"), ctx(breaker=OPEN, attempts=1), D, NONE, False,
     False, "gave up after 2 attempts"),
]


@pytest.mark.parametrize("name,error,context,action,breaker,join,refund,note", TABLE, ids=[row[0] for row in TABLE])
def test_decide(name, error, context, action, breaker, join, refund, note):
    decision = decide(error, context)
    assert (decision.action, decision.breaker, decision.join_streak, decision.refund_streak, decision.note) == (
        action, breaker, join, refund, note)


def test_a_rejected_token_is_recorded_as_permanent_and_pauses():
    decision = decide(PlexAuthError("401"), ctx(attempts=2))
    assert (decision.error_type, decision.pause_for_token, decision.attempts) == ("PlexPermanentError", True, 3)


def test_a_retry_carries_the_class_schedule_and_the_attempt_counts():
    decision = decide(PlexNotFound("x"), ctx(attempts=3))
    assert (decision.backoff.base, decision.backoff.cap, decision.attempts, decision.max_attempts) == (
        30.0, 600.0, 4, 12)
    assert decision.error_type == "PlexNotFound"
