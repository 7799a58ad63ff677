"""Stash's health, and the problems worth showing in every status view, kept in the database so each front end and
each process sees them.

The poll loop may run in `plexsync run` while `plexsync status` or the desktop app asks why nothing arrives: the
answer has to live in the shared store, not in one process's memory. `StashHealth` is the one record of whether
Stash serves PlexSync, owned by the session and used by both paths that talk to Stash: the change poll (GraphQL) and
the poster downloads of jobs (images).
"""

from __future__ import annotations

import json
import logging
import random
import time
from typing import Any

from plexsync_gui.core.storage.store import DiskFullError, Store
from plexsync_gui.core.sync.backoff import Backoff

log = logging.getLogger(__name__)

STASH_ERROR_KEY = "stash_error"
DATABASE_NOTICE_KEY = "database_notice"
STASH_POLL_CAP = 300.0  # longest wait between polls while Stash fails
STASH_WAIT = Backoff(5.0, 300.0, jitter=0.5)  # how long jobs pause after a poster download found Stash down


class StashHealth:
    """The one record of Stash's health.

    Failed polls make the record every status view shows ({message, at, since, failures}, persisted so other
    processes see it; `failures` also sets the poll backoff). A failed poster download pauses jobs on its own
    growing schedule (`jobs_wait_until`): a download can fail while GraphQL answers and the other way round, and a
    poll must not be put off because jobs found Stash's images down, so each path keeps its own streak here, in one
    place, ended by its own next success.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.problem: dict[str, Any] | None = stash_error(store)  # the persisted record, as of the last change
        self.jobs_wait_until: float | None = None  # wall clock: jobs wait while Stash cannot serve posters
        self._download_failures = 0

    @property
    def poll_failures(self) -> int:
        """Polls failed in a row (0 while polls work)."""
        return int((self.problem or {}).get("failures") or 0)

    def poll_failed(self, message: str, now: float, persist: bool = True, config: bool = False) -> int:
        """Note a failed poll: the latest message and time, when the failures began, how many in a row, and
        whether the config is the cause (`config`: Stash answered, so status views must not say it is down). Not
        persisted when the store itself is what failed (a full disk); returns the failures in a row."""
        previous = self.problem or {}
        self.problem = {
            "message": message,
            "at": iso_utc(now),
            "since": previous.get("since") or iso_utc(now),
            "failures": int(previous.get("failures") or 0) + 1,
        }
        if config:
            self.problem["config"] = True
        if persist:
            self._save(json.dumps(self.problem))
        return self.poll_failures

    def poll_answered(self) -> None:
        """After a successful poll; writes only when there was something to clear."""
        if self.problem is not None:
            self.problem = None
            self._save(None)

    def download_failed(self, now: float, rng: random.Random) -> float:
        """A poster download found Stash down: jobs wait a growing while; returns how long."""
        self._download_failures += 1
        self.jobs_wait_until = now + STASH_WAIT.delay(self._download_failures, rng)
        return self.jobs_wait_until - now

    def download_answered(self) -> None:
        self._download_failures, self.jobs_wait_until = 0, None

    def jobs_wait(self, now: float) -> bool:
        """Whether jobs still wait for Stash (a pause a failed download began and that has not run out)."""
        return self.jobs_wait_until is not None and now < self.jobs_wait_until

    def _save(self, value: str | None) -> None:
        try:
            self.store.set(STASH_ERROR_KEY, value)
        except DiskFullError as exc:  # the record stays in memory; status views of this process still show it
            log.error("%s", exc)


def stash_error(store: Store) -> dict[str, Any] | None:
    """{message, at, since, failures[, config]} while Stash polls fail, else None (`config`: the config is the
    cause, not Stash)."""
    return _json(store.get(STASH_ERROR_KEY))


def record_database_notice(store: Store, message: str, moved_to: str, now: float) -> None:
    """Say, in the fresh database, that the previous one was unreadable and where it went."""
    store.set(DATABASE_NOTICE_KEY, json.dumps({"message": message, "moved_to": moved_to, "at": iso_utc(now)}))


def database_notice(store: Store) -> dict[str, Any] | None:
    """{message, moved_to, at} when this database replaced an unreadable one, else None."""
    return _json(store.get(DATABASE_NOTICE_KEY))


def _json(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"message": text}
    return value if isinstance(value, dict) else {"message": str(value)}


def iso_utc(epoch: float) -> str:
    """The time in these records: ISO 8601 UTC text, the format they were first saved and shown in."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
