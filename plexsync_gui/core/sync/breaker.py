"""Circuit breaker in front of Plex: after repeated connection failures, stop sending jobs and probe instead.

While open, jobs are not claimed, so none is charged an attempt for an outage and Plex is not hammered. A cheap
`/identity` probe on a jittered, growing schedule decides when to let one job through again (half-open).
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass
from enum import StrEnum

from plexsync_gui.core.sync.backoff import Backoff


class BreakerState(StrEnum):
    """Stored in the database and shown by `plexsync status --json`: the values must not change."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    threshold: int = 5
    probe_base: float = 5.0
    probe_cap: float = 60.0
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float | None = None
    next_probe_at: float | None = None
    probes: int = 0

    def __post_init__(self) -> None:
        self.state = BreakerState(self.state)  # a stored string becomes the enum (an unknown one raises ValueError)

    def allows_requests(self) -> bool:
        return self.state != BreakerState.OPEN

    def record_success(self) -> None:
        self.state, self.failures, self.opened_at, self.next_probe_at, self.probes = (
            BreakerState.CLOSED, 0, None, None, 0)

    def record_failure(self, now: float, rng: random.Random | None = None) -> None:
        self.failures += 1
        if self.state == BreakerState.HALF_OPEN or self.failures >= self.threshold:
            self.trip(now, rng)

    def trip(self, now: float, rng: random.Random | None = None) -> None:
        """Open now (also used when a failed job and a failed probe together leave no doubt that Plex is down)."""
        self.failures = max(self.failures, self.threshold)
        self.state = BreakerState.OPEN
        self.opened_at = self.opened_at or now
        self.probes = 0
        self._schedule_probe(now, rng)

    def probe_due(self, now: float) -> bool:
        """Due at the scheduled time, or at once when that time is further off than any schedule can put it: the
        wall clock went back (NTP, a manual change), and waiting for it would keep the breaker open for hours."""
        if self.state != BreakerState.OPEN:
            return False
        return self.next_probe_at is None or now >= self.next_probe_at or self.next_probe_at - now > self.probe_cap

    def record_probe(self, answered: bool, now: float, rng: random.Random | None = None) -> None:
        if answered:
            self.state = BreakerState.HALF_OPEN  # let the next job through; its outcome closes or re-opens the breaker
        else:
            self.probes += 1
            self._schedule_probe(now, rng)

    def _schedule_probe(self, now: float, rng: random.Random | None) -> None:
        schedule = Backoff(self.probe_base, self.probe_cap, jitter=0.5)  # base and cap are stored with the state
        self.next_probe_at = now + schedule.delay(self.probes + 1, rng)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str | None) -> CircuitBreaker:
        if not text:
            return cls()
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError):
            return cls()
