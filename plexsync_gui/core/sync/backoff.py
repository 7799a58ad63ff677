"""The one exponential backoff: job retries, the breaker's probes, Stash polls and the wait for Stash all use it.

A schedule is base * 2^(attempt-1), capped, and a random draw below that ceiling. Randomness spreads a burst of
failures (every job after a suspend, every process after a server restart) over the window instead of bringing them
back all at once. `jitter` is the share of the ceiling that is random: 1.0 is full jitter (0..ceiling, job retries),
0.5 keeps at least half the ceiling (probes and Stash waits, where a near-zero wait would only hammer a server known
to be down).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    base: float
    cap: float
    jitter: float = 1.0  # share of the ceiling that is random: 1.0 draws from 0..ceiling, 0.5 from ceiling/2..ceiling

    def ceiling(self, attempt: int) -> float:
        """The longest wait before try number `attempt + 1` (`attempt` is 1 after the first failure)."""
        return min(self.cap, self.base * 2.0 ** max(attempt - 1, 0))

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """A random wait within the window of `attempt`."""
        ceiling = self.ceiling(attempt)
        return (rng or random).uniform(ceiling * (1.0 - self.jitter), ceiling)
