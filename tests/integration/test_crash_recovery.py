"""`kill -9` of a real `plexsync run` process during a bulk sync loses no job and duplicates none."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.integration

SCENES = 60
KILLS = 5


def synced_count(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database, timeout=10) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM sync_state WHERE synced_at IS NOT NULL").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def start_runner(config_file: Path, data_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "PLEXSYNC_PLEX_TOKEN": PLEX_TOKEN, "PLEXSYNC_STASH_API_KEY": STASH_KEY}
    with open(config_file.parent / "runner-stderr.txt", "ab") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "plexsync_gui.core.cli", "--config", str(config_file), "--data-dir",
             str(data_dir), "run"],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr,
        )


def test_kill_9_during_run_loses_nothing(tmp_path, stash, plex, library):
    rng = random.Random(20261124)
    pairs = [library.add(title=f"Scene {i}") for i in range(SCENES)]
    plex.delay_next(0.02, count=100_000)  # slow Plex down so kills land mid-sync
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[stash]\nurl = "{stash.url}"\n[plex]\nurl = "{plex.url}"\nlibraries = ["Movies"]\n'
        '[sync]\npoll_interval = 5\n[[path_map]]\nstash = "/data/"\nplex = "/media/"\n'
    )
    data_dir = tmp_path / "data"
    database = data_dir / "plexsync.db"
    latest = {scene_id: f"Scene {i}" for i, (scene_id, _) in enumerate(pairs)}

    for kill in range(KILLS):
        runner = start_runner(config_file, data_dir)
        before = synced_count(database)
        assert wait_for(lambda: synced_count(database) > before, 30), "no progress after restart"
        time.sleep(rng.uniform(0.0, 0.4))
        runner.send_signal(signal.SIGKILL)
        runner.wait(10)
        # scenes keep changing in Stash while nothing runs: the next run must pick up the newest values
        stash.advance(1)
        for scene_id in rng.sample(sorted(latest), 3):
            latest[scene_id] = f"Edited {kill} {scene_id}"
            stash.update_scene(scene_id, title=latest[scene_id])

    runner = start_runner(config_file, data_dir)
    try:
        titles = lambda: {sid: plex.item_state(rk)["title"] for sid, rk in pairs}  # noqa: E731
        assert wait_for(lambda: titles() == latest, 90), "not every scene reached Plex with its latest title"
    finally:
        runner.send_signal(signal.SIGTERM)
        code = runner.wait(15)
    assert code == 0, (tmp_path / "runner-stderr.txt").read_text()
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT COUNT(*) FROM dead_letters").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 0
        per_scene = db.execute("SELECT COUNT(*), COUNT(DISTINCT scene_id) FROM sync_state").fetchone()
        assert per_scene == (SCENES, SCENES)
