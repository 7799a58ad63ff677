"""`kill -9` of a real `plexsync run` at random moments of a bulk sync, again and again, with scenes edited in Stash
between kills: after the last restart every scene reaches Plex with its latest Stash values, no job is duplicated,
and the database passes `PRAGMA integrity_check` after every kill."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from plexsync_gui.core.setup.config import SyncSettings
from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.reliability

SCENES = 60
KILLS = 24
EARLY_KILL_SHARE = 0.25  # killed at a random moment after start (import, first poll, enqueue), not after progress


def query(database: Path, sql: str) -> list[tuple]:
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=10) as db:
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError:  # the schema does not exist yet: killed before it was created
            return []


def synced_count(database: Path) -> int:
    rows = query(database, "SELECT COUNT(*) FROM sync_state WHERE synced_at IS NOT NULL")
    return rows[0][0] if rows else 0


def last_synced_at(database: Path) -> float:
    """Moves whenever any scene syncs, also once every scene synced at least once (edits keep coming)."""
    rows = query(database, "SELECT COALESCE(MAX(synced_at), 0) FROM sync_state")
    return rows[0][0] if rows else 0.0


def wait_for(predicate: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


# Both front ends: the headless service loop, and the desktop app (offscreen, no tray: its window shows).
COMMANDS = {
    "cli": ["-m", "plexsync_gui.cli.main", "run"],
    "gui": ["-m", "plexsync_gui"],
}


def start_runner(front_end: str, config_file: Path, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "PLEXSYNC_PLEX_TOKEN": PLEX_TOKEN, "PLEXSYNC_STASH_API_KEY": STASH_KEY,
           "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(config_file.parent)}
    module, *command = COMMANDS[front_end][1:]
    with open(config_file.parent / "runner-stderr.txt", "ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", module, "--config", str(config_file), "--data-dir", str(data_dir), *command],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )


def assert_consistent(database: Path) -> None:
    with sqlite3.connect(database, timeout=10) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT scene_id FROM jobs GROUP BY scene_id HAVING COUNT(*) > 1").fetchall() == []
        in_flight = db.execute("SELECT COUNT(*) FROM jobs WHERE status = 'in_progress'").fetchone()[0]
        assert in_flight <= SyncSettings().workers  # at most one job per pool worker was in flight


@pytest.mark.parametrize("front_end", list(COMMANDS))
def test_kill_9_at_random_moments_loses_nothing(tmp_path, stash, plex, library, front_end):
    rng = random.Random(20260511)
    pairs = dict(library.add(title=f"Scene {i}", details=f"Details {i}", tags=["Bulk"]) for i in range(SCENES))
    plex.delay_next(0.02, count=10**6)  # slow Plex a little so kills land in the middle of the work
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[stash]\nurl = "{stash.url}"\n[plex]\nurl = "{plex.url}"\nlibraries = ["Movies"]\n'
        '[sync]\npoll_interval = 5\n[[path_map]]\nstash = "/data/"\nplex = "/media/"\n'
    )
    data_dir = tmp_path / "data"
    database = data_dir / "plexsync.db"

    for kill in range(KILLS):
        runner = start_runner(front_end, config_file, data_dir)
        try:
            if kill == 0:
                assert wait_for(lambda: synced_count(database) > 0, 30), "the first run made no progress"
                cmdline = Path(f"/proc/{runner.pid}/cmdline").read_bytes()
                assert PLEX_TOKEN.encode() not in cmdline and STASH_KEY.encode() not in cmdline
            elif rng.random() < EARLY_KILL_SHARE:
                time.sleep(rng.uniform(0.0, 1.5))
            else:
                before = last_synced_at(database)
                progressed = wait_for(lambda before=before: last_synced_at(database) > before, 30)
                assert progressed, f"no progress after restart {kill}"
                time.sleep(rng.uniform(0.0, 0.3))
        finally:  # also when an assert failed: no runner outlives the test
            runner.send_signal(signal.SIGKILL)
        assert runner.wait(10) == -signal.SIGKILL, "the runner died before it was killed"
        if database.exists():
            assert_consistent(database)
        # Stash keeps changing while nothing runs: the next run must pick up the newest values.
        stash.advance(1)
        for scene_id in rng.sample(sorted(pairs), 3):
            stash.update_scene(scene_id, title=f"Edited {kill} {scene_id}", details=f"Details after kill {kill}",
                               tags=["Bulk", f"Kill {kill}"])
        if kill % 8 == 7:
            scene_id, rating_key = library.add(title=f"Added after kill {kill}")
            pairs[scene_id] = rating_key

    def plex_matches_stash() -> bool:
        for scene_id, rating_key in pairs.items():
            scene, item = stash.scene(scene_id), plex.item_state(rating_key)
            if (item["title"], item.get("summary"), item["tags"].get("genre", [])) != (
                    scene["title"], scene["details"], [t["name"] for t in scene["tags"]]):
                return False
        return True

    runner = start_runner(front_end, config_file, data_dir)
    try:
        assert wait_for(plex_matches_stash, 90), "not every scene reached Plex with its latest Stash values"
    finally:
        runner.send_signal(signal.SIGTERM)
        code = runner.wait(15)
    stderr = (tmp_path / "runner-stderr.txt").read_text()
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert_consistent(database)
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 0
        per_scene = db.execute("SELECT COUNT(*), COUNT(DISTINCT scene_id) FROM sync_state").fetchone()
        assert per_scene == (len(pairs), len(pairs))
