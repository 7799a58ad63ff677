"""Test-wide isolation: no real keyring, no user plexapi config, no proxies, offscreen Qt."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PLEXAPI_CONFIG_PATH"] = os.path.join(os.path.dirname(__file__), "no-such-plexapi-config.ini")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
for _var in ("PLEXSYNC_PLEX_TOKEN", "PLEXSYNC_STASH_API_KEY", "PLEXSYNC_CONFIG", "PLEXSYNC_DATA_DIR"):
    os.environ.pop(_var, None)

pytest_plugins = ["tests.servers"]


def pytest_configure(config: pytest.Config) -> None:
    """Cycles are collected on the main thread only, as the app does (plexsync_gui/ui/gc_guard.py): a Qt object
    collected from an emulator's or worker's thread would be deleted off its own thread and crash PySide."""
    gc.disable()


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_main_thread() -> Iterator[None]:
    yield
    gc.collect()
