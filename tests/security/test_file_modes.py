"""The database, its WAL and SHM files, the logs and the folders PlexSync creates are the user's alone (files 0600,
folders 0700), whatever the umask; a folder the user named keeps its own mode."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from plexsync_gui.core.setup.config import Config, save_config
from plexsync_gui.core.setup.logs import setup_logging
from plexsync_gui.core.setup.session import locate, prepare_folders
from plexsync_gui.core.storage.store import NewJob, Store

pytestmark = pytest.mark.security

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(params=[0o022, 0o000], ids=["umask022", "umask000"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


@posix_only
def test_the_database_and_its_wal_and_shm_files_are_private(tmp_path, umask):
    database = tmp_path / "fresh" / "nested" / "plexsync.db"
    store = Store(database)
    reader = Store(database)  # a second connection, as the desktop app's worker and window have
    try:
        store.enqueue([NewJob("1", "t", "/p", "{}", "h")])
        assert reader.counts()["pending"] == 1
        companions = [database.with_name(database.name + s) for s in ("-wal", "-shm")]
        assert all(p.exists() for p in companions)  # WAL mode: both exist while a connection is open
        assert {p.name: mode(p) for p in [database, *companions]} == {
            "plexsync.db": 0o600, "plexsync.db-wal": 0o600, "plexsync.db-shm": 0o600}
        assert (mode(database.parent), mode(database.parent.parent)) == (0o700, 0o700)
    finally:
        reader.close()
        store.close()


@posix_only
def test_files_an_older_version_left_readable_are_tightened(tmp_path, umask):
    database = tmp_path / "plexsync.db"
    Store(database).close()
    leftovers = [database, database.with_name("plexsync.db-wal"), database.with_name("plexsync.db-shm")]
    database.with_name("plexsync.db-wal").touch()
    database.with_name("plexsync.db-shm").write_bytes(b"\0" * 32768)
    log_file = tmp_path / "logs" / "plexsync.log"
    log_file.parent.mkdir()
    log_file.write_text("old\n")
    for path in [*leftovers, log_file]:
        path.chmod(0o644)
    Store(database).close()
    setup_logging(log_file.parent, [])
    assert {p.name: mode(p) for p in [database, log_file]} == {"plexsync.db": 0o600, "plexsync.log": 0o600}
    remaining = [p for p in leftovers[1:] if p.exists()]  # SQLite may delete its companions on close
    assert {p.name: mode(p) for p in remaining} == {p.name: 0o600 for p in remaining}


@posix_only
def test_log_files_are_private_including_after_a_rollover(tmp_path, umask):
    log_dir = tmp_path / "new" / "logs"
    setup_logging(log_dir, [])
    logging.getLogger("plexsync.test").warning("first file")
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "baseFilename", None)]
    handler.doRollover()
    logging.getLogger("plexsync.test").warning("second file")
    files = sorted(p.name for p in log_dir.iterdir())
    assert files == ["plexsync.log", "plexsync.log.1"]
    assert {name: mode(log_dir / name) for name in files} == {"plexsync.log": 0o600, "plexsync.log.1": 0o600}
    assert (mode(log_dir), mode(log_dir.parent)) == (0o700, 0o700)


@posix_only
def test_the_cli_leaves_only_private_files_and_folders(cli, library, tmp_path, umask, monkeypatch):
    data = tmp_path / "created-by-plexsync" / "data"
    monkeypatch.setenv("PLEXSYNC_DATA_DIR", str(data))
    library.add(title="one")
    for command in (["sync", "--all"], ["process"], ["status"]):
        assert cli(*command)[0] == 0
    tree = [data.parent, *sorted(data.parent.rglob("*"))]
    assert {str(p.relative_to(tmp_path)): mode(p) for p in tree} == {
        str(p.relative_to(tmp_path)): 0o700 if p.is_dir() else 0o600 for p in tree}
    assert {p.name for p in tree} >= {"data", "logs", "plexsync.db", "plexsync.log", "processing.lock"}


@posix_only
def test_a_config_folder_the_app_creates_is_private(tmp_path, umask):
    path = tmp_path / "new" / "plexsync" / "config.toml"
    save_config(path, Config())
    assert (mode(path), mode(path.parent), mode(path.parent.parent)) == (0o600, 0o700, 0o700)


@posix_only
def test_the_default_folders_are_tightened_but_a_folder_the_user_named_keeps_its_mode(tmp_path, monkeypatch, umask):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for variable in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "PLEXSYNC_DATA_DIR"):
        monkeypatch.delenv(variable, raising=False)
    default = locate()
    assert tmp_path in default.data_dir.parents and tmp_path in default.log_dir.parents
    for folder in (default.data_dir, default.log_dir):
        folder.mkdir(parents=True)
        folder.chmod(0o755)  # as an older version left them under umask 022
    prepare_folders(default)
    assert (mode(default.data_dir), mode(default.log_dir)) == (0o700, 0o700)

    named = tmp_path / "shared-folder"
    named.mkdir()
    named.chmod(0o755)
    chosen = locate(data_dir=str(named))
    prepare_folders(chosen)
    assert mode(named) == 0o755  # the user's folder, the user's choice
    assert mode(chosen.log_dir) == 0o700  # PlexSync's own subfolder
