"""`plexsync run` as a real subprocess, idle at a large synced library: its memory and CPU, read from /proc.

The database is seeded directly (one row per synced scene, built with the engine's own mapping and hash functions)
because syncing 100,000 scenes first would take minutes and measure something else. The process starts as a user
would start it after a restart: its first poll is the full reconcile listing, later polls are the light query.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.context import Context, Library, app_environment, build_library, stash_scene
from benchmarks.registry import Result, benchmark
from plexsync_gui.core.setup.config import save_config
from plexsync_gui.core.stash.poller import WATERMARK_KEY
from plexsync_gui.core.storage.store import ACTIVITY_LIMIT, Store
from plexsync_gui.core.sync.paths import map_path, normalise
from plexsync_gui.core.sync.scene import desired_fields, payload_hash, scene_from_stash

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


@dataclass
class ProcessSample:
    rss_bytes: int
    cpu_seconds: float


def sample(pid: int) -> ProcessSample:
    """Resident memory and CPU time (user + system) of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15 of stat)
    rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return ProcessSample(rss_pages * PAGE_BYTES, cpu)


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def seed_database(path: Path, library: Library, count: int) -> int:
    """A database as `count` finished syncs leave it: one sync-state row per scene, a full activity log, the
    Stash cursor. Returns its size in bytes."""
    config = library.config()
    template = library.stash.scene(library.scene_ids[0])
    rows = []
    for index, scene_id in enumerate(library.scene_ids[:count]):
        spec = stash_scene(index)
        raw = dict(template, id=scene_id, title=spec["title"], details=spec["details"], date=spec["date"],
                   rating100=spec["rating100"], studio={"name": spec["studio"]},
                   performers=[{"name": name} for name in spec["performers"]],
                   tags=[{"name": name} for name in spec["tags"]],
                   updated_at=spec["updated_at"], files=[dict(template["files"][0], path=spec["files"][0])])
        meta = scene_from_stash(raw)
        rows.append((scene_id, str(100_000 + index), payload_hash(meta, config.fields),
                     json.dumps(desired_fields(meta, config.fields), ensure_ascii=False), None,
                     spec["updated_at"], time.time(), normalise(map_path(spec["files"][0], config.path_map))))
    Store(path).close()  # the schema, exactly as the app creates it
    with sqlite3.connect(path) as db:
        db.executemany("INSERT INTO sync_state (scene_id, rating_key, pushed_hash, seen_updated_at, synced_at) "
                       "VALUES (?, ?, ?, ?, ?)", [(r[0], r[1], r[2], r[5], r[6]) for r in rows])
        db.executemany("INSERT INTO plex_items (rating_key, path_key, written, poster_sha1) VALUES (?, ?, ?, ?)",
                       [(r[1], r[7], r[3], r[4]) for r in rows])
        db.executemany("INSERT INTO activity (at, scene_id, title, outcome, detail) VALUES (?, ?, ?, ?, ?)",
                       [(time.time(), r[0], f"Scene {r[0]}", "synced", "title, studio changed")
                        for r in rows[-ACTIVITY_LIMIT:]])
        db.execute("INSERT INTO kv (key, value) VALUES (?, ?)", (WATERMARK_KEY, max(r[5] for r in rows)))
    db.close()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def measure_run(ctx: Context, scenes: int) -> dict[str, Any]:
    library = build_library(ctx.emulators, scenes, plex_files=0)  # an idle run sends Plex nothing
    try:
        data_dir = ctx.workdir / f"run-{scenes}"
        data_dir.mkdir(parents=True, exist_ok=True)
        database_bytes = seed_database(data_dir / "plexsync.db", library, scenes)
        config = library.config()
        config.sync.poll_interval = ctx.scale.poll_interval
        save_config(data_dir / "config.toml", config)
        return _observe(ctx, library, data_dir) | {"scenes": scenes, "database_bytes": database_bytes}
    finally:
        library.stop()


def _observe(ctx: Context, library: Library, data_dir: Path) -> dict[str, Any]:
    env = app_environment(data_dir)
    command = [sys.executable, "-m", "plexsync_gui.cli.main", "--config", str(data_dir / "config.toml"),
               "--data-dir", str(data_dir), "run"]
    with open(data_dir / "run.out", "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            started = time.monotonic()
            # Started: the full reconcile listing is done and one light poll followed it.
            _wait(lambda: library.stash.count("ChangedSceneIds") >= 1 or process.poll() is not None,
                  ctx.scale.poll_interval * 4 + 120)
            startup = time.monotonic() - started
            polls_before = library.stash.count("ChangedSceneIds")
            requests_before = library.stash.count()
            first = sample(process.pid)
            samples = [first]
            window_end = time.monotonic() + ctx.scale.run_window
            while time.monotonic() < window_end and process.poll() is None:
                time.sleep(0.5)
                samples.append(sample(process.pid))
            last = samples[-1]
            window = ctx.scale.run_window
            peak = peak_rss(process.pid)
            polls = library.stash.count("ChangedSceneIds") - polls_before
            requests = library.stash.count() - requests_before
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
    return {
        "startup_seconds": startup, "window_seconds": window,
        "rss_bytes": max(s.rss_bytes for s in samples), "rss_start_bytes": first.rss_bytes, "peak_rss_bytes": peak,
        "cpu_percent": 100 * (last.cpu_seconds - first.cpu_seconds) / window, "polls": polls,
        "stash_requests": requests, "plex_requests": library.plex.count(), "exit_code": code,
    }


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not condition():
        time.sleep(0.05)


@benchmark("run_idle", "headless run, idle at a large synced library")
def run_idle(ctx: Context) -> Result:
    runs = [measure_run(ctx, size) for size in ctx.scale.run_sizes]
    target = runs[-1]
    mb = 1024 * 1024
    others = "; ".join(f"at {r['scenes']:,}: {r['rss_bytes'] / mb:.0f} MB" for r in runs[:-1])
    met = target["rss_bytes"] < 150 * mb and target["cpu_percent"] < 1 and target["exit_code"] == 0
    return Result(
        f"headless `plexsync run` at {target['scenes']:,} synced scenes, idle",
        f"RSS {target['rss_bytes'] / mb:.0f} MB (peak {target['peak_rss_bytes'] / mb:.0f} MB); CPU "
        f"{target['cpu_percent']:.2f} % over {target['window_seconds']:.0f} s with {target['polls']} polls"
        + (f"; {others}" if others else ""),
        "RSS < 150 MB; CPU < 1 % between polls",
        met, {"runs": runs},
        "" if target["exit_code"] == 0 else f"run exited with {target['exit_code']} (see run.out)",
    )
