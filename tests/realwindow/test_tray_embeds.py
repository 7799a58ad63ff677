"""A QSystemTrayIcon with the real idle icon embeds in an X11 tray, and reports no tray where there is none."""

from __future__ import annotations

from tests.realwindow.conftest import run_in_display

# Polls with a QTimer in the subprocess: the tray can appear after the app starts (login races the panel).
EMBED = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from plexsync_gui.ui.resources import icon

app = QApplication([])
tray = QSystemTrayIcon(icon("tray-idle"))
tray.setToolTip("PlexSync")

def poll():
    if QSystemTrayIcon.isSystemTrayAvailable():
        tray.show()
        geometry = tray.geometry()
        if not geometry.isEmpty():
            print(f"embedded {geometry.width()}x{geometry.height()} icon_null={tray.icon().isNull()}")
            app.exit(0)

def give_up():
    print(f"available={QSystemTrayIcon.isSystemTrayAvailable()} geometry={tray.geometry()}")
    app.exit(1)

timer = QTimer(interval=50, timeout=poll)
timer.start()
QTimer.singleShot(8000, give_up)
raise SystemExit(app.exec())
"""

NO_TRAY = """
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from plexsync_gui.ui.resources import icon

app = QApplication([])
tray = QSystemTrayIcon(icon("tray-idle"))
tray.show()
print(f"available={QSystemTrayIcon.isSystemTrayAvailable()} visible={tray.isVisible()}")
"""


def test_tray_icon_embeds_with_a_real_geometry(tray_display):
    result = run_in_display(tray_display, EMBED, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    size = result.stdout.split()[1]
    width, height = (int(v) for v in size.split("x"))
    assert width > 0 and height > 0
    assert "icon_null=False" in result.stdout


def test_without_a_tray_host_no_tray_is_reported(bare_display):
    # isVisible() says True even here (desktop-conventions §2.4): availability is the check that tells.
    result = run_in_display(bare_display, NO_TRAY, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "available=False visible=True"
