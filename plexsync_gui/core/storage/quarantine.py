"""Moving an unusable file out of the way without ever deleting it.

A corrupt database or config may still hold something the user wants (or a clue for a bug report), so it is renamed
next to itself with a timestamp, and the app starts fresh beside it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

# SQLite keeps a database's uncommitted and shared state beside it; they belong to the file and move with it.
COMPANIONS = ("-wal", "-shm", "-journal")


def move_aside(path: Path, label: str = "unreadable", now: float | None = None) -> Path:
    """Rename `path` (and its SQLite companions) to `<name>.<label>-<YYYYmmdd-HHMMSS>[-n]`; returns the new path.

    Raises OSError when the file cannot be moved (a read-only folder, say); the caller reports it.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(time.time() if now is None else now))
    target = _free_name(path, f"{path.name}.{label}-{stamp}")
    os.replace(path, target)
    for suffix in COMPANIONS:
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            os.replace(companion, target.with_name(target.name + suffix))
    return target


def _free_name(path: Path, name: str) -> Path:
    """`name` in the same folder, with `-1`, `-2`… appended when an earlier move in the same second took it."""
    candidate = path.with_name(name)
    counter = 1
    while candidate.exists() or any(candidate.with_name(candidate.name + s).exists() for s in COMPANIONS):
        candidate = path.with_name(f"{name}-{counter}")
        counter += 1
    return candidate
