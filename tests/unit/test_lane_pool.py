"""LanePool's bookkeeping with plain work functions: tasks finish when the test says so (events), never by timing."""

from __future__ import annotations

import threading

import pytest

from plexsync_gui.core.sync.pool import LanePool


class Gate:
    """Work that blocks until the test opens the task's gate, then returns (lane, task)."""

    def __init__(self) -> None:
        self.gates: dict[str, threading.Event] = {}
        self.lanes_used: dict[str, str] = {}

    def open(self, task: str) -> None:
        self.gates.setdefault(task, threading.Event()).set()

    def __call__(self, lane: str, task: str) -> tuple[str, str]:
        self.lanes_used[task] = lane
        if not self.gates.setdefault(task, threading.Event()).wait(30):
            raise AssertionError(f"gate {task} never opened")
        return lane, task


def test_a_finished_task_frees_its_lane_and_the_lowest_free_lane_is_taken_first():
    work = Gate()
    with LanePool(["a", "b", "c"], work) as pool:
        pool.submit("t1")
        pool.submit("t2")
        work.open("t1")
        [done] = pool.wait()
        assert done.task == "t1" and done.result() == ("a", "t1")
        pool.submit("t3")  # lane a is free again and comes before c
        work.open("t2")
        work.open("t3")
        results = sorted(d.result() for d in pool.drain())
    assert results == [("a", "t3"), ("b", "t2")]
    assert pool.busy == 0


def test_room_is_bounded_by_the_limit_and_by_the_lanes():
    work = Gate()
    with LanePool(["a", "b"], work) as pool:
        assert pool.has_room(1) and pool.has_room(8)
        pool.submit("t1")
        assert not pool.has_room(1)  # a half-open breaker allows one job in flight
        assert pool.has_room(8)
        pool.submit("t2")
        assert not pool.has_room(8)  # never more than the lanes
        with pytest.raises(RuntimeError, match="busy"):
            pool.submit("t3")
        work.open("t1")
        work.open("t2")
        assert len(pool.drain()) == 2


def test_an_idle_pool_hands_back_nothing():
    with LanePool(["a"], Gate()) as pool:
        assert pool.wait() == [] and pool.drain() == []


def test_what_the_work_raises_comes_back_through_result():
    def broken(lane: str, task: str) -> str:
        raise KeyError(task)

    with LanePool(["a"], broken) as pool:
        pool.submit("t1")
        [done] = pool.wait()
        with pytest.raises(KeyError):
            done.result()
        assert pool.has_room(1)  # the lane is free again


def test_a_pool_needs_a_lane():
    with pytest.raises(ValueError):
        LanePool([], Gate())
