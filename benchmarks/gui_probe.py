"""The GUI half of the `gui_window` benchmark, run as `python -m benchmarks.gui_probe` in a process of its own.

Its own process, so the memory it reports is the desktop app's alone (Python, Qt, the table models and the sync
worker with its clients), not the benchmark runner's or the emulators'. It builds the window and the sync service
exactly as the app does, waits until both tables are filled, then measures how long the GUI thread stalls while the
worker syncs: a 5 ms heartbeat timer, whose longest gap minus its interval is the longest the event loop was
blocked. It prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from plexsync_gui.core.setup.config import load_config
from plexsync_gui.core.setup.secrets import resolve_secrets
from plexsync_gui.core.setup.session import locate
from plexsync_gui.ui.main_window import MainWindow
from plexsync_gui.ui.service import SyncService

HEARTBEAT_MS = 5
LOAD_TIMEOUT = 120.0


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Run the event loop (which sleeps inside Qt, as a real app does) until `condition` holds or time runs out."""
    deadline = time.monotonic() + timeout
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(5)
    check.timeout.connect(lambda: (condition() or time.monotonic() > deadline) and loop.quit())
    check.start()
    loop.exec()
    check.stop()
    return condition()


class Heartbeat:
    """Gaps between the beats of a precise 5 ms timer on the GUI thread."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def run(self, seconds: float) -> None:
        self._last = time.perf_counter()
        self._timer.start()
        end = time.monotonic() + seconds
        wait_until(lambda: time.monotonic() >= end, seconds + 5)
        self._timer.stop()

    def stall_ms(self, quantile: float) -> float:
        gaps = sorted(self.gaps)
        return max(0.0, gaps[min(len(gaps) - 1, int(quantile * len(gaps)))] * 1000 - HEARTBEAT_MS)


def memory_kib() -> dict[str, int]:
    """Current and peak resident memory of this process, from /proc (Linux)."""
    values = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


def measure(config_file: str, data_dir: str, queued: int, failed: int, seconds: float) -> dict[str, Any]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    locations = locate(config_file, data_dir)
    config = load_config(locations.config_file)
    started = time.perf_counter()
    service = SyncService(locations, config, resolve_secrets(config))
    window = MainWindow(service)
    service.start()
    loaded = wait_until(lambda: service.failed_model.rowCount() >= failed
                        and service.queue_model.rowCount() >= queued * 0.9, LOAD_TIMEOUT)
    window.show()
    app.processEvents()
    window_open = time.perf_counter() - started
    synced_before = service.status.get("synced", 0)
    heartbeat = Heartbeat()
    heartbeat.run(seconds)
    synced = service.status.get("synced", 0) - synced_before
    memory = memory_kib()
    service.shutdown()
    window.close()
    return {
        "loaded": loaded, "queued_rows": service.queue_model.rowCount(), "failed_rows": service.failed_model.rowCount(),
        "window_open_seconds": window_open, "max_stall_ms": heartbeat.stall_ms(1.0),
        "p99_stall_ms": heartbeat.stall_ms(0.99), "beats": len(heartbeat.gaps), "measured_seconds": seconds,
        "synced_while_measuring": synced, "rss_kib": memory["VmRSS"], "peak_rss_kib": memory["VmHWM"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gui_probe", description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--queued", type=int, required=True)
    parser.add_argument("--failed", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True, help="how long to measure stalls while syncing")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.config, args.data_dir, args.queued, args.failed, args.seconds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
