"""Without $XDG_RUNTIME_DIR the single-instance socket lives in a folder only the user controls, checked (owner,
mode, no symlink) every start; a folder another user planted makes the app refuse the guard, never use it."""

from __future__ import annotations

import logging
import os
import stat
import tempfile
from pathlib import Path

import pytest

from plexsync_gui.ui.single_instance import SingleInstance

pytestmark = [pytest.mark.security, pytest.mark.skipif(os.name != "posix", reason="POSIX sockets and owners")]

OTHER_UID = 65534  # nobody


@pytest.fixture
def shared_tmp(tmp_path_factory, monkeypatch) -> Path:
    """A stand-in for /tmp (short: socket paths are limited to about 100 bytes), with no runtime dir set."""
    path = tmp_path_factory.mktemp("tmp", numbered=True)
    path.chmod(0o1777)
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    return path


def private_folder(shared_tmp: Path) -> Path:
    return shared_tmp / f"plexsync-{os.getuid()}"


def start_and_hand_over(qtbot, config: Path) -> SingleInstance:
    first = SingleInstance(config)
    assert not first.handover() and first.listen()
    with qtbot.waitSignal(first.show_requested, timeout=2000):
        assert SingleInstance(config).handover()
    return first


def test_the_socket_goes_into_a_private_folder_of_the_user(qtbot, shared_tmp, tmp_path):
    first = start_and_hand_over(qtbot, tmp_path / "config.toml")
    folder = Path(first.name).parent
    info = folder.lstat()
    assert folder == private_folder(shared_tmp)
    assert stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) == 0o700


def test_a_private_folder_left_open_by_the_user_is_closed_again(qtbot, shared_tmp, tmp_path):
    private_folder(shared_tmp).mkdir(mode=0o777)
    private_folder(shared_tmp).chmod(0o777)
    first = start_and_hand_over(qtbot, tmp_path / "config.toml")
    assert stat.S_IMODE(Path(first.name).parent.stat().st_mode) == 0o700


def test_an_open_runtime_dir_is_not_trusted(qtbot, shared_tmp, tmp_path, monkeypatch):
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    runtime.chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    first = start_and_hand_over(qtbot, tmp_path / "config.toml")
    assert Path(first.name).parent == private_folder(shared_tmp)


@pytest.mark.parametrize("planted", ["another user's folder", "a symlink"])
def test_a_planted_folder_is_refused_and_never_used(qtbot, shared_tmp, tmp_path, caplog, planted):
    folder = private_folder(shared_tmp)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    if planted == "a symlink":
        folder.symlink_to(elsewhere)
    else:
        if os.geteuid() != 0:
            pytest.skip("only root can make a folder owned by another user")
        folder.mkdir(mode=0o777)
        os.chown(folder, OTHER_UID, OTHER_UID)
    with caplog.at_level(logging.WARNING, logger="plexsync_gui.ui.single_instance"):
        instance = SingleInstance(tmp_path / "config.toml")
        assert not instance.handover() and not instance.listen()
    assert "single-instance guard off" in caplog.text and str(folder) in caplog.text
    assert list(elsewhere.iterdir()) == [] and (planted == "a symlink" or list(folder.iterdir()) == [])
