"""A second `plexsync-gui --demo` raises the first instead of opening a second demo with its own tray icon."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.skipif(os.name != "posix", reason="POSIX signals")]


def _wait_for(path: Path, text: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Bounded wait for a line in a process's output file."""
    deadline = time.monotonic() + timeout
    while text not in path.read_text(errors="replace"):
        assert process.poll() is None, path.read_text(errors="replace")
        assert time.monotonic() < deadline, f"{text!r} not seen in {timeout} s: {path.read_text(errors='replace')}"
        time.sleep(0.1)


def test_a_second_demo_launch_raises_the_first(tmp_path):
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(runtime)}
    first_log = tmp_path / "first.log"
    with first_log.open("w") as out:
        first = subprocess.Popen([sys.executable, "-m", "plexsync_gui", "--demo", "-v"], env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
    try:
        _wait_for(first_log, "started (data in", first)
        second = subprocess.run([sys.executable, "-m", "plexsync_gui", "--demo", "-v"], env=env, capture_output=True,
                                text=True, timeout=120)
        assert second.returncode == 0, second.stderr
        assert "PlexSync is already running; asked it to show its window" in second.stderr
        _wait_for(first_log, "PlexSync was started again; showing the window", first)
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0
