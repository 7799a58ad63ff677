"""Test-wide isolation: no real keyring, no user plexapi config, no proxies, offscreen Qt."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PLEXAPI_CONFIG_PATH"] = os.path.join(os.path.dirname(__file__), "no-such-plexapi-config.ini")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
for _var in ("PLEXSYNC_PLEX_TOKEN", "PLEXSYNC_STASH_API_KEY", "PLEXSYNC_CONFIG", "PLEXSYNC_DATA_DIR"):
    os.environ.pop(_var, None)

pytest_plugins = ["tests.servers"]
