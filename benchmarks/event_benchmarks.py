"""Event-driven sync (issue 15): how long a scene waits for Plex's scan, with Plex's notifications and without, and
how fast a finished Stash job reaches Plex. `plexsync run`'s loop on a thread, the emulators in their own process,
real websockets, 5 ms per request."""

from __future__ import annotations

import math
import random
import statistics
import time
from typing import Any

from benchmarks.context import Context, Library
from benchmarks.registry import Result, benchmark
from benchmarks.sync_benchmarks import _RunnerThread, _wait_for, synced_session
from plexsync_gui.core.errors import NOT_FOUND_ATTEMPTS, NOT_FOUND_BACKOFF

SAMPLES = 3
SCAN_SECONDS = 2.0  # how long the emulated Plex takes to scan a folder it was asked to scan
_serial = iter(range(1_000_000))


def _new_scene(library: Library, folder: str) -> tuple[str, str, str]:
    """A scene new to Stash whose file Plex has not scanned: (scene id, its Plex file, its title)."""
    n = next(_serial)
    title = f"New scene {n}"
    library.stash.advance(1)
    scene_id = library.stash.add_scenes([{"title": title, "files": [f"/data/movies/{folder}-{n}/new-{n}.mkv"]}])[0]
    return scene_id, f"/media/movies/{folder}-{n}/new-{n}.mkv", title


def _appeared_to_synced(ctx: Context, library: Library, database: str, listen: bool) -> list[float]:
    """Seconds from Plex having the new file (as its own scan would add it) to the scene's metadata on the item,
    for scenes already waiting for that scan (their first look-up found nothing)."""
    interval = ctx.scale.poll_interval
    delays: list[float] = []
    with _RunnerThread(ctx, library, database, interval, listen=listen, scan_missing=False) as runner:
        if listen:
            _wait_for(lambda: runner.runner is not None and runner.runner.listeners is not None
                      and runner.runner.listeners.state().live, 10)
        runner.wait_next_poll(interval + 30)  # the start's full pass over every scene id, then idle polls only
        runner.wait_next_poll(interval + 30)
        for _ in range(SAMPLES):
            _, file, title = _new_scene(library, "waiting")
            runner.wait_next_poll(interval + 30)  # the poll queued it and its look-up found no item
            time.sleep(0.5)
            appeared = time.perf_counter()
            library.plex.add_items(library.section, [{"file": file, "title": "untitled"}])
            arrived = _wait_for(lambda f=file, t=title: library.plex.title_of_file(f) == t,
                                NOT_FOUND_BACKOFF.ceiling(1) + 30, step=0.005)
            delays.append(time.perf_counter() - appeared if arrived else math.inf)
    return delays


def _added_to_synced(ctx: Context, library: Library, database: str) -> list[float]:
    """Seconds from a scene added to Stash, its file not yet scanned by Plex, to its metadata in Plex: the poll,
    the look-up that finds nothing, the folder scan PlexSync asks for (SCAN_SECONDS), the notification, the sync."""
    interval = ctx.scale.poll_interval
    delays: list[float] = []
    with _RunnerThread(ctx, library, database, interval, listen=True, scan_missing=True) as runner:
        _wait_for(lambda: runner.runner is not None and runner.runner.listeners is not None
                  and runner.runner.listeners.state().live, 10)
        for _ in range(SAMPLES):
            runner.wait_next_poll(interval + 30)
            n = next(_serial)
            title, plex_file = f"Scanned scene {n}", f"/media/movies/scan-{n}/scan-{n}.mkv"
            library.plex.add_unscanned_file(library.section, plex_file, SCAN_SECONDS)
            library.stash.advance(1)
            added = time.perf_counter()
            library.stash.add_scenes([{"title": title, "files": [f"/data/movies/scan-{n}/scan-{n}.mkv"]}])
            arrived = _wait_for(lambda f=plex_file, t=title: library.plex.title_of_file(f) == t,
                                interval + SCAN_SECONDS + 60, step=0.005)
            delays.append(time.perf_counter() - added if arrived else math.inf)
    return delays


def _backoff_waits(rng: random.Random, trials: int = 20_000) -> dict[str, float]:
    """Without events, a file Plex scans at a random moment of a scene's retry schedule is found at the next retry.
    The schedule is the real one (errors.NOT_FOUND_BACKOFF, NOT_FOUND_ATTEMPTS tries, full jitter); the scan lands
    uniformly within the first hour. Returns the mean and 95th percentile wait from scan to next retry, and the
    schedule's worst total."""
    waits: list[float] = []
    for _ in range(trials):
        retries, at = [], 0.0
        for attempt in range(1, NOT_FOUND_ATTEMPTS):
            at += NOT_FOUND_BACKOFF.delay(attempt, rng)
            retries.append(at)
        scanned = rng.uniform(0, min(3600.0, retries[-1]))
        waits.append(next(t for t in retries if t >= scanned) - scanned)
    waits.sort()
    worst = sum(NOT_FOUND_BACKOFF.ceiling(a) for a in range(1, NOT_FOUND_ATTEMPTS))
    return {"mean": statistics.fmean(waits), "p95": waits[int(0.95 * len(waits))], "schedule_worst": worst}


@benchmark("new_file", "a new file scanned in Plex to its metadata in Plex")
def new_file(ctx: Context) -> Result:
    library = ctx.library(ctx.scale.scenes)
    synced = synced_session(ctx, library)
    database = synced.store.path.parent.name
    with_events = _appeared_to_synced(ctx, library, database, listen=True)
    polling = _appeared_to_synced(ctx, library, database, listen=False)
    end_to_end = _added_to_synced(ctx, library, database)
    model = _backoff_waits(random.Random(15))
    figures: dict[str, Any] = {"with_events": with_events, "polling_only_first_window": polling,
                               "added_to_synced_with_scan": end_to_end, "scan_seconds": SCAN_SECONDS,
                               "poll_interval": ctx.scale.poll_interval, "polling_only_model": model}
    worst_events = max(with_events)
    return Result(
        "a file Plex scans while its scene waits for it",
        f"with events {statistics.fmean(with_events):.2f} s (worst {worst_events:.2f} s); polling only "
        f"{statistics.fmean(polling):.1f} s in the first retry window (worst {max(polling):.1f} s), "
        f"{model['mean'] / 60:.1f} min on average and {model['p95'] / 60:.1f} min at p95 for a scan within the "
        f"first hour (schedule {model['schedule_worst'] / 60:.0f} min at worst); new scene to Plex with the folder "
        f"scan asked: {statistics.fmean(end_to_end):.1f} s (poll every {ctx.scale.poll_interval:g} s, scan "
        f"{SCAN_SECONDS:g} s)",
        "with events ≤ 2 s, without waiting for a retry",
        worst_events <= 2.0, figures,
    )


@benchmark("stash_job", "a finished Stash job to Plex")
def stash_job(ctx: Context) -> Result:
    library = ctx.library(ctx.scale.scenes)
    synced = synced_session(ctx, library)
    database = synced.store.path.parent.name
    delays: list[float] = []
    poll_interval = 3600.0  # the job, not the poll, must bring the change
    with _RunnerThread(ctx, library, database, poll_interval, listen=True) as runner:
        _wait_for(lambda: runner.runner is not None and runner.runner.listeners is not None
                  and runner.runner.listeners.state().live, 10)
        runner.wait_next_poll(30)
        for k in range(SAMPLES):
            index = (k * 104_729) % len(library.scene_ids)
            title = f"Identified {k}"
            library.stash.advance(1)
            finished = time.perf_counter()
            library.stash.run_job("Identifying...", library.scene_ids[index], title)
            arrived = _wait_for(lambda key=library.rating_keys[index], want=title: library.plex.title(key) == want,
                                30, step=0.005)
            delays.append(time.perf_counter() - finished if arrived else math.inf)
    return Result(
        "an identify job changes a scene, app idle (poll every hour)",
        f"in Plex {statistics.fmean(delays):.2f} s after the job finished (worst {max(delays):.2f} s)",
        "≤ 2 s, without waiting for the poll", max(delays) <= 2.0, {"delays": delays},
    )
