"""What PlexSync wrote to a Plex item follows the item (its ratingKey), not the Stash scene id: a scene deleted and
re-added in Stash (new id, same file) must not leave the old studio collection or look like a Plex-side edit."""

from __future__ import annotations

import pytest

from plexsync_gui.core.stash.poller import RECONCILE_EVERY
from tests.servers import FakeClock

pytestmark = pytest.mark.reliability


@pytest.fixture
def clock(session) -> FakeClock:
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = session.poller.clock = clock
    return clock


def readd(session, stash, clock, scene_id: str, **fields) -> str:
    """Delete the scene in Stash, let the hourly full listing notice, then add it again under a new id."""
    stash.delete_scene(scene_id)
    clock.advance(RECONCILE_EVERY)
    assert session.poller.poll().enqueued.deleted == 1
    stash.advance(5)
    return stash.add_scene(scene_id=str(int(scene_id) + 100), **fields)


def test_a_readded_scene_swaps_the_studio_collection_plexsync_added(session, library, stash, plex, clock):
    scene_id, rating_key = library.add(title="Harbour", studio="Old Studio", name="harbour.mp4")
    session.poller.poll()
    session.engine.process_due()
    assert plex.item_state(rating_key)["tags"]["collection"] == ["Old Studio"]
    plex.edit_item(rating_key, collections=["Old Studio", "Favourites"])  # the user's own collection
    new_id = readd(session, stash, clock, scene_id, title="Harbour", studio="New Studio",
                   files=["/data/movies/harbour.mp4"])
    session.poller.poll()
    assert session.engine.process_due().synced == 1
    state = plex.item_state(rating_key)
    assert sorted(state["tags"]["collection"]) == ["Favourites", "New Studio"]
    assert session.store.sync_state(new_id).rating_key == rating_key


def test_a_readded_scene_overwrites_what_plexsync_wrote_when_plex_edits_are_preserved(
        config, make_session, library, stash, plex):
    config.sync.preserve_plex_edits = True
    session = make_session()
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = session.poller.clock = clock
    scene_id, rating_key = library.add(title="Before", plex_title="Before", name="kept.mp4")
    session.poller.poll()
    session.engine.process_due()
    new_id = readd(session, stash, clock, scene_id, title="After", files=["/data/movies/kept.mp4"])
    session.poller.poll()
    session.engine.process_due()
    assert plex.item_state(rating_key)["title"] == "After"  # "Before" is PlexSync's own value, not a Plex edit
    assert session.store.sync_state(new_id).rating_key == rating_key
