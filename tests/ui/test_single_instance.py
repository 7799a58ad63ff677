"""The single-instance guard over a real local socket: handover, garbage, stale sockets, per-config names."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket

from plexsync_gui.ui.single_instance import SHOW_COMMAND, SingleInstance, instance_name


@pytest.fixture
def runtime_dir(tmp_path_factory, monkeypatch) -> Path:
    """A short private runtime dir: Unix socket paths are limited to about 100 bytes."""
    path = tmp_path_factory.mktemp("rt", numbered=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(path))
    return path


@pytest.fixture
def first(qtbot, runtime_dir, tmp_path) -> SingleInstance:
    instance = SingleInstance(tmp_path / "config.toml")
    assert not instance.handover()
    assert instance.listen()
    return instance


def connect_client(qtbot, name: str) -> QLocalSocket:
    client = QLocalSocket()
    with qtbot.waitSignal(client.connected, timeout=2000):
        client.connectToServer(name)
    return client


def test_second_instance_hands_over_and_the_first_is_asked_to_show(qtbot, first, tmp_path):
    second = SingleInstance(tmp_path / "config.toml")
    assert second.name == first.name
    with qtbot.waitSignal(first.show_requested, timeout=2000):
        assert second.handover()


def test_command_split_across_writes_is_still_understood(qtbot, first):
    client = connect_client(qtbot, first.name)
    client.write(SHOW_COMMAND[:5])
    client.flush()
    with qtbot.waitSignal(first.show_requested, timeout=2000):
        client.write(SHOW_COMMAND[5:])
        client.flush()


@pytest.mark.parametrize("garbage", [b"GET / HTTP/1.1\r\n\r\n", SHOW_COMMAND + b"extra", b"plexsync:quit\n"])
def test_garbage_is_ignored_logged_and_the_socket_closed(qtbot, first, caplog, garbage):
    shown: list[bool] = []
    first.show_requested.connect(lambda: shown.append(True))
    client = connect_client(qtbot, first.name)
    with (caplog.at_level(logging.WARNING, logger="plexsync_gui.ui.single_instance"),
          qtbot.waitSignal(client.disconnected, timeout=2000)):
        client.write(garbage)
        client.flush()
    assert shown == []
    assert f"ignored an unknown single-instance message ({len(garbage)} bytes)" in caplog.text


def test_stale_socket_file_from_a_crash_is_cleared(qtbot, runtime_dir, tmp_path):
    instance = SingleInstance(tmp_path / "config.toml")
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(instance.name)  # a socket file nobody listens on, as a killed instance leaves it
    crashed.close()
    assert os.path.exists(instance.name)
    assert not instance.handover()
    assert instance.listen()
    with qtbot.waitSignal(instance.show_requested, timeout=2000):
        assert SingleInstance(tmp_path / "config.toml").handover()


def test_names_differ_per_config_file_and_not_per_spelling(runtime_dir, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = instance_name(tmp_path / "a" / "config.toml")
    assert a != instance_name(tmp_path / "b" / "config.toml")
    assert a == instance_name(Path("a") / ".." / "a" / "config.toml")
    assert Path(a).parent == runtime_dir


def test_socket_is_private_to_the_user(first):
    assert os.stat(first.name).st_mode & 0o077 == 0


def test_touching_keeps_the_socket_file_fresh(first):
    os.utime(first.name, (1_000_000, 1_000_000))
    first._keep_socket_fresh()
    assert os.stat(first.name).st_mtime > 1_000_000
