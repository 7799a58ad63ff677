"""`--self-check` reports each check on one line and fails only for what would break the app."""

from __future__ import annotations

import sqlite3

from plexsync_gui.ui import self_check
from plexsync_gui.ui.resources import ICON_NAMES
from plexsync_gui.ui.self_check import run_self_check


def test_this_checkout_passes_with_one_line_per_check(qapp, capsys):
    assert run_self_check() == 0
    lines = capsys.readouterr().out.splitlines()
    assert "ok   PySide6.QtWidgets imports" in lines
    assert "ok   PySide6.QtSvg imports" in lines
    assert any(line.startswith("ok   Pillow ") and line.endswith("reads PNG and writes JPEG") for line in lines)
    for name in ICON_NAMES:
        assert f"ok   resource icons/{name}.svg renders" in lines
    assert "ok   resource plexsync.desktop" in lines
    assert f"ok   sqlite3 {sqlite3.sqlite_version}" in lines
    assert lines[-1] == "self-check passed"


def test_unusable_keyring_is_a_warning_naming_the_backend(qapp, capsys):
    # the test suite forces keyring's null backend: the app still runs, with secrets from env or config
    assert run_self_check() == 0
    keyring_line = next(line for line in capsys.readouterr().out.splitlines() if "keyring" in line)
    assert keyring_line.startswith("warn keyring backend null Keyring (not usable")
    assert "SecretService" in keyring_line and "Windows" in keyring_line and "macOS" in keyring_line


def test_missing_resources_fail(qapp, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("plexsync_gui.ui.resources.resource_root", lambda: tmp_path)
    assert run_self_check() == 1
    out = capsys.readouterr().out
    assert f"FAIL resource icons/tray-idle.svg: missing from {tmp_path / 'icons'}" in out
    assert f"FAIL resource plexsync.desktop: missing from {tmp_path}" in out
    assert out.splitlines()[-1] == "self-check FAILED: 6 problem(s)"


def test_unrenderable_icon_fails(qapp, capsys, monkeypatch, tmp_path):
    (tmp_path / "icons").mkdir()
    for name in ICON_NAMES:
        (tmp_path / "icons" / f"{name}.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    monkeypatch.setattr("plexsync_gui.ui.resources.resource_root", lambda: tmp_path)
    assert run_self_check() == 1
    assert "FAIL resource icons/plexsync.svg: does not render" in capsys.readouterr().out


def test_keyring_without_discoverable_backends_fails(qapp, capsys, monkeypatch):
    monkeypatch.setattr(self_check, "keyring_backends_discovered", lambda: [])
    assert run_self_check() == 1
    assert "FAIL keyring: no backends discovered" in capsys.readouterr().out


def test_too_old_sqlite_fails(qapp, capsys, monkeypatch):
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 23, 9))
    assert run_self_check() == 1
    assert "FAIL sqlite3 3.23.9: too old, needs 3.24.0 or newer" in capsys.readouterr().out
