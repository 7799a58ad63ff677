import sqlite3

import pytest

from plexsync_gui.core.storage.store import (
    ActivityEntry,
    DeadLetter,
    DeadLetterDetail,
    JobRow,
    JobStatus,
    NewJob,
    OwnedItem,
    Store,
    SyncState,
)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "db.sqlite")
    yield s
    s.close()


def job(scene_id="1", digest="h1", force=False):
    return NewJob(scene_id, f"title {scene_id}", f"/p/{scene_id}.mp4", '{"x": 1}', digest, force)


def test_one_live_row_per_scene_newest_data_wins(store):
    store.enqueue([job("1", "h1")])
    store.enqueue([job("1", "h2")])
    rows = store.list_jobs()
    assert len(rows) == 1
    assert store.claim_next().payload_hash == "h2"


def test_same_payload_again_changes_nothing(store):
    store.enqueue([job("1", "h1")])
    claimed = store.claim_next()
    store.enqueue([job("1", "h1")])
    assert store.claim_next() is None  # still in progress, not duplicated
    assert claimed.revision == 1


def test_a_change_while_in_progress_survives_the_finish(store):
    store.enqueue([job("1", "h1")])
    claimed = store.claim_next()
    store.enqueue([job("1", "h2")])
    store.finish(claimed, {"pushed_hash": "h1"}, ("synced", "x"))
    again = store.claim_next()
    assert again is not None and again.payload_hash == "h2"


def test_crash_recovery_returns_in_progress_jobs(store, tmp_path):
    store.enqueue([job("1")])
    store.claim_next()
    store.close()
    reopened = Store(tmp_path / "db.sqlite")
    assert reopened.recover_interrupted() == 1
    assert reopened.claim_next() is not None
    reopened.close()


def test_retry_wait_is_not_due_until_its_time(store):
    store.enqueue([job("1")], now=100)
    claimed = store.claim_next(now=100)
    store.reschedule(claimed, "PlexTemporaryError", "boom", 1, 5, next_retry_at=200)
    assert store.claim_next(now=150) is None
    assert store.next_due_at() == 200
    assert store.claim_next(now=200).attempts == 1


def test_retry_now_makes_waiting_jobs_due(store):
    store.enqueue([job("1")], now=100)
    store.reschedule(store.claim_next(now=100), "PlexNotFound", "none", 1, 12, next_retry_at=10_000)
    assert store.retry_now(None) == 1
    assert store.claim_next(now=101) is not None


def test_dead_letter_then_retry_moves_back_with_attempts_reset(store):
    store.enqueue([job("1")])
    claimed = store.claim_next()
    store.dead_letter(claimed, "PermanentError", "no file", 1)
    assert store.list_jobs() == []
    [dead] = store.list_dead_letters()
    assert dead.error_type == "PermanentError" and dead.attempts == 1
    assert store.retry_dead_letters([dead.id]) == 1
    assert store.list_dead_letters() == []
    [row] = store.list_jobs()
    assert row.attempts == 0 and row.status == "pending"


def test_one_dead_letter_per_scene(store):
    for _ in range(3):
        store.enqueue([job("1", digest=str(_))])
        store.dead_letter(store.claim_next(), "PlexNotFound", "none", 12)
    assert len(store.list_dead_letters()) == 1


def test_new_data_brings_a_scene_back_from_the_dead_letters(store):
    store.enqueue([job("1", "h1")])
    store.dead_letter(store.claim_next(), "PlexNotFound", "none", 12)
    assert store.settled_hashes(["1"]) == {"1": {"h1"}}
    store.enqueue([job("1", "h2")])
    assert store.list_dead_letters() == [] and len(store.list_jobs()) == 1


def test_a_live_job_alone_settles_its_scene(store):
    store.enqueue([job("1", "pushed")])
    store.finish(store.claim_next(), {"pushed_hash": "pushed"}, None)
    assert store.settled_hashes(["1"]) == {"1": {"pushed"}}
    store.enqueue([job("1", "queued")])
    assert store.settled_hashes(["1", "2"]) == {"1": {"queued"}}  # a change back to "pushed" must replace it


def test_discard_and_purge(store):
    for scene in ("1", "2", "3"):
        store.enqueue([job(scene)])
        store.dead_letter(store.claim_next(), "PermanentError", "x", 1, now=1000 * int(scene))
    first = store.list_dead_letters()[-1].id
    assert store.discard_dead_letters([first]) == 1
    assert store.purge_dead_letters(older_than_seconds=500, now=3000) == 1  # scene 2 failed at 2000
    assert [d.scene_id for d in store.list_dead_letters()] == ["3"]


def test_rows_are_typed_with_raw_epoch_times(store):
    """Listings hand out frozen rows with the stored epoch seconds; formatting a time is the front ends' job."""
    store.enqueue([job("1"), job("2")])
    store.dead_letter(store.claim_next(), "PermanentError", "no file", 1, candidates=[{"rating_key": "7"}],
                      now=1_751_371_200.5)
    store.reschedule(store.claim_next(), "PlexNotFound", "not yet", 1, 12, next_retry_at=1_751_371_260.0)
    [row] = store.list_jobs()
    assert row == JobRow(2, "2", "title 2", "/p/2.mp4", JobStatus.RETRY_WAIT, 1, 12, 1_751_371_260.0,
                         "PlexNotFound", "not yet")
    [dead] = store.list_dead_letters()
    assert dead == DeadLetter(dead.id, "1", "title 1", "/p/1.mp4", "PermanentError", "no file", 1, 1_751_371_200.5,
                              None)
    detail = store.dead_letter_detail(dead.id)
    assert detail == DeadLetterDetail(*vars(dead).values(), payload={"x": 1}, candidates=({"rating_key": "7"},))
    assert store.dead_letter_detail(dead.id + 1) is None
    [entry] = store.recent_activity()
    assert isinstance(entry, ActivityEntry) and isinstance(entry.at, float) and entry.outcome == "failed"


def test_job_status_values_are_the_only_ones_the_table_takes(store):
    store.enqueue([job("1")])
    assert store.claim_next().status is JobStatus.IN_PROGRESS
    with pytest.raises(sqlite3.IntegrityError):
        store._db.execute("UPDATE jobs SET status = 'done'")
    for status in JobStatus:
        store._db.execute("UPDATE jobs SET status = ?", (status,))
        assert store.list_jobs()[0].status is status


def test_counts(store):
    store.enqueue([job("1"), job("2"), job("3")])
    store.finish(store.claim_next(), {"pushed_hash": "h", "synced_at": 1.0}, None)
    store.claim_next()
    assert store.counts() == {"pending": 1, "retry_wait": 0, "in_progress": 1, "dlq": 0, "synced": 1}


def test_enqueue_of_a_hundred_thousand_is_one_transaction(store):
    jobs = [job(str(i)) for i in range(100_000)]
    assert store.enqueue(jobs) == 100_000
    assert store.counts()["pending"] == 100_000
    assert store.integrity_ok()


def test_activity_is_capped(store, monkeypatch):
    monkeypatch.setattr("plexsync_gui.core.storage.store.ACTIVITY_LIMIT", 5)
    for i in range(12):
        store.enqueue([job(str(i))])
        store.finish(store.claim_next(), {}, ("synced", "x"))
    assert len(store.recent_activity(100)) == 5


def test_seen_stamps_of_some_scenes_or_of_all(store):
    """A light poll reads the memory of the scenes it got back only; the hourly full listing reads all of it."""
    seen = [(str(i), f"2025-01-01T00:00:{i % 60:02d}Z") for i in range(1200)]  # more than one IN chunk
    store.enqueue([], seen=seen)
    store.enqueue([job("unseen")])
    assert store.seen_updated_at() == dict(seen)
    assert store.seen_updated_at(["5", "1100", "unseen", "missing"]) == {"5": seen[5][1], "1100": seen[1100][1]}
    assert store.seen_updated_at([]) == {}


def test_a_version_1_database_moves_what_was_written_to_the_plex_item(tmp_path):
    path = tmp_path / "v1.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE sync_state (scene_id TEXT PRIMARY KEY, rating_key TEXT, pushed_hash TEXT, "
                   "written TEXT, poster_sha1 TEXT, seen_updated_at TEXT, synced_at REAL)")
        db.execute("INSERT INTO sync_state VALUES ('7', '70', 'h', '{\"title\": \"T\"}', 'sha', 'u', 1.0)")
        db.execute("PRAGMA user_version=1")
    store = Store(path)
    try:
        assert store.sync_state("7") == SyncState("7", "70", "h", "u", 1.0)
        assert store.owned_item("70", "/any") == OwnedItem("70", None, {"title": "T"}, "sha")
    finally:
        store.close()


def test_a_version_2_database_keeps_its_dead_letters_and_records_limits_from_now_on(tmp_path):
    """Version 3 adds the limit a dead letter reached ("5 of 5"); older dead letters show their attempts alone."""
    path = tmp_path / "v2.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, scene_id TEXT NOT NULL UNIQUE, "
                   "title TEXT NOT NULL, path TEXT, error_type TEXT NOT NULL, error TEXT NOT NULL, "
                   "attempts INTEGER NOT NULL, failed_at REAL NOT NULL, payload TEXT NOT NULL, "
                   "payload_hash TEXT NOT NULL, candidates TEXT)")
        db.execute("INSERT INTO dead_letters VALUES (1, '9', 'old', NULL, 'PlexTemporaryError', 'down', 5, 1.0, "
                   "'{}', 'h', NULL)")
        db.execute("PRAGMA user_version=2")
    store = Store(path)
    try:
        [old] = store.list_dead_letters()
        assert (old.attempts, old.max_attempts) == (5, None)
        store.enqueue([job("1")])
        store.dead_letter(store.claim_next(), "PlexNotFound", "not scanned", 12, max_attempts=12)
        assert {d.scene_id: d.max_attempts for d in store.list_dead_letters()} == {"9": None, "1": 12}
    finally:
        store.close()


def test_what_was_written_follows_the_plex_item_not_the_scene(store):
    store.enqueue([job("1")])
    store.finish(store.claim_next(), {"rating_key": "70"}, None, OwnedItem("70", "/media/a.mp4", {"title": "T"}))
    store.drop_scene("1")  # deleted in Stash; re-added later under another id, with the same file
    assert store.owned_item(None, "/media/a.mp4") == OwnedItem("70", "/media/a.mp4", {"title": "T"})
    assert store.owned_item(None, "/media/other.mp4") is None
    store.forget_item("2", "70")  # the item turned out gone
    assert store.owned_item("70", "/media/a.mp4") == OwnedItem("70")


def test_a_batch_without_unchanged_scenes_checks_no_dead_letters_in_a_transaction(store, monkeypatch):
    """Enqueueing is one transaction per Stash batch (issue 13); an empty check must not add a second."""
    opened = []
    transaction = store._tx
    monkeypatch.setattr(store, "_tx", lambda *a, **k: opened.append(1) or transaction(*a, **k))
    assert store.drop_stale_dead_letters([]) == []
    assert opened == []


def test_a_batch_is_one_transaction_and_each_write_in_it_stays_whole(store):
    """`Store.batch` (issue 13): one commit for many writes; a write that fails inside is undone alone."""
    store.enqueue([job("1"), job("2")])
    first, second = store.claim_next(), store.claim_next()
    opened = []
    store._db.set_trace_callback(lambda sql: opened.append(sql) if sql.startswith("BEGIN") else None)
    with store.batch():
        store.finish(first, {"rating_key": "71"}, None, OwnedItem("71", "/p/1.mp4", {"title": "T"}))
        with pytest.raises(sqlite3.IntegrityError), store._tx() as db:
            db.execute("UPDATE jobs SET status = 'in_progress' WHERE id = ?", (second.id,))
            db.execute("INSERT INTO jobs (scene_id) VALUES ('3')")  # NOT NULL columns missing: fails
        store.release(second)
    assert opened == ["BEGIN IMMEDIATE"]
    assert store.sync_state("1").rating_key == "71"
    assert [(j.scene_id, j.status) for j in store.list_jobs()] == [("2", JobStatus.PENDING)]


def test_a_failure_escaping_a_batch_undoes_all_of_it(store):
    store.enqueue([job("1")])
    claimed = store.claim_next()
    with pytest.raises(RuntimeError), store.batch():
        store.finish(claimed, {"rating_key": "71"}, None)
        raise RuntimeError("interrupted")
    assert store.sync_state("1") is None
    assert [(j.scene_id, j.status) for j in store.list_jobs()] == [("1", JobStatus.IN_PROGRESS)]
