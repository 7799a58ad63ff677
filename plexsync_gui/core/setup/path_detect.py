"""Guided path mapping: compare where Stash and Plex see the same files and propose the prefix rule between them.

Users rarely know that their Stash container sees `/data/movies/x.mp4` where Plex sees `/media/movies/x.mp4`; they
find out when nothing matches. Both servers can tell: a sample of Stash scene files and a sample of each Plex
library's files, paired by file name. For each pair the longest run of trailing path components they share is the
same file seen from two places, and what comes before it on each side is the prefix pair. The pair that explains
the most files is proposed; the user accepts it or not. Nothing here writes anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

from plexsync_gui.core.errors import StashError, SyncError
from plexsync_gui.core.plex.client import SEARCH_TYPES, PlexClient
from plexsync_gui.core.setup.connection_check import CheckResult
from plexsync_gui.core.stash.client import StashClient
from plexsync_gui.core.sync.paths import PathRule, is_windows_path

SAMPLE_SIZE = 50  # files per server (per Plex library): enough to outvote a few stray duplicates, one request each
_SEPARATORS = re.compile(r"[\\/]")


@dataclass(frozen=True)
class PathProposal:
    rule: PathRule  # Stash prefix -> Plex prefix; both the same when no mapping is needed
    matched: int  # sampled Stash files this rule maps onto a sampled Plex file
    paired: int  # sampled Stash files whose name Plex also has

    @property
    def needed(self) -> bool:
        return self.rule.stash != self.rule.plex


def propose_path_rule(stash_paths: list[str], plex_paths: list[str]) -> PathProposal | None:
    """The prefix pair that maps the most Stash files onto Plex files of the same name; None when no Stash file's
    name is among Plex's (nothing to compare, so nothing to propose)."""
    by_name: dict[str, list[tuple[str, list[str]]]] = {}
    for path in plex_paths:
        parts = _components(path)
        by_name.setdefault(_key(parts[-1], path), []).append((path, parts))
    votes: Counter[PathRule] = Counter()
    paired = 0
    for path in stash_paths:
        stash_parts = _components(path)
        candidates = by_name.get(_key(stash_parts[-1], path), [])
        if not candidates:
            continue
        paired += 1
        plex_path, plex_parts = max(candidates, key=lambda candidate: _shared_tail(stash_parts, candidate[1]))
        shared = _shared_tail(stash_parts, plex_parts)
        votes[PathRule(_prefix(stash_parts[:-shared], path), _prefix(plex_parts[:-shared], plex_path))] += 1
    if not votes:
        return None
    rule, matched = votes.most_common(1)[0]
    return PathProposal(rule, matched, paired)


def _components(path: str) -> list[str]:
    return _SEPARATORS.split(unicodedata.normalize("NFC", path.strip()).rstrip("/\\")) or [""]


def _key(component: str, path: str) -> str:
    """Windows (and a Plex on it) ignores case in file names; POSIX does not."""
    return component.casefold() if is_windows_path(path) else component


def _shared_tail(a: list[str], b: list[str]) -> int:
    """How many trailing components two paths share (compared ignoring case, since a Windows side may differ)."""
    count = 0
    while count < min(len(a), len(b)) - 1 and a[-1 - count].casefold() == b[-1 - count].casefold():
        count += 1
    return max(count, 1)  # the file name matched already (paired by it)


def _prefix(parts: list[str], path: str) -> str:
    """The leading components of `path` as a prefix ending in its own separator ("/data/", "D:\\Media\\", "/")."""
    separator = "\\" if is_windows_path(path) else "/"
    return separator.join(parts) + separator


# ---- asking the servers (run off the GUI thread: each request may take its whole timeout) -----------------------


@dataclass(frozen=True)
class PathDetection(CheckResult):
    """A connection-check-like result (ok, one-line message) with the proposal when there is one."""

    proposal: PathProposal | None = None


@dataclass(frozen=True)
class Server:
    url: str
    secret: str | None
    timeout: float
    verify: bool | str


def detect_path_rule(stash: Server, plex: Server, libraries: list[str]) -> PathDetection:
    """Sample both servers and propose a rule; every failure is one line, never an exception."""
    try:
        stash_paths = _stash_sample(stash)
        plex_paths = _plex_sample(plex, libraries)
    except StashError as exc:
        return PathDetection(False, f"Stash: {exc}")
    except SyncError as exc:
        return PathDetection(False, f"Plex: {exc}")
    return _explained(propose_path_rule(stash_paths, plex_paths), len(stash_paths), len(plex_paths))


def _stash_sample(server: Server) -> list[str]:
    client = StashClient(server.url, server.secret, server.timeout, server.verify)
    try:
        return client.sample_file_paths(SAMPLE_SIZE)
    finally:
        client.close()


def _plex_sample(server: Server, libraries: list[str]) -> list[str]:
    client = PlexClient(server.url, server.secret, server.timeout, server.verify)
    try:
        sections = client.target_sections(libraries)
        return [path for section in sections if section.type in SEARCH_TYPES
                for path in client.sample_file_paths(section, SAMPLE_SIZE)]
    finally:
        client.close()


def _explained(proposal: PathProposal | None, stash_files: int, plex_files: int) -> PathDetection:
    if not stash_files or not plex_files:
        side = "Stash has no scene files" if not stash_files else "the Plex libraries have no files"
        return PathDetection(False, f"Nothing to compare: {side} yet")
    if proposal is None:
        return PathDetection(False, f"None of {stash_files} Stash files has a name found among {plex_files} Plex "
                                    "files: check the libraries, or add a mapping by hand")
    evidence = f"{proposal.matched} of {proposal.paired} files with the same name"
    if not proposal.needed:
        return PathDetection(True, f"Stash and Plex see the same paths ({evidence}): no mapping needed",
                             proposal=proposal)
    return PathDetection(True, f"Proposed: Stash {proposal.rule.stash} → Plex {proposal.rule.plex} ({evidence})",
                         proposal=proposal)
