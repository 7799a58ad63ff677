"""A small bounded pool of worker threads, each task holding one "lane" (its own network clients) while it runs.

Why lanes rather than thread-local clients: a lane outlives the pool (the engine keeps its clients, so a new batch
does not reconnect), exactly one task uses a lane at a time, and the lowest free lane is taken first, so a trickle
of jobs keeps reusing one warm connection. The pool knows nothing about jobs or the database: the caller submits
tasks and gets each finished one back in its own thread, in submission order among those finished together.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar

LaneT = TypeVar("LaneT")
TaskT = TypeVar("TaskT")
ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class Done(Generic[TaskT, ResultT]):
    task: TaskT
    future: Future[ResultT]

    def result(self) -> ResultT:
        """The work's return value; re-raises what the work raised."""
        return self.future.result()


class LanePool(Generic[LaneT, TaskT, ResultT]):
    def __init__(self, lanes: Sequence[LaneT], work: Callable[[LaneT, TaskT], ResultT],
                 name: str = "plexsync-worker") -> None:
        if not lanes:
            raise ValueError("a pool needs at least one lane")
        self._lanes = list(lanes)
        self._work = work
        self._free = list(range(len(self._lanes)))  # a heap: the lowest free lane first
        self._running: dict[Future[ResultT], tuple[int, TaskT]] = {}
        self._executor = ThreadPoolExecutor(max_workers=len(self._lanes), thread_name_prefix=name)

    @property
    def busy(self) -> int:
        """Tasks submitted and not yet handed back."""
        return len(self._running)

    def has_room(self, limit: int) -> bool:
        """Whether one more task may start, with at most `limit` running (never more than the lanes)."""
        return self.busy < min(limit, len(self._lanes))

    def submit(self, task: TaskT) -> None:
        if not self._free:
            raise RuntimeError("every lane is busy")
        lane = heapq.heappop(self._free)
        future = self._executor.submit(self._work, self._lanes[lane], task)
        self._running[future] = (lane, task)

    def wait(self) -> list[Done[TaskT, ResultT]]:
        """Block until at least one running task finishes; hand back every finished one (none when idle)."""
        if not self._running:
            return []
        finished, _ = wait(self._running, return_when=FIRST_COMPLETED)
        return [self._hand_back(future) for future in list(self._running) if future in finished]

    def drain(self) -> list[Done[TaskT, ResultT]]:
        """Wait for every running task and hand them all back."""
        handed: list[Done[TaskT, ResultT]] = []
        while self._running:
            handed.extend(self.wait())
        return handed

    def _hand_back(self, future: Future[ResultT]) -> Done[TaskT, ResultT]:
        lane, task = self._running.pop(future)
        heapq.heappush(self._free, lane)
        return Done(task, future)

    def close(self) -> None:
        self._executor.shutdown(wait=True)

    def __enter__(self) -> LanePool[LaneT, TaskT, ResultT]:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
