"""Stash edits that must reach Plex, end to end through both emulators: a revert while the edit waits, two edits in
one Stash second, a name in two Unicode forms (issue 10). Renames of related entities and re-added scenes have
their own files."""

from __future__ import annotations

import unicodedata

import pytest

from plexsync_gui.core.stash.poller import RECONCILE_EVERY
from tests.servers import FakeClock

pytestmark = pytest.mark.reliability


def synced(session, library, **fields) -> tuple[str, str]:
    """A scene polled and pushed once; the Stash clock then moves on, so the next edit gets a new stamp."""
    scene_id, rating_key = library.add(**fields)
    session.poller.poll()
    assert session.engine.process_due().synced >= 1
    library.stash.advance(5)
    return scene_id, rating_key


@pytest.fixture
def without_posters(config, make_session):
    """A session that does not sync posters: the screenshot URL carries the scene's `updated_at`, so with posters
    on every edit is a new payload and a revert never repeats one."""
    config.fields.poster = False
    return make_session()


def test_an_edit_reverted_while_queued_leaves_plex_at_the_reverted_value(without_posters, library, stash, plex):
    session = without_posters
    scene_id, rating_key = synced(session, library, title="A")
    stash.update_scene(scene_id, title="B")
    assert session.poller.poll().enqueued.queued == 1
    stash.advance(5)
    stash.update_scene(scene_id, title="A")  # back to what Plex already has, before the job ran
    session.poller.poll()
    session.engine.process_due()
    assert plex.item_state(rating_key)["title"] == "A"
    assert session.store.list_jobs() == []


def test_a_revert_while_the_edit_is_being_pushed_is_pushed_after_it(without_posters, library, stash, plex):
    session = without_posters
    scene_id, rating_key = synced(session, library, title="A")
    stash.update_scene(scene_id, title="B")
    session.poller.poll()
    job = session.store.claim_next()  # the job for B is in flight when the revert is polled
    stash.advance(5)
    stash.update_scene(scene_id, title="A")
    assert session.poller.poll().enqueued.queued == 1
    session.store.release(job)
    session.engine.process_due()
    assert plex.item_state(rating_key)["title"] == "A"
    assert session.store.list_jobs() == []


def test_a_dead_letter_stays_one_when_stash_sends_the_same_payload(session, stash):
    scene_id = stash.add_scene(title="No file")
    session.poller.poll()
    session.engine.process_due()
    assert [d.scene_id for d in session.store.list_dead_letters()] == [scene_id]
    assert session.queuer.sync_all().queued == 0
    assert len(session.store.list_dead_letters()) == 1 and session.store.list_jobs() == []


def test_a_dead_letter_stash_has_moved_past_is_dropped(without_posters, library, stash, plex):
    """Plex holds A, B failed for good, Stash goes back to A: retrying B would write a stale value over A."""
    session = without_posters
    scene_id, rating_key = synced(session, library, title="A")
    stash.update_scene(scene_id, title="B")
    session.poller.poll()
    plex.fail_next(400, route="/library/sections")  # Plex refuses the edit: B lands in the dead letters
    session.engine.process_due()
    assert [d.scene_id for d in session.store.list_dead_letters()] == [scene_id]
    stash.advance(5)
    stash.update_scene(scene_id, title="A")
    assert session.poller.poll().enqueued.queued == 0
    assert session.store.list_dead_letters() == [] and session.store.list_jobs() == []
    assert plex.item_state(rating_key)["title"] == "A"


def test_a_second_edit_in_the_same_stash_second_is_synced(session, library, stash, plex):
    scene_id, rating_key = synced(session, library, title="Original")
    first = stash.update_scene(scene_id, title="First edit")
    session.poller.poll()  # sees "First edit" and moves the cursor to its second
    second = stash.update_scene(scene_id, title="Second edit")
    assert second == first  # Stash stamps whole seconds: the row looks unchanged
    session.poller.poll()
    session.engine.process_due()
    assert plex.item_state(rating_key)["title"] == "Second edit"


def test_the_full_listing_also_rechecks_the_cursors_second(session, library, stash, plex):
    clock = FakeClock()
    session.poller.clock = clock
    scene_id, rating_key = synced(session, library, title="Original")
    stash.update_scene(scene_id, title="First edit")
    session.poller.poll()
    stash.update_scene(scene_id, title="Second edit")  # same second
    clock.advance(RECONCILE_EVERY)
    assert session.poller.poll().full
    session.engine.process_due()
    assert plex.item_state(rating_key)["title"] == "Second edit"


def test_the_cursors_second_is_fetched_again_once_after_it_is_over_then_idle_polls_fetch_nothing(
        session, library, stash):
    clock = FakeClock()
    session.poller.clock = clock
    _older, _ = library.add(title="Older")
    stash.advance(5)
    newest, _ = library.add(title="Newest")
    session.poller.poll()
    session.engine.process_due()
    stash.clear_log()
    clock.advance(30)  # the next poll begins after Stash has left the newest second
    assert session.poller.poll().enqueued.queued == 0
    assert [r.variables["ids"] for r in stash.requests if r.operation == "FindScenesByIds"] == [[newest]]
    stash.clear_log()
    clock.advance(30)
    assert session.poller.poll().enqueued.queued == 0
    assert stash.count("FindScenesByIds") == 0 and stash.count("ChangedSceneIds") == 1


def test_a_path_in_nfc_finds_the_plex_item_stored_in_nfd(session, stash, plex, movies):
    name = "Café Noël.mp4"  # NFC, as Stash on Linux stores it
    scene_id = stash.add_scene(title="Accented", files=[f"/data/movies/{name}"])
    rating_key = plex.add_item(movies, unicodedata.normalize("NFD", f"/media/movies/{name}"))  # macOS / SMB Plex
    session.queuer.sync_scenes([scene_id])
    assert session.engine.process_due().synced == 1
    assert plex.item_state(rating_key)["title"] == "Accented"
    assert session.store.sync_state(scene_id).rating_key == rating_key
    stash.advance(5)
    stash.update_scene(scene_id, title="Accented again")  # the remembered item is recognised as the same file
    session.queuer.sync_scenes([scene_id])
    plex.clear_log()
    assert session.engine.process_due().synced == 1
    assert plex.item_state(rating_key)["title"] == "Accented again"
    assert plex.count("GET", "/library/sections/") == 0  # no new lookup was needed
