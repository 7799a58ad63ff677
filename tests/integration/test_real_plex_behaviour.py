"""Cases where a real Plex Media Server answers differently from a friendly one (issue 11), end to end through the
engine against the emulated Plex, which now answers like PMS in each: posters of 10 MB and more, an item whose edit
Plex refuses, episodes, `librarySectionID` only on the container, edits without an item id, long edits behind a
proxy with an 8 KB request line."""

from __future__ import annotations

import io
import os
import time

import pytest
import requests
from PIL import Image

from plexsync_gui.core.errors import PlexPermanentError
from plexsync_gui.core.plex.client import PlexClient, PlexItem
from plexsync_gui.core.plex.edits import MAX_REQUEST_LINE, PlexItemSnapshot
from plexsync_gui.core.sync.breaker import BreakerState
from plexsync_gui.emulators.plex import MAX_IMAGE_BYTES
from tests.servers import PLEX_TOKEN, FakeClock, sha1

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def huge_screenshot() -> bytes:
    """A real PNG over PMS's ~10 MB limit: random pixels do not compress."""
    image = Image.frombytes("RGB", (2100, 1700), os.urandom(2100 * 1700 * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    assert out.tell() >= MAX_IMAGE_BYTES
    return out.getvalue()


def sync(session, *scene_ids: str, outcomes: list | None = None):
    session.queuer.sync_scenes(list(scene_ids))
    summary = session.engine.process_due()
    if outcomes is not None:
        outcomes += summary.outcomes
    return summary


def last_detail(session) -> str:
    return session.store.recent_activity(1)[0].detail


# --- posters ------------------------------------------------------------------------------------------------------


def test_a_screenshot_over_plexs_limit_is_scaled_down_and_the_metadata_syncs(session, library, plex, stash,
                                                                             huge_screenshot):
    scene_id, rating_key = library.add(title="Huge cover")
    stash.set_cover(scene_id, huge_screenshot)
    summary = sync(session, scene_id)
    assert (summary.synced, summary.retried, summary.failed) == (1, 0, 0)
    assert plex.item_state(rating_key)["title"] == "Huge cover"
    [upload] = [r for r in plex.requests if r.method == "POST"]
    assert upload.status == 200 and upload.body_len < MAX_IMAGE_BYTES
    state = plex.item_state(rating_key)
    assert [p["selected"] for p in state["posters"]] == [True]
    served = requests.get(plex.url + state["thumb"], headers={"X-Plex-Token": PLEX_TOKEN}, timeout=5)
    with Image.open(io.BytesIO(served.content)) as uploaded:
        assert uploaded.format == "JPEG" and max(uploaded.size) <= 2100
    assert "poster scaled down from" in last_detail(session)
    owned = session.store.owned_item(rating_key, "")
    assert owned is not None and owned.poster_sha1 == sha1(huge_screenshot)  # not scaled again next time
    assert session.engine.breaker.failures == 0


def test_a_huge_screenshot_that_is_no_image_is_skipped_with_a_note(session, library, plex, stash):
    scene_id, rating_key = library.add(title="Garbage cover")
    stash.set_cover(scene_id, b"\xff\xd8\xff\xe0" + os.urandom(MAX_IMAGE_BYTES))
    summary = sync(session, scene_id)
    assert (summary.synced, summary.retried, summary.failed) == (1, 0, 0)
    assert plex.count("POST") == 0 and plex.item_state(rating_key)["title"] == "Garbage cover"
    assert "poster not uploaded: the screenshot is" in last_detail(session)


def test_a_poster_plex_refuses_never_fails_the_metadata_sync(session, library, plex):
    scene_id, rating_key = library.add(title="Refused cover")
    plex.fail_next(500, route=f"/library/metadata/{rating_key}/posters")
    summary = sync(session, scene_id)
    assert (summary.synced, summary.retried, summary.failed) == (1, 0, 0)
    assert plex.item_state(rating_key)["title"] == "Refused cover"
    assert "poster not uploaded: Plex answered HTTP 500" in last_detail(session)
    assert session.engine.breaker.failures == 0


# --- deterministic errors -----------------------------------------------------------------------------------------


def test_an_edit_plex_refuses_while_it_answers_is_the_items_problem(session, library, plex):
    """Plex answers /identity and 500s one item's edit, five times: no breaker failure, no attempt given back, a
    dead letter naming the refusal and the fields; the healthy scene beside it syncs."""
    scene_id, rating_key = library.add(title="Damaged in Plex", studio="Harbour", tags=["Outdoor"])
    healthy_id, healthy_key = library.add(title="Healthy")
    plex.broken_items.add(rating_key)
    clock = FakeClock(time.time())
    session.engine.clock = session.queuer.clock = clock
    session.queuer.sync_scenes([scene_id, healthy_id])
    outcomes: list = []
    while not session.store.list_dead_letters():
        outcomes += session.engine.process_due().outcomes
        assert (session.engine.breaker.state, session.engine.breaker.failures) == (BreakerState.CLOSED, 0)
        session.store.retry_now(None)
        clock.advance(61)
    assert [o.outcome for o in outcomes if o.scene_id == scene_id] == ["retry"] * 4 + ["failed"]
    [dead] = session.store.list_dead_letters()
    assert (dead.error_type, dead.attempts, dead.max_attempts) == ("PlexEditRefused", 5, 5)  # "5 of 5" in the app
    assert f"Plex refused the edit of item {rating_key} (HTTP 500)" in dead.error
    assert "it carried title, studio, tags, collection (gave up after 5 attempts)" in dead.error
    assert plex.item_state(healthy_key)["title"] == "Healthy"


def test_a_refused_edit_while_identity_is_down_still_counts_as_an_outage(session, library, plex):
    scene_id, rating_key = library.add(title="Plex half down")
    plex.broken_items.add(rating_key)
    plex.fail_next(503, count=3, route="/identity")
    summary = sync(session, scene_id)
    assert summary.retried == 1
    assert session.engine.breaker.failures == 1
    assert session.store.list_jobs()[0].last_error_type == "PlexEditRefused"


# --- episodes -----------------------------------------------------------------------------------------------------


def test_an_episode_gets_only_the_fields_plex_has_for_it(make_session, config, stash, plex):
    config.plex.libraries = ["TV"]
    tv = plex.add_section("TV", "show", ["/media/tv"])
    tv_session = make_session()
    rating_key = plex.add_item(tv, "/media/tv/Show/Season 1/Show - s01e01.mkv")
    scene_id = stash.add_scene(title="Pilot", details="It begins.", date="2024-03-05", studio="Harbour",
                               performers=["Ada Lane"], tags=["Outdoor"],
                               files=["/data/tv/Show/Season 1/Show - s01e01.mkv"])
    summary = sync(tv_session, scene_id)
    assert (summary.synced, summary.failed) == (1, 0)
    [put] = [r for r in plex.requests if r.method == "PUT"]
    assert put.params["type"] == ["4"]
    sent = {key.split("[")[0].split(".")[0] for key in put.params} - {"id", "type"}
    assert sent == {"title", "summary", "originallyAvailableAt", "year", "collection"}
    state = plex.item_state(rating_key)
    assert (state["title"], state["summary"], state["tags"]["collection"]) == ("Pilot", "It begins.", ["Harbour"])
    assert last_detail(tv_session).endswith("; studio, performers, tags: not applicable to episodes, not sent")

    stash.update_scene(scene_id, title="Pilot, part 1")  # a later change: no second note, no studio sent
    plex.clear_log()
    assert sync(tv_session, scene_id).synced == 1
    assert last_detail(tv_session) == "title changed"
    tv_session.queuer.sync_scenes([scene_id], force=True)  # forced: nothing left to send, so no PUT at all
    plex.clear_log()
    tv_session.engine.process_due()
    assert plex.count("PUT") == 0 and last_detail(tv_session) == "no change"


# --- librarySectionID on the container only (python-plexapi #550) -------------------------------------------------


def test_an_item_naming_its_section_only_on_the_container_syncs(session, library, plex, movies):
    plex.item_section_id = False
    scene_id, rating_key = library.add(title="Section from the container")
    assert sync(session, scene_id).synced == 1
    assert plex.item_state(rating_key)["title"] == "Section from the container"
    assert [r.path for r in plex.requests if r.method == "PUT"] == [f"/library/sections/{movies}/all"]


# --- never an edit without an item id -----------------------------------------------------------------------------


@pytest.mark.parametrize("rating_key", ["", " ", "None", "1000,1001"])
def test_an_edit_without_an_item_id_is_never_sent(plex, movies, rating_key):
    kept = plex.add_item(movies, "/media/movies/other.mkv", title="Untouched")
    client = PlexClient(plex.url, PLEX_TOKEN, timeout=5)
    item = PlexItem(rating_key, str(movies), 1, (), PlexItemSnapshot(rating_key, {}, {}, frozenset()))
    try:
        with pytest.raises(PlexPermanentError, match="without an item id"):
            client.apply(item, {"title.value": "Everything", "title.locked": 1})
    finally:
        client.close()
    assert plex.count("PUT") == 0
    assert plex.item_state(kept)["title"] == "Untouched"


# --- long edits behind a proxy ------------------------------------------------------------------------------------


def test_a_long_edit_is_split_under_a_proxys_8_kb_request_line(session, library, plex):
    plex.max_request_line = MAX_REQUEST_LINE
    tags = [f"tag-{i:02d}-" + "t" * 40 for i in range(60)]
    scene_id, rating_key = library.add(title="Long", details="d" * 6000, tags=tags, performers=["Ada Lane"])
    summary = sync(session, scene_id)
    assert (summary.synced, summary.failed) == (1, 0)
    puts = [r for r in plex.requests if r.method == "PUT"]
    assert len(puts) == 2 and all(r.status == 200 for r in puts)
    assert all(len(f"PUT {r.path}?{r.query} HTTP/1.1") <= MAX_REQUEST_LINE for r in puts)
    scalars, lists = ({key.split("[")[0].split(".")[0] for key in r.params} - {"id", "type"} for r in puts)
    assert scalars.isdisjoint({"genre", "actor", "collection"}) and lists <= {"genre", "actor", "collection"}
    state = plex.item_state(rating_key)
    assert (state["summary"], state["tags"]["genre"]) == ("d" * 6000, tags)


def test_a_single_value_over_the_limit_is_named_when_the_proxy_refuses_it(session, library, plex):
    plex.max_request_line = MAX_REQUEST_LINE
    scene_id, rating_key = library.add(title="Too long", details="d" * 9000)
    summary = sync(session, scene_id)
    assert summary.failed == 1
    [dead] = session.store.list_dead_letters()
    assert "HTTP 414" in dead.error and "the request carrying description was" in dead.error
    assert "shorten description in Stash" in dead.error
    assert plex.item_state(rating_key)["title"] == "Too long"  # the rest went in its own PUT
