"""Launch at login on all three OSes, written into tmp dirs and a fake registry: the OS entry is the truth."""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest

from plexsync_gui.core.setup.autostart import (
    LAUNCH_AGENT_LABEL,
    RUN_KEY,
    STARTUP_APPROVED_KEY,
    AutostartError,
    AutostartState,
    LaunchAgentAutostart,
    RunKeyAutostart,
    XdgAutostart,
    autostart_for_platform,
    launch_command,
)

COMMAND = ["/opt/My Apps/plexsync-gui", "--config", "/home/u/Plex Sync/config.toml", "--background"]
OLD_COMMAND = ["/opt/plexsync-0.0.9/plexsync-gui", "--background"]
OFF = AutostartState(enabled=False, command=None, stale=False)


class FakeRegistry:
    """HKEY_CURRENT_USER as a dict of (key, value name) -> data."""

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], object] = {}

    def read(self, key: str, name: str) -> object | None:
        return self.values.get((key, name))

    def write_string(self, key: str, name: str, value: str) -> None:
        self.values[(key, name)] = value

    def delete(self, key: str, name: str) -> None:
        self.values.pop((key, name), None)


def xdg(tmp_path: Path, command: list[str] = COMMAND, environ: dict[str, str] | None = None) -> XdgAutostart:
    adapter = autostart_for_platform(command, platform="linux", home=tmp_path, environ=environ or {})
    assert isinstance(adapter, XdgAutostart)
    return adapter


def mac(tmp_path: Path, command: list[str] = COMMAND) -> LaunchAgentAutostart:
    adapter = autostart_for_platform(command, platform="darwin", home=tmp_path, environ={})
    assert isinstance(adapter, LaunchAgentAutostart)
    return adapter


def win(registry: FakeRegistry, command: list[str] = COMMAND) -> RunKeyAutostart:
    adapter = autostart_for_platform(command, platform="win32", registry=registry)
    assert isinstance(adapter, RunKeyAutostart)
    return adapter


# --- launch_command -------------------------------------------------------------------------------------------------

def test_development_command_runs_the_package_with_this_interpreter(monkeypatch):
    monkeypatch.delenv("APPIMAGE", raising=False)
    monkeypatch.delattr(sys, "frozen", raising=False)
    assert launch_command() == [sys.executable, "-m", "plexsync_gui", "--background"]


def test_extra_args_come_before_background_which_is_never_doubled(monkeypatch):
    monkeypatch.delenv("APPIMAGE", raising=False)
    assert launch_command(["--config", "/x y/c.toml"])[-3:] == ["--config", "/x y/c.toml", "--background"]
    assert launch_command(["--background"]).count("--background") == 1


def test_frozen_build_runs_its_own_executable(monkeypatch):
    monkeypatch.delenv("APPIMAGE", raising=False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/plexsync/plexsync-gui")
    assert launch_command() == ["/opt/plexsync/plexsync-gui", "--background"]


def test_appimage_path_replaces_the_temporary_mount(monkeypatch, tmp_path):
    mount = tmp_path / ".mount_PlexSyXYZ"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(mount / "usr" / "bin" / "plexsync-gui"))
    monkeypatch.setenv("APPDIR", str(mount))
    monkeypatch.setenv("APPIMAGE", "/home/u/Apps/PlexSync x86_64.AppImage")
    assert launch_command() == ["/home/u/Apps/PlexSync x86_64.AppImage", "--background"]


def test_appimage_variables_leaked_from_another_app_are_ignored(monkeypatch, tmp_path):
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setenv("APPDIR", str(tmp_path / ".mount_Terminal"))
    monkeypatch.setenv("APPIMAGE", "/home/u/Apps/Terminal.AppImage")
    assert launch_command()[0] == sys.executable


# --- XDG ------------------------------------------------------------------------------------------------------------

def test_xdg_round_trip(tmp_path):
    adapter = xdg(tmp_path)
    assert adapter.state() == OFF
    adapter.enable()
    assert adapter.state() == AutostartState(enabled=True, command=COMMAND, stale=False)
    text = (tmp_path / ".config/autostart/plexsync.desktop").read_text()
    assert "X-GNOME-Autostart-Delay=10" in text
    assert 'Exec="/opt/My Apps/plexsync-gui" --config "/home/u/Plex Sync/config.toml" --background\n' in text
    assert adapter.describe() == "~/.config/autostart/plexsync.desktop"
    adapter.disable()
    assert not adapter.path.exists()
    assert adapter.state() == OFF


def test_xdg_config_home_is_respected_and_a_relative_one_ignored(tmp_path):
    elsewhere = tmp_path.parent / f"{tmp_path.name}-cfg"
    adapter = xdg(tmp_path, environ={"XDG_CONFIG_HOME": str(elsewhere)})
    adapter.enable()
    assert (elsewhere / "autostart" / "plexsync.desktop").is_file()
    assert adapter.describe() == str(elsewhere / "autostart" / "plexsync.desktop")
    relative = xdg(tmp_path, environ={"XDG_CONFIG_HOME": "relative/cfg"})
    assert relative.path == tmp_path / ".config" / "autostart" / "plexsync.desktop"


@pytest.mark.parametrize("switch", ["Hidden=true", "X-GNOME-Autostart-enabled=false"])
def test_xdg_entry_switched_off_by_the_desktop_reads_as_disabled(tmp_path, switch):
    adapter = xdg(tmp_path)
    adapter.enable()
    text = adapter.path.read_text().replace("X-GNOME-Autostart-enabled=true\n", "")
    adapter.path.write_text(text + switch + "\n")
    assert adapter.state() == AutostartState(enabled=False, command=COMMAND, stale=False)
    adapter.enable()
    assert adapter.state().enabled


def test_xdg_stale_entry_is_detected_and_repaired(tmp_path):
    xdg(tmp_path, OLD_COMMAND).enable()
    adapter = xdg(tmp_path)
    assert adapter.state() == AutostartState(enabled=True, command=OLD_COMMAND, stale=True)
    adapter.enable()
    assert adapter.state() == AutostartState(enabled=True, command=COMMAND, stale=False)


def test_xdg_copied_launcher_with_field_code_is_stale_not_broken(tmp_path):
    adapter = xdg(tmp_path)
    adapter.path.parent.mkdir(parents=True)
    adapter.path.write_text("[Desktop Action x]\nExec=other\n[Desktop Entry]\nType=Application\nExec=plexsync-gui %U\n")
    assert adapter.state() == AutostartState(enabled=True, command=["plexsync-gui"], stale=True)


def test_xdg_unparseable_exec_offers_repair(tmp_path):
    adapter = xdg(tmp_path)
    adapter.path.parent.mkdir(parents=True)
    adapter.path.write_text('[Desktop Entry]\nExec="/opt/My Apps/plexsync-gui --background\n')
    assert adapter.state() == AutostartState(enabled=True, command=None, stale=True)


def test_xdg_foreign_entries_are_untouched(tmp_path):
    adapter = xdg(tmp_path)
    other = adapter.path.parent / "syncthing.desktop"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"[Desktop Entry]\nExec=syncthing\n")
    adapter.enable()
    adapter.disable()
    assert other.read_bytes() == b"[Desktop Entry]\nExec=syncthing\n"
    assert sorted(p.name for p in other.parent.iterdir()) == ["syncthing.desktop"]


def test_xdg_write_failure_is_one_line(tmp_path):
    (tmp_path / ".config").mkdir()
    (tmp_path / ".config" / "autostart").write_text("a file where the folder belongs")
    with pytest.raises(AutostartError, match=r"^could not write ~/.config/autostart/plexsync.desktop: "):
        xdg(tmp_path).enable()


# --- macOS LaunchAgent ----------------------------------------------------------------------------------------------

def test_launch_agent_round_trip(tmp_path):
    adapter = mac(tmp_path)
    assert adapter.state() == OFF
    adapter.enable()
    assert adapter.state() == AutostartState(enabled=True, command=COMMAND, stale=False)
    plist = plistlib.loads(adapter.path.read_bytes())
    assert plist["Label"] == LAUNCH_AGENT_LABEL
    assert plist["ProgramArguments"] == COMMAND  # an argv array: paths with spaces need no quoting
    assert plist["RunAtLoad"] is True
    assert adapter.describe() == f"~/Library/LaunchAgents/{LAUNCH_AGENT_LABEL}.plist"
    adapter.disable()
    assert adapter.state() == OFF and not adapter.path.exists()


def test_launch_agent_stale_and_repair(tmp_path):
    mac(tmp_path, OLD_COMMAND).enable()
    adapter = mac(tmp_path)
    assert adapter.state() == AutostartState(enabled=True, command=OLD_COMMAND, stale=True)
    adapter.enable()
    assert adapter.state() == AutostartState(enabled=True, command=COMMAND, stale=False)


def test_launch_agent_marked_disabled_reads_as_disabled(tmp_path):
    adapter = mac(tmp_path)
    adapter.enable()
    plist = plistlib.loads(adapter.path.read_bytes())
    adapter.path.write_bytes(plistlib.dumps({**plist, "Disabled": True}))
    assert adapter.state() == AutostartState(enabled=False, command=COMMAND, stale=False)


@pytest.mark.parametrize("content", [plistlib.dumps({"Label": "com.example.other", "ProgramArguments": ["x"]}),
                                     b"not a plist"])
def test_launch_agent_that_is_not_ours_is_never_rewritten(tmp_path, content):
    adapter = mac(tmp_path)
    adapter.path.parent.mkdir(parents=True)
    adapter.path.write_bytes(content)
    neighbour = adapter.path.parent / "com.example.other.plist"
    neighbour.write_bytes(content)
    assert adapter.state() == OFF
    with pytest.raises(AutostartError, match=r"is not a PlexSync launch agent; refusing to overwrite it$"):
        adapter.enable()
    with pytest.raises(AutostartError, match=r"refusing to remove it$"):
        adapter.disable()
    assert adapter.path.read_bytes() == content and neighbour.read_bytes() == content


# --- Windows Run key ------------------------------------------------------------------------------------------------

WIN_COMMAND = ["C:\\Program Files\\PlexSync\\plexsync-gui.exe", "--background"]


def test_run_key_round_trip_quotes_the_path():
    registry = FakeRegistry()
    adapter = win(registry, WIN_COMMAND)
    assert adapter.state() == OFF
    adapter.enable()
    assert registry.values[(RUN_KEY, "PlexSync")] == '"C:\\Program Files\\PlexSync\\plexsync-gui.exe" --background'
    assert adapter.state() == AutostartState(enabled=True, command=WIN_COMMAND, stale=False)
    assert adapter.describe() == "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\PlexSync"
    adapter.disable()
    assert adapter.state() == OFF and registry.values == {}


def test_run_key_stale_and_repair():
    registry = FakeRegistry()
    win(registry, ["C:\\Users\\u\\Downloads\\plexsync-gui.exe", "--background"]).enable()
    adapter = win(registry, WIN_COMMAND)
    assert adapter.state().stale
    adapter.enable()
    assert adapter.state() == AutostartState(enabled=True, command=WIN_COMMAND, stale=False)


def test_task_manager_disable_flag_is_honoured_and_cleared_by_enable():
    registry = FakeRegistry()
    adapter = win(registry, WIN_COMMAND)
    adapter.enable()
    registry.values[(STARTUP_APPROVED_KEY, "PlexSync")] = bytes([3]) + bytes(11)
    assert adapter.state() == AutostartState(enabled=False, command=WIN_COMMAND, stale=False)
    registry.values[(STARTUP_APPROVED_KEY, "PlexSync")] = bytes([2]) + bytes(11)
    assert adapter.state().enabled
    registry.values[(STARTUP_APPROVED_KEY, "PlexSync")] = bytes([3]) + bytes(11)
    adapter.enable()
    assert adapter.state().enabled and (STARTUP_APPROVED_KEY, "PlexSync") not in registry.values


def test_run_key_foreign_values_are_untouched():
    registry = FakeRegistry()
    registry.values[(RUN_KEY, "OneDrive")] = '"C:\\Program Files\\OneDrive\\OneDrive.exe" /background'
    registry.values[(STARTUP_APPROVED_KEY, "OneDrive")] = bytes([3]) + bytes(11)
    adapter = win(registry, WIN_COMMAND)
    adapter.enable()
    adapter.disable()
    assert registry.values == {
        (RUN_KEY, "OneDrive"): '"C:\\Program Files\\OneDrive\\OneDrive.exe" /background',
        (STARTUP_APPROVED_KEY, "OneDrive"): bytes([3]) + bytes(11),
    }


def test_run_key_registry_failure_is_one_line():
    class DeniedRegistry(FakeRegistry):
        def write_string(self, key: str, name: str, value: str) -> None:
            raise PermissionError(13, "Access is denied")

    with pytest.raises(AutostartError, match=r"^could not write HKCU\\.*\\Run\\PlexSync: Access is denied$"):
        win(DeniedRegistry(), WIN_COMMAND).enable()
