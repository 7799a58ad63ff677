"""SIGTERM/SIGINT quit the app in order, also when they land during start-up, before the event loop runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Exit code 0: the signal quit the loop; 3: the guard timer had to end it.
EARLY_SIGNAL = """
import os, signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from plexsync_gui.ui.crash import install_signal_handlers

app = QApplication([])
install_signal_handlers(app, QApplication.quit)
os.kill(os.getpid(), signal.SIGNUM)  # start-up is not over: the loop does not run yet
QTimer.singleShot(20000, lambda: app.exit(3))
sys.exit(app.exec())
"""


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_signal_during_start_up_still_quits(signum: str) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", EARLY_SIGNAL.replace("SIGNUM", signum)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
