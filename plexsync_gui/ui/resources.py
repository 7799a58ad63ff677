"""Finding the icons and desktop files wherever the app runs from: a checkout, an installed wheel or a frozen bundle.

The files live once, in the repository's top-level `resources/`. A wheel maps that folder into the package as
`plexsync_gui/resources/`; a PyInstaller bundle unpacks it as `resources/` under `sys._MEIPASS`. A path relative to
the working directory would work only from a terminal in the checkout, never from a launcher or at login.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtGui import QIcon

log = logging.getLogger(__name__)

_PACKAGE_DIR = Path(__file__).resolve().parents[1]
ICON_NAMES = ("plexsync", "tray-idle", "tray-syncing", "tray-paused", "tray-error")
DESKTOP_FILE = "plexsync.desktop"


def resource_root() -> Path:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    installed = _PACKAGE_DIR / "resources"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "resources"  # development: the checkout, also under an editable install


def resource_path(*parts: str) -> Path:
    return resource_root().joinpath(*parts)


def icon(name: str) -> QIcon:
    """`icons/<name>.svg` as an icon that renders sharply at any tray size; empty (and logged) when missing."""
    path = resource_path("icons", f"{name}.svg")
    if not path.is_file():
        log.warning("icon %s is missing from %s", name, path.parent)
        return QIcon()
    return QIcon(str(path))
