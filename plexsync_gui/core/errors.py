"""Error classes of a sync job and the retry policy that follows from each.

The class decides everything about a failure: whether it is retried, how long the backoff grows, how many attempts
it gets, and whether it counts toward the circuit breaker. Classes are chosen by HTTP status (see plex_client), never
by plexapi's exception type, because plexapi raises BadRequest for 5xx and 429 too.
"""

from __future__ import annotations

import random


class SyncError(Exception):
    """Base of every failure a job can record."""

    retryable = False
    counts_toward_breaker = False
    status: int | None = None  # the HTTP status Plex answered with, when it answered at all

    @property
    def type_name(self) -> str:
        return type(self).__name__


class TransientError(SyncError):
    """A passing failure outside Plex (Stash unreachable while fetching a poster, a locked database...)."""

    retryable = True


class StashDownError(TransientError):
    """Stash failed while a job needed it (to download the poster): not the job's fault, so it waits uncharged."""


class Cancelled(SyncError):
    """PlexSync is stopping and cut the request short: the job goes back to the queue uncharged."""


class PermanentError(SyncError):
    """Retrying cannot help: missing file path, configured library absent, ambiguous match under strict_matching."""

    def __init__(self, message: str, candidates: list[dict] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


class PlexTemporaryError(TransientError):
    """Plex refused, reset, timed out, answered 5xx/429 or garbage: Plex is (maybe briefly) unwell."""

    counts_toward_breaker = True


class PlexEditRefused(PlexTemporaryError):
    """Plex answered one item's edit with HTTP 500. While Plex answers `/identity` this is the item's problem, not an
    outage: the job is retried and charged, never counted toward the breaker, and finally dead-lettered saying so."""

    status = 500


class PlexNotFound(SyncError):
    """No Plex item has the scene's file yet; Plex may not have scanned it, so retry slowly."""

    retryable = True


class PlexPermanentError(SyncError):
    """Plex rejected the request for good (bad token, forbidden, a request it cannot accept)."""


class PlexAuthError(PlexPermanentError):
    """401/403: the token is wrong. Systemic, so processing pauses instead of failing every job."""


class StashError(Exception):
    """Talking to Stash failed; the poll is retried later and the cursor does not move."""


class StashAuthError(StashError):
    """Stash answered 401/403: the API key is missing or wrong. Retrying without a fix is pointless."""


class StashUnavailable(StashError):
    """Stash cannot be reached, answered 5xx, or answered something that is not Stash's GraphQL."""


class StashQueryError(StashError):
    """Stash understood the request but answered with GraphQL errors (a locked database, a schema mismatch)."""


# (base seconds, cap seconds, max attempts) per error family; see the retry contract.
TRANSIENT_RETRY = (5.0, 80.0, 5)
NOT_FOUND_RETRY = (30.0, 600.0, 12)
# No retry is ever scheduled further ahead than this; a retry time beyond it means the wall clock went back.
LONGEST_BACKOFF = max(TRANSIENT_RETRY[1], NOT_FOUND_RETRY[1])


def get_retry_params(error: SyncError, max_retries: int = TRANSIENT_RETRY[2]) -> tuple[float, float, int]:
    """Backoff base, cap and attempt limit for an error; `max_retries` (config) sets the transient limit."""
    if isinstance(error, PlexNotFound):
        return NOT_FOUND_RETRY
    if error.retryable:
        base, cap, _ = TRANSIENT_RETRY
        return base, cap, max_retries
    return 0.0, 0.0, 1


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full-jitter delay before retry number `attempt` (1 after the first failure).

    Full jitter spreads a burst of failed jobs over the whole window, so they do not come back all at once.
    """
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return (rng or random).uniform(0.0, ceiling)
