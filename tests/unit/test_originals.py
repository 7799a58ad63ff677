"""Kept Plex values (what a sync keeps before overwriting) and the undo edit made from them: pure logic, and the
store's rules (first value kept, forgotten after an undo, holds)."""

from __future__ import annotations

from plexsync_gui.core.plex.edits import PlexItemSnapshot, plan_edit
from plexsync_gui.core.storage.store import Original, Store
from plexsync_gui.core.sync.originals import originals_before, restore_params

SNAPSHOT = PlexItemSnapshot("7", {"title": "Plex", "summary": None, "year": 2001},
                            {"genre": ["A", "B"], "actor": [], "collection": ["Mine"]}, frozenset({"title"}))


def test_originals_are_the_fields_an_edit_touches_as_they_were():
    plan = plan_edit({"title": "Stash", "summary": None, "genre": ["C"]}, SNAPSHOT, None, False)
    kept = originals_before(SNAPSHOT, plan.params)
    assert kept == {"title": Original("Plex", True), "genre": Original(["A", "B"], False)}


def test_a_lock_only_edit_keeps_the_unlocked_state():
    plan = plan_edit({"year": 2001}, SNAPSHOT, None, False)
    assert plan.params == {"year.locked": 1}
    assert originals_before(SNAPSHOT, plan.params) == {"year": Original(2001, False)}


def test_restore_sets_values_locks_and_exact_tag_lists():
    now = PlexItemSnapshot("7", {"title": "Stash"}, {"genre": ["C"], "collection": ["Mine", "Studio"]},
                           frozenset({"title", "genre", "collection", "thumb"}))
    params = restore_params({"title": Original("Plex", False), "summary": Original(None, True),
                             "genre": Original(["A", "B"], False), "collection": Original(["Mine"], True),
                             "thumb": Original("upload://posters/x", False)}, now)
    assert params == {"title.value": "Plex", "title.locked": 0, "summary.value": "", "summary.locked": 1,
                      "genre[0].tag.tag": "A", "genre[1].tag.tag": "B", "genre[].tag.tag-": "C",
                      "genre.locked": 0, "collection[0].tag.tag": "Mine", "collection[].tag.tag-": "Studio",
                      "collection.locked": 1, "thumb.locked": 0}


def test_store_keeps_the_first_value_and_forgets_after_undo(tmp_path):
    store = Store(tmp_path / "db.sqlite")
    store.keep_originals("7", {"title": Original("Plex", True)})
    store.keep_originals("7", {"title": Original("PlexSync's", False), "genre": Original(["A"], False)})
    assert store.originals(["7"]) == {"7": {"title": Original("Plex", True), "genre": Original(["A"], False)}}
    store.update_state("1", rating_key="7", pushed_hash="h", synced_at=1.0)
    assert store.scenes_of_items(["7"]) == {"7": ["1"]}
    store.forget_undone("7", ["1"])
    assert store.originals() == {}
    assert store.sync_state("1").pushed_hash is None and store.sync_state("1").rating_key is None
    assert store.held_scenes(["1", "2"]) == {"1"}
    assert store.release_holds(["1"]) == 1 and store.held_scenes() == set()
    store.close()
