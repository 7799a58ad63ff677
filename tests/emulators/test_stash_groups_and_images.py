"""The emulated Stash's group places (`scene_index`) and performer images, with and without an API key."""

from __future__ import annotations

import pytest
import requests

from plexsync_gui.core.stash import queries as q
from plexsync_gui.emulators.stash import StashEmulator
from plexsync_gui.emulators.stash_images import make_jpeg
from tests.emulators.test_stash_emulator import get
from tests.emulators.test_stash_entities import listing


@pytest.mark.parametrize("profile,field,inner", [("v0.30", "groups", "group"), ("v0.26", "movies", "movie")])
def test_groups_carry_the_scenes_place(profile, field, inner):
    with StashEmulator(profile=profile) as emu:
        scene_id = emu.add_scene(groups=[("Trilogy", 2), "Loose"])
        entries = emu.scene(scene_id)[field]
        assert [(e["scene_index"], e[inner]["name"]) for e in entries] == [(2, "Trilogy"), (None, "Loose")]
        emu.update_scene(scene_id, groups=[("Trilogy", 3)])
        assert emu.scene(scene_id)[field][0]["scene_index"] == 3


def test_group_renames_are_listed_like_other_entities():
    with StashEmulator() as emu:
        scene_id = emu.add_scene(groups=[("Old", 1)])
        before = emu.now()
        emu.advance(5)
        stamp = emu.rename("group", "Old", "New")
        assert listing(emu, q.GROUP_KIND, since=before) == [{"id": "1", "name": "New", "updated_at": stamp}]
        assert emu.scene(scene_id)["groups"][0] == {"scene_index": 1, "group": {"id": "1", "name": "New"}}


def test_a_performer_image_is_served_and_drops_the_placeholder_marker():
    with StashEmulator() as emu:
        scene_id = emu.add_scene(performers=["Ada"])
        emu.advance(5)
        stamp = emu.set_performer_image("Ada", make_jpeg("ada"))
        assert emu.scene(scene_id)["updated_at"] < stamp  # only the performer changed, as in Stash
        path = emu.scene(scene_id)["performers"][0]["image_path"]
        assert "default=true" not in path
        answer = requests.get(path, timeout=5)
        assert (answer.status_code, answer.headers["Content-Type"]) == (200, "image/jpeg")
        assert answer.content == make_jpeg("ada")
        emu.set_performer_image("Ada", None)
        assert emu.scene(scene_id)["performers"][0]["image_path"].endswith("&default=true")


def test_a_keyed_stash_serves_performer_images_only_with_the_key():
    with StashEmulator("secret") as emu:
        emu.set_performer_image("Ada", make_jpeg("ada"))
        scene_id = emu.add_scene(performers=["Ada"])
        assert get(emu, "/performer/1/image").status_code == 302  # what Plex, holding no key, would get
        assert get(emu, "/performer/1/image", headers={"ApiKey": "secret"}).content == make_jpeg("ada")
        image_path = emu.scene(scene_id)["performers"][0]["image_path"]
        assert image_path.startswith(f"{emu.url}/performer/1/image?t=")
        assert "apikey" not in image_path.lower()  # Stash never puts its key in the address
