"""Saving what the settings dialog edited: secrets to the OS keyring, everything else to the TOML file.

The keyring is written first: if it fails, the old file (which may still hold a plaintext secret) is untouched, so
nothing is lost. A secret goes into the file only when no keyring can hold it AND the user explicitly agreed.
Launch at login is applied through the OS entry (core.autostart), never stored in the file.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from keyring.errors import KeyringError

from plexsync_gui.core.setup.autostart import AutostartError
from plexsync_gui.core.setup.config import Config, save_config
from plexsync_gui.core.setup.secrets import PLEX_TOKEN, STASH_API_KEY, Secrets, keyring_available, write_keyring

if TYPE_CHECKING:
    from plexsync_gui.core.setup.autostart import Autostart

log = logging.getLogger(__name__)


class SaveError(Exception):
    """Saving failed; one line for the user. Nothing was changed on disk."""


class NoKeyringError(SaveError):
    """No keyring can hold the secrets and the user has not allowed plaintext in the config file."""


def write_settings(path: Path, config: Config, secrets: Secrets | None, plaintext_allowed: bool) -> Config:
    """Store the secrets and write the file (mode 0600); returns the config exactly as written.

    `secrets` None: these settings own no secrets (the demo's are built in), so neither the keyring (which may hold
    the user's real ones) nor the file gets any."""
    if secrets is None or _store_in_keyring(secrets):
        written = _with_secrets(config, Secrets(plex_token=None, stash_api_key=None))
    elif plaintext_allowed or not secrets.values():
        written = _with_secrets(config, secrets)
    else:
        raise NoKeyringError("No keyring is available to store the Plex token and the Stash API key")
    try:
        save_config(path, written)
    except OSError as exc:
        raise SaveError(f"Cannot write {path}: {exc.strerror or exc}") from None
    return written


def _store_in_keyring(secrets: Secrets) -> bool:
    """True when the keyring now holds both secrets (an empty one is deleted there)."""
    if not keyring_available():
        return False
    try:
        write_keyring(PLEX_TOKEN, secrets.plex_token)
        write_keyring(STASH_API_KEY, secrets.stash_api_key)
    except (KeyringError, RuntimeError) as exc:  # a locked or broken backend
        log.warning("keyring write failed: %s", type(exc).__name__)
        return False
    return True


def _with_secrets(config: Config, secrets: Secrets) -> Config:
    return replace(config, plex=replace(config.plex, token=secrets.plex_token or None),
                   stash=replace(config.stash, api_key=secrets.stash_api_key or None))


def set_launch_at_login(autostart: Autostart, wanted: bool) -> None:
    """Create (or repair) or remove the OS login entry; SaveError with one line when the OS refuses."""
    try:
        if wanted:
            autostart.enable()
        else:
            autostart.disable()
    except (AutostartError, OSError) as exc:  # OSError: a registry call the Windows adapter does not wrap
        log.warning("launch at login: %s failed", "enable" if wanted else "disable")
        raise SaveError(f"Launch at login could not be {'set up' if wanted else 'removed'}: {exc}") from None
