"""The TOML configuration shared by the CLI and the desktop app: one validated schema, every setting live.

Validation turns any mistake into one `ConfigError` line that names the key and the problem, so neither front end
ever shows a traceback for a typo. Unknown keys are errors too: a misspelt option must not be silently ignored.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import tomli_w

from plexsync_gui.core.setup.logs import redact
from plexsync_gui.core.setup.rules_config import RuleSettings, rules_from_dict, rules_to_dict
from plexsync_gui.core.storage.private_files import make_private_dirs
from plexsync_gui.core.sync.paths import PathRule, is_windows_path, normalise

# `key = value` where the key names a secret; the value as far as TOML could take it (a string, a list, a bare word)
_SECRET_ASSIGNMENT = re.compile(r"""(?i)[\w-]*(?:token|api_?key|secret|password)[\w-]*["']?[ \t]*=[ \t]*"""
                                r"""(\[[^\]\n]*\]?|"[^"\n]*"?|'[^'\n]*'?|[^\s,}\]]+)""")
_VALUE_WORD = re.compile(r"""[^\s"'\[\],{}]+""")
_SHORTEST_SECRET = 4  # shorter values (true, 1) would mask ordinary words of the message


class ConfigError(Exception):
    """A configuration problem, phrased as one line for the user."""


class _TlsVerify:
    ca_bundle: str | None  # declared by the dataclasses below
    verify_tls: bool

    @property
    def verify(self) -> bool | str:
        """What `requests` takes: a CA bundle path, or whether to check certificates at all."""
        return self.ca_bundle or self.verify_tls


@dataclass
class StashSettings(_TlsVerify):
    url: str = "http://127.0.0.1:9999"
    api_key: str | None = None  # plaintext fallback only; normally in the keyring
    timeout: float = 30.0
    verify_tls: bool = True
    ca_bundle: str | None = None


@dataclass
class PlexSettings(_TlsVerify):
    url: str = "http://127.0.0.1:32400"
    token: str | None = None  # plaintext fallback only; normally in the keyring
    libraries: list[str] = field(default_factory=list)
    timeout: float = 30.0
    verify_tls: bool = True
    ca_bundle: str | None = None


@dataclass
class SyncSettings:
    strict_matching: bool = True
    preserve_plex_edits: bool = False
    poll_interval: float = 30.0
    max_retries: int = 5
    workers: int = 4  # jobs in flight at once, each with its own Plex connection; 1 = one job at a time


@dataclass
class FieldToggles:
    """Which Stash fields are written to Plex. Rating is opt-in: many users rate in Plex itself."""

    title: bool = True
    studio: bool = True
    summary: bool = True
    date: bool = True
    performers: bool = True
    tags: bool = True
    collection: bool = True
    poster: bool = True
    rating: bool = False
    groups: bool = True  # Stash groups as Plex collections, in the group's scene order
    performer_photos: bool = False  # Plex fetches each photo from Stash itself: only possible without an API key


@dataclass
class DesktopSettings:
    """Read only by the tray app; the CLI accepts and ignores them. Launch at login lives in the OS, not here."""

    notify_failures: bool = True
    notify_connection: bool = True
    notify_success: bool = False
    start_hidden: bool = False


@dataclass
class PlexToStashSettings:
    """What flows back from Plex into Stash: off by default, since it writes to Stash, which PlexSync otherwise only
    reads. `rating_wins` settles a rating both sides have: "plex" carries a rating changed in Plex into Stash,
    "stash" only fills in a Stash scene that has no rating."""

    enabled: bool = False
    plays: bool = True
    resume: bool = False
    rating: bool = False
    rating_wins: str = "plex"


@dataclass
class EventSettings:
    """Push on top of polling: Plex's and Stash's websockets wake the sync early; polls and retries stay the
    fallback, so turning this off only makes changes wait for the next poll or retry."""

    listen: bool = True  # Plex's notifications and Stash's job subscription
    scan_missing: bool = True  # ask Plex to scan the folder of a scene it has no item for yet


@dataclass
class Config:
    stash: StashSettings = field(default_factory=StashSettings)
    plex: PlexSettings = field(default_factory=PlexSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    fields: FieldToggles = field(default_factory=FieldToggles)
    path_map: list[PathRule] = field(default_factory=list)
    desktop: DesktopSettings = field(default_factory=DesktopSettings)
    rules: RuleSettings = field(default_factory=RuleSettings)  # [rules], read by rules_config
    plex_to_stash: PlexToStashSettings = field(default_factory=PlexToStashSettings)
    events: EventSettings = field(default_factory=EventSettings)


_SECTIONS: dict[str, type] = {
    "stash": StashSettings,
    "plex": PlexSettings,
    "sync": SyncSettings,
    "fields": FieldToggles,
    "desktop": DesktopSettings,
    "plex_to_stash": PlexToStashSettings,
    "events": EventSettings,
}
CHOICES: dict[str, tuple[str, ...]] = {"plex_to_stash.rating_wins": ("plex", "stash")}
SECRET_KEYS = frozenset({"plex.token", "stash.api_key"})
LIMITS: dict[str, tuple[float, float]] = {
    "stash.timeout": (1, 600),
    "plex.timeout": (1, 600),
    "sync.poll_interval": (5, 86400),
    "sync.max_retries": (1, 50),
    "sync.workers": (1, 8),
}


def load_config(path: Path) -> Config:
    """Read and validate a config file; every failure is a ConfigError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no config file at {path} (create one, see the README)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    try:
        return config_from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(redact(f"{path} is not valid TOML: {exc}", secrets_in_text(text))) from None
    except ConfigError as exc:
        raise ConfigError(redact(str(exc), secrets_in_text(text))) from None


def secrets_in_text(text: str) -> list[str]:
    """The values assigned to anything named like a secret (token, api_key, password…) in a config's raw text, read
    without a TOML parser: the text may be broken, and a value pasted into the wrong key, a misspelt key or a line
    the parser quotes must still never reach stderr or a dialog, which show config errors before logging exists."""
    values = (part for match in _SECRET_ASSIGNMENT.finditer(text) for part in _VALUE_WORD.findall(match.group(1)))
    return sorted({value for value in values if len(value) >= _SHORTEST_SECRET}, key=len, reverse=True)


def config_from_dict(data: dict[str, Any]) -> Config:
    config = Config()
    for name, value in data.items():
        if name == "path_map":
            config.path_map = _path_rules(value)
        elif name == "rules":
            config.rules = _rules(value)
        elif name in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{name}: must be a table ([{name}])")
            setattr(config, name, _section(name, _SECTIONS[name], value))
        else:
            raise ConfigError(f"{name}: unknown section (expected {', '.join(_SECTIONS)}, rules or path_map)")
    _check_urls(config)
    _check_tls(config)
    return config


def _rules(value: Any) -> RuleSettings:
    if not isinstance(value, dict):
        raise ConfigError("rules: must be a table ([rules])")
    try:
        return rules_from_dict(value)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _section(name: str, cls: type, values: dict[str, Any]) -> Any:
    instance = cls()
    known = {f.name: f for f in fields(cls)}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{name}.{key}: unknown key (known: {', '.join(known)})")
        default = getattr(instance, key)
        setattr(instance, key, _coerce(f"{name}.{key}", value, default, known[key].type))
    return instance


def _coerce(key: str, value: Any, default: Any, declared: Any) -> Any:
    """Check a value against the field's type; ints are accepted where floats are expected."""
    got = _shown(key, value)
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: must be true or false, got {got}")
        return value
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: must be a number, got {got}")
        if isinstance(default, int) and not isinstance(value, int):
            raise ConfigError(f"{key}: must be a whole number, got {got}")
        low, high = LIMITS.get(key, (float("-inf"), float("inf")))
        if not low <= value <= high:
            raise ConfigError(f"{key}: must be between {low:g} and {high:g}, got {got}")
        return type(default)(value)
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{key}: must be a list of non-empty strings, got {got}")
        return [v.strip() for v in value]
    if not isinstance(value, str):
        raise ConfigError(f"{key}: must be a string, got {got}")
    if key in CHOICES and value not in CHOICES[key]:
        raise ConfigError(f"{key}: must be one of {', '.join(repr(c) for c in CHOICES[key])}, got {got}")
    return value


def _shown(key: str, value: Any) -> str:
    """How an error names a wrong value: quoted, except a secret's, whose type is all the message may say."""
    return f"a {type(value).__name__}" if key in SECRET_KEYS else repr(value)


def _path_rules(value: Any) -> list[PathRule]:
    if not isinstance(value, list):
        raise ConfigError("path_map: must be an array of tables ([[path_map]] with stash and plex)")
    rules: list[PathRule] = []
    for i, entry in enumerate(value, start=1):
        where = f"path_map #{i}"
        if not isinstance(entry, dict) or set(entry) != {"stash", "plex"}:
            raise ConfigError(f"{where}: needs exactly the keys stash and plex")
        for side in ("stash", "plex"):
            text = entry[side]
            if not isinstance(text, str) or not _is_absolute(text):
                raise ConfigError(f"{where}.{side}: must be an absolute path, got {text!r}")
        earlier = next((r for r in rules if _prefix_key(r.stash) == _prefix_key(entry["stash"])), None)
        if earlier is not None:
            raise ConfigError(f"{where}.stash: {entry['stash']!r} is already mapped by an earlier rule "
                              f"({earlier.stash!r} -> {earlier.plex!r}); keep one of them")
        rules.append(PathRule(stash=entry["stash"], plex=entry["plex"]))
    return rules


def _prefix_key(path: str) -> str:
    """Two prefixes that differ only in a trailing separator (or in case, for Windows paths) are the same rule.
    Nested prefixes (`/data/` and `/data/movies/`) are fine: the longest match wins."""
    return normalise(path).rstrip("/")


def _is_absolute(path: str) -> bool:
    return path.startswith("/") or is_windows_path(path)


def _check_urls(config: Config) -> None:
    for name in ("stash", "plex"):
        check_url(f"{name}.url", getattr(config, name).url)


def check_url(key: str, url: str) -> None:
    """The one URL rule, shared by config loading and the connection check: http(s), a host, no secrets inside."""
    try:
        parsed = urlparse(url)
    except ValueError:
        raise ConfigError(f"{key}: {url!r} is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname or any(c.isspace() for c in url):
        raise ConfigError(f"{key}: must be an http:// or https:// URL, got {url!r}")
    try:
        port_ok = parsed.port != 0
    except ValueError:
        port_ok = False
    if not port_ok:
        raise ConfigError(f"{key}: the port must be a number from 1 to 65535, got {url!r}")
    if parsed.username or parsed.password or parsed.query:
        raise ConfigError(f"{key}: must not carry credentials or a query; secrets go in the keyring")


def _check_tls(config: Config) -> None:
    for name in ("stash", "plex"):
        settings = getattr(config, name)
        if settings.ca_bundle is None:
            continue
        if not settings.verify_tls:
            raise ConfigError(f"{name}.ca_bundle: set, but {name}.verify_tls = false would ignore it; remove one")
        if not Path(settings.ca_bundle).expanduser().is_file():
            raise ConfigError(f"{name}.ca_bundle: no such file: {settings.ca_bundle}")


def config_to_dict(config: Config) -> dict[str, Any]:
    """The TOML form of a config, leaving out unset optional values (TOML has no null)."""
    out: dict[str, Any] = {}
    for name in _SECTIONS:
        section = getattr(config, name)
        out[name] = {f.name: getattr(section, f.name) for f in fields(section) if getattr(section, f.name) is not None}
    out["rules"] = rules_to_dict(config.rules)
    if config.path_map:
        out["path_map"] = [{"stash": r.stash, "plex": r.plex} for r in config.path_map]
    return out


def save_config(path: Path, config: Config) -> None:
    """Write atomically with mode 0600: the file may hold a plaintext secret when no keyring exists."""
    make_private_dirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".toml")
    try:
        with os.fdopen(fd, "wb") as handle:
            tomli_w.dump(config_to_dict(config), handle)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
