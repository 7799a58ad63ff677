"""Jobs read ahead of the pool are never lost nor shown as running: only a job a worker takes is claimed."""

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


def take(batch, store, prepare=task_for):
    return batch.next_task(store, 2.0, 5, lambda: False, prepare, lambda outcome: None)


def test_only_the_jobs_handed_out_are_in_progress(store):
    batch = ClaimedBatch(NoResolver)
    first, second = take(batch, store), take(batch, store)
    assert (first.job.scene_id, second.job.scene_id) == ("0", "1")
    assert first.job.status == "in_progress"
    assert store.counts()["in_progress"] == 2 and store.counts()["pending"] == 3
    batch.drop_unstarted()
    assert take(batch, store).job.scene_id == "2"  # dropped ones were never taken from the queue


def test_a_failure_while_preparing_leaves_every_job_queued(store):
    def prepare(job):
        if job.scene_id == "2":
            raise DiskFullError("the disk is full")
        return task_for(job)

    with pytest.raises(DiskFullError):
        take(ClaimedBatch(NoResolver), store, prepare)
    assert store.counts()["in_progress"] == 0 and store.counts()["pending"] == 5


def test_a_job_that_changed_after_it_was_read_is_skipped_and_comes_again(store):
    batch = ClaimedBatch(NoResolver)
    assert take(batch, store).job.scene_id == "0"
    store.enqueue([NewJob("1", "T1", "/p/1.mp4", "{}", "newer")], now=3.0)
    assert take(batch, store).job.scene_id == "2"
    assert [take(batch, store).job.scene_id for _ in range(2)] == ["3", "4"]
    assert take(batch, store).job.payload_hash == "newer"
