"""Things disappearing under a queued job: the scene deleted in Stash, the matched Plex item deleted (a stale
ratingKey). Neither may leave a job stuck in the queue or waiting forever."""

from __future__ import annotations

import pytest

from plexsync_gui.core.stash.poller import RECONCILE_EVERY
from plexsync_gui.core.sync.engine import JobOutcome, SyncEngine
from plexsync_gui.core.sync.runner import Runner
from tests.servers import FakeClock

pytestmark = pytest.mark.reliability


def process_once(engine: SyncEngine) -> list[JobOutcome]:
    """The outcomes of the jobs due now (a failed job is rescheduled, so it is not due again in the same round)."""
    outcomes: list[JobOutcome] = []
    outcomes += engine.process_due().outcomes
    return outcomes


@pytest.fixture
def clocked(session):
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = session.poller.clock = clock
    return clock


def test_a_scene_deleted_in_stash_while_queued_still_syncs_its_last_values(session, library, stash, plex):
    scene_id, rating_key = library.add(title="Deleted later")
    session.queuer.sync_scenes([scene_id])
    stash.delete_scene(scene_id)
    assert session.engine.process_due().synced == 1  # its last known values; the poster download answers 404
    assert plex.item_state(rating_key)["title"] == "Deleted later"
    assert session.store.list_jobs() == []


def test_a_scene_deleted_in_stash_and_gone_from_plex_leaves_no_job_behind(session, library, stash, plex, clocked):
    runner = Runner(session.engine, session.poller, 30.0, clock=clocked)
    keep, _ = library.add(title="Kept")
    gone, gone_key = library.add(title="Gone")
    clocked.advance(runner.step(lambda: False).wait)
    stash.advance(5)
    stash.update_scene(gone, title="Edited then deleted")
    session.poller.poll()
    stash.delete_scene(gone)
    plex.delete_item(gone_key)  # the file was removed, Plex dropped the item
    [outcome] = process_once(session.engine)
    assert outcome.outcome == "retry" and outcome.error_type == "PlexNotFound"
    clocked.advance(RECONCILE_EVERY)  # the hourly full listing notices the deletion
    clocked.advance(runner.step(lambda: False).wait)
    assert session.store.list_jobs() == [] and session.store.list_dead_letters() == []
    assert session.store.sync_state(gone) is None and session.store.sync_state(keep) is not None


def test_a_plex_item_deleted_after_matching_is_looked_up_again(session, library, plex, stash, movies, clocked):
    scene_id, old_key = library.add(title="First", name="moved.mp4")
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    assert session.store.sync_state(scene_id).rating_key == old_key
    plex.delete_item(old_key)  # a rescan removed the item; its ratingKey is stale
    stash.advance(5)
    stash.update_scene(scene_id, title="Second")
    session.queuer.sync_scenes([scene_id])
    [outcome] = process_once(session.engine)
    assert (outcome.outcome, outcome.error_type) == ("retry", "PlexNotFound")  # not stuck in progress, no crash
    assert session.store.sync_state(scene_id).rating_key is None  # the stale key was forgotten
    new_key = plex.add_item(movies, "/media/movies/moved.mp4")  # the next scan finds the file again
    clocked.advance(600)
    assert session.engine.process_due().synced == 1
    assert plex.item_state(new_key)["title"] == "Second"
    assert session.store.sync_state(scene_id).rating_key == new_key
    assert session.store.list_jobs() == []
