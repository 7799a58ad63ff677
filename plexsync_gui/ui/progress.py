"""Progress of a long sync ("1,234 of 10,000", rate, time left), derived from the status the worker already reports.

A run starts when scenes are waiting and ends when none are. Its total is what was done plus what is still waiting,
so scenes that Stash adds mid-run grow the total instead of making the bar jump back. The rate is measured over the
last RATE_WINDOW seconds, so a burst at the start or a stall in the middle does not skew the time left for long.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from plexsync_gui.ui.times import duration

RATE_WINDOW = 60.0  # seconds of history the rate is measured over
MIN_RATE_SPAN = 3.0  # no rate (and no time left) before this much of a run has been seen


@dataclass(frozen=True)
class Snapshot:
    done: int
    total: int
    rate: float | None  # scenes per minute
    seconds_left: float | None

    @property
    def text(self) -> str:
        """"1,234 of 10,000 · 85/min · 2 h 5 min left" (the rate and time left once they can be measured)."""
        parts = [f"{self.done:,} of {self.total:,}"]
        if self.rate:
            parts.append(f"{self.rate:,.0f}/min")
        if self.seconds_left is not None:
            parts.append(f"{duration(self.seconds_left)} left")
        return " · ".join(parts)


class ProgressTracker:
    """Turns successive statuses (waiting count over time) into a Snapshot, or None while nothing is waiting."""

    def __init__(self) -> None:
        self._done = 0
        self._waiting = 0
        self._samples: deque[tuple[float, int]] = deque()

    def observe(self, status: dict[str, Any], now: float) -> Snapshot | None:
        waiting = int(status.get("pending", 0))
        if waiting == 0:
            self._done, self._waiting = 0, 0
            self._samples.clear()
            return None
        if waiting < self._waiting:
            self._done += self._waiting - waiting
        self._waiting = waiting
        self._samples.append((now, self._done))
        while len(self._samples) > 2 and now - self._samples[1][0] >= RATE_WINDOW:
            self._samples.popleft()
        return Snapshot(self._done, self._done + waiting, *self._rate(now, waiting))

    def _rate(self, now: float, waiting: int) -> tuple[float | None, float | None]:
        first_at, first_done = self._samples[0]
        span = now - first_at
        if span < MIN_RATE_SPAN:
            return None, None
        per_second = (self._done - first_done) / span
        if per_second <= 0:
            return 0.0, None
        return per_second * 60, waiting / per_second
