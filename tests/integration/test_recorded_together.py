"""Issue 13: the jobs a pool hands back together are recorded in one transaction (one commit, not one per job), in
order; a failed job is recorded on its own, and nothing recorded is lost when the batch's write fails."""

from __future__ import annotations

from concurrent.futures import Future

import pytest

from plexsync_gui.core.storage.store import DiskFullError
from plexsync_gui.core.sync.engine import Outcome
from plexsync_gui.core.sync.pool import Done
from plexsync_gui.core.sync.push import PushResult, PushTask, push

pytestmark = pytest.mark.integration


def pushed(session, scene_ids: list[str]) -> list[Done[PushTask, PushResult]]:
    """The scenes' jobs claimed, prepared and pushed for real (over HTTP, one by one), as a pool hands them back."""
    engine, store = session.engine, session.store
    finished = []
    for _ in scene_ids:
        task = engine._prepare(store.claim_next())
        assert isinstance(task, PushTask)
        future: Future[PushResult] = Future()
        future.set_result(push(engine._lanes[0], task))
        finished.append(Done(task, future))
    return finished


def transactions(store) -> list[str]:
    """Every transaction the store's connection opens from now on."""
    opened: list[str] = []
    store._db.set_trace_callback(lambda sql: opened.append(sql) if sql == "BEGIN IMMEDIATE" else None)
    return opened


def test_jobs_finished_together_are_recorded_in_one_transaction(session, library):
    ids = [library.add(title=f"Together {i}")[0] for i in range(3)]
    session.queuer.sync_scenes(ids)
    finished = pushed(session, ids)
    opened = transactions(session.store)
    outcomes = session.engine._record(finished)
    assert [o.outcome for o in outcomes] == [Outcome.SYNCED] * 3
    assert [o.scene_id for o in outcomes] == ids and finished == []
    assert len(opened) == 1
    assert session.store.counts()["synced"] == 3 and session.store.counts()["in_progress"] == 0


def test_a_failed_job_is_recorded_on_its_own_and_the_order_is_kept(session, library):
    first = library.add(title="Synced first")[0]
    missing = library.add(in_plex=False, title="Not in Plex")[0]
    last = library.add(title="Synced last")[0]
    session.queuer.sync_scenes([first, missing, last])
    finished = pushed(session, [first, missing, last])
    opened = transactions(session.store)
    outcomes = []
    while finished:
        outcomes += session.engine._record(finished)
    assert [(o.scene_id, o.outcome) for o in outcomes] == [
        (first, Outcome.SYNCED), (missing, Outcome.RETRY), (last, Outcome.SYNCED)]
    assert len(opened) == 3  # nothing to share a transaction with
    assert session.store.counts()["retry_wait"] == 1


def test_a_batch_whose_write_fails_records_none_of_its_jobs(session, library, monkeypatch):
    ids = [library.add(title=f"Lost write {i}")[0] for i in range(3)]
    session.queuer.sync_scenes(ids)
    finished = pushed(session, ids)
    finish = session.store.finish
    calls = []

    def full_on_the_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise DiskFullError("disk full")
        finish(*args, **kwargs)

    monkeypatch.setattr(session.store, "finish", full_on_the_third)
    with pytest.raises(DiskFullError):
        session.engine._record(finished)
    assert len(finished) == 3  # still the caller's to put back (the engine's stranded jobs)
    assert session.store.counts()["in_progress"] == 3 and session.store.counts()["synced"] == 0
