"""Plex's play history and view state, read as plain data for the Plex -> Stash activity.

Shapes (no capture of these answers exists in shared/captures; the evidence is python-plexapi 4.18's
`PlexServer.history()` and `PlexHistory`, and the Plex OpenAPI description as published in LukeHagar/plexjs):
- `GET /status/sessions/history/all?sort=viewedAt:desc&viewedAt>=<unix>` pages with `X-Plex-Container-Start/-Size`;
  each `<Video>` (or `<Track>`…) carries `historyKey`, `ratingKey`, `viewedAt` (unix seconds) and `accountID`.
  plexapi sends the filter as the key `viewedAt>` with `=value`, which PMS reads as ">=": callers dedupe.
- an item's `<Video>` under `/library/metadata/{k}` carries `viewCount`, `lastViewedAt`, `viewOffset` (ms) and
  `userRating` (0-10) only when set.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

HISTORY_PATH = "/status/sessions/history/all"


@dataclass(frozen=True)
class PlexPlay:
    """One completed view in Plex's history."""

    history_key: str
    rating_key: str
    viewed_at: int  # unix seconds
    account_id: str | None


@dataclass(frozen=True)
class ViewState:
    """What Plex knows about the owner's viewing of one item."""

    rating_key: str
    view_offset_ms: int | None  # where playback stopped; absent once watched to the end
    user_rating: float | None  # 0-10
    last_viewed_at: int | None


def read_plays(container: Element | None) -> list[PlexPlay]:
    """The history rows of one page; rows without an item or a time (a deleted item's) are left out."""
    plays = []
    for element in container if container is not None else []:
        rating_key, viewed_at = element.get("ratingKey") or "", _int(element.get("viewedAt"))
        if rating_key.isdigit() and viewed_at is not None:
            history_key = element.get("historyKey") or f"{rating_key}@{viewed_at}"
            plays.append(PlexPlay(history_key, rating_key, viewed_at, element.get("accountID")))
    return plays


def read_view_states(container: Element | None) -> dict[str, ViewState]:
    states = {}
    for element in container if container is not None else []:
        rating_key = element.get("ratingKey") or ""
        if rating_key:
            states[rating_key] = ViewState(rating_key, _int(element.get("viewOffset")),
                                           _float(element.get("userRating")), _int(element.get("lastViewedAt")))
    return states


def _int(text: str | None) -> int | None:
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None
