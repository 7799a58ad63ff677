"""Mapping Stash file paths to the paths Plex sees, and comparing paths the way Plex stores them.

Stash and Plex often run in different containers or machines, so the same file has different prefixes
(`/data/…` in Stash, `/media/…` in Plex). Rules are plain prefix replacements; the longest matching prefix wins.
The same name can also arrive in two Unicode forms: Stash on Linux stores what it read (usually NFC), while a Plex
on macOS or reading an SMB share may store the decomposed NFD form. Comparisons therefore use NFC on both sides.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from dataclasses import dataclass

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")
_LONG_PATH_PREFIX = "\\\\?\\"


@dataclass(frozen=True)
class PathRule:
    stash: str
    plex: str


def is_windows_path(path: str) -> bool:
    return bool(_WINDOWS_DRIVE.match(path)) or path.startswith("\\\\")


def map_path(stash_path: str, rules: list[PathRule]) -> str:
    """The Plex-side path of a Stash file (in NFC, like the rules are compared); unchanged when no rule applies."""
    stash_path = _nfc(stash_path)
    best = max((r for r in rules if _has_prefix(stash_path, _nfc(r.stash))), key=lambda r: len(r.stash),
               default=None)
    if best is None:
        return stash_path
    mapped = best.plex + stash_path[len(_nfc(best.stash)):]
    if is_windows_path(best.plex):
        mapped = mapped.replace("/", "\\")
    return mapped


def _has_prefix(path: str, prefix: str) -> bool:
    """Prefix match on a path boundary, so `/data` maps `/data/x` but not `/database/x`."""
    if not path.startswith(prefix):
        return False
    return prefix.endswith(("/", "\\")) or len(path) == len(prefix) or path[len(prefix)] in "/\\"


def normalise(path: str) -> str:
    """A comparison key: NFC, forward slashes, no `\\\\?\\` prefix, case-folded for Windows paths."""
    path = _nfc(path)
    if path.startswith(_LONG_PATH_PREFIX):
        path = path[len(_LONG_PATH_PREFIX):]
    windows = is_windows_path(path)
    path = path.replace("\\", "/")
    return path.casefold() if windows else path


def basename(path: str) -> str:
    return posixpath.basename(path.replace("\\", "/"))


def same_file(a: str, b: str) -> bool:
    return normalise(a) == normalise(b)


def unicode_forms(text: str) -> list[str]:
    """`text` as given, in NFC and in NFD, without repeats: what a lookup must try when Plex's stored form is
    unknown (a plain ASCII path is one form)."""
    return list(dict.fromkeys([text, _nfc(text), unicodedata.normalize("NFD", text)]))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
