"""Renaming a tag, performer or studio in Stash leaves the scenes' `updated_at` alone, yet changes what Plex must
show. End to end: rename in the emulated Stash, poll, process, read the Plex item."""

from __future__ import annotations

import pytest

from plexsync_gui.core.stash.poller import RECONCILE_EVERY
from plexsync_gui.emulators.stash import StashEmulator
from tests.servers import STASH_KEY, FakeClock, Library

pytestmark = pytest.mark.reliability

# (kind, where Plex shows it): the old name is seeded on the scene, the new one must reach Plex.
KINDS = [("tag", "genre"), ("performer", "actor"), ("studio", "collection")]


def seeded(session, library, **fields) -> tuple[str, str]:
    scene_id, rating_key = library.add(title="Harbour", tags=["Outdor"], performers=["Ada Lane"],
                                       studio="Harbor Studio", **fields)
    session.poller.poll()
    assert session.engine.process_due().synced == 1
    library.stash.advance(5)
    return scene_id, rating_key


def plex_names(plex, rating_key: str) -> set[str]:
    state = plex.item_state(rating_key)
    return {*state["tags"]["genre"], *state["tags"]["actor"], *state["tags"]["collection"], state["studio"]}


OLD_NAMES = {"tag": "Outdor", "performer": "Ada Lane", "studio": "Harbor Studio"}


@pytest.mark.parametrize("kind, field", KINDS)
def test_a_rename_reaches_plex_although_the_scene_is_unchanged(session, library, stash, plex, kind, field):
    scene_id, rating_key = seeded(session, library)
    _other_id, other_key = library.add(title="Unrelated", tags=["Indoor"])
    session.poller.poll()
    session.engine.process_due()
    before = stash.scene(scene_id)["updated_at"]
    stash.rename(kind, OLD_NAMES[kind], "Renamed")
    assert stash.scene(scene_id)["updated_at"] == before  # as in Stash: the scene is not bumped
    result = session.poller.poll()
    assert result.enqueued.queued == 1
    session.engine.process_due()
    assert "Renamed" in plex.item_state(rating_key)["tags"][field]
    assert OLD_NAMES[kind] not in plex_names(plex, rating_key)
    assert "Renamed" not in plex_names(plex, other_key)
    assert result.renamed == 1


def test_an_idle_poll_asks_for_no_scenes_of_unrenamed_entities(session, library, stash):
    seeded(session, library)
    session.poller.poll()
    stash.clear_log()
    assert session.poller.poll().renamed == 0
    assert stash.count("ScenesUsing") == 0
    assert {r.operation for r in stash.requests} >= {"ChangedTags", "ChangedPerformers", "ChangedStudios"}


def test_two_renames_in_the_same_second_both_reach_plex(session, library, stash, plex):
    _, rating_key = seeded(session, library)
    first = stash.rename("tag", "Outdor", "Outdoors")
    session.poller.poll()
    session.engine.process_due()
    assert stash.rename("tag", "Outdoors", "Outdoor") == first  # same second, same stamp
    session.poller.poll()
    session.engine.process_due()
    assert plex.item_state(rating_key)["tags"]["genre"] == ["Outdoor"]


def test_the_full_pass_catches_a_rename_the_light_poll_missed(session, library, stash, plex):
    clock = FakeClock()
    session.poller.clock = clock
    _, rating_key = seeded(session, library)
    stash.set_clock("2026-01-01T08:00:00")  # the server clock went back hours: the stamp falls before the overlap
    stash.rename("performer", "Ada Lane", "Ada Lane-Smith")
    assert session.poller.poll().renamed == 0
    clock.advance(RECONCILE_EVERY)
    full = session.poller.poll()
    assert full.full and full.renamed == 1
    session.engine.process_due()
    assert plex.item_state(rating_key)["tags"]["actor"] == ["Ada Lane-Smith"]


@pytest.mark.parametrize("profile", ["v0.24", "v0.26", "v0.27"])
def test_renames_are_polled_on_every_supported_stash_version(make_session, config, plex, movies, profile):
    with StashEmulator(STASH_KEY, profile=profile) as old_stash:
        config.stash.url = old_stash.url
        session = make_session()
        library = Library(old_stash, plex, movies)
        _, rating_key = seeded(session, library)
        old_stash.rename("studio", "Harbor Studio", "Harbour Studio")
        assert session.poller.poll().renamed == 1
        session.engine.process_due()
        assert plex.item_state(rating_key)["studio"] == "Harbour Studio"
