"""Issue 13: with posters on, a scene's cover is downloaded from Stash while its Plex item is edited, so the scene
waits for two requests in a row (edit, then upload), not three; each scene still costs one download, one edit and
one upload, in that per-scene order on the Plex side, and a job that cannot reach Plex costs Stash nothing."""

from __future__ import annotations

import threading

import pytest

from plexsync_gui.core.sync.engine import Outcome

pytestmark = pytest.mark.integration


def queue(session, library, count: int) -> list[str]:
    ids = [library.add(title=f"Poster scene {i}")[0] for i in range(count)]
    assert session.queuer.sync_scenes(ids).queued == count
    return ids


def test_each_scene_costs_one_download_one_edit_one_upload(session, library, plex, stash):
    count = 25
    queue(session, library, count)
    plex.clear_log()
    stash.clear_log()
    summary = session.engine.process_due()
    assert summary.synced == count
    assert stash.count(path="/scene/") == count
    assert (plex.count("PUT"), plex.count("POST")) == (count, count)
    for rating_key in {r.path.split("/")[3] for r in plex.requests if r.method == "POST"}:
        sent = [r.method for r in plex.requests if r.method in ("PUT", "POST")
                and (r.path.startswith(f"/library/metadata/{rating_key}/") or r.params.get("id") == [rating_key])]
        assert sent == ["PUT", "POST"]  # the edit first, then the poster


def test_the_download_starts_before_the_edit_is_answered(config, session, library, monkeypatch):
    """The edit waits (up to 10 s) for the download to have started: with a download made only after the edit, it
    would still be waiting when it gave up."""
    config.sync.workers = 1
    queue(session, library, 1)
    lane = session.engine._lanes[0]
    download_started = threading.Event()
    order: list[str] = []
    download, apply = lane.stash.download_image, lane.plex.apply

    def downloading(url: str) -> bytes | None:
        download_started.set()
        return download(url)

    def editing(item, params) -> None:
        order.append("download started" if download_started.wait(10) else "edit alone")
        apply(item, params)

    monkeypatch.setattr(lane.stash, "download_image", downloading)
    monkeypatch.setattr(lane.plex, "apply", editing)
    summary = session.engine.process_due()
    assert [o.outcome for o in summary.outcomes] == [Outcome.SYNCED]
    assert "poster" in summary.outcomes[0].detail
    assert order == ["download started"]


def test_a_stash_outage_after_the_edit_still_waits_for_stash(session, library, plex, stash):
    """As before the overlap: the edit is made, the download's failure is the job's (jobs wait for Stash)."""
    queue(session, library, 1)
    stash.fail_next(503, path="/scene/")
    plex.clear_log()
    summary = session.engine.process_due()
    assert [o.outcome for o in summary.outcomes] == [Outcome.RELEASED]
    assert plex.count("PUT") == 1 and plex.count("POST") == 0


def test_a_job_that_cannot_find_its_item_downloads_nothing(config, session, library, stash):
    config.sync.workers = 1
    scene_id, _ = library.add(in_plex=False, title="Not scanned yet")
    session.queuer.sync_scenes([scene_id])
    stash.clear_log()
    summary = session.engine.process_due()
    assert [o.outcome for o in summary.outcomes] == [Outcome.RETRY]
    assert stash.count(path="/scene/") == 0
