"""What a failed job leads to, decided in one pure function from the error's policy and the engine's situation.

`decide` reads the error's `FailurePolicy` and the facts in `FailureContext` and returns a `Decision`; the engine
carries it out (store writes, breaker, pauses) and nothing else inspects error types. Only two facts cost a
request: whether Plex answers its `/identity` probe. The engine asks it lazily: `decide` answers `Action.PROBE` when
the answer matters and is not known yet, and the engine calls it again with the answer, so a probe is sent exactly
when today's rules need one.

The rules, in order:
- uncharged (PlexSync is stopping), or a failure already explained by a running pause or open breaker (the job was
  in flight when it began): the job goes back as it was and nothing is counted;
- Stash down: the job goes back uncharged and all jobs wait for Stash a growing while;
- a rejected token: the job is dead-lettered and processing pauses until the token works;
- a 500 on one item's edit while Plex answers its probe: the item's problem, charged, never a breaker failure;
- a Plex failure counts toward the breaker; when it opens the breaker, or would spend a job's last attempt while
  Plex does not answer the probe, it is an outage: the job goes back and the failure streak is refunded;
- otherwise the policy's backoff and attempt limit decide between a retry and the dead letters.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from plexsync_gui.core.errors import SyncError
from plexsync_gui.core.sync.backoff import Backoff
from plexsync_gui.core.sync.breaker import BreakerState


class Action(StrEnum):
    RELEASE = "release"  # back to the queue as it was (uncharged)
    WAIT_FOR_STASH = "wait_for_stash"  # back uncharged, and jobs pause while Stash is down
    RETRY = "retry"  # charged, due again after the backoff
    DEAD_LETTER = "dead_letter"  # charged, out of the queue for good
    PROBE = "probe"  # ask again with `plex_answers` known


class BreakerEffect(StrEnum):
    NONE = "none"
    ANSWERED = "answered"  # Plex answered: the failure streak ends, a half-open breaker closes
    FAILURE = "failure"  # one more failure toward the threshold
    TRIP = "trip"  # one more failure, and open now: the probe confirmed Plex is down


@dataclass(frozen=True)
class FailureContext:
    """The facts a decision needs, read by the engine just before deciding."""

    attempts: int  # the job's attempts before this one
    max_retries: int  # the config's attempt limit for transient failures
    breaker_state: BreakerState
    breaker_failures: int
    breaker_threshold: int
    auth_paused: bool  # processing is paused for a rejected token (maybe by the probe just sent)
    stash_wait_running: bool  # jobs already wait for Stash
    plex_answers: bool | None = None  # the probe's answer; None: not asked yet


@dataclass(frozen=True)
class Decision:
    action: Action
    note: str = ""  # added to the message in the activity: why the job went back, or that it gave up
    error_type: str = ""  # recorded type name (a rejected token is recorded as a PlexPermanentError)
    breaker: BreakerEffect = BreakerEffect.NONE
    join_streak: bool = False  # charged for a Plex failure while Plex may be down: refunded if an outage follows
    refund_streak: bool = False  # an outage began: the attempts charged in the streak are given back
    pause_for_token: bool = False
    backoff: Backoff | None = None  # RETRY: the window the delay is drawn from
    attempts: int = 0  # the job's attempts after this one (charged decisions)
    max_attempts: int = 0


def decide(error: SyncError, ctx: FailureContext) -> Decision:
    """The outcome of `error` for a job in situation `ctx` (see the module docstring for the rules)."""
    policy, name = error.policy, error.type_name
    if policy.uncharged or _already_explained(error, ctx):
        return Decision(Action.RELEASE, "put back uncharged", name)
    if policy.waits_for_stash:
        return Decision(Action.WAIT_FOR_STASH, "waiting for Stash", name)
    attempts = ctx.attempts + 1
    if policy.pauses_processing:
        return Decision(Action.DEAD_LETTER, "", "PlexPermanentError", pause_for_token=True, attempts=attempts,
                        max_attempts=attempts)
    max_attempts = _max_attempts(error, ctx)
    breaker, join = BreakerEffect.ANSWERED if policy.plex_answered else BreakerEffect.NONE, False
    if policy.probe_decides and ctx.plex_answers is None:
        return Decision(Action.PROBE)
    if policy.probe_decides and ctx.plex_answers:
        breaker = BreakerEffect.ANSWERED  # Plex is up and refuses this item's edit: the item's problem
    elif policy.counts_toward_breaker:
        opens = ctx.breaker_state == BreakerState.HALF_OPEN or ctx.breaker_failures + 1 >= ctx.breaker_threshold
        outage = ctx.breaker_state == BreakerState.CLOSED and opens
        breaker = BreakerEffect.FAILURE
        if not outage and attempts >= max_attempts:
            if ctx.plex_answers is None:
                return Decision(Action.PROBE)
            if not ctx.plex_answers:
                breaker, outage = BreakerEffect.TRIP, True
        if outage:
            return Decision(Action.RELEASE, "circuit breaker open", name, breaker=breaker, refund_streak=True)
        if ctx.auth_paused:  # the probe found the token rejected: the pause, not this job, explains the failure
            return Decision(Action.RELEASE, "put back uncharged", name, breaker=breaker)
        join = True
    if policy.backoff is None or attempts >= max_attempts:
        note = "" if policy.backoff is None else f"gave up after {attempts} attempts"
        return Decision(Action.DEAD_LETTER, note, name, breaker=breaker, join_streak=join, attempts=attempts,
                        max_attempts=max_attempts)
    return Decision(Action.RETRY, "", name, breaker=breaker, join_streak=join, backoff=policy.backoff,
                    attempts=attempts, max_attempts=max_attempts)


def _max_attempts(error: SyncError, ctx: FailureContext) -> int:
    policy = error.policy
    if policy.backoff is None:
        return 1
    return policy.max_attempts if policy.max_attempts is not None else ctx.max_retries


def _already_explained(error: SyncError, ctx: FailureContext) -> bool:
    """A failure of a job that was in flight when another one paused processing or opened the breaker: it says
    nothing new, so it is neither charged nor counted (once open, only the probe moves the breaker; a Stash pause
    already running is not lengthened by the jobs that were in flight when it began)."""
    policy = error.policy
    if policy.pauses_processing:
        return ctx.auth_paused
    if policy.waits_for_stash:
        return ctx.stash_wait_running
    return policy.counts_toward_breaker and ctx.breaker_state == BreakerState.OPEN
