"""Where the Plex token and the Stash API key come from: environment, OS keyring, or (explicitly) the config file.

The environment wins so a headless server or a one-off run can override the stored value; the keyring is the normal
home; a plaintext value in the config file is the last resort for machines without a keyring backend.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass

import keyring
from keyring.errors import KeyringError

from plexsync_gui.core.setup.config import Config

log = logging.getLogger(__name__)

SERVICE = "plexsync"
PLEX_TOKEN = "plex_token"
STASH_API_KEY = "stash_api_key"
_ENV = {PLEX_TOKEN: "PLEXSYNC_PLEX_TOKEN", STASH_API_KEY: "PLEXSYNC_STASH_API_KEY"}


@dataclass(frozen=True)
class Secrets:
    plex_token: str | None
    stash_api_key: str | None

    def values(self) -> list[str]:
        """Every secret that is set, for redaction."""
        return [v for v in (self.plex_token, self.stash_api_key) if v]


def read_keyring(name: str) -> str | None:
    """The stored secret, or None when there is none or no usable keyring (a headless box often has none)."""
    try:
        return keyring.get_password(SERVICE, name) or None
    except (KeyringError, RuntimeError) as exc:
        log.debug("keyring unavailable for %s: %s", name, type(exc).__name__)
        return None


def write_keyring(name: str, value: str | None) -> None:
    """Store or (with None/empty) delete a secret; raises KeyringError when no backend can hold it."""
    if value:
        keyring.set_password(SERVICE, name, value)
        return
    with contextlib.suppress(keyring.errors.PasswordDeleteError):
        keyring.delete_password(SERVICE, name)


def keyring_available() -> bool:
    backend = keyring.get_keyring()
    return getattr(backend, "priority", 0) > 0 and "fail" not in type(backend).__module__


def environment_overrides() -> list[str]:
    """The PLEXSYNC_* variables that are set: they win over the keyring and the file, so a settings view says so."""
    return [variable for variable in _ENV.values() if os.environ.get(variable)]


def _resolve(name: str, file_value: str | None) -> str | None:
    return os.environ.get(_ENV[name]) or read_keyring(name) or file_value or None


def resolve_secrets(config: Config) -> Secrets:
    return Secrets(
        plex_token=_resolve(PLEX_TOKEN, config.plex.token),
        stash_api_key=_resolve(STASH_API_KEY, config.stash.api_key),
    )
