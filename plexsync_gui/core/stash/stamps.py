"""Arithmetic on Stash `updated_at` strings without ever consulting the local clock.

Stash filters `updated_at` as text, in the server's own UTC offset (docs/stash-protocol.md §4). So a cursor is
always derived from a string the server returned: shifted in time, but written with that string's offset text.
"""

from __future__ import annotations

from datetime import datetime, timedelta


def parse_stamp(stamp: str) -> datetime:
    """Parse `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`; raises ValueError on anything else."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00") if stamp.endswith("Z") else stamp)


def offset_text(stamp: str) -> str:
    """The offset exactly as the server wrote it: `Z` or `±HH:MM` (empty for a naive stamp)."""
    if stamp.endswith("Z"):
        return "Z"
    tail = stamp[-6:]
    return tail if len(tail) == 6 and tail[0] in "+-" and tail[3] == ":" else ""


def shift_stamp(stamp: str, seconds: float) -> str:
    """`stamp` moved by `seconds`, formatted like Stash stores it: second precision plus the same offset text."""
    moved = parse_stamp(stamp) + timedelta(seconds=seconds)
    return moved.strftime("%Y-%m-%dT%H:%M:%S") + offset_text(stamp)
