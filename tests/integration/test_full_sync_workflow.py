"""The sync path end to end: Stash emulator -> engine -> unmodified plexapi -> Plex emulator, over HTTP."""

from __future__ import annotations

import pytest

from tests.servers import sha1

pytestmark = pytest.mark.integration

SETUP_PATHS = ("/identity",)


def plex_requests(plex, exclude_posters: bool = True) -> list:
    """Requests that cost per scene: not the one-off connect and section listing, not poster uploads."""
    one_off = {"/", "/library", "/library/sections", "/library/sections/"}
    return [r for r in plex.requests
            if r.path not in one_off and not (exclude_posters and r.path.endswith("/posters"))]


def full_scene(library, **overrides):
    fields = dict(title="Sunset Walk", details="First line.\nSecond line.", date="2024-03-05",
                  studio="Harbour Studio", performers=["Ada Lane", "Ben Ortiz"], tags=["Outdoor", "Travel"],
                  rating100=80)
    fields.update(overrides)
    return library.add(**fields)


def test_every_field_syncs_and_is_locked(session, library, plex, stash):
    scene_id, rating_key = full_scene(library)
    assert session.queuer.sync_scenes([scene_id]).queued == 1
    summary = session.engine.process_due()
    assert summary.synced == 1
    state = plex.item_state(rating_key)
    assert state["title"] == "Sunset Walk"
    assert state["summary"] == "First line.\nSecond line."
    assert state["studio"] == "Harbour Studio"
    assert state["originallyAvailableAt"] == "2024-03-05"
    assert sorted(state["tags"]["actor"]) == ["Ada Lane", "Ben Ortiz"]
    assert sorted(state["tags"]["genre"]) == ["Outdoor", "Travel"]
    assert state["tags"]["collection"] == ["Harbour Studio"]
    assert {"title", "summary", "studio", "originallyAvailableAt", "genre", "actor", "collection"} <= state["locks"]
    assert [p["sha1"] for p in state["posters"] if p["selected"]] == [sha1(stash.cover_bytes(scene_id))]
    # the job left the queue and the state remembers the match
    assert session.store.list_jobs() == []
    sync_state = session.store.sync_state(scene_id)
    assert sync_state.rating_key == rating_key and sync_state.pushed_hash
    assert session.store.recent_activity(1)[0].outcome == "synced"


def test_first_sync_costs_three_plex_requests_per_scene(session, library, plex):
    ids = [full_scene(library, title=f"Scene {i}")[0] for i in range(10)]
    session.queuer.sync_scenes(ids)
    plex.clear_log()
    assert session.engine.process_due().synced == 10
    assert len(plex_requests(plex)) == 3 * 10  # a lookup, a read of the full item, one PUT
    assert plex.count("GET", "/library/sections/1/all") == plex.count("GET", "/library/metadata/") == 10
    assert plex.count("PUT") == 10


def test_connection_setup_is_paid_once_per_worker_not_per_scene(config, make_session, library, plex):
    """Each worker's connection lists the server and its sections once; later batches pay only per scene."""
    config.fields.poster = False
    session = make_session()
    first = [full_scene(library, title=f"First {i}")[0] for i in range(8)]
    session.queuer.sync_scenes(first)
    plex.clear_log()
    assert session.engine.process_due().synced == 8
    setup = len(plex.requests) - len(plex_requests(plex))
    assert 0 < setup <= 3 * session.config.sync.workers  # GET /, /library, /library/sections per connection
    later = [full_scene(library, title=f"Later {i}")[0] for i in range(8)]
    session.queuer.sync_scenes(later)
    plex.clear_log()
    assert session.engine.process_due().synced == 8
    assert len(plex.requests) == 3 * 8


def test_unchanged_resync_sends_nothing_to_plex(session, library, plex):
    ids = [full_scene(library, title=f"Scene {i}")[0] for i in range(5)]
    session.queuer.sync_scenes(ids)
    session.engine.process_due()
    plex.clear_log()
    result = session.queuer.sync_all()
    assert (result.queued, result.unchanged) == (0, 5)
    session.engine.process_due()
    assert plex.requests == []


def test_forced_resync_of_unchanged_scenes_sends_no_put_and_no_upload(session, library, plex):
    ids = [full_scene(library, title=f"Scene {i}")[0] for i in range(3)]
    session.queuer.sync_scenes(ids)
    session.engine.process_due()
    plex.clear_log()
    assert session.queuer.sync_all(force=True).queued == 3
    assert session.engine.process_due().synced == 3
    assert plex.count("PUT") == 0
    assert plex.count("POST") == 0


def test_known_item_costs_no_lookup(session, library, plex, stash):
    scene_id, rating_key = full_scene(library)
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    stash.update_scene(scene_id, title="Renamed in Stash")
    plex.clear_log()
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    assert plex.count("GET", "/library/sections/") == 0
    assert len(plex_requests(plex)) == 2  # read the full item, one PUT
    assert plex.item_state(rating_key)["title"] == "Renamed in Stash"


def test_poster_uploaded_only_when_its_bytes_change(session, library, plex, stash):
    scene_id, rating_key = full_scene(library)
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    stash.update_scene(scene_id, title="New title, same cover")
    session.queuer.sync_scenes([scene_id])
    plex.clear_log()
    session.engine.process_due()
    assert plex.count("POST") == 0
    stash.advance(1)  # Stash stamps with second precision; a new cover gets a new screenshot URL
    stash.set_cover(scene_id, b"\xff\xd8\xff\xe0 a different cover")
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    assert plex.count("POST") == 1
    selected = [p["sha1"] for p in plex.item_state(rating_key)["posters"] if p["selected"]]
    assert selected == [sha1(stash.cover_bytes(scene_id))]


def test_scene_without_cover_uploads_no_placeholder(session, library, plex):
    scene_id, rating_key = full_scene(library, has_cover=False)
    session.queuer.sync_scenes([scene_id])
    assert session.engine.process_due().synced == 1
    assert plex.count("POST") == 0
    assert plex.item_state(rating_key)["posters"] == []


def test_tag_lists_are_replaced_exactly_despite_truncated_listings(session, library, plex):
    scene_id, rating_key = full_scene(library, performers=["Ada Lane", "New Person"])
    plex.edit_item(rating_key, actors=["Ada Lane", "Old One", "Old Two", "Old Three", "Old Four"])
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    assert sorted(plex.item_state(rating_key)["tags"]["actor"]) == ["Ada Lane", "New Person"]


def test_exact_lists_also_when_plex_merges_tag_edits(session, library, plex):
    plex.tag_edit_mode = "merge"
    scene_id, rating_key = full_scene(library, tags=["Kept", "Added"])
    plex.edit_item(rating_key, genres=["Kept", "Stale"])
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    assert sorted(plex.item_state(rating_key)["tags"]["genre"]) == ["Added", "Kept"]


def test_studio_collection_follows_the_studio_and_user_collections_stay(session, library, plex, stash):
    scene_id, rating_key = full_scene(library, studio="Old Studio")
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    plex.edit_item(rating_key, collections=["Old Studio", "My Favourites"])
    stash.update_scene(scene_id, studio="New Studio")
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    state = plex.item_state(rating_key)
    assert state["studio"] == "New Studio"
    assert sorted(state["tags"]["collection"]) == ["My Favourites", "New Studio"]


def test_preserve_plex_edits_keeps_a_hand_edited_title(make_session, config, library, plex, stash):
    config.sync.preserve_plex_edits = True
    session = make_session()
    scene_id, rating_key = full_scene(library)
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    plex.edit_item(rating_key, title="Edited by hand in Plex")
    stash.update_scene(scene_id, title="Changed in Stash", details="New details")
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    state = plex.item_state(rating_key)
    assert state["title"] == "Edited by hand in Plex"
    assert state["summary"] == "New details"
    assert "kept Plex edits to title" in session.store.recent_activity(1)[0].detail


def test_without_preserve_plex_edits_stash_wins(session, library, plex, stash):
    scene_id, rating_key = full_scene(library)
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    plex.edit_item(rating_key, title="Edited by hand in Plex")
    stash.update_scene(scene_id, title="Changed in Stash")
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    assert plex.item_state(rating_key)["title"] == "Changed in Stash"


def test_preserve_treats_existing_plex_values_as_edits_on_first_sync(make_session, config, library, plex):
    config.sync.preserve_plex_edits = True
    session = make_session()
    scene_id, rating_key = full_scene(library, plex_title="Agent Title")
    plex.edit_item(rating_key, summary="Agent summary")
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    state = plex.item_state(rating_key)
    assert (state["title"], state["summary"]) == ("Agent Title", "Agent summary")
    assert state["studio"] == "Harbour Studio"  # empty in Plex, so filled


def test_scene_with_only_a_path_syncs_and_keeps_the_plex_title(session, library, plex):
    scene_id, rating_key = library.add(plex_title="Plex Own Title")
    session.queuer.sync_scenes([scene_id])
    assert session.engine.process_due().synced == 1
    state = plex.item_state(rating_key)
    assert state["title"] == "Plex Own Title"
    assert state["tags"].get("genre", []) == [] and state["studio"] is None


def test_partial_stash_dates_are_padded(session, library, plex):
    scene_id, rating_key = full_scene(library, date="2021-07")
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    assert plex.item_state(rating_key)["originallyAvailableAt"] == "2021-07-01"


def test_rating_is_written_when_enabled(make_session, config, library, plex):
    config.fields.rating = True
    session = make_session()
    scene_id, rating_key = full_scene(library, rating100=85)
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    assert float(plex.item_state(rating_key)["userRating"]) == 8.5


def test_basename_fallback_when_directories_differ(make_session, config, library, plex):
    config.path_map = []  # Stash's /data/... is not Plex's /media/...
    session = make_session()
    scene_id, rating_key = full_scene(library)
    session.queuer.sync_scenes([scene_id])
    assert session.engine.process_due().synced == 1
    assert plex.item_state(rating_key)["title"] == "Sunset Walk"


def test_loose_file_filter_results_are_rechecked(session, library, plex):
    plex.file_match = "loose"
    ids = [full_scene(library, title=f"Scene {i}") for i in range(3)]
    session.queuer.sync_scenes([i for i, _ in ids])
    assert session.engine.process_due().synced == 3
    for i, (_, rating_key) in enumerate(ids):
        assert plex.item_state(rating_key)["title"] == f"Scene {i}"


def test_stale_rating_key_is_replaced_by_a_new_lookup(session, library, plex, stash, movies):
    scene_id, rating_key = full_scene(library)
    session.queuer.sync_scenes([scene_id])
    session.engine.process_due()
    file = plex.item_state(rating_key)["file"]
    plex.delete_item(rating_key)
    new_key = plex.add_item(movies, file)
    stash.update_scene(scene_id, title="After re-add")
    session.queuer.sync_scenes([scene_id])
    assert session.engine.process_due().synced == 1
    assert plex.item_state(new_key)["title"] == "After re-add"
    assert session.store.sync_state(scene_id).rating_key == new_key


def test_poll_queues_an_edit_and_skips_what_it_has_seen(session, library, stash):
    scene_id, _ = full_scene(library)
    first = session.poller.poll()
    assert first.full and first.enqueued.queued == 1
    session.engine.process_due()
    stash.clear_log()
    again = session.poller.poll()
    assert (again.full, again.changed, again.enqueued.queued) == (False, 0, 0)
    # Only the scene stamped in the cursor's own second is fetched again (a same-second edit keeps its stamp).
    assert stash.count("ChangedSceneIds") == 1 and stash.count("FindScenesByIds") == 1
    stash.advance(5)
    stash.update_scene(scene_id, title="Edited")
    third = session.poller.poll()
    assert third.changed == 1 and third.enqueued.queued == 1


def test_cursor_is_server_text_with_overlap(session, library, stash):
    stash_plus_two = stash  # the emulator stamps in its configured offset; the cursor must keep that text
    full_scene(library)
    session.poller.poll()
    session.poller.poll()
    request = [r for r in stash_plus_two.requests if r.operation == "ChangedSceneIds"][-1]
    cursor = request.variables["scene_filter"]["updated_at"]["value"]
    watermark = session.store.get("stash_watermark")
    assert cursor[-1] == watermark[-1] == "Z"
    assert cursor < watermark  # two hours earlier, as text


def test_deleted_scene_leaves_queue_and_state(session, library, stash):
    scene_id, _ = full_scene(library)
    session.poller.poll()
    assert len(session.store.list_jobs()) == 1
    stash.delete_scene(scene_id)
    session.store.set("stash_reconciled_at", "0")  # make the hourly full listing due
    result = session.poller.poll()
    assert result.enqueued.deleted == 1
    assert session.store.list_jobs() == []
    assert session.store.sync_state(scene_id) is None


def test_unknown_scene_ids_are_reported(session, library):
    scene_id, _ = full_scene(library)
    result = session.queuer.sync_scenes([scene_id, "99999"])
    assert result.queued == 1 and result.unknown == ["99999"]


@pytest.mark.parametrize("profile", ["v0.24", "v0.26", "v0.30"])
def test_older_stash_versions_and_a_non_utc_server(make_session, config, plex, movies, profile):
    from plexsync_gui.emulators.stash import StashEmulator
    from tests.servers import STASH_KEY

    with StashEmulator(api_key=STASH_KEY, profile=profile, utc_offset="+02:00") as old_stash:
        config.stash.url = old_stash.url
        session = make_session()
        old_stash.add_scene(title="From an older Stash", files=["/data/movies/old.mp4"],
                                       performers=["Ada Lane"])
        rating_key = plex.add_item(movies, "/media/movies/old.mp4")
        assert session.poller.poll().enqueued.queued == 1
        assert session.engine.process_due().synced == 1
        assert plex.item_state(rating_key)["title"] == "From an older Stash"
        assert session.store.get("stash_watermark").endswith("+02:00")
        session.poller.poll()
        cursor = [r for r in old_stash.requests if r.operation == "ChangedSceneIds"][-1]
        assert cursor.variables["scene_filter"]["updated_at"]["value"].endswith("+02:00")
