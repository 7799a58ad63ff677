"""The first run in a real X11 session with a tray host: cancelling the settings leaves "not set up" everywhere."""

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
with startup_environment(parse_args(["--config", CONFIG, "--data-dir", DATA])) as startup:
    plexsync = PlexSyncApp(startup)
    app.aboutToQuit.connect(plexsync.shutdown)
    plexsync.start()

    def poll():
        if plexsync.settings is None or not plexsync.settings.isVisible() or plexsync.tray.tray.geometry().isEmpty():
            return
        timer.stop()
        plexsync.settings.reject()  # the user closes the first settings without saving
        QTimer.singleShot(500, report)

    def report():
        window = plexsync.window
        print(json.dumps({
            "first_run": startup.first_run, "window": window.isVisible(), "status_bar": window.stash_label.text(),
            "queue": window.queue_page.empty.text(), "tooltip": plexsync.tray.tray.toolTip(),
            "tray_sync": plexsync.tray.sync_action.isEnabled(), "worker": bool(plexsync.service.status),
        }), flush=True)
        plexsync.quit()

    timer = QTimer(interval=100, timeout=poll)
    timer.start()
    QTimer.singleShot(40000, lambda: app.exit(1))
    code = app.exec()
raise SystemExit(code)
"""


def test_cancelled_first_settings_leave_a_clear_not_set_up_state(tray_display, tmp_path: Path) -> None:
    prelude = f"CONFIG = {str(tmp_path / 'config.toml')!r}\nDATA = {str(tmp_path / 'data')!r}\n"
    result = run_in_display(tray_display, prelude + APP, timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "first_run": True, "window": True, "status_bar": "⚠ Not set up: open Settings… to connect Stash and Plex",
        "queue": "PlexSync is not set up yet: connect it to Stash and Plex in PlexSync > Settings…",
        "tooltip": "PlexSync — not set up\nOpen Settings… to connect Stash and Plex", "tray_sync": False,
        "worker": False,
    }
    assert not (tmp_path / "config.toml").exists()
