"""Error classes of a sync job, each carrying the policy that decides what its failure does.

A class says everything about a failure (`FailurePolicy`): whether and how it is retried, how many attempts it gets,
whether it counts toward the circuit breaker, pauses processing or waits for Stash. `core.sync.failures.decide`
turns an error, its job and the engine's situation into one outcome; no other code decides a job's fate by type.
Classes are chosen by HTTP status (see plex_client), never by plexapi's exception type, because plexapi raises
BadRequest for 5xx and 429 too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from plexsync_gui.core.sync.backoff import Backoff

TRANSIENT_BACKOFF = Backoff(5.0, 80.0)  # a passing failure: retried within about three minutes in all
NOT_FOUND_BACKOFF = Backoff(30.0, 600.0)  # Plex has not scanned the file yet: scans take minutes, so retry slowly
NOT_FOUND_ATTEMPTS = 12
INTERNAL_ATTEMPTS = 2  # a bug in PlexSync: one more try (it may have hit a rare state), then the dead letters


@dataclass(frozen=True)
class FailurePolicy:
    """What a failure of this class does to its job and to processing (read by `failures.decide` only)."""

    backoff: Backoff | None = None  # None: dead-lettered at once, never retried
    max_attempts: int | None = None  # attempts before the dead letters; None: the config's sync.max_retries
    counts_toward_breaker: bool = False  # a sign that Plex is down (never charged to the job while it is)
    plex_answered: bool = False  # Plex answered the request, so it is up: a breaker failure streak ends
    pauses_processing: bool = False  # systemic (a rejected token): pause everything, do not fail every job
    waits_for_stash: bool = False  # Stash is down, not the job bad: put back uncharged and pause jobs a while
    uncharged: bool = False  # says nothing about the job (PlexSync is stopping): put back as it was
    probe_decides: bool = False  # an answer that is an outage only if Plex does not even answer /identity


class SyncError(Exception):
    """Base of every failure a job can record."""

    policy: ClassVar[FailurePolicy] = FailurePolicy()
    status: int | None = None  # the HTTP status Plex answered with, when it answered at all

    @property
    def type_name(self) -> str:
        return type(self).__name__


class TransientError(SyncError):
    """A passing failure outside Plex (Stash unreachable while fetching a poster, a locked database...)."""

    policy = FailurePolicy(backoff=TRANSIENT_BACKOFF)


class StashDownError(TransientError):
    """Stash failed while a job needed it (to download the poster): not the job's fault, so it waits uncharged."""

    policy = FailurePolicy(backoff=TRANSIENT_BACKOFF, waits_for_stash=True)


class InternalError(SyncError):
    """A bug in PlexSync's own code while handling a job (logged with its traceback where it happened). Not an
    outage: it is neither counted toward the breaker nor retried like one. It gets one more attempt (a rare state
    may have passed) and then goes to the dead letters saying "internal error", so the user sees it and the log has
    the details, instead of it being retried for minutes like a passing failure."""

    policy = FailurePolicy(backoff=TRANSIENT_BACKOFF, max_attempts=INTERNAL_ATTEMPTS)

    @classmethod
    def from_exception(cls, exc: BaseException) -> InternalError:
        return cls(f"internal error: {type(exc).__name__}: {exc} (details in the log)")


class Cancelled(SyncError):
    """PlexSync is stopping and cut the request short: the job goes back to the queue uncharged."""

    policy = FailurePolicy(uncharged=True)


class PermanentError(SyncError):
    """Retrying cannot help: missing file path, configured library absent, ambiguous match under strict_matching."""

    def __init__(self, message: str, candidates: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.candidates = candidates or []


class PlexTemporaryError(TransientError):
    """Plex refused, reset, timed out, answered 5xx/429 or garbage: Plex is (maybe briefly) unwell."""

    policy = FailurePolicy(backoff=TRANSIENT_BACKOFF, counts_toward_breaker=True)


class PlexEditRefused(PlexTemporaryError):
    """Plex answered one item's edit with HTTP 500. While Plex answers `/identity` this is the item's problem, not an
    outage: the job is retried and charged, never counted toward the breaker, and finally dead-lettered saying so."""

    policy = FailurePolicy(backoff=TRANSIENT_BACKOFF, counts_toward_breaker=True, probe_decides=True)
    status = 500


class PlexNotFound(SyncError):
    """No Plex item has the scene's file yet; Plex may not have scanned it, so retry slowly."""

    policy = FailurePolicy(backoff=NOT_FOUND_BACKOFF, max_attempts=NOT_FOUND_ATTEMPTS, plex_answered=True)


class PlexPermanentError(SyncError):
    """Plex rejected the request for good (bad token, forbidden, a request it cannot accept)."""

    policy = FailurePolicy(plex_answered=True)


class PlexAuthError(PlexPermanentError):
    """401/403: the token is wrong. Systemic, so processing pauses instead of failing every job."""

    policy = FailurePolicy(pauses_processing=True)


class StashError(Exception):
    """Talking to Stash failed; the poll is retried later and the cursor does not move."""


class StashAuthError(StashError):
    """Stash answered 401/403: the API key is missing or wrong. Retrying without a fix is pointless."""


class StashUnavailable(StashError):
    """Stash cannot be reached, answered 5xx, or answered something that is not Stash's GraphQL."""


class StashQueryError(StashError):
    """Stash understood the request but answered with GraphQL errors (a locked database, a schema mismatch)."""


class StashConfigError(StashQueryError):
    """Stash answered, but the config names something Stash does not have (the tag of a sync rule): the user's
    config to fix, not an outage, so status views say the reason instead of "unreachable"."""


# No retry is ever scheduled further ahead than this; a retry time beyond it means the wall clock went back.
LONGEST_BACKOFF = max(TRANSIENT_BACKOFF.cap, NOT_FOUND_BACKOFF.cap)
