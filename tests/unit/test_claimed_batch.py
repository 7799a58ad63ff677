"""Jobs claimed ahead of the pool are never lost: whatever stops a batch midway, each one is handed out or back."""

import pytest

from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.storage.store import DiskFullError, NewJob, Store
from plexsync_gui.core.sync.push import PushTask
from plexsync_gui.core.sync.resolve import ClaimedBatch


class NoResolver:
    def resolve(self, tasks):
        return tasks

    def forget_index(self):
        pass


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "plexsync.db")
    store.enqueue([NewJob(str(i), f"T{i}", f"/p/{i}.mp4", "{}", f"h{i}") for i in range(5)], now=1.0)
    yield store
    store.close()


def task_for(job):
    return PushTask(job, None, job.path, None, Config())


def test_a_failure_while_preparing_leaves_every_unstarted_job_to_put_back(store):
    def prepare(job):
        if job.scene_id == "2":
            raise DiskFullError("the disk is full")
        return task_for(job)

    batch = ClaimedBatch(NoResolver)
    with pytest.raises(DiskFullError):
        batch.next_task(store, 2.0, 5, lambda: False, prepare, lambda outcome: None)
    assert sorted(job.scene_id for job in batch.take_unstarted()) == ["0", "1", "2", "3", "4"]


def test_tasks_are_handed_out_in_claim_order_and_the_rest_given_back(store):
    batch = ClaimedBatch(NoResolver)
    first = batch.next_task(store, 2.0, 5, lambda: False, task_for, lambda outcome: None)
    second = batch.next_task(store, 2.0, 5, lambda: False, task_for, lambda outcome: None)
    assert (first.job.scene_id, second.job.scene_id) == ("0", "1")
    assert [job.scene_id for job in batch.take_unstarted()] == ["2", "3", "4"]
    assert batch.take_unstarted() == []
