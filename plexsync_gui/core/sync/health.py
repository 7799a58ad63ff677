"""Problems worth showing in every status view, kept in the database so each front end and each process sees them.

The poll loop may run in `plexsync run` while `plexsync status` or the desktop app asks why nothing arrives: the
answer has to live in the shared store, not in one process's memory.
"""

from __future__ import annotations

import json
import time
from typing import Any

from plexsync_gui.core.storage.store import Store

STASH_ERROR_KEY = "stash_error"
DATABASE_NOTICE_KEY = "database_notice"


def record_stash_error(store: Store, message: str, now: float) -> dict[str, Any]:
    """Note a failed Stash poll: the latest message and time, when the failures began, how many in a row."""
    previous = stash_error(store) or {}
    record = {
        "message": message,
        "at": iso_utc(now),
        "since": previous.get("since") or iso_utc(now),
        "failures": int(previous.get("failures") or 0) + 1,
    }
    store.set(STASH_ERROR_KEY, json.dumps(record))
    return record


def clear_stash_error(store: Store) -> None:
    """After a successful poll; writes only when there was something to clear."""
    if store.get(STASH_ERROR_KEY) is not None:
        store.set(STASH_ERROR_KEY, None)


def stash_error(store: Store) -> dict[str, Any] | None:
    """{message, at, since, failures} while Stash polls fail, else None."""
    return _json(store.get(STASH_ERROR_KEY))


def record_database_notice(store: Store, message: str, moved_to: str, now: float) -> None:
    """Say, in the fresh database, that the previous one was unreadable and where it went."""
    store.set(DATABASE_NOTICE_KEY, json.dumps({"message": message, "moved_to": moved_to, "at": iso_utc(now)}))


def database_notice(store: Store) -> dict[str, Any] | None:
    """{message, moved_to, at} when this database replaced an unreadable one, else None."""
    return _json(store.get(DATABASE_NOTICE_KEY))


def _json(text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"message": text}
    return value if isinstance(value, dict) else {"message": str(value)}


def iso_utc(epoch: float) -> str:
    """The time in these records: ISO 8601 UTC text, the format they were first saved and shown in."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
