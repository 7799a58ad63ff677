"""The one status of a PlexSync install, read in one place for every view (CLI, desktop app, tests).

Another process may be the one syncing (`plexsync run` while `plexsync status` or the app asks), so everything comes
from the shared store; a process that does the syncing passes its live breaker and Stash record, which are the same
values unless the store could not be written (a full disk), when the live ones are the truer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from plexsync_gui.core.storage.keys import AUTH_PAUSE_KEY, BREAKER_KEY, EVENTS_KEY, WATERMARK_KEY
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.breaker import BreakerState, CircuitBreaker
from plexsync_gui.core.sync.health import StashHealth, database_notice


@dataclass(frozen=True)
class SyncStatus:
    counts: Mapping[str, int]  # jobs per status (pending, retry_wait, in_progress), dead letters (dlq), synced
    breaker: BreakerState
    paused: str | None  # why processing is paused (Plex rejected the token), else None
    stash_cursor: str | None  # the largest Stash `updated_at` seen
    stash_error: Mapping[str, Any] | None  # {message, at, since, failures} while Stash polls fail
    database_notice: Mapping[str, Any] | None  # {message, moved_to, at} when an unreadable database was replaced
    last_poll_at: float | None = None  # wall clock of this process's last successful poll, when it polls
    events: Mapping[str, str] | None = None  # per server "live" or "polling only: why", while a process listens

    @property
    def events_summary(self) -> str:
        """One phrase for every view: whether push events are live or polling is the fallback."""
        if not self.events:
            return "events off: polling only"
        if all(state == "live" for state in self.events.values()):
            return "events live"
        down = [name.capitalize() for name, state in self.events.items() if state != "live"]
        return f"{' and '.join(down)} events unavailable: polling"

    @property
    def waiting(self) -> int:
        """Jobs still to do: due, waiting for a retry, or in flight."""
        return self.counts["pending"] + self.counts["retry_wait"] + self.counts["in_progress"]

    @property
    def plex_error(self) -> str | None:
        """Why Plex gets no jobs: the token pause, or the breaker when it is not closed."""
        if self.paused:
            return self.paused
        if self.breaker == BreakerState.CLOSED:
            return None
        return f"Plex is unreachable (circuit breaker {self.breaker.replace('_', '-')})"

    def to_json(self) -> dict[str, Any]:
        """The object `plexsync status --json` prints (its keys and values are a published interface)."""
        return {**self.counts, "breaker": self.breaker.value, "paused": self.paused,
                "stash_cursor": self.stash_cursor, "stash_error": _plain(self.stash_error),
                "database_notice": _plain(self.database_notice), "events": _plain(self.events)}


def read_status(store: Store, breaker: CircuitBreaker | None = None, stash: StashHealth | None = None,
                last_poll_at: float | None = None) -> SyncStatus:
    """The status as the store has it; `breaker` and `stash` are the syncing process's live records, if this is it."""
    breaker = breaker or CircuitBreaker.from_json(store.get(BREAKER_KEY))
    problem = stash.problem if stash is not None else StashHealth(store).problem
    return SyncStatus(
        counts=MappingProxyType(dict(store.counts())), breaker=breaker.state, paused=store.get(AUTH_PAUSE_KEY),
        stash_cursor=store.get(WATERMARK_KEY), stash_error=_frozen(problem),
        database_notice=_frozen(database_notice(store)), last_poll_at=last_poll_at, events=_events(store))


def _events(store: Store) -> Mapping[str, str] | None:
    """The listening process's record (absent: no process listens, or listening is off)."""
    try:
        record = json.loads(store.get(EVENTS_KEY) or "null")
    except ValueError:
        return None
    if not isinstance(record, dict):
        return None
    return MappingProxyType({str(k): str(v) for k, v in record.items()})


def _frozen(record: dict[str, Any] | None) -> Mapping[str, Any] | None:
    return None if record is None else MappingProxyType(dict(record))


def _plain(record: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if record is None else dict(record)
