"""The pure decisions of the Plex -> Stash activity: which plays are new, and whether a rating or resume point moves.

Kept apart from the network code so every rule is testable on its own. Two rules keep the sides from fighting:
a play is the same play when it falls in the same second (Stash keeps its history to the second, in its own
zone), and a rating or resume point is only carried over when Plex's value changed since PlexSync last read it
(or was never read), so PlexSync's own Stash -> Plex rating sync can never bounce a value back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

RESUME_TOLERANCE = 1.0  # seconds: Plex stores milliseconds, Stash a float of seconds


def stash_time(unix: int) -> str:
    """A Plex `viewedAt` as the RFC 3339 `Timestamp` Stash takes (UTC; Stash stores it in its own zone)."""
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix_of(text: str) -> int | None:
    """A Stash `Time` (RFC 3339 with the server's offset, maybe with fractions) as unix seconds."""
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except (TypeError, ValueError):
        return None


def new_play_times(plex_times: Iterable[int], stash_history: Iterable[str]) -> list[int]:
    """Plex's play times that Stash's history does not hold yet (same second = same play), oldest first."""
    known = {unix for text in stash_history if (unix := unix_of(text)) is not None}
    return sorted(set(plex_times) - known)


def rating100_of(user_rating: float | None) -> int | None:
    """Plex's 0-10 user rating as Stash's rating100 (1-100); 0 or none is no rating."""
    if user_rating is None:
        return None
    value = round(user_rating * 10)
    return min(value, 100) if value >= 1 else None


def rating_to_write(plex_now: float | None, plex_before: float | None, seen_before: bool,
                    stash_now: int | None, wins: str) -> int | None:
    """The rating100 to write into Stash, or None to leave it.

    "plex": a rating set or changed in Plex since it was last read replaces Stash's. "stash": Plex's rating only
    fills in a scene Stash has not rated. A rating removed in Plex never clears Stash's."""
    wanted = rating100_of(plex_now)
    if wanted is None or wanted == stash_now:
        return None
    if wins == "stash":
        return wanted if stash_now is None else None
    changed = not seen_before or plex_now != plex_before
    return wanted if changed else None


def resume_to_write(offset_now_ms: int | None, offset_before_ms: int | None, seen_before: bool,
                    stash_resume: float | None) -> float | None:
    """The resume_time (seconds) to write into Stash when Plex's resume point moved, else None. Watched to the end
    in Plex (no offset any more after one) means "start from the beginning": 0."""
    if seen_before and offset_now_ms == offset_before_ms:
        return None
    if offset_now_ms is None and not offset_before_ms:
        return None
    wanted = (offset_now_ms or 0) / 1000
    if abs(wanted - (stash_resume or 0.0)) < RESUME_TOLERANCE:
        return None
    return wanted


def clock_text(seconds: float) -> str:
    """A resume point as the activity shows it: 1:02:03 or 12:34."""
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
