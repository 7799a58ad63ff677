"""Checks of the app's security posture that every front end shows: a readable config holding a secret, and TLS
verification turned off.

Each returns plain sentences, so the CLI prints them, `check` lists them and the desktop app can show them.
"""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

from plexsync_gui.core.setup.config import Config


def config_permission_problem(path: Path, config: Config) -> str | None:
    """A warning when the config file holds a secret and group or others may read it; None when all is well.

    Only a file with a plaintext token or API key matters: without one, the file reveals nothing worth hiding.
    """
    if not (config.plex.token or config.stash.api_key) or os.name != "posix":
        return None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if not mode & 0o077:
        return None
    return (f"{path} holds a secret and is readable by {'others' if mode & 0o007 else 'its group'} "
            f"(mode {mode:04o}); run: chmod 600 '{path}'")


def unverified_servers(config: Config) -> list[str]:
    """The servers ("stash", "plex") reached over https whose certificates are not checked (`verify_tls = false`).

    A plain http URL has no certificate to skip: warning about one would teach users to ignore the warning."""
    return [name for name in ("stash", "plex")
            if not getattr(config, name).verify_tls and getattr(config, name).url.strip().lower().startswith("https:")]


def tls_warnings(config: Config) -> list[str]:
    """One sentence per server whose certificate is not verified."""
    return [f"TLS certificate verification is OFF for {name} ({name}.verify_tls = false): anyone on the network path "
            f"could read the {'token' if name == 'plex' else 'API key'}; prefer {name}.ca_bundle"
            for name in unverified_servers(config)]


def allow_unverified_tls() -> None:
    """Silence urllib3's per-request warning: a client built with verification off was configured so explicitly, and
    every front end states it once (tls_warnings) instead of urllib3 repeating it on every request. (urllib3 is
    imported here, by the clients that use it, not by every command that checks the config.)"""
    from urllib3.exceptions import InsecureRequestWarning

    warnings.filterwarnings("ignore", category=InsecureRequestWarning)
