"""Failures, driven through the real code path against the emulated servers: classification, backoff, dead letters,
the auth pause and the circuit breaker."""

from __future__ import annotations

import time

import pytest

from plexsync_gui.core.errors import StashError
from tests.servers import FakeClock

pytestmark = pytest.mark.integration


def queue_one(session, library, **fields):
    scene_id, rating_key = library.add(title=fields.pop("title", "A scene"), **fields)
    session.queuer.sync_scenes([scene_id])
    return scene_id, rating_key


def only_job(session):
    [job] = session.store.list_jobs()
    return job


def seconds_until(epoch: float) -> float:
    return epoch - time.time()


@pytest.mark.parametrize("fault", ["refused", "timeout", "http500", "http503", "http429", "http520", "html", "drop"])
def test_temporary_plex_failures_are_retried_with_backoff(session, library, plex, fault):
    queue_one(session, library)
    session.plex.sections()  # connect and cache the sections first, so the fault hits the sync itself
    {
        "refused": plex.refuse,
        "timeout": lambda: plex.delay_next(2.5),
        "http500": lambda: plex.fail_next(500),
        "http503": lambda: plex.fail_next(503),
        "http429": lambda: plex.fail_next(429),
        "http520": lambda: plex.fail_next(520),
        "html": lambda: plex.html_next(),
        "drop": lambda: plex.drop_next(),
    }[fault]()
    summary = session.engine.process_due()
    assert (summary.synced, summary.retried, summary.failed) == (0, 1, 0)
    job = only_job(session)
    assert job.status == "retry_wait"
    assert job.last_error_type == "PlexTemporaryError"
    assert (job.attempts, job.max_attempts) == (1, 5)
    assert 0 <= seconds_until(job.next_retry_at) <= 6
    assert session.store.list_dead_letters() == []


def test_job_syncs_once_the_fault_is_gone(session, library, plex):
    _, rating_key = queue_one(session, library, title="Eventually")
    session.plex.sections()
    plex.fail_next(503)
    session.engine.process_due()
    session.store.retry_now(None)
    assert session.engine.process_due().synced == 1
    assert plex.item_state(rating_key)["title"] == "Eventually"
    assert session.store.list_jobs() == []


def test_transient_failures_dead_letter_after_max_attempts(session, library, plex):
    """A job failing alone: its fifth failure in a row opens the breaker, which reads it as an outage and gives the
    attempts back. Plex answers the probe, so each half-open trial is charged and the job still ends in the dead
    letters after max attempts: retries stay finite."""
    queue_one(session, library)
    session.plex.sections()
    clock = FakeClock(time.time())
    session.engine.clock = session.queuer.clock = clock
    plex.fail_next(500, count=10, route="/library/sections/1/all")
    outcomes = []
    while not session.store.list_dead_letters():
        outcomes += session.engine.process_due().outcomes
        session.store.retry_now(None)
        clock.advance(61)
    assert [o.outcome for o in outcomes] == ["retry"] * 4 + ["released"] + ["retry"] * 4 + ["failed"]
    assert session.store.list_jobs() == []
    [dead] = session.store.list_dead_letters()
    assert dead.error_type == "PlexTemporaryError" and dead.attempts == 5


def test_max_retries_changes_the_transient_limit(make_session, config, library, plex):
    config.sync.max_retries = 2
    session = make_session()
    queue_one(session, library)
    session.plex.sections()
    for _ in range(2):
        plex.fail_next(500)
        session.engine.process_due()
        session.store.retry_now(None)
    [dead] = session.store.list_dead_letters()
    assert dead.attempts == 2


def test_no_match_is_plex_not_found_with_twelve_slow_attempts(session, library):
    queue_one(session, library, in_plex=False)
    summary = session.engine.process_due()
    assert summary.retried == 1
    job = only_job(session)
    assert job.last_error_type == "PlexNotFound"
    assert job.max_attempts == 12
    assert 0 <= seconds_until(job.next_retry_at) <= 31
    assert session.engine.breaker.state == "closed"


def test_not_found_then_scanned_syncs(session, library, plex, movies):
    _scene_id, _ = queue_one(session, library, in_plex=False, title="Late arrival", name="late.mp4")
    session.engine.process_due()
    rating_key = plex.add_item(movies, "/media/movies/late.mp4")
    session.store.retry_now(None)
    assert session.engine.process_due().synced == 1
    assert plex.item_state(rating_key)["title"] == "Late arrival"


def test_missing_path_goes_straight_to_dead_letters(session, stash):
    scene_id = stash.add_scene(title="No file")
    session.queuer.sync_scenes([scene_id])
    assert session.engine.process_due().failed == 1
    [dead] = session.store.list_dead_letters()
    assert dead.error_type == "PermanentError" and dead.attempts == 1
    assert "no file" in dead.error
    assert session.store.list_jobs() == []


def test_absent_library_is_permanent(make_session, config, library):
    config.plex.libraries = ["Films"]
    session = make_session()
    queue_one(session, library)
    session.engine.process_due()
    [dead] = session.store.list_dead_letters()
    assert dead.error_type == "PermanentError" and "'Films' not found" in dead.error


def test_library_added_later_is_found_without_restart(make_session, config, library, plex, stash):
    config.plex.libraries = ["Films"]
    session = make_session()
    session.plex.sections()  # plexapi caches the section list on this server object
    films = plex.add_section("Films", "movie", ["/media/films"])
    scene_id = stash.add_scene(title="In films", files=["/data/films/f.mp4"])
    rating_key = plex.add_item(films, "/media/films/f.mp4")
    session.queuer.sync_scenes([scene_id])
    assert session.engine.process_due().synced == 1
    assert plex.item_state(rating_key)["title"] == "In films"


def test_rejected_token_dead_letters_one_job_and_pauses(make_session, library, plex):
    for i in range(3):
        library.add(title=f"Scene {i}")
    session = make_session(token="wrong-token")
    session.queuer.sync_all()
    summary = session.engine.process_due()
    assert summary.failed == 1 and summary.stopped_reason
    [dead] = session.store.list_dead_letters()
    assert dead.error_type == "PlexPermanentError" and "401" in dead.error
    assert session.store.counts()["pending"] == 2  # the rest wait for a fixed token
    assert session.engine.auth_problem
    assert session.engine.process_due().synced == 0  # still paused


def test_fixed_token_resumes_processing(make_session, library, plex):
    for i in range(2):
        library.add(title=f"Scene {i}")
    bad = make_session(token="wrong-token")
    bad.queuer.sync_all()
    bad.engine.process_due()
    good = make_session()
    assert good.engine.check_auth_recovered()
    assert good.engine.process_due().synced == 1


def test_plex_401_mid_run_is_permanent(session, library, plex):
    queue_one(session, library)
    session.plex.sections()
    plex.fail_next(401)
    session.engine.process_due()
    [dead] = session.store.list_dead_letters()
    assert dead.error_type == "PlexPermanentError"


def test_several_matches_with_strict_matching_is_permanent_and_lists_candidates(session, library, plex, movies):
    _scene_id, first = queue_one(session, library, name="dup.mp4")
    second = plex.add_item(movies, "/media/movies/dup.mp4", title="copy")
    session.engine.process_due()
    [dead] = session.store.list_dead_letters()
    assert dead.error_type == "PermanentError"
    assert "strict_matching" in dead.error
    detail = session.store.dead_letter_detail(dead.id)
    assert {c["rating_key"] for c in detail.candidates} == {first, second}


def test_several_matches_without_strict_matching_take_the_first(make_session, config, library, plex, movies):
    config.sync.strict_matching = False
    session = make_session()
    _scene_id, first = queue_one(session, library, name="dup.mp4", title="Chosen")
    second = plex.add_item(movies, "/media/movies/dup.mp4", title="copy")
    assert session.engine.process_due().synced == 1
    assert plex.item_state(first)["title"] == "Chosen"
    assert plex.item_state(second)["title"] == "copy"


def test_ambiguous_and_missing_matches_never_open_the_breaker(session, library, plex, movies):
    for i in range(6):
        library.add(title=f"Dup {i}", name=f"d{i}.mp4")
        plex.add_item(movies, f"/media/movies/d{i}.mp4")
        library.add(title=f"Missing {i}", in_plex=False)
    session.queuer.sync_all()
    session.engine.process_due()
    assert session.engine.breaker.state == "closed"
    assert session.engine.breaker.failures == 0


def test_breaker_opens_stops_charging_and_closes_after_probe(session, library, plex):
    for i in range(8):
        library.add(title=f"Scene {i}")
    session.queuer.sync_all()
    session.plex.sections()
    plex.refuse()
    summary = session.engine.process_due()
    assert summary.retried == 4 and "circuit breaker" in summary.stopped_reason
    assert session.engine.breaker.state == "open"
    counts = session.store.counts()
    assert counts["pending"] == 4  # the three untouched and the one whose failure opened the breaker
    assert [job.attempts for job in session.store.list_jobs()] == [0] * 8  # an outage costs no attempt
    assert session.engine.process_due().retried == 0  # still open, probe not due yet
    plex.resume()
    session.engine.breaker.next_probe_at = 0  # the probe is due
    session.store.retry_now(None)
    assert session.engine.process_due().synced == 8
    assert session.engine.breaker.state == "closed"


def test_dead_letter_retry_moves_the_job_back_and_it_syncs(session, library, plex, movies):
    scene_id, _ = queue_one(session, library, in_plex=False, name="later.mp4")
    job = only_job(session)
    session.store.remove_jobs([job.id])
    session.queuer.sync_scenes([scene_id], force=True)
    for _ in range(12):
        session.engine.process_due()
        session.store.retry_now(None)
    [dead] = session.store.list_dead_letters()
    assert dead.error_type == "PlexNotFound" and dead.attempts == 12
    rating_key = plex.add_item(movies, "/media/movies/later.mp4")
    assert session.store.retry_dead_letters([dead.id]) == 1
    assert session.store.list_dead_letters() == []
    assert session.engine.process_due().synced == 1
    assert plex.item_state(rating_key)["title"] == "A scene"


def test_sync_all_does_not_resurrect_unchanged_dead_letters(session, stash):
    stash.add_scene(title="No file")
    session.queuer.sync_all()
    session.engine.process_due()
    assert len(session.store.list_dead_letters()) == 1
    assert session.queuer.sync_all().queued == 0
    assert len(session.store.list_dead_letters()) == 1


def test_stash_down_during_poll_keeps_the_cursor(session, library, stash):
    library.add(title="x")
    session.poller.poll()
    cursor = session.store.get("stash_watermark")
    stash.refuse()
    with pytest.raises(StashError):
        session.poller.poll()
    stash.resume()
    assert session.store.get("stash_watermark") == cursor


@pytest.mark.parametrize("fault", ["locked", "http502", "html", "unauthorized"])
def test_stash_errors_fail_the_poll_without_moving_the_cursor(session, library, stash, fault):
    library.add(title="x")
    session.poller.poll()
    cursor = session.store.get("stash_watermark")
    stash.advance(3)
    library.add(title="y")
    {"locked": lambda: stash.graphql_error_next("database is locked"),
     "http502": lambda: stash.fail_next(502),
     "html": lambda: stash.html_next(),
     "unauthorized": lambda: stash.unauthorized_next()}[fault]()
    with pytest.raises(StashError):
        session.poller.poll()
    assert session.store.get("stash_watermark") == cursor
    assert session.poller.poll().enqueued.queued == 1  # the change is found on the next poll


def test_poster_download_failure_waits_for_stash_uncharged_and_not_as_a_plex_failure(session, library, stash, plex):
    _, rating_key = queue_one(session, library, title="Needs its poster")
    clock = FakeClock(time.time())
    session.engine.clock = session.queuer.clock = clock
    stash.fail_next(503, path="/scene/")
    summary = session.engine.process_due()
    assert summary.synced == 0 and "Stash is unreachable" in session.engine.process_due().stopped_reason
    job = only_job(session)
    assert (job.status, job.attempts) == ("pending", 0)  # not the job's fault: nothing charged
    assert session.engine.breaker.failures == 0
    clock.advance(10)
    assert session.engine.process_due().synced == 1
    assert plex.item_state(rating_key)["title"] == "Needs its poster"
