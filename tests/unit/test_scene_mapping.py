from plexsync_gui.core.setup.config import FieldToggles
from plexsync_gui.core.sync.scene import (
    MAX_SUMMARY,
    MAX_TAGS,
    SceneMetadata,
    clean_text,
    desired_fields,
    parse_date,
    payload_hash,
    scene_from_stash,
)


def raw_scene(**overrides):
    scene = {
        "id": "7", "title": "A Title", "details": "Line one\nLine two", "date": "2024-03-05", "rating100": 85,
        "updated_at": "2024-05-01T10:00:00Z", "studio": {"id": "1", "name": "Studio X"},
        "performers": [{"id": "1", "name": "Ann"}, {"id": "2", "name": "Bo"}],
        "tags": [{"id": "1", "name": "Outdoor"}], "files": [{"path": "/data/a.mp4"}],
        "paths": {"screenshot": "http://stash/scene/7/screenshot?t=1"},
    }
    scene.update(overrides)
    return scene


def test_full_scene_maps_every_field():
    meta = scene_from_stash(raw_scene())
    assert meta.title == "A Title"
    assert meta.summary == "Line one\nLine two"  # newlines kept
    assert meta.studio == "Studio X"
    assert meta.date == "2024-03-05"
    assert meta.rating == 8.5
    assert meta.performers == ("Ann", "Bo")
    assert meta.tags == ("Outdoor",)
    assert meta.path == "/data/a.mp4"


def test_partial_and_invalid_dates():
    assert parse_date("2024") == "2024-01-01"
    assert parse_date("2024-07") == "2024-07-01"
    assert parse_date("2024-02-30") is None
    assert parse_date("24-1-1") is None
    assert parse_date(None) is None


def test_nulls_everywhere_do_not_raise():
    meta = scene_from_stash({"id": 3, "title": None, "details": None, "studio": None, "performers": None,
                             "tags": None, "files": None, "paths": None, "date": None, "rating100": None})
    assert meta.path is None and meta.title is None and meta.performers == ()
    assert meta.display_title == "scene 3"


def test_display_title_falls_back_to_the_file_name():
    assert scene_from_stash(raw_scene(title=None)).display_title == "a.mp4"


def test_control_characters_dropped_and_long_text_capped():
    assert clean_text("a\x00b\x1bc\u200bd", 100) == "abcd"
    long = scene_from_stash(raw_scene(details="word " * 50_000))
    assert len(long.summary) <= MAX_SUMMARY


def test_duplicate_tags_collapse_and_lists_are_capped():
    tags = [{"name": "X"}, {"name": "x"}, {"name": " X "}, {"name": "Y"}]
    assert scene_from_stash(raw_scene(tags=tags)).tags == ("X", "Y")
    many = [{"name": f"P{i}"} for i in range(5000)]
    assert len(scene_from_stash(raw_scene(performers=many)).performers) == MAX_TAGS


def test_missing_title_is_never_written_but_empty_studio_clears():
    want = desired_fields(scene_from_stash(raw_scene(title=None, studio=None)), FieldToggles())
    assert "title" not in want
    assert want["studio"] is None and want["collection"] is None


def test_toggles_remove_fields():
    toggles = FieldToggles(summary=False, tags=False, rating=True)
    want = desired_fields(scene_from_stash(raw_scene()), toggles)
    assert "summary" not in want and "genre" not in want
    assert want["userRating"] == 8.5
    assert want["year"] == 2024


def test_hash_changes_with_content_and_toggles_only():
    meta = scene_from_stash(raw_scene())
    same = scene_from_stash(raw_scene())
    assert payload_hash(meta, FieldToggles()) == payload_hash(same, FieldToggles())
    assert payload_hash(meta, FieldToggles()) != payload_hash(scene_from_stash(raw_scene(title="B")), FieldToggles())
    assert payload_hash(meta, FieldToggles()) != payload_hash(meta, FieldToggles(tags=False))


def test_json_round_trip():
    meta = scene_from_stash(raw_scene())
    assert SceneMetadata.from_json(meta.to_json()) == meta
