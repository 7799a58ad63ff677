"""The emulated Stash's related entities: their own `updated_at`, listings filtered on it, renames that leave scenes
alone, and the scene filters on them (INCLUDES), as real Stash answers the documents PlexSync sends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from plexsync_gui.core.stash import queries as q
from plexsync_gui.emulators.stash import StashEmulator
from tests.emulators.test_stash_emulator import post

TAGS = next(kind for kind in q.ENTITY_KINDS if kind.name == "tag")
STUDIOS = next(kind for kind in q.ENTITY_KINDS if kind.name == "studio")


@pytest.fixture()
def emu() -> Iterator[StashEmulator]:
    with StashEmulator() as server:
        yield server


def listing(emu: StashEmulator, kind: q.EntityKind, since: str | None = None) -> list[dict]:
    variables = {"filter": {"page": 1, "per_page": -1}}
    if since:
        variables["entity_filter"] = {"updated_at": {"value": since, "modifier": "GREATER_THAN"}}
    response = post(emu, kind.changed_document, kind.operation, variables)
    assert response.status_code == 200, response.text
    return response.json()["data"][kind.root][kind.results]


def scenes_using(emu: StashEmulator, criterion: dict) -> dict:
    return post(emu, q.SCENES_USING, "ScenesUsing", {"scene_filter": criterion, "filter": {"per_page": -1}}).json()


def test_a_rename_bumps_the_entity_and_not_its_scenes(emu):
    scene_id = emu.add_scene(tags=["Outdor", "Travel"])
    created = emu.now()
    scene_stamp = emu.scene(scene_id)["updated_at"]
    emu.advance(10)
    stamp = emu.rename("tag", "Outdor", "Outdoor")
    assert stamp > created and emu.scene(scene_id)["updated_at"] == scene_stamp
    assert [t["name"] for t in emu.scene(scene_id)["tags"]] == ["Outdoor", "Travel"]
    assert listing(emu, TAGS, since=created) == [{"id": "1", "name": "Outdoor", "updated_at": stamp}]
    assert [t["name"] for t in listing(emu, TAGS)] == ["Outdoor", "Travel"]


def test_scene_filters_on_entities_include_any_of_the_ids(emu):
    harbour = emu.add_scene(studio="Harbour", tags=["A"])
    emu.add_scene(studio="Other", tags=["B"])
    both = emu.add_scene(studio="Harbour", tags=["B"])
    by_studio = scenes_using(emu, {"studios": {"value": ["1"], "modifier": "INCLUDES", "depth": 0}})
    assert [s["id"] for s in by_studio["data"]["findScenes"]["scenes"]] == [harbour, both]
    by_tags = scenes_using(emu, {"tags": {"value": ["1", "2"], "modifier": "INCLUDES", "depth": 0}})
    assert by_tags["data"]["findScenes"]["count"] == 3


def test_unmodelled_entity_modifiers_fail_loudly_and_bad_ones_are_rejected(emu):
    emu.add_scene(tags=["A"])
    loud = scenes_using(emu, {"tags": {"value": ["1"], "modifier": "EXCLUDES"}})
    assert loud["data"] is None and "INCLUDES" in loud["errors"][0]["message"]
    bad = post(emu, q.SCENES_USING, "ScenesUsing",
               {"scene_filter": {"tags": {"value": ["1"], "modifier": "SOME"}}, "filter": {}})
    assert bad.status_code == 422


def test_find_groups_exists_from_v0_27_and_find_movies_before():
    with StashEmulator(profile="v0.26") as old:
        groups = post(old, "query G { findGroups { count } }", "G")
        movies = post(old, "query M { findMovies { count movies { id name updated_at } } }", "M")
    assert groups.status_code == 422 and movies.json()["data"]["findMovies"] == {"count": 0, "movies": []}
