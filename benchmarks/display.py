"""A private X display (Xvfb), optionally with a system tray (trayer): for the app-start benchmark, which times a
real tray icon, and for the real-window tests (tests/realwindow/conftest.py turns DisplayError into a test failure).

Qt's offscreen platform has no system tray, and the desktop we run on (if any) is not ours to clutter.
When Xvfb or trayer is missing, `tray_display` yields None and the benchmark times the window instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT = 15.0  # seconds for Xvfb or trayer to come up on a loaded 2-core machine


class DisplayError(RuntimeError):
    """Xvfb or trayer is installed but did not come up."""


@contextmanager
def tray_display(log_dir: Path) -> Iterator[str | None]:
    """An X display whose tray selection trayer owns, or None when the programs are not installed."""
    if shutil.which("Xvfb") is None or shutil.which("trayer") is None:
        yield None
        return
    log_dir.mkdir(parents=True, exist_ok=True)
    with xvfb_display(log_dir) as display, open(log_dir / "trayer.log", "wb") as log:
        trayer = subprocess.Popen(["trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                                   "--height", "24"], env={**os.environ, "DISPLAY": display},
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            _until(lambda: _tray_owned(display), trayer, "trayer never took the tray selection")
            yield display
        finally:
            _stop(trayer)


@contextmanager
def xvfb_display(log_dir: Path) -> Iterator[str]:
    """Xvfb on a display number it picks itself (-displayfd, so parallel runs never collide), logging to
    `log_dir/xvfb.log`. -noreset: by default an X server resets when its last client disconnects, refusing
    connections meanwhile; the readiness probe is such a client, and trayer would then race the reset."""
    log_dir.mkdir(parents=True, exist_ok=True)
    read_end, write_end = os.pipe()
    with open(log_dir / "xvfb.log", "wb") as log:
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten",
                                 "tcp", "-noreset"], pass_fds=(write_end,), stdout=log, stderr=subprocess.STDOUT)
        os.close(write_end)
        try:
            display = f":{_read_number(read_end, xvfb)}"
            _until(lambda: _xlib_call(display, lambda lib, handle: True), xvfb, "Xvfb does not accept connections")
            yield display
        finally:
            os.close(read_end)
            _stop(xvfb)


def _read_number(fd: int, process: subprocess.Popen[bytes]) -> int:
    data = b""
    deadline = time.monotonic() + START_TIMEOUT
    while not data.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 16) if ready else b""
        if not chunk:
            raise DisplayError(f"Xvfb did not report a display number (exit {process.poll()})")
        data += chunk
    return int(data)


def _until(ready: Callable[[], bool], process: subprocess.Popen[bytes], failure: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise DisplayError(f"{failure} (exit {process.poll()})")
        time.sleep(0.05)


def _xlib_call(display: str, call: Callable[[ctypes.CDLL, int], bool]) -> bool:
    """Open the display, run `call`, close it; False when the display does not accept connections."""
    lib = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
    lib.XOpenDisplay.restype = ctypes.c_void_p
    lib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    lib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    handle = lib.XOpenDisplay(display.encode())
    if not handle:
        return False
    try:
        return call(lib, handle)
    finally:
        lib.XCloseDisplay(handle)


def _tray_owned(display: str) -> bool:
    """The XEmbed tray spec: a tray host owns the selection _NET_SYSTEM_TRAY_S<screen>."""

    def owned(lib: ctypes.CDLL, handle: int) -> bool:
        lib.XInternAtom.restype = ctypes.c_ulong
        lib.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.XGetSelectionOwner.restype = ctypes.c_ulong
        lib.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        return lib.XGetSelectionOwner(handle, lib.XInternAtom(handle, b"_NET_SYSTEM_TRAY_S0", 0)) != 0

    return _xlib_call(display, owned)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """End a process this module started, by its pid only."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
