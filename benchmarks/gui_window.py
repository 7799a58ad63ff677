"""GUI at scale: 20,000 queued jobs and 5,000 dead letters; window open time, GUI-thread stalls while syncing, RSS.

Runs offscreen against the emulated servers. The GUI thread's responsiveness is measured with a 5 ms heartbeat
timer: the longest gap between two beats, minus the interval, is the longest the event loop was blocked.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from plexsync_gui.core.config import Config  # noqa: E402
from plexsync_gui.core.paths import PathRule  # noqa: E402
from plexsync_gui.core.scene import payload_hash, scene_from_stash  # noqa: E402
from plexsync_gui.core.secrets import Secrets  # noqa: E402
from plexsync_gui.core.session import Locations  # noqa: E402
from plexsync_gui.core.store import NewJob, Store  # noqa: E402
from plexsync_gui.emulators.plex import PlexEmulator  # noqa: E402
from plexsync_gui.emulators.stash import StashEmulator  # noqa: E402
from plexsync_gui.ui.main_window import MainWindow  # noqa: E402
from plexsync_gui.ui.service import SyncService  # noqa: E402

TOKEN, KEY = "bench-token", "bench-key"


@dataclass
class GuiFigures:
    queued: int
    dead_letters: int
    window_open_s: float
    max_stall_ms: float
    stall_samples: int
    synced_while_measuring: int
    rss_mb: float


def seed_store(path: Path, config: Config, queued: int, dead: int) -> None:
    store = Store(path)
    jobs = []
    for i in range(1, queued + dead + 1):
        meta = scene_from_stash({"id": str(i), "title": f"Scene {i}", "updated_at": "2026-01-01T00:00:00Z",
                                 "files": [{"path": f"/data/movies/scene-{i:06d}.mp4"}]})
        jobs.append(NewJob(meta.scene_id, meta.display_title, meta.path, meta.to_json(),
                           payload_hash(meta, config.fields)))
    store.enqueue(jobs)
    with store._tx() as db:  # the dead letters: the last `dead` jobs, moved in one transaction
        db.execute("""INSERT INTO dead_letters (scene_id, title, path, error_type, error, attempts, failed_at, payload,
                                                payload_hash)
                      SELECT scene_id, title, path, 'PlexNotFound', 'no Plex item has the file', 5, enqueued_at,
                             payload, payload_hash FROM jobs WHERE id > ?""", (queued,))
        db.execute("DELETE FROM jobs WHERE id > ?", (queued,))
    store.close()


def wait_until(condition: Callable[[], bool]) -> None:
    """Run the event loop (which sleeps in Qt, without the GIL, like a real app) until `condition` holds."""
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(10)
    check.timeout.connect(lambda: condition() and loop.quit())
    check.start()
    loop.exec()
    check.stop()


def run(queued: int = 20_000, dead: int = 5_000, latency: float = 0.005, measure_s: float = 10.0) -> GuiFigures:
    app = QApplication.instance() or QApplication([])
    with StashEmulator(api_key=KEY) as stash, PlexEmulator(token=TOKEN) as plex, \
            tempfile.TemporaryDirectory(prefix="plexsync-bench-") as scratch:
        for emulator in (stash, plex):
            if hasattr(emulator, "latency"):
                emulator.latency = latency
        section = plex.add_section("Movies", "movie", ["/media/movies"])
        for i in range(1, queued + 1):
            plex.add_item(section, f"/media/movies/scene-{i:06d}.mp4", title=f"scene {i}")
        config = Config()
        config.stash.url, config.plex.url = stash.url, plex.url
        config.plex.libraries = ["Movies"]
        config.fields.poster = False
        config.sync.poll_interval = 3600
        config.path_map = [PathRule("/data/", "/media/")]
        base = Path(scratch)
        locations = Locations(base / "config.toml", base / "data", base / "logs")
        seed_store(locations.database, config, queued, dead)

        clock = QElapsedTimer()
        clock.start()
        service = SyncService(locations, config, Secrets(TOKEN, KEY))
        window = MainWindow(service)
        service.start()
        wait_until(lambda: service.queue_model.rowCount() >= queued * 0.9
                   and service.failed_model.rowCount() >= dead)
        window.show()
        app.processEvents()
        window_open = clock.elapsed() / 1000

        gaps: list[float] = []
        last = [time.perf_counter()]

        def beat() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        heartbeat = QTimer()
        heartbeat.setInterval(5)
        heartbeat.timeout.connect(beat)
        synced_before = service.status.get("synced", 0)
        heartbeat.start()
        deadline = time.perf_counter() + measure_s
        wait_until(lambda: time.perf_counter() >= deadline)
        heartbeat.stop()
        synced = service.status.get("synced", 0) - synced_before
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        service.shutdown()
        window.close()
        return GuiFigures(queued, dead, round(window_open, 3), round((max(gaps) - 0.005) * 1000, 1), len(gaps),
                          synced, round(rss, 1))


if __name__ == "__main__":
    print(run())
