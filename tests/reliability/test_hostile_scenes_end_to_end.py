"""Generated hostile scenes, served by the emulated Stash and synced to the emulated Plex: each scene ends in Plex
with sanitised values or as a dead letter with a clear permanent error; the worker never dies."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plexsync_gui.core.sync.scene import scene_from_stash

pytestmark = pytest.mark.reliability

# What a real Stash can hold: valid UTF-8 (no lone surrogates), anything else goes.
stash_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=60),
    st.sampled_from(["\u202eevil\u202c", "\u05e9\u05dc\u05d5\u05dd \U0001f600", "\x1b[31m\x00red", "  ", "A,B&c=%20",
                     "e\u0301\u200b\ufeff", "\u0645\u0631\u062d\u0628\u0627\n\u2028line"]),
)
scenes = st.fixed_dictionaries({
    "title": st.none() | stash_text,
    "details": st.none() | stash_text | st.builds(lambda s: (s or "x") * (100_000 // max(len(s), 1)), stash_text),
    "date": st.none() | st.sampled_from(["2024", "2024-07", "1999-12-31", "2024-02-29"]),
    "rating100": st.none() | st.integers(1, 100),
    "studio": st.none() | stash_text,
    "performers": st.one_of(st.lists(stash_text, max_size=6),
                            st.builds(lambda n: [f"P\u00e9rformer {i} \U0001f3ad" for i in range(n)],
                                      st.sampled_from([150, 1200]))),
    "tags": st.lists(st.sampled_from(["Tag", "tag", "TAG", "T\u00e4g", "Ta\u0308g"]) | stash_text, max_size=8),
})


@settings(max_examples=5, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(st.lists(scenes, min_size=3, max_size=4))
def test_generated_scenes_sync_sanitised_or_fail_permanently(session, library, plex, stash, caplog, batch):
    caplog.set_level(logging.INFO)
    ids = {}
    for fields in batch:
        performers = [p for p in fields.pop("performers") if p.strip()]  # Stash refuses blank performer names
        tags = [t for t in fields.pop("tags") if t.strip()]
        scene_id, rating_key = library.add(performers=performers, tags=tags, **fields)
        ids[scene_id] = rating_key
    session.queuer.sync_scenes(list(ids))
    outcomes = []
    outcomes += session.engine.process_due().outcomes

    assert sorted(o.scene_id for o in outcomes) == sorted(ids)
    dead = {d.scene_id: d for d in session.store.list_dead_letters()}
    for scene_id, rating_key in ids.items():
        if scene_id in dead:
            assert dead[scene_id].error_type == "PermanentError", dead[scene_id]
            assert "Plex edit for this scene" in dead[scene_id].error
            continue
        expected = scene_from_stash(stash.scene(scene_id))
        item = plex.item_state(rating_key)
        assert item["title"] == (expected.title or item["title"])
        assert item.get("summary") == expected.summary
        assert item.get("studio") == expected.studio
        assert item["tags"].get("genre", []) == list(expected.tags)
        assert item["tags"].get("actor", []) == list(expected.performers)
    assert not [o for o in outcomes if o.outcome not in ("synced", "unchanged", "failed")]
    assert "unexpected error" not in caplog.text and "Traceback" not in caplog.text
    assert plex.errors == []


def test_an_oversized_scene_fails_permanently_and_the_next_one_still_syncs(session, library, plex):
    huge, _ = library.add(title="Huge", performers=["\U0001f600" * 200 + str(i) for i in range(100)])
    fine, fine_key = library.add(title="Fine after huge")
    session.queuer.sync_scenes([huge, fine])
    summary = session.engine.process_due()
    assert (summary.synced, summary.failed) == (1, 1)
    [dead] = session.store.list_dead_letters()
    assert dead.scene_id == huge and dead.error_type == "PermanentError"
    assert "shorten those values in Stash" in dead.error
    assert plex.item_state(fine_key)["title"] == "Fine after huge"
