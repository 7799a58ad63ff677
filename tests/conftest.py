"""Test-wide isolation: no real keyring, no user plexapi config, no proxies, offscreen Qt, and no logging handler
left behind by a test (the CLI installs handlers on streams that pytest closes after the test)."""

from __future__ import annotations

import gc
import logging
import os
import time
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


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def berlin_time() -> Iterator[None]:
    """The process in Europe/Berlin, a zone with summer time (UTC+2 in July, UTC+1 in January); restored after."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()
