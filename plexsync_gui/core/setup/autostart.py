"""Launch at login, read from and written to the OS's own entry: an XDG autostart file, a LaunchAgent or a Run value.

The OS entry is the only source of truth. A separate "autostart on" flag drifts as soon as the user toggles the entry
in the desktop's own settings, and the most common breakage after an update is an entry that still points at an old
path; so `state()` reads the entry back, parses its command and compares it with what this copy would write, letting
the settings dialog offer a repair instead of a checkbox that lies.
"""

from __future__ import annotations

import importlib
import os
import plistlib
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from plexsync_gui.core.setup.command_line import (
    CommandLineError,
    desktop_exec,
    parse_desktop_exec,
    parse_windows_command_line,
    windows_command_line,
)

XDG_FILE_NAME = "plexsync.desktop"
LAUNCH_AGENT_LABEL = "org.plexsync.plexsync-gui"
WINDOWS_VALUE_NAME = "PlexSync"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
STARTUP_APPROVED_KEY = r"Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run"
BACKGROUND_FLAG = "--background"
_DESKTOP_GROUP = "[Desktop Entry]"


class AutostartError(Exception):
    """The entry could not be written or removed, phrased as one line for the user."""


@dataclass(frozen=True)
class AutostartState:
    enabled: bool  # an entry exists and is active (XDG Hidden=true / X-GNOME-Autostart-enabled=false = disabled)
    command: list[str] | None  # the command the OS entry runs, parsed back from it
    stale: bool  # entry exists but its command differs from launch_command() -> offer repair


class Autostart(Protocol):
    def state(self) -> AutostartState: ...

    def enable(self) -> None:
        """Write or overwrite the entry with this copy's launch command (also the repair); AutostartError on failure."""

    def disable(self) -> None:
        """Remove only PlexSync's own entry; AutostartError on failure."""

    def describe(self) -> str:
        """Where the entry lives, for the settings dialog."""


class Registry(Protocol):
    """The few HKEY_CURRENT_USER operations the Run-key adapter needs, so tests use a fake on any OS."""

    def read(self, key: str, name: str) -> object | None: ...

    def write_string(self, key: str, name: str, value: str) -> None: ...

    def delete(self, key: str, name: str) -> None: ...


def launch_command(extra_args: list[str] | None = None) -> list[str]:
    """The command a login entry should run to start this very copy of PlexSync, hidden in the tray."""
    command = [*_program(), *(extra_args or [])]
    if BACKGROUND_FLAG not in command:
        command.append(BACKGROUND_FLAG)
    return command


def _program() -> list[str]:
    """An AppImage runs from a temporary mount, so its stable path is $APPIMAGE, not sys.executable.

    $APPIMAGE is only trusted while this interpreter lives inside $APPDIR: both variables leak into every process an
    AppImage'd terminal starts, and a development run from such a terminal must not point at that other AppImage.
    """
    appimage, appdir = os.environ.get("APPIMAGE"), os.environ.get("APPDIR")
    if appimage and appdir and Path(sys.executable).resolve().is_relative_to(Path(appdir).resolve()):
        return [appimage]
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "plexsync_gui"]


def autostart_for_platform(command: list[str], *, platform: str = sys.platform, home: Path | None = None,
                           environ: Mapping[str, str] | None = None, registry: Registry | None = None) -> Autostart:
    """The adapter for this OS; home, environment and registry are injectable so tests write into tmp dirs."""
    home = home or Path.home()
    env = os.environ if environ is None else environ
    if platform == "darwin":
        return LaunchAgentAutostart(command, home / "Library" / "LaunchAgents", home=home)
    if platform == "win32":
        return RunKeyAutostart(command, registry or WinRegistry())
    config_home = env.get("XDG_CONFIG_HOME", "")
    config_dir = Path(config_home) if os.path.isabs(config_home) else home / ".config"  # spec: relative is invalid
    return XdgAutostart(command, config_dir / "autostart", home=home)


class XdgAutostart:
    """`$XDG_CONFIG_HOME/autostart/plexsync.desktop`: the file name is the app's, so that file is ours."""

    def __init__(self, command: list[str], directory: Path, *, home: Path) -> None:
        self._command = list(command)
        self.path = directory / XDG_FILE_NAME
        self._home = home

    def state(self) -> AutostartState:
        try:
            entry = _read_desktop_entry(self.path)
        except FileNotFoundError:
            return AutostartState(enabled=False, command=None, stale=False)
        except (OSError, UnicodeDecodeError):
            return AutostartState(enabled=True, command=None, stale=True)  # present but unreadable: offer repair
        enabled = entry.get("Hidden", "false") != "true" and entry.get("X-GNOME-Autostart-enabled", "true") != "false"
        command = _parse_or_none(parse_desktop_exec, entry.get("Exec"))
        return AutostartState(enabled=enabled, command=command, stale=command != self._command)

    def enable(self) -> None:
        _write_atomically(self.path, self._entry_text().encode("utf-8"), self.describe())

    def disable(self) -> None:
        _remove(self.path, self.describe())

    def describe(self) -> str:
        return _display_path(self.path, self._home)

    def _entry_text(self) -> str:
        return "\n".join([
            _DESKTOP_GROUP,
            "Type=Application",
            "Name=PlexSync",
            "Comment=Keeps Plex metadata in step with Stash",
            f"Exec={desktop_exec(self._command)}",
            "Icon=plexsync",
            "Terminal=false",
            "X-GNOME-Autostart-enabled=true",
            "X-GNOME-Autostart-Delay=10",  # let the panel (and its tray) come up first
            "",
        ])


class LaunchAgentAutostart:
    """`~/Library/LaunchAgents/<label>.plist` with RunAtLoad; a plist whose Label is not ours is never rewritten."""

    def __init__(self, command: list[str], directory: Path, *, home: Path) -> None:
        self._command = list(command)
        self.path = directory / f"{LAUNCH_AGENT_LABEL}.plist"
        self._home = home

    def state(self) -> AutostartState:
        plist = self._read()
        if plist is None or not self._is_ours(plist):
            return AutostartState(enabled=False, command=None, stale=False)
        args = plist.get("ProgramArguments")
        command = [str(a) for a in args] if isinstance(args, list) else None
        enabled = plist.get("RunAtLoad") is True and plist.get("Disabled") is not True
        return AutostartState(enabled=enabled, command=command, stale=command != self._command)

    def enable(self) -> None:
        self._refuse_foreign("overwrite")
        plist = {"Label": LAUNCH_AGENT_LABEL, "ProgramArguments": self._command, "RunAtLoad": True,
                 "ProcessType": "Interactive"}
        _write_atomically(self.path, plistlib.dumps(plist), self.describe())

    def disable(self) -> None:
        self._refuse_foreign("remove")
        _remove(self.path, self.describe())

    def describe(self) -> str:
        return _display_path(self.path, self._home)

    def _read(self) -> dict[str, Any] | None:
        """The plist as a dict; None when absent; an empty dict (not ours) when it cannot be parsed."""
        try:
            data = plistlib.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, plistlib.InvalidFileException, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _is_ours(plist: dict[str, Any]) -> bool:
        return plist.get("Label") == LAUNCH_AGENT_LABEL

    def _refuse_foreign(self, verb: str) -> None:
        plist = self._read()
        if plist is not None and not self._is_ours(plist):
            raise AutostartError(f"{self.describe()} is not a PlexSync launch agent; refusing to {verb} it")


class RunKeyAutostart:
    """`HKCU\\…\\Run` value "PlexSync"; Task Manager's disable switch lives beside it under StartupApproved."""

    def __init__(self, command: list[str], registry: Registry) -> None:
        self._command = list(command)
        self._registry = registry

    def state(self) -> AutostartState:
        value = self._registry.read(RUN_KEY, WINDOWS_VALUE_NAME)
        if value is None:
            return AutostartState(enabled=False, command=None, stale=False)
        command = _parse_or_none(parse_windows_command_line, value) if isinstance(value, str) else None
        return AutostartState(enabled=not self._disabled_in_task_manager(), command=command,
                              stale=command != self._command)

    def enable(self) -> None:
        try:
            self._registry.write_string(RUN_KEY, WINDOWS_VALUE_NAME, windows_command_line(self._command))
            self._registry.delete(STARTUP_APPROVED_KEY, WINDOWS_VALUE_NAME)  # no flag = approved
        except OSError as exc:
            raise AutostartError(f"could not write {self.describe()}: {exc.strerror or exc}") from None

    def disable(self) -> None:
        try:
            self._registry.delete(RUN_KEY, WINDOWS_VALUE_NAME)
            self._registry.delete(STARTUP_APPROVED_KEY, WINDOWS_VALUE_NAME)
        except OSError as exc:
            raise AutostartError(f"could not remove {self.describe()}: {exc.strerror or exc}") from None

    def describe(self) -> str:
        return f"HKCU\\{RUN_KEY}\\{WINDOWS_VALUE_NAME}"

    def _disabled_in_task_manager(self) -> bool:
        """The flag is 12 bytes; an odd first byte (03, 07…) means the user switched the entry off."""
        flag = self._registry.read(STARTUP_APPROVED_KEY, WINDOWS_VALUE_NAME)
        return isinstance(flag, bytes) and len(flag) > 0 and bool(flag[0] & 1)


class WinRegistry:
    """HKEY_CURRENT_USER through winreg (importable on Windows only)."""

    def __init__(self) -> None:
        self._winreg = importlib.import_module("winreg")

    def read(self, key: str, name: str) -> object | None:
        try:
            with self._winreg.OpenKey(self._winreg.HKEY_CURRENT_USER, key) as handle:
                value, _kind = self._winreg.QueryValueEx(handle, name)
        except FileNotFoundError:
            return None
        return cast(object, value)

    def write_string(self, key: str, name: str, value: str) -> None:
        winreg = self._winreg
        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
            winreg.SetValueEx(handle, name, 0, winreg.REG_SZ, value)

    def delete(self, key: str, name: str) -> None:
        winreg = self._winreg
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key, 0, winreg.KEY_SET_VALUE) as handle:
                winreg.DeleteValue(handle, name)
        except FileNotFoundError:
            pass


def _read_desktop_entry(path: Path) -> dict[str, str]:
    """Keys of the [Desktop Entry] group; localised keys (Name[de]) and other groups are irrelevant here."""
    entry: dict[str, str] = {}
    in_group = False
    for line in path.read_text(encoding="utf-8").split("\n"):  # not splitlines(): \x1c or \u2028 are not line ends
        line = line.strip(" \t\r")
        if line.startswith("["):
            in_group = line == _DESKTOP_GROUP
        elif in_group and "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            entry[key.strip(" \t")] = value.strip(" \t")
    return entry


def _parse_or_none(parse: Callable[[str], list[str]], value: str | None) -> list[str] | None:
    if not value:
        return None
    try:
        return parse(value) or None
    except CommandLineError:
        return None


def _write_atomically(path: Path, data: bytes, shown: str) -> None:
    """Write beside the target and rename, so a crash never leaves a half-written entry the OS would run."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise AutostartError(f"could not write {shown}: {exc.strerror or exc}") from None


def _remove(path: Path, shown: str) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise AutostartError(f"could not remove {shown}: {exc.strerror or exc}") from None


def _display_path(path: Path, home: Path) -> str:
    try:
        return "~/" + path.relative_to(home).as_posix()
    except ValueError:
        return str(path)
