"""The README's screenshots: the demo app's Queue, Failed (with details), Activity and Library views, taken on a
private X display (Xvfb) so they look as on a real desktop and never clutter the one we run on.

    python -m benchmarks.screenshots [docs/screenshots]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.display import xvfb_display

REPO = Path(__file__).resolve().parents[1]
SETTLE_TIMEOUT = 60.0


def settle(app: Any, done: Callable[[], bool], timeout: float = SETTLE_TIMEOUT) -> None:
    """Run Qt's events until `done()` holds; the demo is expected to get there within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the demo did not settle")
        app.processEvents()
        time.sleep(0.02)


def capture(out_dir: Path) -> None:
    """Runs inside the X display: the demo's window once the first sync has settled, one PNG per view."""
    from PySide6.QtWidgets import QApplication

    from plexsync_gui.emulators.demo import demo_environment
    from plexsync_gui.ui.main_window import MainWindow
    from plexsync_gui.ui.service import SyncService

    app = QApplication([])
    with demo_environment() as (locations, config, secrets):
        service = SyncService(locations, config, secrets)
        service.start()
        window = MainWindow(service, confirm=lambda _title, _question: False)
        window.resize(1180, 660)
        window.show()

        settle(app, lambda: bool(service.status) and not service.status["due"] and service.status["failed"] >= 2)
        service.flush()
        detail: list[object] = []
        service.detail_ready.connect(detail.append)
        facts: list[object] = []  # the picker's reading of each Plex candidate
        service.candidates_ready.connect(lambda _id, read: facts.append(read))
        pages = {"queue": window.queue_page, "failed": window.failed_page, "activity": window.activity_page}
        for name, page in pages.items():
            window.tabs.setCurrentWidget(page)
            if page is window.failed_page:  # the ambiguous match: its details pane has the most to show
                page.select_id(service.failed_model.find(lambda r: "match" in r.error) or service.failed_model.ids()[0])
                settle(app, lambda: bool(detail) and (not getattr(detail[-1], "candidates", ()) or bool(facts)), 15.0)
            end = time.monotonic() + 0.5
            while time.monotonic() < end:
                app.processEvents()
            window.grab().save(str(out_dir / f"{name}.png"))
        window.tabs.setCurrentWidget(window.library_page)  # its first showing starts the coverage check
        settle(app, lambda: service.coverage.report is not None and not service.coverage.busy, 30.0)
        window.library_page.select_id(service.coverage.model.find(lambda r: r.reason == "ambiguous") or 0)
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            app.processEvents()
        window.grab().save(str(out_dir / "library.png"))
        service.shutdown()


def main() -> None:
    import os
    import subprocess

    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "docs" / "screenshots").resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as logs, xvfb_display(Path(logs)) as display:
        env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
        env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(REPO))
        code = f"from pathlib import Path; from benchmarks.screenshots import capture; capture(Path({str(out_dir)!r}))"
        subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, timeout=180)
    for name in ("queue", "failed", "activity", "library"):
        path = out_dir / f"{name}.png"
        print(f"{path}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
