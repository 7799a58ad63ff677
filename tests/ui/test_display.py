"""Without a display the desktop app says so in one line and exits 2, instead of Qt aborting with a core dump."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from plexsync_gui.ui.display import display_problem
from plexsync_gui.ui.self_check import run_self_check


@pytest.mark.parametrize(("environ", "platform", "has_display"), [
    ({}, "linux", False),
    ({"DISPLAY": ":0"}, "linux", True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
    ({"DISPLAY": ""}, "linux", False),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", True),
    ({"QT_QPA_PLATFORM": "minimal"}, "linux", True),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", False),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),  # Qt was told xcb: X11 only
    ({"QT_QPA_PLATFORM": "wayland", "DISPLAY": ":0"}, "linux", False),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"}, "linux", True),  # the fallback finds X11
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, "linux", True),
    ({}, "freebsd14", False),
    ({}, "darwin", True),
    ({}, "win32", True),
])
def test_display_is_found_the_way_qt_looks_for_it(environ, platform, has_display):
    assert (display_problem(environ, platform) is None) == has_display


def _without_display() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland only")
def test_without_a_display_the_app_says_so_in_one_line_and_exits_2(tmp_path):
    env = _without_display() | {"PLEXSYNC_CONFIG": str(tmp_path / "c.toml"), "PLEXSYNC_DATA_DIR": str(tmp_path / "d")}
    result = subprocess.run([sys.executable, "-m", "plexsync_gui"], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == ["plexsync-gui: no graphical display (neither DISPLAY nor WAYLAND_DISPLAY "
                                          "is set); start it from a desktop session, or use the headless `plexsync` "
                                          "command"]
    assert not (tmp_path / "d").exists()  # it stopped before touching anything


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland only")
def test_self_check_without_a_display_warns_about_it(tmp_path):
    result = subprocess.run([sys.executable, "-m", "plexsync_gui", "--self-check"], env=_without_display(),
                            capture_output=True, text=True, timeout=120)
    assert "warn display: no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set)" in result.stdout
    assert result.returncode == 0, result.stdout  # the installation itself is fine: it runs over ssh and in CI


def test_self_check_names_the_display_it_found(qapp, capsys, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert run_self_check() == 0
    assert "ok   display: Qt platform offscreen (QT_QPA_PLATFORM)" in capsys.readouterr().out.splitlines()
