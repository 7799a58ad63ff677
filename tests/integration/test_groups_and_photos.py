"""Stash groups as Plex collections in the group's order, and performer photos as Plex actor photos, end to end:
Stash emulator -> poller/queuer -> engine -> Plex emulator, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import open_session
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.people import PHOTOS_NEED_KEY
from plexsync_gui.emulators.stash import StashEmulator
from plexsync_gui.emulators.stash_images import make_jpeg
from tests.servers import PLEX_TOKEN, STASH_KEY, Library, base_config

pytestmark = pytest.mark.integration


def sync(session, scene_ids) -> None:
    session.queuer.sync_scenes(list(scene_ids))
    summary = session.engine.process_due()
    assert summary.failed == 0 and summary.retried == 0, summary.outcomes


def test_group_becomes_a_collection_in_the_groups_order(session, library, plex, movies):
    # added in an order unlike the group's, one scene without a place (it goes last)
    third = library.add(title="Part three", groups=[("Trilogy", 3)], studio="Harbour")
    first = library.add(title="Part one", groups=[("Trilogy", 1)], studio="Harbour")
    loose = library.add(title="Extra", groups=["Trilogy"])
    second = library.add(title="Part two", groups=[("Trilogy", 2)])
    sync(session, [scene for scene, _ in (third, first, loose, second)])
    collection = plex.collection_state(movies, "Trilogy")
    assert collection is not None
    assert collection["items"] == [first[1], second[1], third[1], loose[1]]
    assert collection["collectionSort"] == 2  # custom, so Plex shows the group's order
    assert plex.item_state(first[1])["tags"]["collection"] == ["Harbour", "Trilogy"]  # beside the studio's


def test_order_is_one_pass_per_collection_after_the_edits(session, library, plex, movies):
    scenes = [library.add(title=f"Part {i}", groups=[("Saga", 10 - i)]) for i in range(6)]
    plex.clear_log()
    sync(session, [scene for scene, _ in scenes])
    assert plex.collection_state(movies, "Saga")["items"] == [key for _, key in reversed(scenes)]
    assert plex.count("GET", f"/library/sections/{movies}/collections") == 1
    assert plex.count("GET", "/library/collections/") == 1  # its items read once, not per scene
    assert plex.count("PUT", "/library/collections/") <= 1 + 5  # custom order, then at most n - 1 moves
    edits = [r for r in plex.requests if r.path == f"/library/sections/{movies}/all" and r.method == "PUT"]
    collection_calls = [r for r in plex.requests if r.path.startswith("/library/sections/1/collections")]
    assert plex.requests.index(edits[-1]) < plex.requests.index(collection_calls[0])  # after every edit
    plex.clear_log()
    assert session.engine.process_due().outcomes == []
    assert plex.count("GET", "/library/collections/") == 0  # nothing due: an idle round costs nothing


def test_a_collection_plex_could_not_order_stays_due_for_the_next_round(session, library, plex, movies):
    later = library.add(title="Later", groups=[("Duo", 2)])
    earlier = library.add(title="Earlier", groups=[("Duo", 1)])
    plex.fail_next(503, route=f"/library/sections/{movies}/collections")
    sync(session, [later[0], earlier[0]])  # the scenes themselves synced
    assert session.store.collections_due() == [(str(movies), "Duo")]
    assert session.engine.process_due().outcomes == []  # the next round, with no job at all
    assert session.store.collections_due() == []
    assert plex.collection_state(movies, "Duo")["items"] == [earlier[1], later[1]]


def test_new_place_in_the_group_reorders(session, library, plex, stash, movies):
    one = library.add(title="One", groups=[("Box", 1)])
    two = library.add(title="Two", groups=[("Box", 2)])
    sync(session, [one[0], two[0]])
    stash.update_scene(one[0], groups=[("Box", 3)])
    plex.clear_log()
    sync(session, [one[0]])
    assert plex.collection_state(movies, "Box")["items"] == [two[1], one[1]]
    assert plex.count("PUT", "/library/collections/") == 1  # one move; custom order was already on


def test_scene_leaving_its_group_leaves_the_collection(session, library, plex, stash, movies):
    kept = library.add(title="Kept", groups=[("Pair", 1)], studio="Harbour")
    left = library.add(title="Left", groups=[("Pair", 2)], studio="Harbour")
    sync(session, [kept[0], left[0]])
    plex.edit_item(left[1], collections=["Harbour", "Pair", "My favourites"])  # one of the user's own
    stash.update_scene(left[0], groups=[])
    sync(session, [left[0]])
    assert plex.item_state(left[1])["tags"]["collection"] == ["Harbour", "My favourites"]
    assert plex.collection_state(movies, "Pair")["items"] == [kept[1]]


def test_renamed_group_renames_the_collection_everywhere(session, library, plex, stash, movies):
    scenes = [library.add(title=f"Chapter {i}", groups=[("Old name", i)]) for i in (2, 1)]
    session.poller.poll()  # the first poll remembers the group names
    assert session.engine.process_due().failed == 0
    stash.rename("group", "Old name", "New name")
    result = session.poller.poll()
    assert result.renamed == 1
    session.engine.process_due()
    assert plex.collection_state(movies, "Old name") is None
    assert plex.collection_state(movies, "New name")["items"] == [scenes[1][1], scenes[0][1]]
    for _, rating_key in scenes:
        assert plex.item_state(rating_key)["tags"]["collection"] == ["New name"]


def test_groups_off_leaves_collections_alone(make_session, config, library, plex, movies):
    config.fields.groups = False
    session = make_session()
    scene = library.add(title="Solo", groups=[("Trilogy", 1)], studio="Harbour")
    sync(session, [scene[0]])
    assert plex.item_state(scene[1])["tags"]["collection"] == ["Harbour"]
    assert plex.count("GET", f"/library/sections/{movies}/collections") == 0


def test_legacy_stash_movies_become_collections(tmp_path, plex, movies):
    with StashEmulator(api_key=STASH_KEY, profile="v0.26") as old_stash:
        library = Library(old_stash, plex, movies)
        scenes = [library.add(title=f"Reel {i}", groups=[("Classic", i)]) for i in (2, 1)]
        store = Store(tmp_path / "legacy.db")
        session = open_session(base_config(old_stash, plex), Secrets(PLEX_TOKEN, STASH_KEY), store)
        try:
            session.poller.poll()
            assert session.engine.process_due().failed == 0
            assert plex.collection_state(movies, "Classic")["items"] == [scenes[1][1], scenes[0][1]]
            old_stash.rename("group", "Classic", "Classics")
            assert session.poller.poll().renamed == 1  # legacy servers' movies are polled for renames too
        finally:
            session.close()
            store.close()


# ---- performer photos ---------------------------------------------------------------------------------------


@pytest.fixture
def open_stash(plex) -> Iterator[StashEmulator]:
    """A Stash without an API key: Plex can fetch its images by their address alone."""
    with StashEmulator(api_key=None) as emulator:
        yield emulator


@pytest.fixture
def photo_session(tmp_path, open_stash, plex, movies):
    config = base_config(open_stash, plex)
    config.fields.performer_photos = True
    store = Store(tmp_path / "photos.db")
    session = open_session(config, Secrets(plex_token=PLEX_TOKEN, stash_api_key=None), store)
    yield session
    session.close()
    store.close()


def test_performer_photo_becomes_the_actors_photo(photo_session, open_stash, plex, movies):
    open_stash.set_performer_image("Ada Lane", make_jpeg("ada"))
    library = Library(open_stash, plex, movies)
    scene, rating_key = library.add(title="Portrait", performers=["Ada Lane", "Ben Ortiz"])
    sync(photo_session, [scene])
    thumb = plex.tag_thumb("actor", "Ada Lane")
    assert thumb is not None and thumb.startswith(f"{open_stash.url}/performer/")
    assert "apikey" not in thumb.lower() and "default=true" not in thumb
    assert plex.tag_thumb("actor", "Ben Ortiz") is None  # no image in Stash: no placeholder in Plex
    assert plex.item_state(rating_key)["tags"]["actor"] == ["Ada Lane", "Ben Ortiz"]
    # Plex fetches the address itself, without any key
    answer = requests.get(thumb, timeout=5)
    assert answer.status_code == 200 and answer.content == make_jpeg("ada")


def test_unchanged_photo_costs_nothing_and_a_new_one_is_sent(photo_session, open_stash, plex, movies):
    open_stash.set_performer_image("Ada Lane", make_jpeg("ada"))
    library = Library(open_stash, plex, movies)
    library.add(title="Portrait", performers=["Ada Lane"])
    photo_session.poller.poll()
    assert photo_session.engine.process_due().synced == 1
    first = plex.tag_thumb("actor", "Ada Lane")
    open_stash.advance(2)
    plex.clear_log()
    photo_session.poller.poll()
    assert photo_session.engine.process_due().outcomes == []
    assert plex.count("PUT") == 0  # same photo: no job, no request
    open_stash.advance(2)
    open_stash.set_performer_image("Ada Lane", make_jpeg("ada, new"))
    photo_session.poller.poll()  # the photo bumps only the performer; its scenes are looked at again
    assert photo_session.engine.process_due().synced == 1
    assert plex.tag_thumb("actor", "Ada Lane") not in (None, first)


def test_photos_are_off_when_stash_needs_a_key(tmp_path, stash, plex, library, caplog):
    config = base_config(stash, plex)
    config.fields.performer_photos = True
    stash.set_performer_image("Ada Lane", make_jpeg("ada"))
    scene, rating_key = library.add(title="Portrait", performers=["Ada Lane"])
    store = Store(tmp_path / "keyed.db")
    with caplog.at_level("WARNING"):
        session = open_session(config, Secrets(plex_token=PLEX_TOKEN, stash_api_key=STASH_KEY), store)
    try:
        assert not session.config.fields.performer_photos
        assert config.fields.performer_photos  # the file keeps the user's choice
        assert PHOTOS_NEED_KEY in caplog.text
        sync(session, [scene])
        assert plex.item_state(rating_key)["tags"]["actor"] == ["Ada Lane"]
        assert plex.tag_thumb("actor", "Ada Lane") is None
        assert not any(STASH_KEY in r.query for r in plex.requests)
    finally:
        session.close()
        store.close()


# ---- the CLI ------------------------------------------------------------------------------------------------


def test_cli_syncs_groups_as_ordered_collections(cli, library, plex, movies):
    later = library.add(title="Later", groups=[("Series", 2)])
    earlier = library.add(title="Earlier", groups=[("Series", 1)])
    assert cli("sync", "--all")[0] == 0
    assert cli("process")[0] == 0
    assert plex.collection_state(movies, "Series")["items"] == [earlier[1], later[1]]


def test_cli_check_says_why_photos_stay_off(cli):
    cli.config_file.write_text(cli.config_file.read_text() + "[fields]\nperformer_photos = true\n")
    code, out, _ = cli("check")
    assert code == 0
    assert f"warning: fields.performer_photos is on, but performer photos stay off: {PHOTOS_NEED_KEY}" in out
    assert STASH_KEY not in out


def test_cli_rejects_a_bad_toggle_in_one_line(cli):
    cli.config_file.write_text(cli.config_file.read_text() + "[fields]\ngroups = 1\n")
    code, out, err = cli("check")
    assert code == 2
    assert "fields.groups: must be true or false, got 1" in err and "Traceback" not in err + out
