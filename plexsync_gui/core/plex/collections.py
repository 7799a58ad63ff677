"""A library section's collections in Plex: list them, read one's items in order, give it a custom order.

The calls plexapi's `Collection` makes (`sortUpdate("custom")` → `PUT /library/collections/{id}/prefs?
collectionSort=2`, `moveItem(item, after)` → `PUT /library/collections/{id}/items/{item}/move?after={other}`,
`items()` → `GET /library/collections/{id}/children`), sent through PlexClient as plain XML requests: building
plexapi objects would cost a preferences read per collection for nothing. See docs/plex-protocol.md (collections).
"""

from __future__ import annotations

from dataclasses import dataclass

from plexapi.utils import joinArgs

from plexsync_gui.core.plex.client import PlexClient

CUSTOM_ORDER = 2  # collectionSort: 0 by release date (Plex's default), 1 alphabetical, 2 custom


@dataclass(frozen=True)
class PlexCollection:
    rating_key: str
    title: str
    sort: int  # collectionSort


def section_collections(plex: PlexClient, section_key: str) -> dict[str, PlexCollection]:
    """The section's collections by title (`GET /library/sections/{id}/collections`)."""
    root = plex.request(f"/library/sections/{int(section_key)}/collections", "listing the collections")
    found: dict[str, PlexCollection] = {}
    for element in root if root is not None else []:
        rating_key, title = element.get("ratingKey"), element.get("title")
        if rating_key and title and element.get("smart") not in ("1", "true"):  # smart ones cannot be ordered
            sort = element.get("collectionSort") or "0"
            found.setdefault(title, PlexCollection(rating_key, title, int(sort) if sort.isdigit() else 0))
    return found


def collection_items(plex: PlexClient, collection: PlexCollection) -> list[str]:
    """The ratingKeys of the collection's items, in the order Plex shows them."""
    root = plex.request(f"/library/collections/{int(collection.rating_key)}/children",
                        f"reading the collection {collection.title!r}")
    return [key for element in (root if root is not None else []) if (key := element.get("ratingKey"))]


def use_custom_order(plex: PlexClient, collection: PlexCollection) -> None:
    plex.request(f"/library/collections/{int(collection.rating_key)}/prefs{joinArgs({'collectionSort': CUSTOM_ORDER})}",
                 f"setting the order of the collection {collection.title!r}", "PUT")


def move_item(plex: PlexClient, collection: PlexCollection, rating_key: str, after: str | None) -> None:
    """Put an item right after `after`, or first when None."""
    query = joinArgs({"after": int(after)}) if after is not None else ""
    plex.request(f"/library/collections/{int(collection.rating_key)}/items/{int(rating_key)}/move{query}",
                 f"ordering the collection {collection.title!r}", "PUT")
