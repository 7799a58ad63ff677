"""Preview (`sync --dry-run`) and undo, end to end through the emulated Stash and Plex over HTTP."""

from __future__ import annotations

import json
import sqlite3

import pytest
import requests

from plexsync_gui.core.sync.undo import undo
from tests.servers import PLEX_TOKEN, sha1

pytestmark = pytest.mark.integration

AGENT_POSTER = "metadata://posters/com.plexapp.agents.none_abc123"
SEEDED = dict(summary="Plex's own summary", studio="Plex Studio", originallyAvailableAt="2019-01-02", year=2019,
              genres=["Old Genre", "Kept, with comma"], actors=["Plex Actor"], collections=["My Picks"])


def seed_plex_item(plex, library, plex_title: str = "Plex Title", poster: bool = True, **scene):
    """A scene in Stash and its Plex item with values, locks and a selected (unlocked) poster of its own."""
    fields = dict(title="Stash Title", details="Stash details", date="2024-03-05", studio="Stash Studio",
                  performers=["Ada Lane"], tags=["Outdoor"])
    fields.update(scene)
    scene_id, rating_key = library.add(plex_title=plex_title, **fields)
    plex.edit_item(rating_key, **SEEDED)
    if poster:
        response = requests.put(f"{plex.url}/library/metadata/{rating_key}/poster", params={"url": AGENT_POSTER},
                                headers={"X-Plex-Token": PLEX_TOKEN}, timeout=5)
        assert response.status_code == 200
    plex.edit_item(rating_key, locks=["title", "genre"])  # the poster's selection locked it; Plex's user did not
    return scene_id, rating_key


def comparable(state: dict) -> dict:
    """An item's state without what changes on every touch (updatedAt, the thumb URL's timestamp) and with the
    poster reduced to which one is selected."""
    kept = {k: v for k, v in state.items() if k not in ("updatedAt", "thumb", "posters", "arts", "art")}
    kept["selected_poster"] = [p["ratingKey"] for p in state["posters"] if p["selected"]]
    return kept


def database_dump(path) -> list[str]:
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


def sync_all(session) -> None:
    session.queuer.sync_all()
    summary = session.engine.process_due()
    assert summary.failed == 0 and summary.retried == 0


# ---- preview ---------------------------------------------------------------------------------------------------


def test_dry_run_shows_exact_before_and_after_and_writes_nothing(cli, plex, library, tmp_path):
    scene_id, rating_key = seed_plex_item(plex, library)
    assert cli("check")[0] == 0  # the database and its client id exist before the dry run
    database = tmp_path / "data" / "plexsync.db"
    before_db, before_item = database_dump(database), comparable(plex.item_state(rating_key))
    plex.clear_log()

    code, out, err = cli("sync", "--all", "--dry-run", "--json")

    assert code == 0, err
    scene = json.loads(out)["scenes"][0]
    assert scene["scene_id"] == scene_id and scene["rating_key"] == rating_key
    fields = {f["field"]: (f["plex_now"], f["would_write"], f["status"]) for f in scene["fields"]}
    assert fields["title"] == ("Plex Title", "Stash Title", "change")
    assert fields["description"] == ("Plex's own summary", "Stash details", "change")
    assert fields["tags"] == (["Old Genre", "Kept, with comma"], ["Outdoor"], "change")
    assert fields["collection"] == (["My Picks"], ["My Picks", "Stash Studio"], "change")
    assert fields["date"] == ("2019-01-02", "2024-03-05", "change")
    assert fields["poster"][2] == "change"
    assert plex.count("PUT") == 0 and plex.count("POST") == 0 and plex.count("DELETE") == 0
    assert database_dump(database) == before_db
    assert comparable(plex.item_state(rating_key)) == before_item


def test_dry_run_table_reads_plex_now_arrow_would_write(cli, plex, library):
    scene_id, _ = seed_plex_item(plex, library)
    code, out, _ = cli("sync", "--scene", scene_id, "--dry-run")
    assert code == 0
    assert f"scene {scene_id} 'Stash Title'" in out
    assert "Plex Title -> Stash Title" in out
    assert "Old Genre, Kept, with comma -> Outdoor" in out
    assert out.strip().splitlines()[-1].startswith("dry run: 1 scene(s) would change")
    assert "nothing was written" in out
    assert cli("queue", "list", "--json")[1].strip() == "[]"


def test_dry_run_after_a_sync_shows_the_scene_as_unchanged(cli, plex, library):
    scene_id, _ = seed_plex_item(plex, library)
    cli("sync", "--all")
    assert cli("process")[0] == 0
    code, out, _ = cli("sync", "--scene", scene_id, "--dry-run")
    assert code == 0 and "unchanged since the last sync" in out
    code, out, _ = cli("sync", "--scene", scene_id, "--dry-run", "--force")
    assert code == 0 and "no change" in out and "0 scene(s) would change" in out


def test_dry_run_reads_known_items_in_batches(session, library, plex):
    ids = [library.add(title=f"Scene {i}")[0] for i in range(30)]
    sync_all(session)
    for scene_id in ids:
        session.store.update_state(scene_id, pushed_hash="stale")  # so the preview plans every scene
    from plexsync_gui.core.preview.compute import fetch_scenes, preview

    scenes = fetch_scenes(session.stash, ids, session.queuer.refresh_rules()).scenes
    plex.clear_log()
    rows = preview(scenes, session.config, session.store, session.plex, session.stash)
    assert len(rows) == 30 and all(row.problem is None and row.changes == 0 for row in rows)
    assert plex.count("GET", "/library/metadata/") == 1  # all 30 known items in one read
    assert plex.count("PUT") == 0


def test_preview_shows_a_plex_edit_kept_by_preserve_plex_edits(session, plex, library, stash):
    from plexsync_gui.core.preview.compute import FieldStatus, fetch_scenes, preview

    scene_id, rating_key = seed_plex_item(plex, library)
    sync_all(session)
    plex.edit_item(rating_key, title="Renamed in Plex")
    stash.update_scene(scene_id, title="Renamed in Stash", details="New details")
    session.config.sync.preserve_plex_edits = True
    scenes = fetch_scenes(session.stash, [scene_id], session.queuer.refresh_rules()).scenes
    fields = {f.label: f for f in preview(scenes, session.config, session.store, session.plex, session.stash)[0].fields}
    assert (fields["title"].plex_now, fields["title"].would_write) == ("Renamed in Plex", "Renamed in Plex")
    assert fields["title"].status == FieldStatus.PRESERVED
    assert (fields["description"].would_write, fields["description"].status) == ("New details", FieldStatus.CHANGE)
    assert fields["tags"].status == FieldStatus.UNCHANGED


def test_preview_applies_the_sync_rules_as_the_queuer_does(session, plex, library, stash):
    from plexsync_gui.core.preview.compute import fetch_scenes, preview

    kept_id, _ = seed_plex_item(plex, library)
    stash.update_scene(kept_id, title="Kept", organized=True)
    left_id, _ = library.add(title="Left out")
    stash.update_scene(left_id, organized=False)
    session.config.rules.only_organized = True
    session.config.rules.title_template = "{title} (rule)"
    plex.clear_log()
    fetched = fetch_scenes(session.stash, [kept_id, left_id], session.queuer.refresh_rules())
    rows = {row.scene_id: row for row in preview(fetched.scenes, session.config, session.store, session.plex,
                                                 session.stash, ruled_out=fetched.ruled_out)}
    assert rows[left_id].skipped is not None and "rules.only_organized" in rows[left_id].skipped
    title = next(f for f in rows[kept_id].fields if f.label == "title")
    assert title.would_write == "Kept (rule)"
    assert plex.count("PUT") == 0


def test_dry_run_json_needs_dry_run(cli):
    code, _, err = cli("sync", "--all", "--json")
    assert code == 2 and "--dry-run" in err


# ---- originals and undo ----------------------------------------------------------------------------------------


def test_sync_then_undo_restores_everything_as_seeded(cli, plex, library, stash):
    scene_id, rating_key = seed_plex_item(plex, library)
    seeded = comparable(plex.item_state(rating_key))
    cli("sync", "--all")
    assert cli("process")[0] == 0
    synced = plex.item_state(rating_key)
    assert synced["title"] == "Stash Title" and synced["tags"]["genre"] == ["Outdoor"]
    assert [p["sha1"] for p in synced["posters"] if p["selected"]] == [sha1(stash.cover_bytes(scene_id))]

    code, out, err = cli("undo", "--scene", scene_id)

    assert code == 0, err
    assert comparable(plex.item_state(rating_key)) == seeded
    assert out.strip().count("\n") == 0  # one summary line
    assert "restored 1 Plex item(s)" in out and f"scene {scene_id} no longer synced" in out


def test_undo_restores_a_poster_less_item_to_no_poster(session, plex, library):
    scene_id, rating_key = seed_plex_item(plex, library, poster=False)
    seeded = comparable(plex.item_state(rating_key))
    sync_all(session)
    assert plex.item_state(rating_key)["thumb"] is not None
    report = undo(session.store, session.plex, [scene_id])
    assert list(report.restored) == [rating_key]
    assert comparable(plex.item_state(rating_key)) == seeded
    assert plex.item_state(rating_key)["thumb"] is None


def test_undo_of_one_scene_leaves_the_others(session, plex, library):
    first, first_key = seed_plex_item(plex, library)
    second, second_key = seed_plex_item(plex, library, plex_title="Other", title="Second in Stash")
    seeded_first = comparable(plex.item_state(first_key))
    sync_all(session)
    synced_second = comparable(plex.item_state(second_key))

    undo(session.store, session.plex, [first])

    assert comparable(plex.item_state(first_key)) == seeded_first
    assert comparable(plex.item_state(second_key)) == synced_second
    last = session.store.recent_activity(1)[0]
    assert (last.scene_id, last.title, last.outcome) == (first, "Stash Title", "undone")
    assert last.detail.startswith("Plex's own title, studio, description, date, tags, performers, collection, poster "
                                  "put back")
    assert session.store.sync_state(second).rating_key == second_key
    assert session.store.originals([second_key])  # still undoable
    assert session.store.held_scenes() == {first}


def test_undo_twice_is_a_no_op_with_a_clear_message(cli, plex, library):
    scene_id, _ = seed_plex_item(plex, library)
    cli("sync", "--all")
    cli("process")
    assert cli("undo", "--scene", scene_id)[0] == 0
    plex.clear_log()
    code, out, _ = cli("undo", "--scene", scene_id)
    assert code == 0
    assert out.strip() == (f"nothing to undo: PlexSync kept no Plex values for scene {scene_id} "
                           "(never changed by PlexSync, or already undone)")
    assert plex.count("PUT") == 0 and plex.count("DELETE") == 0
    assert cli("undo", "--all")[1].startswith("nothing to undo")


def test_originals_survive_several_syncs(session, plex, library, stash):
    scene_id, rating_key = seed_plex_item(plex, library)
    seeded = comparable(plex.item_state(rating_key))
    sync_all(session)
    stash.update_scene(scene_id, title="Renamed in Stash", details="Newer details", tags=["Indoor"])
    sync_all(session)
    plex.edit_item(rating_key, title="Edited in Plex meanwhile")
    session.queuer.sync_scenes([scene_id], force=True)
    assert session.engine.process_due().synced == 1
    kept = session.store.originals([rating_key])[rating_key]
    assert kept["title"].value == "Plex Title" and kept["title"].locked
    assert kept["genre"].value == ["Old Genre", "Kept, with comma"]
    assert kept["thumb"].value == AGENT_POSTER and not kept["thumb"].locked

    undo(session.store, session.plex, None)

    assert comparable(plex.item_state(rating_key)) == seeded


def test_undone_scenes_are_held_until_synced_explicitly(cli, plex, library, stash):
    scene_id, rating_key = seed_plex_item(plex, library)
    other, other_key = library.add(title="Other scene")
    cli("sync", "--all")
    cli("process")
    cli("undo", "--scene", scene_id)
    stash.update_scene(scene_id, title="Changed after the undo")
    stash.update_scene(other, title="Other, changed")

    code, out, _ = cli("sync", "--all")
    assert code == 0 and "queued 1" in out and f"not queued: scene {scene_id}, held after an undo" in out
    assert cli("process")[0] == 0
    assert plex.item_state(rating_key)["title"] == "Plex Title"
    assert plex.item_state(other_key)["title"] == "Other, changed"

    code, out, _ = cli("sync", "--scene", scene_id)
    assert code == 0 and "queued 1" in out
    assert cli("process")[0] == 0
    assert plex.item_state(rating_key)["title"] == "Changed after the undo"


def test_poll_skips_held_scenes(session, plex, library, stash):
    scene_id, rating_key = seed_plex_item(plex, library)
    sync_all(session)
    undo(session.store, session.plex, [scene_id])
    stash.update_scene(scene_id, title="Changed in Stash")
    session.poller.poll()
    assert session.store.list_jobs() == []
    assert plex.item_state(rating_key)["title"] == "Plex Title"


def test_undo_reports_an_item_gone_from_plex_and_goes_on(cli, plex, library):
    gone_scene, gone_key = seed_plex_item(plex, library)
    _, kept_key = seed_plex_item(plex, library, plex_title="Still here")
    seeded = comparable(plex.item_state(kept_key))
    cli("sync", "--all")
    cli("process")
    plex.delete_item(gone_key)

    code, out, err = cli("undo", "--all")

    assert code == 0, err
    assert f"Plex item {gone_key} (scene {gone_scene}) is gone from Plex" in out
    assert "restored 1 Plex item(s); 1 gone from Plex" in out
    assert comparable(plex.item_state(kept_key)) == seeded


def test_undo_when_plex_refuses_keeps_the_values_to_try_again(session, plex, library):
    scene_id, rating_key = seed_plex_item(plex, library)
    seeded = comparable(plex.item_state(rating_key))
    sync_all(session)
    plex.broken_items.add(rating_key)  # every edit of it answers 500
    report = undo(session.store, session.plex, [scene_id])
    assert list(report.failed) == [rating_key] and "failed (kept; try again)" in report.summary()
    assert session.store.originals([rating_key]) and not session.store.held_scenes()
    plex.broken_items.discard(rating_key)
    assert list(undo(session.store, session.plex, [scene_id]).restored) == [rating_key]
    assert comparable(plex.item_state(rating_key)) == seeded


def test_dry_run_selects_as_sync_does_and_names_held_scenes(cli, plex, library, stash):
    held, _ = seed_plex_item(plex, library)
    cli("sync", "--all")
    cli("process")
    cli("undo", "--scene", held)
    fresh, _ = library.add(title="Added later")

    code, out, _ = cli("sync", "--all", "--dry-run", "--json")
    rows = {row["scene_id"]: row for row in json.loads(out)["scenes"]}
    assert code == 0 and rows[held]["skipped"].startswith("held after an undo") and rows[fresh]["fields"]

    code, out, _ = cli("sync", "--recent", "1", "--dry-run", "--json")
    assert code == 0 and fresh in {row["scene_id"] for row in json.loads(out)["scenes"]}

    code, out, _ = cli("sync", "--scene", held, "--dry-run", "--json")  # named: the hold does not apply
    assert code == 0 and json.loads(out)["scenes"][0]["fields"][0]["would_write"] == "Stash Title"

    code, _, err = cli("sync", "--scene", "999", "--dry-run")
    assert code == 2 and "unknown scene id(s) in Stash: 999" in err
