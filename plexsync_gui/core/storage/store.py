"""The persistent state: job queue, dead letters, per-scene sync state, what PlexSync owns on each Plex item, small
settings, recent activity.

One SQLite database in WAL mode, typed columns, JSON (never pickles) for the scene payload. Every change is one
transaction, so a crash at any moment leaves either the old or the new state. Rules that keep it bounded:
one live job per scene (a new change updates the row), one dead letter per scene, one sync-state row per scene,
one ownership row per Plex item (dropped when the item is found gone), finished jobs deleted, activity capped.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple, cast

from plexsync_gui.core.errors import LONGEST_BACKOFF
from plexsync_gui.core.storage.private_files import create_private_file, make_private_dirs, tighten
from plexsync_gui.core.storage.quarantine import COMPANIONS

SCHEMA_VERSION = 3
ACTIVITY_LIMIT = 2000


class JobStatus(StrEnum):
    """A live job's state, as stored in `jobs.status` (whose CHECK constraint is made from these values)."""

    PENDING = "pending"  # due now
    RETRY_WAIT = "retry_wait"  # failed, due again at next_retry_at
    IN_PROGRESS = "in_progress"  # claimed by a worker


_STATUS_VALUES = ", ".join(f"'{status}'" for status in JobStatus)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS jobs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    scene_id        TEXT    NOT NULL UNIQUE,
    title           TEXT    NOT NULL,
    path            TEXT,
    status          TEXT    NOT NULL CHECK (status IN ({_STATUS_VALUES})),
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    next_retry_at   REAL,
    last_error_type TEXT,
    last_error      TEXT,
    force           INTEGER NOT NULL DEFAULT 0,
    payload         TEXT    NOT NULL,
    payload_hash    TEXT    NOT NULL,
    revision        INTEGER NOT NULL DEFAULT 1,
    enqueued_at     REAL    NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_retry_at);
CREATE INDEX IF NOT EXISTS jobs_order ON jobs (COALESCE(next_retry_at, enqueued_at), id);

CREATE TABLE IF NOT EXISTS dead_letters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    scene_id    TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL,
    path        TEXT,
    error_type  TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    failed_at   REAL    NOT NULL,
    payload     TEXT    NOT NULL,
    payload_hash TEXT   NOT NULL,
    candidates  TEXT,
    max_attempts INTEGER
);
CREATE INDEX IF NOT EXISTS dead_letters_failed_at ON dead_letters (failed_at);

CREATE TABLE IF NOT EXISTS sync_state (
    scene_id        TEXT PRIMARY KEY,
    rating_key      TEXT,
    pushed_hash     TEXT,
    seen_updated_at TEXT,
    synced_at       REAL
);

-- What PlexSync wrote to a Plex item (fields, the studio collection it added, the poster), keyed by the item and
-- not the scene: a scene deleted and re-added in Stash gets a new id but finds the same item by its file.
CREATE TABLE IF NOT EXISTS plex_items (
    rating_key  TEXT PRIMARY KEY,
    path_key    TEXT,
    written     TEXT,
    poster_sha1 TEXT
);
CREATE INDEX IF NOT EXISTS plex_items_path ON plex_items (path_key);

-- The name last seen of each tag, performer and studio: their renames do not bump the scenes that use them.
CREATE TABLE IF NOT EXISTS entity_names (
    kind      TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    PRIMARY KEY (kind, entity_id)
) WITHOUT ROWID;

-- Plex's own value of each field (and its lock) from before PlexSync first overwrote it, for undo: per item and
-- field, written once and never replaced by later syncs. `value` is JSON (a string, number, tag list or null; for
-- the poster, field "thumb", the ratingKey of the poster that was selected).
CREATE TABLE IF NOT EXISTS plex_originals (
    rating_key TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT NOT NULL,
    locked     INTEGER NOT NULL,
    kept_at    REAL NOT NULL,
    PRIMARY KEY (rating_key, field)
) WITHOUT ROWID;

-- Scenes whose Plex changes were undone: the poll leaves them alone until the user syncs them again explicitly.
CREATE TABLE IF NOT EXISTS sync_holds (
    scene_id TEXT PRIMARY KEY,
    held_at  REAL NOT NULL
) WITHOUT ROWID;

-- Rows of the coverage report the user chose to ignore: `scene:<id>` or `item:<ratingKey>` (core/coverage).
CREATE TABLE IF NOT EXISTS coverage_ignored (
    ref        TEXT PRIMARY KEY,
    ignored_at REAL NOT NULL
) WITHOUT ROWID;

-- Which Plex item each scene of a Stash group is, with its place in the group: the group collection's order.
CREATE TABLE IF NOT EXISTS group_members (
    scene_id    TEXT NOT NULL,
    collection  TEXT NOT NULL,
    section_key TEXT NOT NULL,
    rating_key  TEXT NOT NULL,
    scene_index INTEGER,
    PRIMARY KEY (scene_id, collection)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS group_members_collection ON group_members (section_key, collection);

-- Group collections whose order Plex may not show yet: put in order after a round's edits, kept until done.
CREATE TABLE IF NOT EXISTS collection_order_due (
    section_key TEXT NOT NULL,
    collection  TEXT NOT NULL,
    PRIMARY KEY (section_key, collection)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The resume point and rating last read from each Plex item (Plex -> Stash): only a change in Plex is carried over.
CREATE TABLE IF NOT EXISTS plex_seen (
    rating_key  TEXT PRIMARY KEY,
    view_offset INTEGER,
    user_rating REAL
);

CREATE TABLE IF NOT EXISTS activity (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       REAL NOT NULL,
    scene_id TEXT NOT NULL,
    title    TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    detail   TEXT NOT NULL
);
"""


class DiskFullError(Exception):
    """A write failed because the disk (or the database's size limit) is full; the transaction was rolled back."""


class NewJob(NamedTuple):
    """A scene to queue. A tuple in the column order `Store.enqueue` writes, so a batch goes to SQLite as it is: a
    frozen dataclass per scene cost more CPU than its row's insert (issue 13)."""

    scene_id: str
    title: str
    path: str | None
    payload: str
    payload_hash: str
    force: bool = False


@dataclass(frozen=True)
class Job:
    """A claimed job, with the payload to push."""

    id: int
    scene_id: str
    title: str
    path: str | None
    status: JobStatus
    attempts: int
    max_attempts: int
    next_retry_at: float | None
    last_error_type: str | None
    last_error: str | None
    force: bool
    payload: str
    payload_hash: str
    revision: int


@dataclass(frozen=True)
class SyncState:
    scene_id: str
    rating_key: str | None
    pushed_hash: str | None
    seen_updated_at: str | None
    synced_at: float | None


@dataclass(frozen=True)
class OwnedItem:
    """What PlexSync last wrote to one Plex item: `written` per field (None: nothing yet) and the poster's SHA-1.
    `path_key` is the item's file as `paths.normalise` gives it, so a scene new to PlexSync finds the record."""

    rating_key: str
    path_key: str | None = None
    written: dict[str, Any] | None = None
    poster_sha1: str | None = None


# The rows listings return. Times are raw epoch seconds (UTC by definition), as stored: the same float that
# time.time() and the engine's clock give, numbers that sort and compare as numbers, with no time zone to get wrong.
# Only front ends turn them into text, each in its own way (the desktop app in local time, the CLI in ISO UTC).


@dataclass(frozen=True)
class JobRow:
    """One live job as the queue listings show it; without the payload, most of a row's bytes."""

    id: int
    scene_id: str
    title: str
    path: str | None
    status: JobStatus
    attempts: int
    max_attempts: int
    next_retry_at: float | None  # epoch seconds; None when due now or in progress
    last_error_type: str | None
    last_error: str | None


@dataclass(frozen=True)
class DeadLetter:
    """A job that failed for good, as the dead-letter listings show it."""

    id: int
    scene_id: str
    title: str
    path: str | None
    error_type: str
    error: str
    attempts: int
    failed_at: float  # epoch seconds
    max_attempts: int | None  # the limit it reached; None for one recorded before version 3 kept it


@dataclass(frozen=True)
class Original:
    """Plex's value of one field before PlexSync first overwrote it, and whether the field was locked then."""

    value: Any
    locked: bool


@dataclass(frozen=True)
class DeadLetterDetail(DeadLetter):
    """A dead letter with the data PlexSync tried to write and, for an ambiguous match, the Plex items to pick."""

    payload: dict[str, Any]
    candidates: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AwaitingScan:
    """A job or dead letter waiting for Plex to have an item with its (Stash-side) file."""

    dead_letter: bool  # True: `id` is a dead letter's, else a live job's
    id: int
    path: str


@dataclass(frozen=True)
class ActivityEntry:
    """One line of the activity log: what happened to a scene, and when (epoch seconds)."""

    id: int
    at: float
    scene_id: str
    title: str
    outcome: str
    detail: str


class Store:
    """All database access. Not shared between threads: each thread opens its own Store on the same file."""

    def __init__(self, path: Path | str, max_attempts: int = 5) -> None:
        self.path = Path(path)
        self.default_max_attempts = max_attempts
        make_private_dirs(self.path.parent)
        create_private_file(self.path)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        try:
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            for companion in COMPANIONS:  # left by an older version under the umask; new ones copy the 0600
                tighten(self.path.with_name(self.path.name + companion))
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(_SCHEMA)
            if self._db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:  # no write when current
                self._migrate()
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        self._db.close()

    def _migrate(self) -> None:
        """Version 1 kept the written fields and poster per scene: they are copied to their Plex item. The old
        columns stay, unused: SQLite before 3.35 (still shipped by some distributions) cannot drop a column.
        Version 3 records the attempt limit a dead letter reached (older ones show their attempts alone)."""
        dead_letter_columns = {row["name"] for row in self._db.execute("PRAGMA table_info(dead_letters)")}
        if "max_attempts" not in dead_letter_columns:
            with self._tx() as db:
                db.execute("ALTER TABLE dead_letters ADD COLUMN max_attempts INTEGER")
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(sync_state)")}
        if "written" not in columns:
            return
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO plex_items (rating_key, written, poster_sha1) "
                       "SELECT rating_key, written, poster_sha1 FROM sync_state WHERE rating_key IS NOT NULL")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write: its own transaction, or inside `batch()` a savepoint of the batch's, so it still applies
        whole or not at all."""
        nested = self._db.in_transaction
        self._db.execute("SAVEPOINT write" if nested else "BEGIN IMMEDIATE")
        try:
            yield self._db
            self._db.execute("RELEASE write" if nested else "COMMIT")
        except BaseException as exc:
            # SQLite may already have rolled the whole transaction back (a full disk does): then there is no
            # savepoint left to return to, and the batch around this write fails as a whole.
            if nested and self._db.in_transaction:
                self._db.execute("ROLLBACK TO write")
                self._db.execute("RELEASE write")
            elif not nested and self._db.in_transaction:
                self._db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError) and getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL":
                raise DiskFullError(
                    f"cannot write the database {self.path}: the disk is full; nothing was lost, the work stays "
                    "queued and is retried once space is freed"
                ) from None
            raise

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every write inside in one transaction: one commit for the jobs the engine records together, instead of
        one per job (a commit costs about as much CPU as the writes of a job, profiled in issue 13). Each write keeps
        its own all-or-nothing savepoint; a failure that escapes rolls the whole batch back."""
        with self._tx():
            yield

    # ---- queue -------------------------------------------------------------------------------------------------

    def recover_interrupted(self) -> int:
        """Jobs a crashed process left in progress go back to pending (their attempt was never charged)."""
        with self._tx() as db:
            return db.execute("UPDATE jobs SET status='pending' WHERE status='in_progress'").rowcount

    def enqueue(self, jobs: Iterable[NewJob], now: float | None = None,
                seen: Iterable[tuple[str, str]] = ()) -> int:
        """Upsert one job per scene in one transaction. A newer change replaces the payload and is due now;
        a scene sitting in the dead letters comes back to the queue, because new data is a new chance.

        `seen` (scene id, `updated_at`) is the poller's memory of what it looked at, written in the same
        transaction: one transaction per Stash batch, and never a batch queued but forgotten (or the reverse).
        """
        now = time.time() if now is None else now
        rows = list(jobs)
        seen_rows = list(seen)
        if not rows and not seen_rows:
            return 0
        with self._tx() as db:
            db.executemany(
                """
                INSERT INTO jobs (scene_id, title, path, status, max_attempts, payload, payload_hash, force,
                                  enqueued_at)
                VALUES (?1, ?2, ?3, 'pending', ?7, ?4, ?5, ?6, ?8)
                ON CONFLICT (scene_id) DO UPDATE SET
                    title = excluded.title, path = excluded.path, payload = excluded.payload,
                    payload_hash = excluded.payload_hash, force = MAX(force, excluded.force),
                    revision = revision + 1, next_retry_at = NULL,
                    status = CASE status WHEN 'in_progress' THEN 'in_progress' ELSE 'pending' END
                WHERE payload_hash != excluded.payload_hash OR excluded.force > force
                """,
                [(*row, self.default_max_attempts, now) for row in rows],
            )
            for chunk in _chunks([row.scene_id for row in rows], 500):
                db.execute(f"DELETE FROM dead_letters WHERE scene_id IN ({','.join('?' * len(chunk))})", chunk)
            db.executemany(
                """INSERT INTO sync_state (scene_id, seen_updated_at) VALUES (?, ?)
                   ON CONFLICT (scene_id) DO UPDATE SET seen_updated_at = excluded.seen_updated_at""",
                seen_rows,
            )
        return len(rows)

    def claim_next(self, now: float | None = None) -> Job | None:
        """Take the oldest due job and mark it in progress."""
        due = self.due_jobs(now, 1)
        return self.claim(due[0]) if due else None

    def due_jobs(self, now: float | None = None, limit: int = 1) -> list[Job]:
        """Up to `limit` of the oldest due jobs, in due order, left as they are: the engine reads a batch ahead so
        their Plex items can be resolved together, and `claim`s each one as a worker takes it, so only jobs really
        in flight are ever `in_progress`.

        A retry time further ahead than any backoff can only come from a wall clock that went back: it is due now,
        instead of hours late. The query walks `jobs_order` and stops after `limit` due rows. Left to itself SQLite
        picks `jobs_due` for the OR and sorts every due row: 4 ms per claim at 10,000 queued, 46 ms at 100,000
        (profiled, issue 4).
        """
        now = time.time() if now is None else now
        rows = self._db.execute(
            """
            SELECT * FROM jobs INDEXED BY jobs_order
            WHERE status = 'pending' OR (status = 'retry_wait' AND (next_retry_at <= ?1 OR next_retry_at > ?2))
            ORDER BY COALESCE(next_retry_at, enqueued_at), id LIMIT ?3
            """,
            (now, now + LONGEST_BACKOFF, limit),
        ).fetchall()
        return [_job(row) for row in rows]

    def claim(self, job: Job) -> Job | None:
        """Mark a job read by `due_jobs` in progress; None when it changed or went meanwhile (its newer row, if
        any, is due on its own)."""
        with self._tx() as db:
            taken = db.execute(
                "UPDATE jobs SET status = 'in_progress' WHERE id = ? AND revision = ? AND status != 'in_progress'",
                (job.id, job.revision),
            ).rowcount
        return dataclasses.replace(job, status=JobStatus.IN_PROGRESS) if taken else None

    def finish(self, job: Job, state: dict[str, Any], activity: tuple[str, str] | None,
               item: OwnedItem | None = None) -> None:
        """Record a successful sync, and what it wrote to the Plex item. If the scene changed meanwhile, its newer
        data stays queued."""
        with self._tx() as db:
            db.execute("DELETE FROM jobs WHERE id = ? AND revision = ?", (job.id, job.revision))
            db.execute("UPDATE jobs SET status = 'pending' WHERE id = ? AND status = 'in_progress'", (job.id,))
            self._upsert_state(db, job.scene_id, state)
            if item is not None:
                db.execute(
                    """INSERT INTO plex_items (rating_key, path_key, written, poster_sha1) VALUES (?, ?, ?, ?)
                       ON CONFLICT (rating_key) DO UPDATE SET path_key = excluded.path_key,
                           written = excluded.written, poster_sha1 = excluded.poster_sha1""",
                    (item.rating_key, item.path_key, json.dumps(item.written, ensure_ascii=False),
                     item.poster_sha1),
                )
            if activity:
                self._add_activity(db, job, *activity)

    def reschedule(self, job: Job, error_type: str, message: str, attempts: int, max_attempts: int,
                   next_retry_at: float) -> None:
        with self._tx() as db:
            db.execute(
                """UPDATE jobs SET status = 'retry_wait', attempts = ?, max_attempts = ?, next_retry_at = ?,
                       last_error_type = ?, last_error = ? WHERE id = ?""",
                (attempts, max_attempts, next_retry_at, error_type, message, job.id),
            )

    def release(self, job: Job) -> None:
        """Put a claimed job back untouched: it was not its fault (breaker open, token rejected, shutdown)."""
        with self._tx() as db:
            db.execute("UPDATE jobs SET status = 'pending' WHERE id = ? AND status = 'in_progress'", (job.id,))

    def refund_attempts(self, job_ids: list[int]) -> int:
        """Give back one charged attempt per listed id (an id listed twice gets two back); returns how many."""
        with self._tx() as db:
            return sum(db.execute("UPDATE jobs SET attempts = attempts - 1 WHERE id = ? AND attempts > 0",
                                  (job_id,)).rowcount for job_id in job_ids)

    def dead_letter(self, job: Job, error_type: str, message: str, attempts: int,
                    candidates: list[dict[str, str]] | None = None, now: float | None = None,
                    max_attempts: int | None = None) -> None:
        """Move a job to the dead letters (one entry per scene), unless newer data arrived while it ran;
        `max_attempts` is the limit it reached, so the app can say "5 of 5"."""
        now = time.time() if now is None else now
        with self._tx() as db:
            gone = db.execute("DELETE FROM jobs WHERE id = ? AND revision = ?", (job.id, job.revision)).rowcount
            if not gone:
                db.execute("UPDATE jobs SET status = 'pending', attempts = 0 WHERE id = ?", (job.id,))
                return
            db.execute(
                """
                INSERT INTO dead_letters (scene_id, title, path, error_type, error, attempts, failed_at, payload,
                                          payload_hash, candidates, max_attempts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (scene_id) DO UPDATE SET title = excluded.title, path = excluded.path,
                    error_type = excluded.error_type, error = excluded.error, attempts = excluded.attempts,
                    failed_at = excluded.failed_at, payload = excluded.payload,
                    payload_hash = excluded.payload_hash, candidates = excluded.candidates,
                    max_attempts = excluded.max_attempts
                """,
                (job.scene_id, job.title, job.path, error_type, message, attempts, now, job.payload,
                 job.payload_hash, json.dumps(candidates) if candidates else None, max_attempts),
            )
            self._add_activity(db, job, "failed", f"{error_type}: {message}")

    def drop_stale_dead_letters(self, current: list[tuple[str, str]]) -> list[str]:
        """Drop the dead letters Stash has moved past: the scene's current payload hash (given per scene) is the one
        already pushed to Plex, so retrying the older dead letter would write a stale value over it. Returns the
        scene ids whose dead letter went. Nothing to check opens no transaction: a first poll's batches are all new
        scenes, and each cost an empty transaction besides its own (the enqueue target is one per batch)."""
        stale: list[str] = []
        if not current:
            return stale
        with self._tx() as db:
            for chunk in _chunks([scene_id for scene_id, _ in current], 500):
                rows = db.execute(
                    "SELECT d.scene_id, d.payload_hash, s.pushed_hash FROM dead_letters d "
                    f"JOIN sync_state s ON s.scene_id = d.scene_id WHERE d.scene_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                digests = dict(current)
                stale += [r[0] for r in rows if r[2] == digests[r[0]] and r[1] != digests[r[0]]]
            for scene_id in stale:
                db.execute("DELETE FROM dead_letters WHERE scene_id = ?", (scene_id,))
        return stale

    def drop_scene(self, scene_id: str) -> None:
        """A scene deleted in Stash: nothing left to sync, nothing to retry. What PlexSync wrote to its Plex item
        stays with the item, for a scene re-added with the same file."""
        with self._tx() as db:
            for table in ("jobs", "dead_letters", "sync_state"):
                db.execute(f"DELETE FROM {table} WHERE scene_id = ?", (scene_id,))

    def list_jobs(self, ids: list[int] | None = None) -> list[JobRow]:
        """The live queue in processing order, or only the given jobs (the desktop app refreshes rows by id)."""
        where, args = _ids_clause(ids, "WHERE")
        rows = self._db.execute(f"SELECT {_JOB_ROW_COLUMNS} FROM jobs {where} "
                                "ORDER BY COALESCE(next_retry_at, enqueued_at), id", args).fetchall()
        return [_job_row(r) for r in rows]

    def retry_now(self, job_ids: list[int] | None) -> int:
        """Make waiting jobs due now (all when `job_ids` is None); attempts so far still count."""
        with self._tx() as db:
            where, args = _ids_clause(job_ids)
            return db.execute(
                f"UPDATE jobs SET status = 'pending', next_retry_at = NULL WHERE status = 'retry_wait' {where}", args
            ).rowcount

    def remove_jobs(self, job_ids: list[int]) -> int:
        with self._tx() as db:
            where, args = _ids_clause(job_ids)
            return db.execute(f"DELETE FROM jobs WHERE status != 'in_progress' {where}", args).rowcount

    def remove_jobs_of_scenes(self, scene_ids: list[str]) -> int:
        """Drop the waiting jobs of scenes the sync rules no longer take; a job already in progress finishes."""
        if not scene_ids:
            return 0
        with self._tx() as db:
            return db.executemany("DELETE FROM jobs WHERE status != 'in_progress' AND scene_id = ?",
                                  [(scene_id,) for scene_id in scene_ids]).rowcount

    def next_due_at(self, now: float | None = None) -> float | None:
        """When the next job becomes due: 0 when one is due now, None when the queue is empty or all in progress.
        Follows claim_next's rule for retry times the clock jumped back over."""
        now = time.time() if now is None else now
        row = self._db.execute(
            "SELECT MIN(CASE WHEN status = 'pending' OR next_retry_at > ? THEN 0 ELSE next_retry_at END) FROM jobs "
            "WHERE status != 'in_progress'",
            (now + LONGEST_BACKOFF,),
        ).fetchone()
        return cast(float | None, row[0])

    def existing_job_ids(self, ids: list[int], table: str) -> set[int]:
        marks = ",".join("?" * len(ids))
        return {r[0] for r in self._db.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", ids)}

    # ---- dead letters ------------------------------------------------------------------------------------------

    def list_dead_letters(self, scene_ids: list[str] | None = None) -> list[DeadLetter]:
        """Newest first; or only the given scenes' entries (what a batch of failed jobs just produced)."""
        if scene_ids is None:
            where, args = "", []
        else:
            where, args = f"WHERE scene_id IN ({','.join('?' * len(scene_ids))})", list(scene_ids)
        rows = self._db.execute(f"SELECT {_DEAD_LETTER_ROW_COLUMNS} FROM dead_letters {where} "
                                "ORDER BY failed_at DESC, id DESC", args).fetchall()
        return [_dead_letter_row(r) for r in rows]

    def dead_letter_detail(self, dead_letter_id: int) -> DeadLetterDetail | None:
        row = self._db.execute(f"SELECT {_DEAD_LETTER_ROW_COLUMNS}, payload, candidates FROM dead_letters "
                               "WHERE id = ?", (dead_letter_id,)).fetchone()
        if row is None:
            return None
        candidates = json.loads(row["candidates"]) if row["candidates"] else []
        return DeadLetterDetail(**_dead_letter_fields(row), payload=json.loads(row["payload"]),
                                candidates=tuple(candidates))

    def retry_dead_letters(self, ids: list[int] | None, now: float | None = None) -> int:
        """Move dead letters back to the queue, due now with attempts reset, and out of the dead letters."""
        now = time.time() if now is None else now
        with self._tx() as db:
            where, args = _ids_clause(ids, "WHERE")
            rows = db.execute(f"SELECT * FROM dead_letters {where}", args).fetchall()
            for row in rows:
                db.execute(
                    """INSERT INTO jobs (scene_id, title, path, status, max_attempts, payload, payload_hash, force,
                                         enqueued_at)
                       VALUES (?, ?, ?, 'pending', ?, ?, ?, 1, ?)
                       ON CONFLICT (scene_id) DO NOTHING""",
                    (row["scene_id"], row["title"], row["path"], self.default_max_attempts, row["payload"],
                     row["payload_hash"], now),
                )
                db.execute("DELETE FROM dead_letters WHERE id = ?", (row["id"],))
            return len(rows)

    def discard_dead_letters(self, ids: list[int] | None) -> int:
        with self._tx() as db:
            where, args = _ids_clause(ids, "WHERE")
            return db.execute(f"DELETE FROM dead_letters {where}", args).rowcount

    def purge_dead_letters(self, older_than_seconds: float, now: float | None = None) -> int:
        now = time.time() if now is None else now
        with self._tx() as db:
            return db.execute("DELETE FROM dead_letters WHERE failed_at < ?", (now - older_than_seconds,)).rowcount

    def awaiting_scan(self, error_type: str, limit: int = 1000) -> list[AwaitingScan]:
        """The scenes whose last failure was `error_type` (no Plex item has their file yet): the jobs waiting for
        a retry, then the dead letters, newest first, at most `limit` of each. An item Plex announces, or a
        periodic look-up, may end their wait early."""
        rows = self._db.execute(
            "SELECT 'job' AS kind, id, path FROM jobs WHERE status = 'retry_wait' AND last_error_type = ?1 "
            "AND path IS NOT NULL ORDER BY id DESC LIMIT ?2", (error_type, limit)).fetchall()
        rows += self._db.execute(
            "SELECT 'dead_letter' AS kind, id, path FROM dead_letters WHERE error_type = ?1 AND path IS NOT NULL "
            "ORDER BY failed_at DESC, id DESC LIMIT ?2", (error_type, limit)).fetchall()
        return [AwaitingScan(row["kind"] == "dead_letter", row["id"], row["path"]) for row in rows]

    def known_items(self, rating_keys: list[str]) -> set[str]:
        """The ones of these Plex items PlexSync has written to: Plex announces its own edits too, and those are
        not the new items a waiting scene hopes for."""
        known: set[str] = set()
        for chunk in _chunks(rating_keys, 500):
            marks = ",".join("?" * len(chunk))
            known.update(r[0] for r in self._db.execute(
                f"SELECT rating_key FROM plex_items WHERE rating_key IN ({marks})", chunk))
        return known

    # ---- per-scene sync state ----------------------------------------------------------------------------------

    def sync_state(self, scene_id: str) -> SyncState | None:
        row = self._db.execute("SELECT * FROM sync_state WHERE scene_id = ?", (scene_id,)).fetchone()
        if row is None:
            return None
        return SyncState(
            scene_id=row["scene_id"], rating_key=row["rating_key"], pushed_hash=row["pushed_hash"],
            seen_updated_at=row["seen_updated_at"], synced_at=row["synced_at"],
        )

    def owned_item(self, rating_key: str | None, path_key: str) -> OwnedItem | None:
        """What PlexSync wrote to the scene's remembered item, or (no item remembered) to the item last synced
        from this file; None when there is no record."""
        if rating_key is not None:
            row = self._db.execute("SELECT * FROM plex_items WHERE rating_key = ?", (rating_key,)).fetchone()
            return _owned_item(row) if row is not None else OwnedItem(rating_key)
        row = self._db.execute("SELECT * FROM plex_items WHERE path_key = ? ORDER BY rowid DESC LIMIT 1",
                               (path_key,)).fetchone()
        return None if row is None else _owned_item(row)

    def forget_item(self, scene_id: str, rating_key: str) -> None:
        """The scene's item no longer holds its file (or is gone): forget the match and the item's record."""
        with self._tx() as db:
            db.execute("UPDATE sync_state SET rating_key = NULL WHERE scene_id = ? AND rating_key = ?",
                       (scene_id, rating_key))
            db.execute("DELETE FROM plex_items WHERE rating_key = ?", (rating_key,))

    def settled_hashes(self, scene_ids: list[str]) -> dict[str, set[str]]:
        """Per scene, the payload hashes a new payload must differ from to be worth queueing.

        With a live job that is its hash alone: the job's payload is what will reach Plex, so a change back to what
        was pushed before (a revert while the edit waits) must replace it. Without one it is what was pushed and
        what sits in the dead letters (so a re-run of "sync all" does not recycle a dead letter).
        """
        live: dict[str, set[str]] = {}
        settled: dict[str, set[str]] = {}
        queries = (
            (live, "SELECT scene_id, payload_hash FROM jobs WHERE scene_id IN ({})"),
            (settled, "SELECT scene_id, pushed_hash FROM sync_state "
                      "WHERE scene_id IN ({}) AND pushed_hash IS NOT NULL"),
            (settled, "SELECT scene_id, payload_hash FROM dead_letters WHERE scene_id IN ({})"),
        )
        for chunk in _chunks(scene_ids, 500):
            marks = ",".join("?" * len(chunk))
            for found, query in queries:
                for scene_id, digest in self._db.execute(query.format(marks), chunk):
                    found.setdefault(scene_id, set()).add(digest)
        return {**settled, **live}

    def update_state(self, scene_id: str, **values: Any) -> None:
        with self._tx() as db:
            self._upsert_state(db, scene_id, values)

    def seen_updated_at(self, scene_ids: list[str] | None = None) -> dict[str, str]:
        """The `updated_at` string last seen per scene, the poller's memory of what it already queued: of these
        scenes, or (None) of every scene, which only the hourly full listing needs (reading 100,000 rows costs
        about 90 ms of CPU, too much for every light poll)."""
        query = "SELECT scene_id, seen_updated_at FROM sync_state WHERE seen_updated_at IS NOT NULL"
        if scene_ids is None:
            return {r[0]: r[1] for r in self._db.execute(query)}
        found: dict[str, str] = {}
        for chunk in _chunks(scene_ids, 500):
            rows = self._db.execute(f"{query} AND scene_id IN ({','.join('?' * len(chunk))})", chunk)
            found.update((r[0], r[1]) for r in rows)
        return found

    def entity_names(self, kind: str, entity_ids: list[str] | None = None) -> dict[str, str]:
        """The name last seen per entity of `kind` ("tag", ...): of these, or (None) of all, for the full pass."""
        query = "SELECT entity_id, name FROM entity_names WHERE kind = ?"
        if entity_ids is None:
            return dict(self._db.execute(query, (kind,)).fetchall())
        found: dict[str, str] = {}
        for chunk in _chunks(entity_ids, 500):
            found.update(self._db.execute(f"{query} AND entity_id IN ({','.join('?' * len(chunk))})",
                                          [kind, *chunk]).fetchall())
        return found

    def remember_entity_names(self, kind: str, names: dict[str, str], gone: Iterable[str] = ()) -> None:
        """Record new or changed names (after the scenes using them were queued) and forget deleted entities."""
        with self._tx() as db:
            db.executemany("INSERT INTO entity_names (kind, entity_id, name) VALUES (?, ?, ?) "
                           "ON CONFLICT (kind, entity_id) DO UPDATE SET name = excluded.name",
                           [(kind, entity_id, name) for entity_id, name in names.items()])
            db.executemany("DELETE FROM entity_names WHERE kind = ? AND entity_id = ?",
                           [(kind, entity_id) for entity_id in gone])

    def scenes_by_rating_key(self, rating_keys: list[str] | None = None) -> dict[str, list[str]]:
        """The scenes matched to these Plex items (or to any, with None), by ratingKey."""
        query = "SELECT rating_key, scene_id FROM sync_state WHERE rating_key IS NOT NULL"
        rows: list[tuple[str, str]] = []
        if rating_keys is None:
            rows = self._db.execute(query).fetchall()
        for chunk in _chunks(rating_keys or [], 500):
            rows += self._db.execute(f"{query} AND rating_key IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        found: dict[str, list[str]] = {}
        for rating_key, scene_id in rows:
            found.setdefault(rating_key, []).append(scene_id)
        return found

    def plex_seen(self, rating_keys: list[str]) -> dict[str, tuple[int | None, float | None]]:
        """(view offset, user rating) last read from these Plex items; absent when never read."""
        found: dict[str, tuple[int | None, float | None]] = {}
        for chunk in _chunks(rating_keys, 500):
            found.update((r[0], (r[1], r[2])) for r in self._db.execute(
                f"SELECT rating_key, view_offset, user_rating FROM plex_seen "
                f"WHERE rating_key IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def remember_plex_seen(self, seen: dict[str, tuple[int | None, float | None]]) -> None:
        with self._tx() as db:
            db.executemany("INSERT INTO plex_seen (rating_key, view_offset, user_rating) VALUES (?, ?, ?) "
                           "ON CONFLICT (rating_key) DO UPDATE SET view_offset = excluded.view_offset, "
                           "user_rating = excluded.user_rating",
                           [(key, offset, rating) for key, (offset, rating) in seen.items()])

    @staticmethod
    def _upsert_state(db: sqlite3.Connection, scene_id: str, values: dict[str, Any]) -> None:
        columns = list(values)
        names = ", ".join(["scene_id", *columns])
        marks = ", ".join("?" * (len(columns) + 1))
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns) or "scene_id = scene_id"
        db.execute(
            f"INSERT INTO sync_state ({names}) VALUES ({marks}) ON CONFLICT (scene_id) DO UPDATE SET {updates}",
            [scene_id, *values.values()],
        )

    # ---- originals and holds (undo) ---------------------------------------------------------------------------

    def keep_originals(self, rating_key: str, originals: dict[str, Original], now: float | None = None) -> None:
        """Remember Plex's values from before PlexSync's first overwrite of each field; a field already kept keeps
        its first value, whatever later syncs saw."""
        if not originals:
            return
        now = time.time() if now is None else now
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO plex_originals (rating_key, field, value, locked, kept_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(rating_key, name, json.dumps(o.value, ensure_ascii=False), int(o.locked), now)
                 for name, o in originals.items()])

    def originals(self, rating_keys: list[str] | None = None) -> dict[str, dict[str, Original]]:
        """The kept values per item and field: of these items, or (None) of every item that has some."""
        query = "SELECT rating_key, field, value, locked FROM plex_originals"
        rows: list[sqlite3.Row] = []
        if rating_keys is None:
            rows = self._db.execute(query).fetchall()
        else:
            for chunk in _chunks(rating_keys, 500):
                rows += self._db.execute(f"{query} WHERE rating_key IN ({','.join('?' * len(chunk))})",
                                         chunk).fetchall()
        found: dict[str, dict[str, Original]] = {}
        for row in rows:
            found.setdefault(row[0], {})[row[1]] = Original(json.loads(row[2]), bool(row[3]))
        return found

    def scenes_of_items(self, rating_keys: list[str]) -> dict[str, list[str]]:
        """The scenes whose sync state names each item."""
        found: dict[str, list[str]] = {}
        for chunk in _chunks(rating_keys, 500):
            rows = self._db.execute("SELECT rating_key, scene_id FROM sync_state WHERE rating_key IN "
                                    f"({','.join('?' * len(chunk))}) ORDER BY scene_id", chunk)
            for rating_key, scene_id in rows:
                found.setdefault(rating_key, []).append(scene_id)
        return found

    def forget_undone(self, rating_key: str, scene_ids: list[str], now: float | None = None,
                      activity: str | None = None) -> None:
        """After an undo: forget the item's kept values and PlexSync's record of it, what was pushed for its scenes,
        their live jobs, and hold the scenes so the poll does not sync them again; one transaction. `activity`:
        an "undone" line per scene, under the title its last activity line showed."""
        now = time.time() if now is None else now
        with self._tx() as db:
            for scene_id in scene_ids if activity else []:
                db.execute(
                    "INSERT INTO activity (at, scene_id, title, outcome, detail) VALUES (?1, ?2, COALESCE((SELECT "
                    "title FROM activity WHERE scene_id = ?2 ORDER BY id DESC LIMIT 1), 'scene ' || ?2), 'undone', ?3)",
                    (now, scene_id, activity))
            db.execute("DELETE FROM plex_originals WHERE rating_key = ?", (rating_key,))
            db.execute("DELETE FROM plex_items WHERE rating_key = ?", (rating_key,))
            for scene_id in scene_ids:
                db.execute("UPDATE sync_state SET rating_key = NULL, pushed_hash = NULL, synced_at = NULL "
                           "WHERE scene_id = ?", (scene_id,))
                db.execute("DELETE FROM jobs WHERE scene_id = ? AND status != 'in_progress'", (scene_id,))
                db.execute("INSERT OR REPLACE INTO sync_holds (scene_id, held_at) VALUES (?, ?)", (scene_id, now))

    def held_scenes(self, scene_ids: list[str] | None = None) -> set[str]:
        """Of these scenes (or all), the ones held after an undo."""
        if scene_ids is None:
            return {r[0] for r in self._db.execute("SELECT scene_id FROM sync_holds")}
        held: set[str] = set()
        for chunk in _chunks(scene_ids, 500):
            held.update(r[0] for r in self._db.execute(
                f"SELECT scene_id FROM sync_holds WHERE scene_id IN ({','.join('?' * len(chunk))})", chunk))
        return held

    def release_holds(self, scene_ids: list[str]) -> int:
        """The user synced these scenes explicitly: the poll may sync them again."""
        if not scene_ids:
            return 0
        with self._tx() as db:
            return sum(db.execute("DELETE FROM sync_holds WHERE scene_id = ?", (scene_id,)).rowcount
                       for scene_id in scene_ids)
    # ---- coverage: ignored rows --------------------------------------------------------------------------------

    def coverage_ignored(self) -> set[str]:
        """The refs (`scene:ID`, `item:RATINGKEY`) of the coverage rows the user ignored."""
        return {row[0] for row in self._db.execute("SELECT ref FROM coverage_ignored")}

    def set_coverage_ignored(self, refs: Iterable[str], ignored: bool, now: float | None = None) -> int:
        """Ignore these coverage rows (or show them again); how many changed."""
        now = time.time() if now is None else now
        with self._tx() as db:
            if ignored:
                return sum(db.execute("INSERT OR IGNORE INTO coverage_ignored (ref, ignored_at) VALUES (?, ?)",
                                      (ref, now)).rowcount for ref in refs)
            return sum(db.execute("DELETE FROM coverage_ignored WHERE ref = ?", (ref,)).rowcount for ref in refs)

    # ---- group collections -------------------------------------------------------------------------------------

    def set_group_members(self, scene_id: str, section_key: str, rating_key: str,
                          groups: Iterable[tuple[str, int | None]]) -> None:
        """Record the scene's groups (name, place) on its Plex item; each collection it joined, left for another
        place, or now reaches on another item is due to be put in order."""
        rows = {name: (section_key, rating_key, index) for name, index in groups}
        with self._tx() as db:
            before = {row[0]: (row[1], row[2], row[3]) for row in db.execute(
                "SELECT collection, section_key, rating_key, scene_index FROM group_members WHERE scene_id = ?",
                (scene_id,))}
            if before == rows:
                return
            db.execute("DELETE FROM group_members WHERE scene_id = ?", (scene_id,))
            db.executemany("INSERT INTO group_members VALUES (?, ?, ?, ?, ?)",
                           [(scene_id, name, *row) for name, row in rows.items()])
            due = {(row[0], name) for name, row in rows.items() if before.get(name) != row}
            db.executemany("INSERT OR IGNORE INTO collection_order_due VALUES (?, ?)", sorted(due))

    def group_members(self, section_key: str, collection: str) -> list[tuple[str, int | None, str]]:
        """(ratingKey, place in the group, scene id) of every scene PlexSync put in this collection."""
        rows = self._db.execute("SELECT rating_key, scene_index, scene_id FROM group_members "
                                "WHERE section_key = ? AND collection = ?", (section_key, collection))
        return [(row[0], row[1], row[2]) for row in rows]

    def collections_due(self) -> list[tuple[str, str]]:
        """(section key, collection) of the group collections still to be put in order."""
        return [(row[0], row[1]) for row in self._db.execute(
            "SELECT section_key, collection FROM collection_order_due ORDER BY section_key, collection")]

    def collection_ordered(self, section_key: str, collection: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM collection_order_due WHERE section_key = ? AND collection = ?",
                       (section_key, collection))

    # ---- key/value and activity --------------------------------------------------------------------------------

    def get(self, key: str, default: str | None = None) -> str | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str | None) -> None:
        with self._tx() as db:
            if value is None:
                db.execute("DELETE FROM kv WHERE key = ?", (key,))
            else:
                db.execute("INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = ?",
                           (key, value, value))

    def record_activity(self, scene_id: str, title: str, outcome: str, detail: str) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO activity (at, scene_id, title, outcome, detail) VALUES (?, ?, ?, ?, ?)",
                       (time.time(), scene_id, title, outcome, detail))

    def recent_activity(self, limit: int = 200) -> list[ActivityEntry]:
        """Newest first."""
        rows = self._db.execute("SELECT id, at, scene_id, title, outcome, detail FROM activity "
                                "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [ActivityEntry(**dict(r)) for r in rows]

    def _add_activity(self, db: sqlite3.Connection, job: Job, outcome: str, detail: str) -> None:
        cursor = db.execute("INSERT INTO activity (at, scene_id, title, outcome, detail) VALUES (?, ?, ?, ?, ?)",
                            (time.time(), job.scene_id, job.title, outcome, detail))
        db.execute("DELETE FROM activity WHERE id <= ?", ((cursor.lastrowid or 0) - ACTIVITY_LIMIT,))

    def counts(self) -> dict[str, int]:
        counts = {status.value: 0 for status in JobStatus}
        for status, n in self._db.execute("SELECT status, COUNT(*) FROM jobs GROUP BY status"):
            counts[status] = n
        counts["dlq"] = self._db.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0]
        counts["synced"] = self._db.execute("SELECT COUNT(*) FROM sync_state WHERE synced_at IS NOT NULL").fetchone()[0]
        return counts

    def last_synced_at(self) -> float | None:
        return cast(float | None, self._db.execute("SELECT MAX(synced_at) FROM sync_state").fetchone()[0])

    def integrity_ok(self, quick: bool = False) -> bool:
        """`PRAGMA integrity_check`, or the cheaper `quick_check` (no index cross-check) run at every start."""
        pragma = "quick_check" if quick else "integrity_check"
        return bool(self._db.execute(f"PRAGMA {pragma}").fetchone()[0] == "ok")


def _ids_clause(ids: list[int] | None, keyword: str = "AND") -> tuple[str, list[int]]:
    if ids is None:
        return "", []
    return f"{keyword} id IN ({','.join('?' * len(ids))})", list(ids)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _owned_item(row: sqlite3.Row) -> OwnedItem:
    return OwnedItem(rating_key=row["rating_key"], path_key=row["path_key"],
                     written=json.loads(row["written"]) if row["written"] else None, poster_sha1=row["poster_sha1"])


def _job(row: sqlite3.Row, status: JobStatus | None = None) -> Job:
    return Job(
        id=row["id"], scene_id=row["scene_id"], title=row["title"], path=row["path"],
        status=status or JobStatus(row["status"]), attempts=row["attempts"], max_attempts=row["max_attempts"],
        next_retry_at=row["next_retry_at"], last_error_type=row["last_error_type"], last_error=row["last_error"],
        force=bool(row["force"]), payload=row["payload"], payload_hash=row["payload_hash"], revision=row["revision"],
    )


# Listings leave out the payload: it is most of a row's bytes and only the details view needs it.
_JOB_ROW_COLUMNS = ("id, scene_id, title, path, status, attempts, max_attempts, next_retry_at, last_error_type, "
                    "last_error")
_DEAD_LETTER_ROW_COLUMNS = "id, scene_id, title, path, error_type, error, attempts, failed_at, max_attempts"


def _job_row(row: sqlite3.Row) -> JobRow:
    return JobRow(**{**dict(row), "status": JobStatus(row["status"])})


def _dead_letter_fields(row: sqlite3.Row) -> dict[str, Any]:
    return {name: row[name] for name in _DEAD_LETTER_ROW_COLUMNS.split(", ")}


def _dead_letter_row(row: sqlite3.Row) -> DeadLetter:
    return DeadLetter(**_dead_letter_fields(row))
