"""Is there a display the desktop app can open its windows on? Decided before Qt is touched.

Without one, Qt's xcb and wayland plugins print several lines and then abort() the process (a core dump where dumps
are allowed, exit code 134 where not). A user who starts `plexsync-gui` over ssh or from a service deserves one line
that says what is wrong and what to use instead, and a plain non-zero exit code. Only Linux and the other X11/Wayland
systems need this: macOS and Windows always have their one platform plugin.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

# Qt platform plugins that need no display server (headless rendering, a framebuffer, a VNC server of their own).
_NEEDS_NO_DISPLAY_SERVER = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")


def display_problem(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str | None:
    """One sentence saying why no window can open here, or None when Qt should find a display.

    Follows Qt's own choice: QT_QPA_PLATFORM may list several plugins ("wayland;xcb"), each tried in turn; unset, an
    X11/Wayland build tries Wayland when WAYLAND_DISPLAY is set and X11 when DISPLAY is."""
    if platform == "darwin" or platform.startswith(("win", "cygwin")):
        return None
    requested = [name.strip().split(":")[0] for name in environ.get("QT_QPA_PLATFORM", "").split(";")]
    plugins = [name for name in requested if name] or ["wayland", "xcb"]
    for plugin in plugins:
        if plugin.startswith(_NEEDS_NO_DISPLAY_SERVER):
            return None
        if plugin == "xcb" and environ.get("DISPLAY"):
            return None
        if plugin.startswith("wayland") and environ.get("WAYLAND_DISPLAY"):
            return None
    return ("no graphical display (neither DISPLAY nor WAYLAND_DISPLAY is set); start it from a desktop session, "
            "or use the headless `plexsync` command")


def display_description(environ: Mapping[str, str] = os.environ) -> str:
    """What Qt will open its windows on, for `--self-check`."""
    if environ.get("QT_QPA_PLATFORM"):
        return f"Qt platform {environ['QT_QPA_PLATFORM']} (QT_QPA_PLATFORM)"
    shown = [f"{name}={environ[name]}" for name in ("WAYLAND_DISPLAY", "DISPLAY") if environ.get(name)]
    return ", ".join(shown) or "the platform's own display"
