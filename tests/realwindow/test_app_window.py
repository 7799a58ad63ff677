"""The whole app in a real X11 session with a tray host: the icon embeds, the window shows the synced demo library."""

from __future__ import annotations

import json
from pathlib import Path

from tests.realwindow.conftest import run_in_display

APP = """
import json
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from plexsync_gui.ui.app import PlexSyncApp, parse_args, startup_environment

app = QApplication([])
with startup_environment(parse_args(["--demo"])) as startup:
    plexsync = PlexSyncApp(startup)
    app.aboutToQuit.connect(plexsync.shutdown)
    plexsync.start()

    def poll():
        status = plexsync.service.status
        geometry = plexsync.tray.tray.geometry()
        if geometry.isEmpty() or not plexsync.window.isVisible() or status.get("failed") != 2 or status.get("due") \
                or status.get("synced") != 40:  # 38, and the two that wait for the folder scan PlexSync asks for
            return
        timer.stop()
        plexsync.service.flush()
        QTimer.singleShot(500, report)  # let the window repaint before the screen is captured

    def report():
        geometry = plexsync.tray.tray.geometry()
        app.primaryScreen().grabWindow(0).save(SCREENSHOT)
        print(json.dumps({
            "tray": [geometry.width(), geometry.height()], "state": plexsync.tray.state,
            "tooltip": plexsync.tray.tray.toolTip(), "tabs": [plexsync.window.tabs.tabText(i) for i in range(3)],
        }), flush=True)
        plexsync.quit()

    def give_up():
        print("timed out", plexsync.service.status, plexsync.tray.tray.geometry(), flush=True)
        app.exit(1)

    timer = QTimer(interval=100, timeout=poll)
    timer.start()
    QTimer.singleShot(40000, give_up)
    code = app.exec()
raise SystemExit(code)
"""


def test_demo_app_shows_tray_and_populated_window(tray_display, tmp_path: Path) -> None:
    screenshot = tmp_path / "app.png"
    result = run_in_display(tray_display, f"SCREENSHOT = {str(screenshot)!r}\n" + APP, timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert all(size > 0 for size in report["tray"])
    assert report["state"] == "error"  # the demo's two dead letters
    assert "2 failed" in report["tooltip"]
    assert report["tabs"] == ["Queue", "Failed (2)", "Activity (42)"]  # the two unscanned files were scanned
    assert screenshot.stat().st_size > 10_000
