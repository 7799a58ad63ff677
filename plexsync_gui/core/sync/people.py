"""Groups and performer photos: what a Stash scene says about them, and how a Plex collection's order is reached.

Pure logic, so every rule is unit-testable. A Stash group becomes a Plex collection of the same name, its scenes in
the group's `scene_index` order (docs/stash-protocol.md §3: `groups { scene_index group { id name } }`, or `movies`
before v0.27). A performer's `image_path` becomes the Plex actor's photo; Plex stores that address and fetches the
image itself, so an address that needs Stash's API key, or that is Stash's placeholder, is never used.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from plexsync_gui.core.setup.config import Config

log = logging.getLogger(__name__)

# Why the photo option is off when Stash has an API key: the one sentence the settings and the log show.
PHOTOS_NEED_KEY = "Stash needs an API key, which Plex would have to store in the photo's address"

GroupEntry = tuple[str, int | None]  # (group name, the scene's index in it)


def photos_blocked(stash_api_key: str | None) -> str | None:
    """Why performer photos cannot be on, or None when they can: Plex fetches each photo itself, from an address it
    stores and shows to its clients, so a Stash that needs an API key would need the key in that address."""
    return PHOTOS_NEED_KEY if stash_api_key else None


def photo_warnings(config: Config, stash_api_key: str | None) -> list[str]:
    """What `plexsync check` says about performer photos: nothing, unless they are on and cannot be."""
    reason = photos_blocked(stash_api_key)
    if reason is None or not config.fields.performer_photos:
        return []
    return [f"fields.performer_photos is on, but performer photos stay off: {reason}"]


def effective_config(config: Config, stash_api_key: str | None) -> Config:
    """The config a session syncs with: `fields.performer_photos` turned off (and said once) when Stash needs a key.
    The file keeps the user's choice, so the photos come back on their own once the key is gone."""
    reason = photos_blocked(stash_api_key)
    if reason is None or not config.fields.performer_photos:
        return config
    log.warning("performer photos are off: %s", reason)
    return dataclasses.replace(config, fields=dataclasses.replace(config.fields, performer_photos=False))


def scene_groups(raw: dict[str, Any], clean: Callable[[Any], str | None], limit: int) -> tuple[GroupEntry, ...]:
    """The scene's groups (`groups`, else the legacy `movies`) as (name, scene_index), names cleaned by `clean`,
    each once (case-insensitively), at most `limit`."""
    entries = raw.get("groups") if isinstance(raw.get("groups"), list) else raw.get("movies")
    found: list[GroupEntry] = []
    seen: set[str] = set()
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        group = entry.get("group") if isinstance(entry.get("group"), dict) else entry.get("movie")
        name = clean(group.get("name")) if isinstance(group, dict) else None
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            found.append((name, _index(entry.get("scene_index"))))
    return tuple(found[:limit])


def _index(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def photo_url(value: Any) -> str | None:
    """An `image_path` Plex may store and fetch: http(s), not Stash's placeholder (`default=true`), and never one
    that carries a key (`apikey=`) or credentials, which Plex would keep in its database and show to its clients."""
    return _photo_url(value) if isinstance(value, str) else None


@lru_cache(maxsize=8192)
def _photo_url(value: str) -> str | None:
    """Checked with plain string operations and once per address (performers recur across scenes): this runs for
    every performer of every scene queued, and urllib's parsing doubled the cost of mapping a scene."""
    lowered = value.lower()
    if not value.isascii() or not lowered.startswith(("http://", "https://")):
        return None
    authority = lowered.split("/", 3)[2]
    if not authority or "@" in authority or any(c.isspace() for c in value):
        return None
    params = lowered.partition("?")[2].partition("#")[0].split("&")
    if "default=true" in params or any(param.partition("=")[0] == "apikey" for param in params):
        return None
    return value


def collection_order(members: Sequence[tuple[str, int | None, str]]) -> list[str]:
    """The ratingKeys of a group's scenes in the group's order: by scene_index, scenes without one after the rest,
    ties by scene id (numerically where it is a number), each item once."""
    def key(member: tuple[str, int | None, str]) -> tuple[bool, int, bool, int, str]:
        _, index, scene_id = member
        return (index is None, index or 0, not scene_id.isdigit(), int(scene_id) if scene_id.isdigit() else 0,
                scene_id)

    return list(dict.fromkeys(rating_key for rating_key, _, _ in sorted(members, key=key)))


def order_moves(current: Sequence[str], wanted: Sequence[str]) -> list[tuple[str, str | None]]:
    """The fewest moves (item, after-item or None for first) that turn the collection's `current` order into
    `wanted` followed by the items PlexSync does not know (added in Plex by hand), in their current order. The
    items of a longest run already in order stay; each other one goes right after its predecessor, in order."""
    present = set(current)
    target = [key for key in wanted if key in present]
    known = set(target)
    target += [key for key in current if key not in known]
    rank = {key: position for position, key in enumerate(target)}
    keep = _longest_increasing([rank[key] for key in current])
    return [(key, target[position - 1] if position else None)
            for position, key in enumerate(target) if position not in keep]


def _longest_increasing(values: Sequence[int]) -> set[int]:
    """The values of one longest strictly increasing subsequence (patience sorting, O(n log n))."""
    tails: list[int] = []  # index into values of the smallest tail of an increasing run of each length
    previous: list[int] = [-1] * len(values)
    for index, value in enumerate(values):
        low, high = 0, len(tails)
        while low < high:
            middle = (low + high) // 2
            if values[tails[middle]] < value:
                low = middle + 1
            else:
                high = middle
        previous[index] = tails[low - 1] if low else -1
        if low == len(tails):
            tails.append(index)
        else:
            tails[low] = index
    kept: set[int] = set()
    index = tails[-1] if tails else -1
    while index != -1:
        kept.add(values[index])
        index = previous[index]
    return kept
