"""What the app says about failures and Plex's state, in words a user reads, never class names or config keys.

This is the one mapping from the core's recorded error types and breaker states to sentences; the tables, the details
pane, the status bar and the tray all go through it. The core's own message (with the details a bug report needs)
stays available in the details pane and the tooltips.
"""

from __future__ import annotations

import time
from typing import Any

from plexsync_gui.ui.times import relative_time

AMBIGUOUS = "Several Plex items have this file"

# Recorded error type (the class name the core stores) -> what happened, as a short sentence.
_PROBLEMS = {
    "PermanentError": "Retrying cannot help",
    "PlexNotFound": "Plex has no item with this file yet",
    "PlexTemporaryError": "Plex did not answer in time",
    "PlexEditRefused": "Plex refused to save the change",
    "PlexPermanentError": "Plex refused the change",
    "PlexAuthError": "Plex rejected the token",
    "TransientError": "A temporary problem",
    "StashDownError": "Stash could not be reached",
    "InternalError": "A bug in PlexSync (details in the log)",
    "Cancelled": "Stopped while syncing",
    "DiskFullError": "The disk is full",
}
UNKNOWN_PROBLEM = "Could not sync"

# Phrases of the core's messages that name a setting: said in words instead.
_SETTING_WORDS = {
    "strict_matching is on": "“Ask which Plex item when several match” is on",
    "turn strict_matching off": "turn off “Ask which Plex item when several match”",
    "a path_map is missing": "a path mapping is missing in Settings",
}


def problem(error_type: str | None, message: str = "") -> str:
    """The short sentence for a failure: a column, the details pane's heading, a notification."""
    if error_type == "PermanentError" and "Plex items match" in message:
        return AMBIGUOUS
    if error_type == "PermanentError" and "no file in Stash" in message:
        return "The scene has no file in Stash"
    if error_type is None:
        return ""
    return _PROBLEMS.get(error_type, UNKNOWN_PROBLEM)


def message(text: str | None) -> str:
    """The core's message with setting keys replaced by the words the Settings dialog shows."""
    text = text or ""
    for key, words in _SETTING_WORDS.items():
        text = text.replace(key, words)
    return text


# Failures with a limit of their own, apart from Settings' "Give up on a failing scene after": why, in a few words.
_OWN_LIMITS = {
    "PlexNotFound": ("waiting for Plex to scan",
                     "Plex has not scanned the file yet, and scans take minutes: this gets {limit} slower tries of "
                     "its own, apart from the limit in Settings"),
    "InternalError": ("PlexSync's own error",
                      "A bug in PlexSync gets {limit} tries of its own, apart from the limit in Settings"),
}
SETTINGS_LIMIT = "Tries so far, of the {limit} set in Settings (“Give up on a failing scene after”)"
NOT_RETRIED = "Retrying cannot help this failure, so it was not tried again"


def attempts(count: int, limit: int | None, error_type: str | None) -> str:
    """The Attempts column: "1 of 5", "1 of 12 (waiting for Plex to scan)", "1 (not retried)"; the count alone
    when the limit is unknown (a failure recorded before the limit was kept)."""
    if limit is None:
        return str(count)
    if error_type in _OWN_LIMITS:
        return f"{count} of {limit} ({_OWN_LIMITS[error_type][0]})"
    if limit == 1:
        return f"{count} (not retried)"
    return f"{count} of {limit}"


def attempts_hint(limit: int | None, error_type: str | None) -> str:
    """The Attempts column's tooltip: which limit the count is measured against, and why."""
    if limit is None:
        return ""
    if error_type in _OWN_LIMITS:
        return _OWN_LIMITS[error_type][1].format(limit=limit)
    if limit == 1:
        return NOT_RETRIED
    return SETTINGS_LIMIT.format(limit=limit)


def plex_state(status: dict[str, Any], now: float | None = None) -> str | None:
    """Why Plex gets no jobs right now, or None when it does: the rejected token, or the breaker in words."""
    if status.get("plex_paused"):
        return "Plex rejected the token: syncing is paused until it is fixed in Settings"
    breaker = status.get("breaker", "closed")
    if breaker == "half_open":
        return "Plex answered again; trying one scene"
    if breaker != "open":
        return None
    next_try = status.get("next_plex_try_at")
    if next_try is None:
        return "Plex is unreachable"
    now = time.time() if now is None else now
    when = relative_time(next_try, now) if next_try > now + 1 else "now"
    return f"Plex is unreachable; next try {when}"


def config_problem(message: str) -> str:
    """A config error's reason for the status bar: its first clause ("rules.genre_parent_tag: Stash has no tag
    named 'Genres'"), which names the key; what follows from it is in the tooltip."""
    return "Config problem: " + message.split(";", 1)[0].strip()


def events_state(events: dict[str, str] | None) -> tuple[str, str]:
    """The status bar's word on push events, and its tooltip: live, or polling as the fallback (and why)."""
    if not events:
        return ("Polling", "Changes are noticed at each poll; turn on “Listen for changes” in Settings to hear "
                           "Stash and Plex at once")
    down = {name.capitalize(): state.removeprefix("polling only: ") for name, state in events.items()
            if state != "live"}
    if not down:
        return "Live updates", "Stash and Plex tell PlexSync about changes as they happen; polling stays the fallback"
    why = "; ".join(f"{name}: {reason}" for name, reason in down.items())
    return "Polling (live updates unavailable)", f"Waiting for {' and '.join(down)} to accept live updates ({why})"


def activity(outcome: str, detail: str) -> str:
    """An activity row's detail; a failure is stored as "<error type>: <message>" and shown as the sentence."""
    error_type, separator, rest = detail.partition(": ")
    if outcome != "failed" or not separator or error_type not in _PROBLEMS:
        return message(detail)
    return f"{problem(error_type, rest)}: {message(rest)}"


# Activity outcomes shown with their direction: everything else went from Stash to Plex.
_OUTCOMES = {"from_plex": "← From Plex"}
FROM_PLEX_HINT = "Came from Plex into Stash (Settings › Plex → Stash)"
TO_PLEX_HINT = "Went from Stash to Plex"


def outcome(value: str) -> str:
    """The Activity's Outcome column: "synced", "failed"…, and "← From Plex" for what Plex sent to Stash."""
    return _OUTCOMES.get(value, value)


def outcome_hint(value: str) -> str:
    return FROM_PLEX_HINT if value in _OUTCOMES else TO_PLEX_HINT
