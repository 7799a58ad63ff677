"""A real X server (Xvfb) with a tray host (trayer) for tests that need a real window and a real tray icon.

The pytest process itself runs Qt on the offscreen platform and cannot switch, so real-window code runs in a
subprocess with `QT_QPA_PLATFORM=xcb` on the display these fixtures start (`run_in_display`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 15.0  # seconds for Xvfb or trayer to come up on a loaded 2-core machine
POLL = 0.05



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
    with _xvfb(tmp_path) as display:
        yield display


@pytest.fixture
def tray_display(tmp_path: Path) -> Iterator[str]:
    """An X display whose system tray (trayer, XEmbed) is up and owns the tray selection."""
    _require("Xvfb", "trayer")
    with _xvfb(tmp_path) as display:
        log = (tmp_path / "trayer.log").open("wb")
        trayer = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                                   "--height", "24"], env={**os.environ, "DISPLAY": display},
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            _poll(lambda: _tray_owner(display), trayer, "trayer never took the tray selection", tmp_path / "trayer.log")
            yield display
        finally:
            _stop(trayer)
            log.close()


def _require(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.skip(f"real-window tests need {' and '.join(missing)} (apt-get install xvfb trayer)")


@contextmanager
def _xvfb(tmp_path: Path) -> Iterator[str]:
    """Xvfb on a display number it picks itself (-displayfd), so parallel runs never collide.

    -noreset: by default an X server resets when its last client disconnects, refusing connections meanwhile; the
    readiness probe is such a client, and trayer would then race the reset.
    """
    read_end, write_end = os.pipe()
    log = (tmp_path / "xvfb.log").open("wb")
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp",
                             "-noreset"],
                            pass_fds=(write_end,), stdout=log, stderr=subprocess.STDOUT)
    os.close(write_end)
    try:
        display = f":{_read_display_number(read_end, xvfb, tmp_path / 'xvfb.log')}"
        _poll(lambda: _accepts_connections(display), xvfb, "Xvfb does not accept connections", tmp_path / "xvfb.log")
        yield display
    finally:
        os.close(read_end)
        _stop(xvfb)
        log.close()


def _read_display_number(fd: int, process: subprocess.Popen[bytes], log: Path) -> int:
    """Xvfb writes the number once it is ready for clients."""
    data = b""
    deadline = time.monotonic() + START_TIMEOUT
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 16) if ready else b""
        if not chunk:
            pytest.fail(f"Xvfb did not report a display (exit {process.poll()}): {log.read_text(errors='replace')}")
        data += chunk
    return int(data)


def _poll(ready: Callable[[], bool], process: subprocess.Popen[bytes], failure: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{failure} (exit {process.poll()}): {log.read_text(errors='replace')[-2000:]}")
        time.sleep(POLL)


def _xlib() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    lib.XOpenDisplay.restype = ctypes.c_void_p
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    lib.XInternAtom.restype = ctypes.c_ulong
    lib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.XGetSelectionOwner.restype = ctypes.c_ulong
    lib.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    return lib


def _accepts_connections(display: str) -> bool:
    xlib = _xlib()
    handle = xlib.XOpenDisplay(display.encode())
    if not handle:
        return False
    xlib.XCloseDisplay(handle)
    return True


def _tray_owner(display: str) -> bool:
    """The XEmbed tray spec: a tray host owns the selection _NET_SYSTEM_TRAY_S<screen>."""
    xlib = _xlib()
    handle = xlib.XOpenDisplay(display.encode())
    if not handle:
        return False
    try:
        return xlib.XGetSelectionOwner(handle, xlib.XInternAtom(handle, b"_NET_SYSTEM_TRAY_S0", 0)) != 0
    finally:
        xlib.XCloseDisplay(handle)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End the process we started, by its pid only."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
