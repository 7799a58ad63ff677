"""A real X server (Xvfb) with a tray host (trayer) for tests that need a real window and a real tray icon.

The pytest process itself runs Qt on the offscreen platform and cannot switch, so real-window code runs in a
subprocess with `QT_QPA_PLATFORM=xcb` on the display these fixtures start (`run_in_display`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from benchmarks.display import DisplayError, xvfb_display
from benchmarks.display import tray_display as start_tray_display

REPO = Path(__file__).resolve().parents[2]



def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder carries the realwindow marker, so `-m "not realwindow"` leaves them all out."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.realwindow)


def run_in_display(display: str, python_code: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run python_code in a fresh interpreter on that X display with Qt's xcb platform; the checkout is importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-c", python_code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def bare_display(tmp_path: Path) -> Iterator[str]:
    """An X display without any tray host."""
    _require("Xvfb")
    with _or_fail(xvfb_display(tmp_path), tmp_path) as display:
        yield display


@pytest.fixture
def tray_display(tmp_path: Path) -> Iterator[str]:
    """An X display whose system tray (trayer, XEmbed) is up and owns the tray selection."""
    _require("Xvfb", "trayer")
    with _or_fail(start_tray_display(tmp_path), tmp_path) as display:
        assert display is not None  # both programs exist, checked above
        yield display


def _require(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"real-window tests need {' and '.join(missing)} (apt-get install xvfb trayer)")


@contextmanager
def _or_fail(display: AbstractContextManager[str | None], log_dir: Path) -> Iterator[str | None]:
    """A display that did not come up fails the test with the programs' logs, not with a bare exception."""
    try:
        with display as started:
            yield started
    except DisplayError as exc:
        logs = "".join(f"\n{log.name}: {log.read_text(errors='replace')[-2000:]}" for log in log_dir.glob("*.log"))
        pytest.fail(f"{exc}{logs}")
