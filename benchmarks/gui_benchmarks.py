"""The desktop app at scale: the window over a large queue while syncing, and the launch up to the tray icon.

Both run the app in a process of their own (see gui_probe.py and `python -m plexsync_gui`), against the emulators of
the shared context, so the runner's memory and the emulators' work stay out of the figures. This module never
imports Qt.
"""

from __future__ import annotations

import json
import select
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.context import Context, Library, app_environment, build_library
from benchmarks.display import tray_display
from benchmarks.registry import Result, benchmark
from benchmarks.sync_benchmarks import synced_session
from plexsync_gui.core.setup.config import save_config

REPO = Path(__file__).resolve().parents[1]
MB = 1024 * 1024
PROBE_TIMEOUT = 600.0
START_TIMEOUT = 60.0
TRAY_LINE = "tray icon shown"  # logged by ui/app.py when the icon goes into an available tray
STARTED_LINE = "started (data in"  # logged once start() returned: the window is up, the worker started


@benchmark("gui_window", "GUI with a large queue and many dead letters")
def gui_window(ctx: Context) -> Result:
    queued, failed = ctx.scale.gui_queued, ctx.scale.gui_failed
    library = build_library(ctx.emulators, queued + failed, plex_files=queued)  # the failed ones have no file
    try:
        data_dir = ctx.workdir / "gui"
        seed_queue(ctx, library, data_dir, failed)
        figures = run_probe(data_dir, queued, failed, ctx.scale.gui_seconds)
    finally:
        library.stop()
    peak = figures["peak_rss_kib"] * 1024
    met = (figures["loaded"] and figures["window_open_seconds"] < 1 and figures["max_stall_ms"] <= 50
           and peak < 250 * MB and figures["synced_while_measuring"] > 0)
    return Result(
        f"GUI with {queued:,} queued and {failed:,} dead letters",
        f"window open {figures['window_open_seconds']:.2f} s; GUI-thread stalls ≤ {figures['max_stall_ms']:.0f} ms "
        f"(p99 {figures['p99_stall_ms']:.0f} ms) over {figures['measured_seconds']:g} s while "
        f"{figures['synced_while_measuring']:,} scenes synced; RSS {peak / MB:.0f} MB peak",
        "window open < 1 s; stalls ≤ 50 ms while syncing; RSS < 250 MB",
        met, figures,
        "RSS: peak of a process running only the window and its sync worker (emulators run elsewhere)",
    )


def seed_queue(ctx: Context, library: Library, data_dir: Path, failed: int) -> None:
    """The app's database after a poll queued every scene and the scenes without a Plex file failed: the poll is
    the real one; the failures are moved to the dead letters directly, which is quicker than failing them for real.
    """
    config = library.config()
    session = ctx.open_session(library, data_dir.name, config)
    try:
        session.poller.poll()
        missing = library.scene_ids[len(library.scene_ids) - failed:]
        with session.store._tx() as db:  # benchmark instrumentation: one transaction, as the store writes them
            db.executemany(
                """INSERT INTO dead_letters (scene_id, title, path, error_type, error, attempts, failed_at, payload,
                                             payload_hash)
                   SELECT scene_id, title, path, 'PlexNotFound', 'no Plex item has the file', 1, enqueued_at,
                          payload, payload_hash FROM jobs WHERE scene_id = ?""", [(i,) for i in missing])
            db.executemany("DELETE FROM jobs WHERE scene_id = ?", [(i,) for i in missing])
    finally:
        session.close()
        session.store.close()
    save_config(data_dir / "config.toml", config)


def run_probe(data_dir: Path, queued: int, failed: int, seconds: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.gui_probe", "--config", str(data_dir / "config.toml"),
               "--data-dir", str(data_dir), "--queued", str(queued), "--failed", str(failed),
               "--seconds", str(seconds)]
    done = subprocess.run(command, cwd=REPO, env=app_environment(data_dir, QT_QPA_PLATFORM="offscreen"),
                          capture_output=True, text=True, timeout=PROBE_TIMEOUT)
    if done.returncode != 0 or not done.stdout.strip():
        raise RuntimeError(f"the GUI probe exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@benchmark("app_start", "app start to tray icon")
def app_start(ctx: Context) -> Result:
    """`python -m plexsync_gui` on a synced library, timed from the launch to its "tray icon shown" log line.

    Cold runs get an empty bytecode cache (every module, the standard library's included, is compiled first: the
    worst case); warm runs share a filled one, as every launch after the first does.
    """
    data_dir = app_data(ctx)
    cold_runs, warm_runs = ctx.scale.start_runs
    with tray_display(ctx.workdir / "display") as display, \
            tempfile.TemporaryDirectory(prefix="plexsync-pycache-") as caches:
        cold = [launch(data_dir, display, Path(caches) / f"cold-{i}") for i in range(cold_runs)]
        warm_cache = Path(caches) / f"cold-{cold_runs - 1}"  # filled by the last cold run
        warm = [launch(data_dir, display, warm_cache) for _ in range(warm_runs)]
    what = "tray icon" if display else "window (no Xvfb and trayer: no tray to time)"
    warm_median, cold_median = statistics.median(warm), statistics.median(cold)
    return Result(
        f"app start to {what}",
        f"{warm_median:.2f} s (median of {warm_runs}); cold {cold_median:.2f} s (median of {cold_runs}, "
        "compiling all bytecode)",
        "< 1.5 s", warm_median < 1.5 if display else None,
        {"warm_seconds": warm, "cold_seconds": cold, "display": bool(display), "synced_scenes": ctx.scale.scenes},
        "" if display else "Xvfb or trayer not installed: timed to the window, the tray target is not judged",
    )


def app_data(ctx: Context) -> Path:
    """A data folder holding a copy of the synced library's database and a config for its emulators."""
    library = ctx.library(ctx.scale.scenes)
    synced = synced_session(ctx, library)
    data_dir = ctx.workdir / "app-start"
    data_dir.mkdir(parents=True, exist_ok=True)
    source, copy = sqlite3.connect(synced.store.path), sqlite3.connect(data_dir / "plexsync.db")
    try:
        source.backup(copy)  # consistent even while the benchmark's own connection has it open
    finally:
        source.close()
        copy.close()
    save_config(data_dir / "config.toml", library.config())
    return data_dir


def launch(data_dir: Path, display: str | None, pycache: Path) -> float:
    """Seconds from starting the app until it logs the tray icon (or, with no display, the started window)."""
    env = app_environment(data_dir, PYTHONPYCACHEPREFIX=str(pycache))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("WAYLAND_DISPLAY", None)
    env.update({"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"} if display else {"QT_QPA_PLATFORM": "offscreen"})
    command = [sys.executable, "-m", "plexsync_gui", "--config", str(data_dir / "config.toml"), "--data-dir",
               str(data_dir), "-v"]
    marker = TRAY_LINE if display else STARTED_LINE
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        found, said = _wait_for_line(process, marker, started + START_TIMEOUT)
        elapsed = time.monotonic() - started
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    if not found:
        raise RuntimeError(f"the app never logged {marker!r} (exit {process.returncode}): {said[-500:]}")
    return elapsed


def _wait_for_line(process: subprocess.Popen[bytes], marker: str, deadline: float) -> tuple[bool, str]:
    """Read the app's stderr until a line holds `marker`, the app ends or time runs out; and what it said."""
    assert process.stderr is not None
    said = ""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], max(0.0, deadline - time.monotonic()))
        line = process.stderr.readline().decode(errors="replace") if ready else ""
        if not line:
            break
        said += line
        if marker in line:
            return True, said
    return False, said or "(nothing)"
