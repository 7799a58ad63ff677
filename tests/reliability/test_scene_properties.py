"""Property-based tests of the Stash scene mapping and the edit planner: whatever Stash sends, the result is either
sanitised values or a PermanentError with a clear message, never a crash."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexsync_gui.core.errors import PermanentError
from plexsync_gui.core.plex.edits import MAX_EDIT_QUERY, PlexItemSnapshot, encoded_size, plan_edit
from plexsync_gui.core.setup.config import FieldToggles
from plexsync_gui.core.sync.scene import (
    MAX_NAME,
    MAX_SUMMARY,
    MAX_SUMMARY_BYTES,
    MAX_TAGS,
    MAX_TITLE,
    SceneMetadata,
    desired_fields,
    payload_hash,
    scene_from_stash,
)
from tests.reliability.strategies import json_value, stash_scenes

pytestmark = pytest.mark.reliability

# Derandomized: CI replays the same examples every run; the counts keep the whole file to a few seconds.
PROPERTY = settings(max_examples=300, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FORBIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn"}
TAG_KEY = re.compile(r"^(genre|actor|collection)(\[\d+\]\.tag\.tag|\.locked|\[\]\.tag\.tag-)$")
SCALAR_KEY = re.compile(r"^(title|studio|summary|originallyAvailableAt|year|userRating)\.(value|locked)$")

toggles = st.builds(FieldToggles, **{name: st.booleans() for name in FieldToggles.__dataclass_fields__})


def assert_clean(text: str | None, limit: int, newlines: bool = False) -> None:
    if text is None:
        return
    assert isinstance(text, str) and text and len(text) <= limit
    assert text == text.strip()
    assert unicodedata.is_normalized("NFC", text)
    allowed = "\n\t" if newlines else ""
    assert not [c for c in text if c not in allowed and unicodedata.category(c) in FORBIDDEN]
    text.encode("utf-8")  # storable, sendable


def assert_sane(meta: SceneMetadata) -> None:
    assert_clean(meta.title, MAX_TITLE)
    assert_clean(meta.studio, MAX_NAME)
    assert_clean(meta.summary, MAX_SUMMARY, newlines=True)
    assert meta.summary is None or len(meta.summary.encode("utf-8")) <= MAX_SUMMARY_BYTES
    for names in (meta.performers, meta.tags):
        assert len(names) <= MAX_TAGS
        assert len({n.casefold() for n in names}) == len(names)
        for name in names:
            assert_clean(name, MAX_NAME)
    assert meta.date is None or date.fromisoformat(meta.date).isoformat() == meta.date
    assert meta.rating is None or 0.1 <= meta.rating <= 10
    for text in (meta.scene_id, meta.updated_at, meta.path or "", meta.screenshot_url or ""):
        assert isinstance(text, str)
        text.encode("utf-8")
    assert SceneMetadata.from_json(meta.to_json()) == meta


@PROPERTY
@given(stash_scenes, toggles)
def test_any_stash_scene_maps_to_sanitised_values(raw: dict[str, Any], fields: FieldToggles) -> None:
    meta = scene_from_stash(raw)
    assert_sane(meta)
    want = desired_fields(meta, fields)
    assert "title" not in want or want["title"]  # an empty title is never written
    assert payload_hash(meta, fields) == payload_hash(scene_from_stash(json.loads(json.dumps(raw))), fields)


@settings(max_examples=50, derandomize=True, deadline=None)
@given(st.dictionaries(st.sampled_from(["title", "files", "details"]), json_value),
       st.sampled_from([None, "", " ", True, [], {}, 1.5]))
def test_a_scene_without_a_usable_id_is_a_clear_permanent_error(raw: dict[str, Any], bad_id: Any) -> None:
    with pytest.raises(PermanentError, match="Stash sent a scene without a usable id"):
        scene_from_stash({**raw, "id": bad_id})


plex_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)  # what parsed XML can hold
snapshots = st.builds(
    PlexItemSnapshot,
    rating_key=st.just("1000"),
    scalars=st.fixed_dictionaries({
        "title": st.none() | plex_text, "studio": st.none() | plex_text, "summary": st.none() | plex_text,
        "originallyAvailableAt": st.none() | st.just("2020-01-01"), "year": st.none() | st.integers(1900, 2100),
        "userRating": st.none() | st.floats(0, 10),
    }),
    tags=st.fixed_dictionaries({k: st.lists(plex_text, max_size=5) for k in ("genre", "actor", "collection")}),
    locks=st.frozensets(st.sampled_from(["title", "studio", "summary", "genre", "actor"])),
)


@PROPERTY
@given(stash_scenes, toggles, snapshots, st.booleans(), st.booleans())
def test_edit_plans_are_well_formed_or_a_clear_permanent_error(raw: dict[str, Any], fields: FieldToggles,
                                                               item: PlexItemSnapshot, remembered: bool,
                                                               preserve: bool) -> None:
    want = desired_fields(scene_from_stash(raw), fields)
    last = dict(item.scalars) if remembered else None
    try:
        plan = plan_edit(want, item, last, preserve)
    except PermanentError as exc:
        assert "Plex edit for this scene" in str(exc) and "\n" not in str(exc)
        return
    assert encoded_size(plan.params) <= MAX_EDIT_QUERY
    for key, value in plan.params.items():
        assert TAG_KEY.match(key) or SCALAR_KEY.match(key), key
        assert isinstance(value, (str, int, float)) and not isinstance(value, bool)
        str(value).encode("utf-8")
    for name in plan.changed:
        if name in ("genre", "actor"):
            sent = [v for k, v in sorted(plan.params.items()) if k.startswith(f"{name}[") and "[]" not in k]
            assert sorted(sent) == sorted(want[name])
        elif name != "collection":
            assert plan.params[f"{name}.value"] == ("" if want[name] is None else want[name])


def test_an_edit_too_big_for_one_request_names_what_to_shorten() -> None:
    performers = [{"name": "\U0001f600" * 200 + str(i)} for i in range(100)]
    want = desired_fields(scene_from_stash({"id": 1, "performers": performers}), FieldToggles())
    empty = PlexItemSnapshot("1000", {}, {"genre": [], "actor": [], "collection": []}, frozenset())
    with pytest.raises(PermanentError, match=r"the Plex edit for this scene would be [\d,]+ bytes .*largest: actor"):
        plan_edit(want, empty, None, False)


def test_a_long_non_latin_summary_is_cut_to_fit_the_request() -> None:
    meta = scene_from_stash({"id": 1, "details": "\u65e5\u672c\u8a9e\u306e\u8aac\u660e " * 5000})
    assert meta.summary and len(meta.summary.encode("utf-8")) <= MAX_SUMMARY_BYTES
    want = desired_fields(meta, FieldToggles())
    empty = PlexItemSnapshot("1000", {}, {"genre": [], "actor": [], "collection": []}, frozenset())
    assert encoded_size(plan_edit(want, empty, None, False).params) <= MAX_EDIT_QUERY
