"""Fixtures for the desktop app's tests: a running sync service against the emulated servers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Locations
from plexsync_gui.ui.service import SyncService
from tests.servers import PLEX_TOKEN, STASH_KEY


def make_locations(base: Path) -> Locations:
    return Locations(config_file=base / "config.toml", data_dir=base / "data", log_dir=base / "logs")


@pytest.fixture
def locations(tmp_path: Path) -> Locations:
    return make_locations(tmp_path)


@pytest.fixture
def secrets() -> Secrets:
    return Secrets(plex_token=PLEX_TOKEN, stash_api_key=STASH_KEY)


@pytest.fixture
def make_service(qtbot, locations: Locations, config: Config, secrets: Secrets) -> Iterator[Callable[[], SyncService]]:
    """Services are shut down in the finaliser, so no worker thread outlives its test."""
    started: list[SyncService] = []

    def factory(start: bool = True) -> SyncService:
        service = SyncService(locations, config, secrets)
        started.append(service)
        if start:
            service.start()
        return service

    yield factory
    for service in started:
        service.shutdown()


def settled(service: SyncService) -> bool:
    """Nothing due or in progress, and the models caught up with the worker."""
    status = service.status
    if not status or status["due"] or status["syncing"]:
        return False
    service.flush()
    return True
