"""Where PlexSync keeps its files, and the wiring of store, clients, Stash health, queuer, poller and engine that both
front ends share."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs

from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.security import tls_warnings
from plexsync_gui.core.storage.private_files import make_private_dirs, tighten
from plexsync_gui.core.storage.quarantine import move_aside
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.health import StashHealth, record_database_notice

if TYPE_CHECKING:  # the network stack loads in open_session, so commands that only read the store start quickly
    from plexsync_gui.core.net.http import Cancellation
    from plexsync_gui.core.plex.client import PlexClient
    from plexsync_gui.core.setup.secrets import Secrets
    from plexsync_gui.core.stash.client import StashClient
    from plexsync_gui.core.stash.poller import ChangePoller
    from plexsync_gui.core.sync.engine import SyncEngine
    from plexsync_gui.core.sync.queueing import Queuer

log = logging.getLogger(__name__)

APP_NAME = "plexsync"
# SQLite's verdicts on a file that is not (or no longer) a usable database; "locked" or "busy" are not among them.
_UNUSABLE = {"SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CANTOPEN"}


class DatabaseUnusable(Exception):
    """The database cannot be read and could not be moved aside either; one line for the user."""


class DataDirUnusable(Exception):
    """The data or log folder is a file, lies under a file, or cannot be created or written; one line for the user."""


@dataclass(frozen=True)
class Locations:
    config_file: Path
    data_dir: Path
    log_dir: Path
    own_dirs: tuple[Path, ...] = ()  # folders PlexSync named (not the user): made private even when they exist

    @property
    def database(self) -> Path:
        return self.data_dir / "plexsync.db"


def locate(config_file: str | None = None, data_dir: str | None = None) -> Locations:
    """Command-line options first, then PLEXSYNC_CONFIG / PLEXSYNC_DATA_DIR, then the platform's usual places."""
    config = config_file or os.environ.get("PLEXSYNC_CONFIG")
    data = data_dir or os.environ.get("PLEXSYNC_DATA_DIR")
    config_path = Path(config) if config else platformdirs.user_config_path(APP_NAME) / "config.toml"
    data_path = Path(data) if data else platformdirs.user_data_path(APP_NAME)
    log_path = (data_path / "logs" if data else platformdirs.user_log_path(APP_NAME)).expanduser()
    data_path = data_path.expanduser()
    own = (log_path,) if data else (data_path, log_path)
    return Locations(config_path.expanduser(), data_path, log_path, own)


def prepare_folders(locations: Locations) -> None:
    """Create the data and log folders with mode 0700 and tighten the ones PlexSync named, before anything writes
    there. An unusable folder (a file, a path under a file, no permission) is one DataDirUnusable line here rather
    than a traceback from whichever write comes first."""
    for role, folder in (("data", locations.data_dir), ("log", locations.log_dir)):
        try:
            make_private_dirs(folder)
        except OSError as exc:
            raise _unusable(role, folder, exc.strerror or str(exc)) from None
        if not folder.is_dir():
            raise _unusable(role, folder, "it is not a folder")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise _unusable(role, folder, "it is not writable")
        if folder in locations.own_dirs:
            tighten(folder)


def _unusable(role: str, folder: Path, reason: str) -> DataDirUnusable:
    return DataDirUnusable(f"cannot use {folder} as the {role} folder ({reason}); choose another with --data-dir "
                           "or PLEXSYNC_DATA_DIR")


def open_store(locations: Locations, config: Config | None = None, notices: list[str] | None = None) -> Store:
    """The store, checked at start. An unreadable or corrupt database is moved aside with a timestamp (never
    deleted) and a fresh one created; the fresh one records why (health.database_notice), the log says it, and so
    does `notices` for a front end that shows it (the desktop app)."""
    max_attempts = config.sync.max_retries if config else 5
    path = locations.database
    try:
        return _checked_store(path, max_attempts)
    except sqlite3.DatabaseError as exc:
        unusable = type(exc) is sqlite3.DatabaseError or getattr(exc, "sqlite_errorname", "") in _UNUSABLE
        if not (unusable and path.exists()):
            raise
        reason = str(exc)
    try:
        moved = move_aside(path)
    except OSError as exc:
        raise DatabaseUnusable(f"the database {path} cannot be read ({reason}) and could not be moved aside "
                               f"({exc.strerror or exc}); move it away by hand") from None
    message = f"the database {path} could not be read ({reason}); it was moved to {moved} and a new one was started"
    log.error("%s: the queue and sync history start empty, scenes are queued again on the next poll", message)
    if notices is not None:
        notices.append(f"{message[0].upper()}{message[1:]}. Scenes are queued again on the next poll.")
    store = Store(path, max_attempts=max_attempts)
    record_database_notice(store, message, str(moved), time.time())
    return store


def _checked_store(path: Path, max_attempts: int) -> Store:
    store = Store(path, max_attempts=max_attempts)
    try:
        if not store.integrity_ok(quick=True):
            raise sqlite3.DatabaseError("quick_check found damage")
    except BaseException:
        store.close()
        raise
    return store


def client_id(store: Store) -> str:
    """A per-install identifier, created once and kept in the database."""
    value = store.get("client_id")
    if value is None:
        value = f"plexsync-{uuid.uuid4()}"
        store.set("client_id", value)
    return value


@dataclass
class Session:
    config: Config
    store: Store
    stash: StashClient
    plex: PlexClient
    stash_health: StashHealth  # the one record of Stash's health: the poll and the engine's downloads share it
    queuer: Queuer  # turns scenes into jobs (the poller and `plexsync sync`)
    engine: SyncEngine  # processes jobs
    poller: ChangePoller
    cancellation: Cancellation  # cuts every request of these clients (and their clones) when a front end stops
    secrets: Secrets | None = None  # what the clients were built with (the event listeners need the same)

    def close(self) -> None:
        """Close the network clients; the store belongs to whoever opened it."""
        self.engine.close()
        self.stash.close()
        self.plex.close()


def open_session(config: Config, secrets: Secrets, store: Store, cancellation: Cancellation | None = None) -> Session:
    """The clients, queuer, poller and engine; `cancellation` (a new one when None) is how a front end cuts their
    requests. The network stack is imported here, so commands that only read the store start quickly."""
    from plexsync_gui.core.net.http import Cancellation
    from plexsync_gui.core.plex.client import PlexClient, set_client_identity
    from plexsync_gui.core.stash.client import StashClient
    from plexsync_gui.core.stash.poller import ChangePoller
    from plexsync_gui.core.sync.engine import SyncEngine
    from plexsync_gui.core.sync.people import effective_config
    from plexsync_gui.core.sync.queueing import Queuer

    set_client_identity(client_id(store))
    config = effective_config(config, secrets.stash_api_key)
    for warning in tls_warnings(config):
        log.warning("%s", warning)
    cancellation = cancellation or Cancellation()
    stash = StashClient(config.stash.url, secrets.stash_api_key, config.stash.timeout,
                        verify=config.stash.verify, cancellation=cancellation)
    plex = PlexClient(config.plex.url, secrets.plex_token, config.plex.timeout,
                      verify=config.plex.verify, cancellation=cancellation)
    health = StashHealth(store)
    queuer = Queuer(config, store, stash)
    engine = SyncEngine(config, store, stash, plex, health)
    return Session(config, store, stash, plex, health, queuer, engine, ChangePoller(stash, store, queuer),
                   cancellation, secrets)
