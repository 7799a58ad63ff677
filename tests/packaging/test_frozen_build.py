"""The PyInstaller onedir build starts, knows its version and passes its own self-check (Qt, keyring, icons).

Skipped without PyInstaller (`pip install -e '.[build]'`). The binary runs from an empty folder with a bare
environment, so it can only find what the bundle itself carries.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from plexsync_gui import __version__
from plexsync_gui.ui.resources import ICON_NAMES
from plexsync_gui.ui.self_check import keyring_backends_discovered

pytest.importorskip("PyInstaller", reason="PyInstaller is not installed (pip install -e '.[build]')")

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.packaging


@pytest.fixture(scope="module")
def frozen(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("pyinstaller")
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "ERROR", "--distpath",
                    str(work / "dist"), "--workpath", str(work / "build"), str(REPO / "pyinstaller.spec")],
                   cwd=work, check=True, timeout=1800)
    return work / "dist" / "plexsync-gui" / ("plexsync-gui.exe" if sys.platform == "win32" else "plexsync-gui")


def run_frozen(binary: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd), "QT_QPA_PLATFORM": "offscreen", "LC_ALL": "C.UTF-8"}
    if sys.platform == "win32":
        env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", "")
    return subprocess.run([str(binary), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_bundle_is_onedir_without_unused_qt(frozen):
    bundle = frozen.parent
    assert frozen.is_file()
    assert (bundle / "_internal" / "resources" / "icons" / "tray-idle.svg").is_file()
    unwanted = [p.name for p in bundle.rglob("*") if any(m in p.name for m in ("Qt6Quick", "Qt6Qml", "WebEngine"))]
    assert unwanted == []


def test_frozen_version(frozen, tmp_path):
    result = run_frozen(frozen, "--version", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, f"plexsync-gui {__version__}\n")


def test_frozen_self_check(frozen, tmp_path):
    if "--self-check" not in run_frozen(frozen, "--help", cwd=tmp_path).stdout:
        pytest.skip("plexsync-gui does not accept --self-check yet (ui/app.py wiring pending)")
    result = run_frozen(frozen, "--self-check", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   PySide6.QtWidgets imports" in lines and "ok   PySide6.QtSvg imports" in lines
    for name in ICON_NAMES:
        assert f"ok   resource icons/{name}.svg renders" in lines
    keyring_line = next(line for line in lines if line.split()[1] == "keyring")
    assert keyring_line.endswith(f"discovered: {', '.join(keyring_backends_discovered())}")
    assert lines[-1] == "self-check passed"
