"""Where the listeners' threads leave what they heard, for the runner's thread to act on.

Listeners run on threads of their own and must not touch the store (one connection per thread) or the engine; they
call the inbox's small methods, which only record the fact and wake the runner. The runner drains the inbox at the
start of its next round and decides what each fact means. Facts are deduplicated while they wait (Plex announces
an item several times while it processes it), so a burst of notifications costs one round's work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

MAX_WAITING_ITEMS = 500  # a full library scan announces thousands: beyond this, the round looks at every waiting job


@dataclass(frozen=True)
class Heard:
    """What arrived since the last drain."""

    items: tuple[str, ...] = ()  # ratingKeys of movies and episodes Plex created or finished processing
    many_items: bool = False  # more than MAX_WAITING_ITEMS arrived: too many to look up one by one
    stash_jobs: tuple[str, ...] = ()  # descriptions of Stash jobs that finished

    def __bool__(self) -> bool:
        return bool(self.items or self.many_items or self.stash_jobs)


class EventInbox:
    def __init__(self, wake: Callable[[], None] = lambda: None) -> None:
        """`wake` is called (on the listener's thread) after each fact: the runner's loop or the app's worker
        makes its next round start now."""
        self._wake = wake
        self._lock = threading.Lock()
        self._items: dict[str, None] = {}
        self._many = False
        self._jobs: list[str] = []

    def item_appeared(self, rating_key: str, section: str = "") -> None:
        with self._lock:
            if len(self._items) < MAX_WAITING_ITEMS:
                self._items[rating_key] = None
            else:
                self._many = True
        self._wake()

    def stash_job_finished(self, description: str) -> None:
        with self._lock:
            self._jobs.append(description)
        self._wake()

    def state_changed(self) -> None:
        """A listener went live or lost its connection: a round records it, so every status view says so."""
        self._wake()

    def drain(self) -> Heard:
        with self._lock:
            heard = Heard(tuple(self._items), self._many, tuple(self._jobs))
            self._items, self._many, self._jobs = {}, False, []
        return heard
