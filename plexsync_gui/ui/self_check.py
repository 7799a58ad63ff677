"""`plexsync-gui --self-check`: can this copy (often a frozen bundle) actually run on this machine?

A frozen build can start and still be broken in ways nobody notices until a user does: a Qt module or plugin left
out, keyring backends that are found through package metadata the bundler dropped, icons not copied. Each check
prints one line; a failure makes the exit code 1. Qt and the resource helpers are imported inside the checks so a
broken Qt is reported as a line, not a traceback.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import sqlite3
from dataclasses import dataclass

MIN_SQLITE = (3, 24, 0)  # UPSERT (INSERT … ON CONFLICT DO UPDATE), used by the store


@dataclass(frozen=True)
class Check:
    status: str  # "ok", "warn" (works, degraded) or "FAIL"
    text: str


def run_self_check() -> int:
    checks: list[Check] = []
    for check in (_check_qt, _check_display, _check_keyring, _check_resources, _check_sqlite, _check_imaging):
        checks.extend(check())
    for result in checks:
        print(f"{result.status:<4} {result.text}")
    failures = sum(1 for result in checks if result.status == "FAIL")
    print("self-check passed" if not failures else f"self-check FAILED: {failures} problem(s)")
    return 1 if failures else 0


def _check_qt() -> list[Check]:
    """Plain import statements, not importlib: the bundler must see (and pack) what this checks."""
    results = []
    try:
        from PySide6 import QtWidgets  # noqa: F401
    except ImportError as exc:
        results.append(Check("FAIL", f"PySide6.QtWidgets: {exc}"))
    else:
        results.append(Check("ok", "PySide6.QtWidgets imports"))
    try:
        from PySide6 import QtSvg  # noqa: F401
    except ImportError as exc:
        results.append(Check("FAIL", f"PySide6.QtSvg: {exc}"))
    else:
        results.append(Check("ok", "PySide6.QtSvg imports"))
    if all(r.status == "ok" for r in results):
        import PySide6
        from PySide6.QtCore import qVersion

        results.append(Check("ok", f"PySide6 {PySide6.__version__}, Qt {qVersion()}"))
    return results


def _check_display() -> list[Check]:
    """A missing display is no broken installation (the self-check runs over ssh and in CI too), but the app cannot
    open a window there: a warning that says so, where `plexsync-gui` itself would refuse to start."""
    from plexsync_gui.ui.display import display_description, display_problem

    problem = display_problem()
    if problem:
        return [Check("warn", f"display: {problem}")]
    return [Check("ok", f"display: {display_description()}")]


def _check_keyring() -> list[Check]:
    try:
        import keyring

        from plexsync_gui.core.setup.secrets import keyring_available
    except ImportError as exc:
        return [Check("FAIL", f"keyring: {exc}")]
    discovered = keyring_backends_discovered()
    if not discovered:
        return [Check("FAIL", "keyring: no backends discovered (package metadata missing from this build)")]
    backend = keyring.get_keyring()
    found = f"discovered: {', '.join(discovered)}"
    if keyring_available():
        return [Check("ok", f"keyring backend {backend.name} (usable); {found}")]
    return [Check("warn", f"keyring backend {backend.name} (not usable: secrets must come from the environment or "
                          f"the config file); {found}")]


def keyring_backends_discovered() -> list[str]:
    """Backends keyring can find through entry points; empty when a bundler dropped keyring's metadata."""
    return sorted(ep.name for ep in importlib.metadata.entry_points(group="keyring.backends"))


def _check_resources() -> list[Check]:
    try:
        from PySide6.QtGui import QGuiApplication

        from plexsync_gui.ui.resources import DESKTOP_FILE, ICON_NAMES, resource_path
    except ImportError as exc:
        return [Check("FAIL", f"resources: {exc}")]
    _app = QGuiApplication.instance() or QGuiApplication(_qt_args())  # pixmaps need an application object
    results = [_check_icon(name) for name in ICON_NAMES]
    desktop = resource_path(DESKTOP_FILE)
    results.append(Check("ok", f"resource {DESKTOP_FILE}") if desktop.is_file()
                   else Check("FAIL", f"resource {DESKTOP_FILE}: missing from {desktop.parent}"))
    return results


def _qt_args() -> list[str]:
    """Rendering icons needs no screen: offscreen unless told otherwise, so the check also works over ssh and in CI."""
    return ["plexsync-gui"] if os.environ.get("QT_QPA_PLATFORM") else ["plexsync-gui", "-platform", "offscreen"]


def _check_icon(name: str) -> Check:
    from plexsync_gui.ui.resources import icon, resource_path

    path = resource_path("icons", f"{name}.svg")
    if not path.is_file():
        return Check("FAIL", f"resource icons/{name}.svg: missing from {path.parent}")
    image = icon(name).pixmap(22, 22).toImage()
    if image.isNull() or not any(image.pixelColor(x, 11).alpha() for x in range(image.width())):
        return Check("FAIL", f"resource icons/{name}.svg: does not render (Qt SVG support missing?)")
    return Check("ok", f"resource icons/{name}.svg renders")


def _check_sqlite() -> list[Check]:
    version = sqlite3.sqlite_version_info
    shown = ".".join(map(str, version))
    if version < MIN_SQLITE:
        return [Check("FAIL", f"sqlite3 {shown}: too old, needs {'.'.join(map(str, MIN_SQLITE))} or newer")]
    return [Check("ok", f"sqlite3 {shown}")]


def _check_imaging() -> list[Check]:
    """Pillow scales a screenshot over Plex's poster limit down (core/posters.py): it must read a PNG and write a
    JPEG here, or such posters are skipped."""
    try:
        import PIL
        from PIL import Image

        png = io.BytesIO()
        Image.new("RGB", (4, 4), "teal").save(png, "PNG")
        with Image.open(io.BytesIO(png.getvalue())) as image:
            image.convert("RGB").save(io.BytesIO(), "JPEG")
    except (ImportError, OSError, KeyError, ValueError) as exc:
        return [Check("FAIL", f"Pillow cannot scale posters: {exc}")]
    return [Check("ok", f"Pillow {PIL.__version__} reads PNG and writes JPEG")]
