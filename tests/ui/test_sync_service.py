"""The worker on its QThread syncing against the emulated servers, seen through the service and its models."""

from __future__ import annotations

import pytest

from plexsync_gui.core.storage.process_lock import ProcessLock
from plexsync_gui.ui.models import ID_ROLE
from tests.ui.conftest import settled

pytestmark = pytest.mark.integration


def test_worker_syncs_library_and_models_follow(qtbot, make_service, library, plex, stash) -> None:
    synced = [library.add(title=f"Scene {i}") for i in range(5)]
    library.add(title="No file", files=[])
    service = make_service()
    qtbot.waitUntil(lambda: service.status.get("synced") == 5 and settled(service), timeout=15000)
    for _, rating_key in synced:
        assert plex.item_state(rating_key)["title"].startswith("Scene ")
    assert service.queue_model.rowCount() == 0
    assert service.failed_model.rowCount() == 1
    assert service.failed_model.index(0, 1).data() == "No file"
    outcomes = {service.activity_model.index(r, 3).data() for r in range(service.activity_model.rowCount())}
    assert outcomes == {"synced", "failed"}
    assert service.status["failed"] == 1 and service.status["pending"] == 0


def test_failed_row_retry_and_discard_change_the_store(qtbot, make_service, library) -> None:
    library.add(title="No file A", files=[])
    library.add(title="No file B", files=[])
    service = make_service()
    qtbot.waitUntil(lambda: service.status.get("failed") == 2 and settled(service), timeout=15000)
    first = service.failed_model.index(0, 0).data(ID_ROLE)

    with qtbot.waitSignal(service.failures_added, timeout=10000) as failed_again:
        service.retry_failed([first])
    assert len(failed_again.args[0]) == 1

    service.discard_failed(None)
    qtbot.waitUntil(lambda: service.status.get("failed") == 0 and settled(service), timeout=10000)
    assert service.failed_model.rowCount() == 0


def test_pause_stops_processing_until_resume(qtbot, make_service, library, plex) -> None:
    service = make_service(start=False)
    service.set_paused(True)
    _, rating_key = library.add(title="Held back")
    service.start()
    qtbot.waitUntil(lambda: service.status.get("paused") is True, timeout=10000)
    assert plex.item_state(rating_key)["title"] != "Held back"
    service.set_paused(False)
    qtbot.waitUntil(lambda: plex.item_state(rating_key)["title"] == "Held back", timeout=15000)


def test_remove_and_retry_now_on_queued_jobs(qtbot, make_service, library, plex, stash) -> None:
    library.add(title="Not scanned", in_plex=False)
    library.add(title="Also not scanned", in_plex=False)
    service = make_service()
    qtbot.waitUntil(lambda: service.status.get("pending") == 2 and settled(service)
                    and service.queue_model.rowCount() == 2, timeout=15000)
    ids = [service.queue_model.index(r, 0).data(ID_ROLE) for r in range(2)]
    assert {service.queue_model.index(r, 3).data() for r in range(2)} == {"retry later"}

    service.remove_jobs(ids[:1])
    qtbot.waitUntil(lambda: service.status.get("pending") == 1 and settled(service)
                    and service.queue_model.rowCount() == 1, timeout=10000)

    plex.clear_log()
    service.retry_jobs(ids[1:])
    qtbot.waitUntil(lambda: plex.count("GET", "/library/sections") > 0, timeout=10000)
    qtbot.waitUntil(lambda: settled(service) and service.queue_model.index(0, 4).data().startswith("2 of"),
                    timeout=10000)


def test_choosing_a_candidate_resolves_an_ambiguous_match(qtbot, make_service, stash, plex, movies) -> None:
    stash.add_scene(title="Twice in Plex", files=["/data/movies/twice.mp4"])
    plex.add_item(movies, "/media/movies/twice.mp4", title="first copy")
    second = plex.add_item(movies, "/media/movies/twice.mp4", title="second copy")
    service = make_service()
    qtbot.waitUntil(lambda: service.status.get("failed") == 1 and settled(service), timeout=15000)
    dead_letter_id = service.failed_model.index(0, 0).data(ID_ROLE)

    with qtbot.waitSignal(service.detail_ready, timeout=10000) as detail:
        service.fetch_detail(dead_letter_id)
    candidates = detail.args[0].candidates
    assert {c["rating_key"] for c in candidates} >= {second}

    service.choose_candidate(dead_letter_id, second)
    qtbot.waitUntil(lambda: plex.item_state(second)["title"] == "Twice in Plex", timeout=15000)
    qtbot.waitUntil(lambda: service.status.get("failed") == 0, timeout=10000)


def test_shutdown_mid_sync_loses_no_job(qtbot, make_service, library, plex, locations) -> None:
    from plexsync_gui.core.storage.store import Store

    for i in range(30):
        library.add(title=f"Bulk {i}")
    plex.delay_next(0.05, count=90)
    service = make_service()
    qtbot.waitUntil(lambda: (service.status.get("synced") or 0) >= 1, timeout=15000)
    service.shutdown()
    store = Store(locations.database)
    counts = store.counts()
    assert counts["in_progress"] == 0
    assert counts["synced"] + counts["pending"] == 30
    store.close()


def test_shutdown_always_closes_the_database_and_frees_the_lock(qtbot, make_service, library, locations) -> None:
    """The stop request is queued to the worker while quit() ends its loop: whichever comes first, the session,
    the database and the processing lock are closed when shutdown returns (a later `plexsync process` can start)."""
    for i in range(30):
        library.add(title=f"Scene {i}")
    for _ in range(6):
        service = make_service()
        qtbot.waitUntil(lambda service=service: bool(service.status), timeout=10000)
        service.shutdown()
        with ProcessLock(locations.data_dir):
            pass


def test_a_finished_stash_job_reaches_plex_through_the_worker_and_the_status_says_live(
        qtbot, make_service, config, stash, plex, movies) -> None:
    config.sync.poll_interval = 3600  # only the job's event can bring the change in time
    scene = stash.add_scene(title="Before", files=["/data/movies/event.mp4"])
    rating_key = plex.add_item(movies, "/media/movies/event.mp4")
    service = make_service()
    qtbot.waitUntil(lambda: plex.item_state(rating_key)["title"] == "Before" and stash.jobs.subscribed == 1
                    and service.status.get("events") == {"plex": "live", "stash": "live"}, timeout=15000)
    stash.advance(5)
    stash.jobs.run_job("Identifying...", work=lambda: stash.update_scene(scene, title="After"))
    qtbot.waitUntil(lambda: plex.item_state(rating_key)["title"] == "After", timeout=15000)
