"""Login entries for install paths with `%` (and field-code lookalikes, quotes, spaces): the entry each OS stores,
parsed back the way that OS reads it, runs exactly this copy's command."""

from __future__ import annotations

import plistlib
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plexsync_gui.core.setup.autostart import RUN_KEY, WINDOWS_VALUE_NAME, autostart_for_platform
from plexsync_gui.core.setup.command_line import parse_desktop_exec, parse_windows_command_line
from tests.unit.test_autostart import FakeRegistry

pytestmark = pytest.mark.security

PERCENT_PATHS = ["/opt/100%/plexsync-gui", "/home/u/50%off apps/plexsync-gui", "/opt/%U/%f/plexsync-gui",
                 "/opt/a%%b/plexsync-gui", "/opt/%", "C:\\Users\\%USERNAME%\\PlexSync\\plexsync-gui.exe",
                 '/opt/"%i"/it\'s $HOME/plexsync-gui']
path_text = st.text(st.sampled_from(list("%%%aUfFiks \"'\\$`#;")), min_size=1, max_size=16)


def exec_value(path: Path) -> str:
    [line] = [line for line in path.read_text(encoding="utf-8").split("\n") if line.startswith("Exec=")]
    return line[len("Exec="):]


def round_trips(program: str, platform: str) -> list[str]:
    """What the OS entry written for [program, --config, …] runs, read back as that OS reads it."""
    command = [program, "--config", f"{program}.toml", "--background"]
    with tempfile.TemporaryDirectory() as home:
        registry = FakeRegistry()
        adapter = autostart_for_platform(command, platform=platform, home=Path(home), environ={}, registry=registry)
        adapter.enable()
        state = adapter.state()
        assert state.enabled and not state.stale and state.command == command
        if platform == "linux":
            return parse_desktop_exec(exec_value(adapter.path))
        if platform == "darwin":
            return plistlib.loads(adapter.path.read_bytes())["ProgramArguments"]
        return parse_windows_command_line(registry.read(RUN_KEY, WINDOWS_VALUE_NAME))


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
@pytest.mark.parametrize("program", PERCENT_PATHS)
def test_an_install_path_with_percent_signs_survives_the_entry(program, platform):
    assert round_trips(program, platform) == [program, "--config", f"{program}.toml", "--background"]


def test_the_desktop_entry_doubles_each_literal_percent(tmp_path):
    adapter = autostart_for_platform(["/opt/100%/plexsync-gui", "%f"], platform="linux", home=tmp_path, environ={})
    adapter.enable()
    assert exec_value(adapter.path) == "/opt/100%%/plexsync-gui %%f"  # a lone %f would be the launcher's file list


@settings(max_examples=300, deadline=None)
@given(program=path_text, platform=st.sampled_from(["linux", "darwin", "win32"]))
def test_any_path_survives_the_entry(program, platform):
    assert round_trips(program, platform)[0] == program
