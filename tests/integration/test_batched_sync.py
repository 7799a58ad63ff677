"""Issue 13: a first sync of many scenes costs one edit per changed scene. Items are found through one paged listing
of the section and read in batches; what the batch cannot settle takes the per-scene lookup with its old
semantics, and a failed shared request fails no job."""

from __future__ import annotations

import unicodedata

import pytest

from plexsync_gui.core.sync.engine import ProcessSummary
from plexsync_gui.core.sync.resolve import INDEX_MIN_NEW

pytestmark = pytest.mark.integration

MANY = INDEX_MIN_NEW + 10
COLD = 1  # with one worker, the first job of a run goes out alone and does its own lookup and read (ClaimedBatch)


def per_scene(plex) -> dict[str, int]:
    """The kinds of request a scene can cost (the connections' one-off setup left out)."""
    return {"listings": plex.count("GET", "/library/sections/1/all"), "reads": plex.count("GET", "/library/metadata/"),
            "puts": plex.count("PUT"), "uploads": plex.count("POST")}


def file_lookups(plex) -> int:
    return sum(1 for r in plex.requests if "file" in r.params)


def on_each_outcome(monkeypatch, hook) -> None:
    """Run `hook` as each job's outcome is recorded: the moment a test injects a fault or a new Plex item."""
    record = ProcessSummary.add

    def add(summary: ProcessSummary, outcome) -> None:
        record(summary, outcome)
        hook(outcome)

    monkeypatch.setattr(ProcessSummary, "add", add)


def queue_many(session, library, count: int = MANY, **fields) -> list[str]:
    ids = [library.add(title=f"Scene {i}", **fields)[0] for i in range(count)]
    assert session.queuer.sync_scenes(ids).queued == count
    return ids


@pytest.fixture
def no_posters(config):
    """Posters off; one worker, so a run's first claim is one job and the requests after it are the batch's."""
    config.fields.poster = False
    config.sync.workers = COLD
    return config


def test_first_sync_of_many_new_scenes_costs_one_edit_each(no_posters, session, library, plex):
    queue_many(session, library)
    plex.clear_log()
    assert session.engine.process_due().synced == MANY
    # the first job's own lookup and read, then for all the others: the section's size, one page, one read
    assert per_scene(plex) == {"listings": COLD + 2, "reads": COLD + 1, "puts": MANY, "uploads": 0}
    [listing] = [r for r in plex.requests if r.method == "GET" and r.headers.get("X-Plex-Container-Start")]
    assert listing.headers["X-Plex-Container-Start"] == "0" and "file" not in listing.params
    assert plex.count() - sum(per_scene(plex).values()) <= 3 * (session.config.sync.workers + 1)  # setup only


def test_changed_scenes_with_known_items_are_read_together(no_posters, session, library, plex, stash):
    ids = queue_many(session, library)
    session.engine.process_due()
    for scene_id in ids:
        stash.update_scene(scene_id, title=f"Renamed {scene_id}")
    session.queuer.sync_scenes(ids)
    plex.clear_log()
    assert session.engine.process_due().synced == MANY
    assert per_scene(plex) == {"listings": 0, "reads": COLD + 1, "puts": MANY, "uploads": 0}


def test_unchanged_items_get_no_edit(no_posters, session, library, plex):
    ids = queue_many(session, library)
    session.engine.process_due()
    session.queuer.sync_scenes(ids, force=True)
    plex.clear_log()
    assert session.engine.process_due().synced == MANY
    assert per_scene(plex) == {"listings": 0, "reads": COLD + 1, "puts": 0, "uploads": 0}


def test_a_large_section_is_listed_in_pages(no_posters, session, library, plex, movies):
    plex.add_items(movies, [{"file": f"/media/movies/other/{i}.mp4"} for i in range(1_200)])
    queue_many(session, library, 100)
    plex.clear_log()
    assert session.engine.process_due().synced == 100
    starts = [r.headers.get("X-Plex-Container-Start") for r in plex.requests
              if r.method == "GET" and r.path == "/library/sections/1/all"]
    # the first job's lookup, the section's size (asked in the query, as plexapi does), then two pages
    assert starts == [None, None, "0", "1000"]
    assert file_lookups(plex) == COLD


def test_few_new_scenes_in_a_large_section_are_looked_up_one_by_one(no_posters, session, library, plex, movies):
    """Listing 2,000 items would cost more than the scenes' own lookups: the section is not listed."""
    plex.add_items(movies, [{"file": f"/media/movies/other/{i}.mp4"} for i in range(2_000)])
    queue_many(session, library)
    plex.clear_log()
    assert session.engine.process_due().synced == MANY
    assert not [r for r in plex.requests if r.headers.get("X-Plex-Container-Start")]
    assert file_lookups(plex) == MANY


def test_index_matches_other_unicode_forms_and_basenames(no_posters, session, library, plex, movies):
    """As the `file=` lookup does: Plex's NFD form of an NFC path, and a file found by its name elsewhere."""
    ids = queue_many(session, library)
    nfc = unicodedata.normalize("NFC", "Café.mp4")
    nfd_key = plex.add_item(movies, "/media/movies/" + unicodedata.normalize("NFD", nfc))
    moved_key = plex.add_item(movies, "/media/elsewhere/moved.mp4")
    ids += [library.add(title="Accented", name=nfc, in_plex=False)[0],
            library.add(title="Moved", name="moved.mp4", in_plex=False)[0]]
    session.queuer.sync_scenes(ids)
    plex.clear_log()
    assert session.engine.process_due().synced == len(ids)
    assert file_lookups(plex) == COLD
    assert plex.item_state(nfd_key)["title"] == "Accented"
    assert plex.item_state(moved_key)["title"] == "Moved"


def test_ambiguous_files_fail_as_the_lookup_fails(no_posters, session, library, plex, movies):
    """Two items with the scene's file: the index does not pick one; the lookup lists both candidates."""
    queue_many(session, library)
    scene_id, first = library.add(title="Dup", name="dup.mp4")
    second = plex.add_item(movies, "/media/movies/dup.mp4", title="copy")
    session.queuer.sync_scenes([scene_id])
    assert session.engine.process_due().synced == MANY
    [dead] = session.store.list_dead_letters()
    assert dead.error_type == "PermanentError" and "strict_matching" in dead.error
    detail = session.store.dead_letter_detail(dead.id)
    assert {c["rating_key"] for c in detail.candidates} == {first, second}


def test_a_file_plex_added_after_the_listing_is_still_found(no_posters, session, library, plex, movies,
                                                           monkeypatch):
    """The index misses an item Plex added after the listing: that scene takes the lookup; its batch-mate whose
    file was listed does not."""
    monkeypatch.setattr("plexsync_gui.core.sync.engine.CLAIM_BATCH", MANY - COLD + 2)  # both late ones in one
    queue_many(session, library)
    late_id, _ = library.add(title="Late", name="late.mp4", in_plex=False)
    listed_id, listed_key = library.add(title="Listed", name="listed.mp4")
    session.queuer.sync_scenes([late_id, listed_id])
    added: list[str] = []
    outcomes: list[object] = []

    def add_late_item(outcome) -> None:  # after the first job, the batch is resolved and running: index built
        outcomes.append(outcome)
        if len(outcomes) == COLD + 1:
            added.append(plex.add_item(movies, "/media/movies/late.mp4"))

    plex.clear_log()
    on_each_outcome(monkeypatch, add_late_item)
    assert session.engine.process_due().synced == MANY + 2
    assert plex.item_state(added[0])["title"] == "Late"
    assert plex.item_state(listed_key)["title"] == "Listed"
    assert file_lookups(plex) == COLD + 1


@pytest.mark.parametrize("route", ["/library/metadata/", "/library/sections/1/all"])
def test_a_failed_shared_request_fails_no_job(no_posters, session, library, plex, route, monkeypatch):
    """The batch read (or the listing) answers 500 once: every job reads its own item, none is charged, and the
    breaker never counts the shared failure. The fault is set once the run's first job is done, before the batch
    is resolved, with no other request in flight (one worker)."""
    queue_many(session, library)
    outcomes: list[object] = []

    def fail_the_shared_request(outcome) -> None:
        outcomes.append(outcome)
        if len(outcomes) == COLD:
            plex.fail_next(500, route=route)

    on_each_outcome(monkeypatch, fail_the_shared_request)
    summary = session.engine.process_due()
    assert (summary.synced, summary.retried, summary.failed) == (MANY, 0, 0)
    assert session.engine.breaker.failures == 0


def test_stopping_puts_claimed_jobs_back(no_posters, session, library, plex, monkeypatch):
    queue_many(session, library)
    started: list[str] = []
    on_each_outcome(monkeypatch, lambda outcome: started.append(outcome.scene_id))
    summary = session.engine.process_due(should_stop=lambda: len(started) >= 2)
    counts = session.store.counts()
    assert summary.synced < MANY
    assert counts.get("in_progress", 0) == 0
    assert counts["pending"] == MANY - summary.synced


def test_a_stale_rating_key_in_a_batch_falls_back_to_the_lookup(no_posters, session, library, plex, stash, movies):
    ids = queue_many(session, library)
    session.engine.process_due()
    old_key = session.store.sync_state(ids[0]).rating_key
    file = plex.item_state(old_key)["file"]
    plex.delete_item(old_key)
    new_key = plex.add_item(movies, file)
    for scene_id in ids:
        stash.update_scene(scene_id, title=f"Renamed {scene_id}")
    session.queuer.sync_scenes(ids)
    assert session.engine.process_due().synced == MANY
    assert plex.item_state(new_key)["title"] == f"Renamed {ids[0]}"
    assert session.store.sync_state(ids[0]).rating_key == new_key


def test_items_naming_no_section_of_their_own_are_read_one_by_one(no_posters, session, library, plex):
    """PMS may put `librarySectionID` only on the container (python-plexapi #550); in a multi-item answer that
    would send edits to the wrong section, so such items are read again alone, where the container's is theirs."""
    plex.item_section_id = False
    queue_many(session, library)
    plex.clear_log()
    assert session.engine.process_due().synced == MANY
    assert per_scene(plex)["reads"] == 1 + MANY and per_scene(plex)["puts"] == MANY
