"""The sync rules of `[rules]`, end to end: Stash scenes through the poller, queue and engine into the emulated Plex
over real HTTP."""

from __future__ import annotations

import pytest

from plexsync_gui.core.errors import StashQueryError
from plexsync_gui.core.setup.rules_config import FILL_EMPTY

pytestmark = pytest.mark.integration


def poll_and_process(session) -> int:
    """One poll and one processing round; returns how many jobs the poll queued."""
    queued = session.poller.poll().enqueued.queued
    session.engine.process_due()
    return queued


def genres(plex, rating_key: str) -> list[str]:
    return sorted(plex.item_state(rating_key)["tags"].get("genre", []))


def test_an_excluded_tag_never_becomes_a_genre(session, config, library, plex):
    config.rules.exclude_tags = ["to do", "Favourite"]
    _, rating_key = library.add(title="Tagged", tags=["Outdoor", "To Do", "favourite", "Travel"])
    assert poll_and_process(session) == 1
    assert genres(plex, rating_key) == ["Outdoor", "Travel"]


def test_only_tags_under_the_parent_at_any_depth_become_genres(session, config, library, plex, stash):
    stash.set_tag_parents("Drama", ["Genres"])
    stash.set_tag_parents("Film Noir", ["Drama"])  # a grandchild counts too
    stash.set_tag_parents("Comedy", ["Genres"])
    config.rules.genre_parent_tag = "genres"  # names match in any case, like Stash's own filter
    _, rating_key = library.add(title="Mixed", tags=["Film Noir", "Drama", "Genres", "To Do", "4K"])
    assert poll_and_process(session) == 1
    assert genres(plex, rating_key) == ["Drama", "Film Noir"]  # not the parent itself, not unrelated tags


def test_the_tags_under_the_parent_cost_one_stash_request_per_poll(session, config, library, stash):
    stash.set_tag_parents("Drama", ["Genres"])
    config.rules.genre_parent_tag = "Genres"
    library.add(title="One", tags=["Drama"])
    session.poller.poll()
    stash.clear_log()
    session.poller.poll()  # the parent's id is known from the first poll
    assert stash.count("TagByName") == 0 and stash.count("TagsUnder") == 1


def test_a_missing_parent_tag_stops_the_poll_with_the_key_named(session, config, library):
    config.rules.genre_parent_tag = "No Such Tag"
    library.add(title="Waits", tags=["Drama"])
    with pytest.raises(StashQueryError, match=r"rules\.genre_parent_tag: Stash has no tag named 'No Such Tag'"):
        session.poller.poll()
    assert session.store.list_jobs() == []  # nothing queued with every genre stripped


def test_unorganized_scenes_are_neither_queued_nor_synced_until_organized(session, config, library, plex, stash):
    config.rules.only_organized = True
    _, done_key = library.add(title="Organized", organized=True, plex_title="plex one")
    todo_id, todo_key = library.add(title="Not yet", organized=False, plex_title="plex two")
    assert poll_and_process(session) == 1
    assert plex.item_state(done_key)["title"] == "Organized"
    assert plex.item_state(todo_key)["title"] == "plex two"
    assert session.store.sync_state(todo_id).pushed_hash is None
    stash.update_scene(todo_id, organized=True)
    assert poll_and_process(session) == 1
    assert plex.item_state(todo_key)["title"] == "Not yet"


def test_only_scenes_with_the_required_tag_sync_and_one_that_loses_it_is_left_alone(session, config, library, plex,
                                                                                      stash):
    config.rules.require_tag = "Plex"
    with_id, with_key = library.add(title="Has it", tags=["plex", "Other"], plex_title="plex one")
    _, without_key = library.add(title="Has not", tags=["Other"], plex_title="plex two")
    assert poll_and_process(session) == 1
    assert plex.item_state(with_key)["title"] == "Has it"
    assert plex.item_state(without_key)["title"] == "plex two"
    stash.update_scene(with_id, tags=["Other"], title="Renamed after losing the tag")
    result = session.poller.poll().enqueued
    assert result.queued == 0 and result.skipped >= 1  # (the poll's overlap may read the other one again)
    session.engine.process_due()
    assert plex.item_state(with_key)["title"] == "Has it"  # left as it is in Plex
    assert genres(plex, with_key) == ["Other", "plex"]


def test_a_queued_job_is_dropped_when_its_scene_stops_passing_the_rules(session, config, library, stash):
    config.rules.require_tag = "Plex"
    scene_id, _ = library.add(title="Queued", tags=["Plex"])
    assert session.poller.poll().enqueued.queued == 1
    stash.update_scene(scene_id, tags=[])
    session.poller.poll()
    assert session.store.list_jobs() == []


def test_fill_empty_fills_an_empty_plex_field_and_leaves_a_set_one(session, config, library, plex):
    config.rules.fields.title = FILL_EMPTY
    config.rules.fields.summary = FILL_EMPTY
    config.rules.fields.tags = FILL_EMPTY
    _, rating_key = library.add(title="Stash title", details="Stash details", tags=["Stash genre"],
                                plex_title="Plex title")
    plex.edit_item(rating_key, genres=["Plex genre"])
    assert poll_and_process(session) == 1
    state = plex.item_state(rating_key)
    assert state["title"] == "Plex title"  # non-empty in Plex: kept
    assert state["summary"] == "Stash details"  # empty in Plex: filled
    assert genres(plex, rating_key) == ["Plex genre"]
    assert "already set in Plex (only filled when empty)" in session.store.recent_activity(1)[0].detail


def test_the_title_template_builds_the_plex_title(session, config, library, plex):
    config.rules.title_template = "{studio} - {title} ({year}) [{code}]"
    _, full_key = library.add(title="Sunset", studio="Harbour", date="2024-03-05", code="HB-01")
    _, bare_key = library.add(title="Bare")
    _, empty_key = library.add(plex_title="plex keeps this")  # no title, studio, date or code: nothing to write
    poll_and_process(session)
    assert plex.item_state(full_key)["title"] == "Harbour - Sunset (2024) [HB-01]"
    assert plex.item_state(bare_key)["title"] == "Bare"  # empty placeholders leave no dangling separators
    assert plex.item_state(empty_key)["title"] == "plex keeps this"


def test_changing_a_rule_resyncs_the_affected_scenes_once(session, config, library, plex):
    _, tagged_key = library.add(title="Tagged", tags=["Hide me", "Keep"])
    library.add(title="Untagged", tags=["Keep"])
    library.add(title="Plain")
    assert poll_and_process(session) == 3
    assert genres(plex, tagged_key) == ["Hide me", "Keep"]
    plex.clear_log()
    config.rules.exclude_tags = ["Hide me"]
    assert poll_and_process(session) == 1  # only the scene the rule changes
    assert genres(plex, tagged_key) == ["Keep"]
    assert plex.count("PUT") == 1
    assert poll_and_process(session) == 0  # once
    config.rules.title_template = "{title}!"
    assert poll_and_process(session) == 3
    assert plex.item_state(tagged_key)["title"] == "Tagged!"


def test_moving_a_tag_under_the_genre_parent_resyncs_its_scenes_once(session, config, library, plex, stash):
    stash.set_tag_parents("Drama", ["Genres"])
    config.rules.genre_parent_tag = "Genres"
    _, drama_key = library.add(title="Drama only", tags=["Drama"])
    _, comedy_key = library.add(title="Comedy", tags=["Comedy"])
    assert poll_and_process(session) == 2
    assert genres(plex, comedy_key) == []
    stash.set_tag_parents("Comedy", ["Genres"])  # Stash bumps the tag, never its scenes
    assert poll_and_process(session) == 1
    assert genres(plex, comedy_key) == ["Comedy"] and genres(plex, drama_key) == ["Drama"]
    assert poll_and_process(session) == 0


def test_a_renamed_genre_tag_still_reaches_plex_under_the_rules(session, config, library, plex, stash):
    stash.set_tag_parents("Drama", ["Genres"])
    config.rules.genre_parent_tag = "Genres"
    config.rules.exclude_tags = ["Hidden"]
    _, rating_key = library.add(title="Renames", tags=["Drama", "Other"])
    poll_and_process(session)
    stash.rename("tag", "Drama", "Melodrama")
    poll_and_process(session)
    assert genres(plex, rating_key) == ["Melodrama"]
    stash.rename("tag", "Melodrama", "Hidden")  # renamed into an excluded name: no longer a genre
    poll_and_process(session)
    assert genres(plex, rating_key) == []


def test_default_rules_keep_the_hashes_of_a_library_synced_before_them(session, library):
    """Upgrading must not re-sync every scene: the default rules leave each payload hash as it was."""
    from plexsync_gui.core.setup.config import FieldToggles
    from plexsync_gui.core.sync.scene import payload_hash, scene_from_stash

    scene_id, _ = library.add(title="Old", tags=["A"], studio="S", date="2020-01-02")
    poll_and_process(session)
    raw = session.stash.scene(scene_id)
    assert session.store.sync_state(scene_id).pushed_hash == payload_hash(scene_from_stash(raw), FieldToggles())
