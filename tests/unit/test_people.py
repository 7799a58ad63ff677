"""Groups and performer photos as pure logic: reading them from a Stash scene, the collection order and the moves
that reach it, the collection and photo parts of the Plex edit, and the photo option's key rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexsync_gui.core.plex.edits import PlexItemSnapshot, for_episode, plan_edit
from plexsync_gui.core.setup.config import Config, ConfigError, FieldToggles, load_config, save_config
from plexsync_gui.core.sync.people import (
    PHOTOS_NEED_KEY,
    collection_order,
    effective_config,
    order_moves,
    photo_url,
    photos_blocked,
)
from plexsync_gui.core.sync.scene import SceneMetadata, desired_fields, payload_hash, scene_from_stash

BASE = "http://stash.local:9999"


def raw(**fields):
    return {"id": "7", "files": [{"path": "/data/a.mp4"}], **fields}


def group(name, index=None, legacy=False):
    return {"scene_index": index, "movie" if legacy else "group": {"id": "1", "name": name}}


def snapshot(collections=(), actors=(), thumbs=None):
    return PlexItemSnapshot("100", {}, {"collection": list(collections), "actor": list(actors)}, frozenset(),
                            actor_thumbs=dict(thumbs or {}))


# ---- reading Stash --------------------------------------------------------------------------------------------

def test_groups_are_read_with_their_place_cleaned_and_once():
    scene = scene_from_stash(raw(groups=[group(" Trilogy ", 2), group("trilogy", 5), group("Box\x07 Set"),
                                         {"group": None}, "junk", group("Bad index", True)]))
    assert scene.groups == (("Trilogy", 2), ("Box Set", None), ("Bad index", None))


def test_legacy_movies_are_groups_too():
    assert scene_from_stash(raw(movies=[group("Classic", 1, legacy=True)])).groups == (("Classic", 1),)


@pytest.mark.parametrize("url,usable", [
    (f"{BASE}/performer/3/image?t=1700000000", True),
    (f"{BASE}/performer/3/image?t=1700000000&default=true", False),  # Stash's placeholder
    (f"{BASE}/performer/3/image?t=1&apikey=secret", False),  # a key Plex would store
    (f"{BASE}/performer/3/image?ApiKey=secret", False),
    ("http://user:pw@stash.local/performer/3/image", False),
    ("file:///etc/passwd", False),
    ("/performer/3/image", False),
    (None, False),
    (f"{BASE}/performer/3/imagé", False),
])
def test_only_addresses_plex_may_store_and_fetch_are_photos(url, usable):
    assert photo_url(url) == (url if usable else None)


def test_photos_line_up_with_the_cleaned_performers():
    scene = scene_from_stash(raw(performers=[
        {"name": "Ada  Lane", "image_path": f"{BASE}/performer/1/image?t=1"},
        {"name": "ada lane", "image_path": f"{BASE}/performer/9/image?t=1"},  # the same name, dropped
        {"name": "Ben", "image_path": f"{BASE}/performer/2/image?t=1&default=true"},
    ]))
    assert scene.performers == ("Ada Lane", "Ben")
    assert scene.performer_photos == (f"{BASE}/performer/1/image?t=1", None)


def test_payloads_queued_by_an_older_version_still_load():
    scene = scene_from_stash(raw(title="T"))
    old = scene.to_json().replace(',"groups":[]', "").replace(',"performer_photos":[]', "")
    assert "groups" not in old
    assert SceneMetadata.from_json(old) == scene


def test_json_round_trip_keeps_groups_and_photos():
    scene = scene_from_stash(raw(groups=[group("G", 1)], performers=[{"name": "A", "image_path": f"{BASE}/p"}]))
    assert SceneMetadata.from_json(scene.to_json()) == scene


# ---- what is wanted, and its hash ---------------------------------------------------------------------------

def test_groups_and_photos_are_wanted_per_toggle():
    scene = scene_from_stash(raw(groups=[group("G", 1)], studio={"name": "S"},
                                 performers=[{"name": "A", "image_path": f"{BASE}/p"}, {"name": "B"}]))
    want = desired_fields(scene, FieldToggles(performer_photos=True))
    assert want["collection"] == "S" and want["groups"] == ["G"]
    assert want["actor_thumb"] == {"A": f"{BASE}/p"}
    assert "groups" not in desired_fields(scene, FieldToggles(groups=False))
    assert "actor_thumb" not in desired_fields(scene, FieldToggles())  # photos are opt-in
    assert "actor_thumb" not in desired_fields(scene, FieldToggles(performers=False, performer_photos=True))


def test_a_scene_without_groups_or_photos_keeps_its_old_hash():
    """No library-wide re-sync after the upgrade: the hash of such a scene is what an older version computed."""
    scene = scene_from_stash(raw(title="T", studio={"name": "S"}))
    assert payload_hash(scene, FieldToggles()) == payload_hash(scene, FieldToggles(groups=False))
    assert payload_hash(scene, FieldToggles(performer_photos=True)) == payload_hash(scene, FieldToggles())


def test_a_new_place_in_the_group_or_a_new_photo_changes_the_hash():
    toggles = FieldToggles(performer_photos=True)

    def digest(index, photo):
        return payload_hash(scene_from_stash(raw(groups=[group("G", index)],
                                                 performers=[{"name": "A", "image_path": photo}])), toggles)

    assert digest(1, f"{BASE}/p?t=1") == digest(1, f"{BASE}/p?t=1")
    assert digest(1, f"{BASE}/p?t=1") != digest(2, f"{BASE}/p?t=1")
    assert digest(1, f"{BASE}/p?t=1") != digest(1, f"{BASE}/p?t=2")


# ---- the collection part of the edit ----------------------------------------------------------------------

def test_groups_join_the_studio_collection_and_the_users_own_stay():
    plan = plan_edit({"collection": "Studio", "groups": ["Saga"]}, snapshot(["Mine"]), None, False)
    assert plan.params["collection[0].tag.tag"] == "Mine"
    assert {plan.params["collection[1].tag.tag"], plan.params["collection[2].tag.tag"]} == {"Studio", "Saga"}
    assert plan.written["groups"] == ["Saga"] and plan.written["collection"] == "Studio"


def test_a_group_left_or_renamed_is_removed_and_only_that_one():
    last = {"collection": "Studio", "groups": ["Old", "Kept"]}
    plan = plan_edit({"collection": "Studio", "groups": ["Kept", "New"]},
                     snapshot(["Studio", "Old", "Kept", "Mine"]), last, False)
    kept = [value for key, value in plan.params.items() if key.endswith(".tag.tag")]
    assert sorted(kept) == ["Kept", "Mine", "New", "Studio"]
    assert plan.params["collection[].tag.tag-"] == "Old"


def test_groups_off_leaves_group_collections_alone():
    plan = plan_edit({"collection": "Studio"}, snapshot(["Studio", "Saga"]), {"collection": "Studio",
                                                                              "groups": ["Saga"]}, False)
    assert not any(key.startswith("collection") for key in plan.params)


def test_collections_in_place_send_nothing():
    plan = plan_edit({"collection": "S", "groups": ["G"]}, snapshot(["G", "S"]), {"collection": "S"}, False)
    assert plan.params == {} and plan.changed == []


# ---- the photo part of the edit ---------------------------------------------------------------------------

def test_photos_travel_with_the_whole_actor_list():
    plan = plan_edit({"actor": ["A", "B"], "actor_thumb": {"B": "http://s/b"}}, snapshot(actors=["A", "B"]),
                     None, False)
    assert plan.params["actor[0].tag.tag"] == "A" and plan.params["actor[1].tag.tag"] == "B"
    assert plan.params["actor[1].tag.thumb"] == "http://s/b"
    assert "actor[0].tag.thumb" not in plan.params
    assert "actor_thumb" in plan.changed


def test_photos_already_in_plex_cost_nothing():
    plan = plan_edit({"actor": ["A"], "actor_thumb": {"A": "http://s/a"}},
                     snapshot(actors=["A"], thumbs={"A": "http://s/a"}), None, False)
    assert not any(key.startswith("actor[") for key in plan.params)


def test_photos_follow_preserved_actor_edits():
    """An actor list someone edited in Plex and preserve_plex_edits keeps is not rewritten for a photo."""
    plan = plan_edit({"actor": ["A"], "actor_thumb": {"A": "http://s/a"}}, snapshot(actors=["Z"]),
                     {"actor": ["Y"]}, True)
    assert plan.preserved == ["actor"] and not any(key.startswith("actor[") for key in plan.params)


def test_episodes_get_no_photos():
    kept, dropped = for_episode({"actor": ["A"], "actor_thumb": {"A": "u"}, "groups": ["G"]})
    assert kept == {"groups": ["G"]} and dropped == ["actor", "actor_thumb"]


# ---- order --------------------------------------------------------------------------------------------------

def test_collection_order_is_by_place_then_scene_id():
    members = [("r3", None, "3"), ("r10", 2, "10"), ("r2", 2, "2"), ("r1", 1, "11"), ("r9", None, "9")]
    assert collection_order(members) == ["r1", "r2", "r10", "r3", "r9"]


def apply(current, moves):
    order = list(current)
    for key, after in moves:
        order.remove(key)
        order.insert(0 if after is None else order.index(after) + 1, key)
    return order


def test_one_item_out_of_place_costs_one_move():
    assert order_moves(list("ABCD"), list("BCDA")) == [("A", "D")]
    assert order_moves(list("ABCD"), list("DABC")) == [("D", None)]
    assert order_moves(list("ABCD"), list("ABCD")) == []


@given(st.lists(st.integers(0, 30), unique=True, max_size=12), st.randoms(use_true_random=False))
def test_moves_reach_the_wanted_order_and_keep_unknown_items_last(keys, rng):
    current = [str(k) for k in keys]
    wanted = [k for k in current if rng.random() < 0.7] + ["absent"]
    rng.shuffle(wanted)
    moves = order_moves(current, wanted)
    known = [k for k in wanted if k in current]
    assert apply(current, moves) == known + [k for k in current if k not in known]
    assert len(moves) <= max(len(current) - 1, 0)


# ---- the photo option and Stash's key ---------------------------------------------------------------------

def test_photos_are_off_while_stash_needs_a_key():
    config = Config()
    config.fields.performer_photos = True
    assert photos_blocked("key") == PHOTOS_NEED_KEY and photos_blocked(None) is None
    assert effective_config(config, "key").fields.performer_photos is False
    assert config.fields.performer_photos is True  # the user's choice is kept
    assert effective_config(config, None) is config


def test_new_keys_are_validated_and_written_back(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[fields]\ngroups = 'yes'\n")
    with pytest.raises(ConfigError, match=r"^fields\.groups: must be true or false"):
        load_config(path)
    config = Config()
    config.fields.groups, config.fields.performer_photos = False, True
    save_config(path, config)
    assert "groups = false" in path.read_text() and "performer_photos = true" in path.read_text()
    assert load_config(path) == config
