"""Where PlexSync keeps its files, and the wiring of store, clients and engine that both front ends share."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from plexsync_gui.core.config import Config
from plexsync_gui.core.engine import SyncEngine
from plexsync_gui.core.plex_client import PlexClient, set_client_identity
from plexsync_gui.core.poller import ChangePoller
from plexsync_gui.core.secrets import Secrets
from plexsync_gui.core.stash_client import StashClient
from plexsync_gui.core.store import Store

APP_NAME = "plexsync"


@dataclass(frozen=True)
class Locations:
    config_file: Path
    data_dir: Path
    log_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "plexsync.db"


def locate(config_file: str | None = None, data_dir: str | None = None) -> Locations:
    """Command-line options first, then PLEXSYNC_CONFIG / PLEXSYNC_DATA_DIR, then the platform's usual places."""
    config = config_file or os.environ.get("PLEXSYNC_CONFIG")
    data = data_dir or os.environ.get("PLEXSYNC_DATA_DIR")
    config_path = Path(config) if config else platformdirs.user_config_path(APP_NAME) / "config.toml"
    data_path = Path(data) if data else platformdirs.user_data_path(APP_NAME)
    log_path = data_path / "logs" if data else platformdirs.user_log_path(APP_NAME)
    return Locations(config_path.expanduser(), data_path.expanduser(), log_path.expanduser())


def open_store(locations: Locations, config: Config | None = None) -> Store:
    max_attempts = config.sync.max_retries if config else 5
    return Store(locations.database, max_attempts=max_attempts)


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
    engine: SyncEngine
    poller: ChangePoller

    def close(self) -> None:
        """Close the network clients; the store belongs to whoever opened it."""
        self.engine.close()
        self.stash.close()
        self.plex.close()


def open_session(config: Config, secrets: Secrets, store: Store) -> Session:
    set_client_identity(client_id(store))
    stash = StashClient(config.stash.url, secrets.stash_api_key, config.stash.timeout,
                        verify=config.stash.ca_bundle or config.stash.verify_tls)
    plex = PlexClient(config.plex.url, secrets.plex_token, config.plex.timeout,
                      verify=config.plex.ca_bundle or config.plex.verify_tls)
    engine = SyncEngine(config, store, stash, plex)
    return Session(config, store, stash, plex, engine, ChangePoller(stash, store, engine))
