"""The database file itself going wrong: corrupt or unreadable at start (moved aside with a timestamp, never deleted;
a fresh one started; the reason on screen and in `status`), and a full disk while writing (the job stays queued,
nothing lost, one clear log line)."""

from __future__ import annotations

import json
import logging
import os
import random
import sqlite3
import threading

import pytest

from plexsync_gui.core.setup.session import Locations, open_store
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.runner import Runner
from tests.servers import FakeClock

pytestmark = pytest.mark.reliability

UNLIMITED_PAGES = 1_073_741_823


def seeded_database(path) -> bytes:
    """A real database with some rows, closed; returns its bytes."""
    store = Store(path)
    for i in range(200):
        store.set(f"key {i}", "value " * 20)
    store.close()
    return path.read_bytes()


def corrupt(kind: str, path) -> None:
    if kind == "random bytes":
        path.write_bytes(random.Random(1).randbytes(20_000))
    elif kind == "damaged pages":
        data = bytearray(seeded_database(path))
        data[4096:12288] = random.Random(2).randbytes(8192)  # pages 2-3: b-tree pages of the tables
        path.write_bytes(bytes(data))
    elif kind == "truncated":
        path.write_bytes(seeded_database(path)[:6000])
    elif kind == "a directory":  # what SQLite cannot open at all
        path.mkdir()
        (path / "inside.txt").write_text("kept")
    elif kind == "garbage header":
        data = bytearray(seeded_database(path))
        data[:16] = b"NOT SQLITE AT AL"
        path.write_bytes(bytes(data))


KINDS = ["random bytes", "damaged pages", "truncated", "a directory", "garbage header"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_unusable_database_is_moved_aside_and_a_fresh_one_started(tmp_path, kind, caplog):
    database = tmp_path / "plexsync.db"
    corrupt(kind, database)
    bad = database.read_bytes() if database.is_file() else None
    store = open_store(Locations(tmp_path / "config.toml", tmp_path, tmp_path / "logs"))
    try:
        assert store.integrity_ok() and store.counts()["pending"] == 0
        [moved] = [p for p in tmp_path.iterdir() if p.name.startswith("plexsync.db.unreadable-")
                   and not p.name.endswith(("-wal", "-shm"))]
        assert moved.name.split(".unreadable-")[1].replace("-", "").isdigit()  # a timestamp
        assert moved.read_bytes() == bad if bad is not None else (moved / "inside.txt").read_text() == "kept"
        notice = store.get("database_notice")
        assert notice and "could not be read" in notice and str(moved) in notice
        assert "could not be read" in caplog.text and "moved to" in caplog.text
    finally:
        store.close()


def test_the_cli_says_so_and_keeps_working(cli, library, tmp_path):
    database = tmp_path / "data" / "plexsync.db"
    database.parent.mkdir()
    database.write_bytes(b"this is not a database" * 100)
    library.add(title="After the crash")
    code, _out, err = cli("sync", "--all")
    assert code == 0 and "could not be read" in err and "moved to" in err and err.count("\n") == 1, err
    assert cli("process")[0] == 0
    status = json.loads(cli("status", "--json")[1])
    assert status["synced"] == 1 and "moved to" in status["database_notice"]["message"]
    moved = [p for p in database.parent.iterdir() if p.name.startswith("plexsync.db.unreadable-")]
    assert [p.read_bytes() for p in moved] == [b"this is not a database" * 100]  # kept, never deleted
    assert "note (" in cli("status")[1]


def test_a_busy_database_is_waited_for_not_mistaken_for_a_corrupt_one(tmp_path):
    database = tmp_path / "plexsync.db"
    Store(database).close()
    holder = sqlite3.connect(database, timeout=0, check_same_thread=False, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.3, holder.execute, ["ROLLBACK"])
    release.start()
    try:
        store = open_store(Locations(tmp_path / "config.toml", tmp_path, tmp_path / "logs"))
        store.close()
    finally:
        release.join()
        holder.close()
    assert [p.name for p in tmp_path.iterdir() if ".unreadable-" in p.name] == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_database_file_is_moved_aside(tmp_path):
    database = tmp_path / "plexsync.db"
    Store(database).close()
    database.chmod(0)
    store = open_store(Locations(tmp_path / "config.toml", tmp_path, tmp_path / "logs"))
    store.close()
    assert [p for p in tmp_path.iterdir() if p.name.startswith("plexsync.db.unreadable-")]


# ---- disk full ---------------------------------------------------------------------------------------------------


def fill_the_disk(store: Store) -> None:
    """No page beyond the ones the database has now: every write that needs one fails with SQLITE_FULL."""
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")


def free_the_disk(store: Store) -> None:
    store._db.execute(f"PRAGMA max_page_count = {UNLIMITED_PAGES}")


def test_disk_full_while_syncing_keeps_the_jobs_queued(session, library, plex, caplog):
    pairs = dict(library.add(title=f"Scene {i}", details="d" * 300) for i in range(40))
    session.queuer.sync_all()
    fill_the_disk(session.store)
    summary = session.engine.process_due()
    assert "the disk is full" in summary.stopped_reason
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and "cannot write the database" in errors[0].getMessage() and "stays queued" in errors[0].getMessage()
    queued = {job.scene_id for job in session.store.list_jobs()}
    synced = {sid for sid in pairs if (state := session.store.sync_state(sid)) and state.synced_at}
    assert queued | synced == set(pairs) and queued  # nothing lost, and the full disk really stopped work
    assert session.engine.process_due().stopped_reason  # still full: still stopped, still nothing lost
    free_the_disk(session.store)
    assert session.engine.process_due().stopped_reason is None
    assert session.store.list_jobs() == []
    assert all(plex.item_state(rk)["title"] == f"Scene {i}" for i, rk in enumerate(pairs.values()))


def test_disk_full_while_polling_keeps_the_cursor_and_the_changes(session, library, stash, caplog):
    clock = FakeClock()
    session.engine.clock = session.queuer.clock = session.poller.clock = clock
    runner = Runner(session.engine, session.poller, 10.0, clock=clock)
    library.add(title="first")
    clock.advance(runner.step(lambda: False).wait)
    cursor = session.store.get("stash_watermark")
    stash.advance(5)
    for i in range(30):
        library.add(title=f"while full {i}", details="x" * 500)
    fill_the_disk(session.store)
    for _ in range(3):
        clock.advance(runner.step(lambda: False).wait + 60)
    assert session.store.get("stash_watermark") == cursor
    assert "the disk is full" in runner.status().stash_error["message"] and "cannot write the database" in caplog.text
    free_the_disk(session.store)
    for _ in range(10):
        clock.advance(runner.step(lambda: False).wait)
    assert session.store.counts()["synced"] == 31
