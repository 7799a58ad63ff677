"""The emulated Plex's collections: made by the first item tagged with a collection name, as PMS makes them, and
ordered by release date (PMS's default), title, or a custom order that `move` changes.

What is modelled comes from plexapi's `Collection` (its `collectionSort` values, `items()`, `moveItem`,
`sortUpdate`); that PMS lists only collections that still have items is assumed (no recorded answer shows it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plexsync_gui.emulators.plex import Item

SORTS = (0, 1, 2)  # collectionSort: release date, alphabetical, custom


@dataclass
class Collection:
    rating_key: str
    section_key: int
    title: str
    added_at: int
    sort: int = 0
    order: list[str] = field(default_factory=list)  # the custom order: members as first seen, then as moved


class Collections:
    """Every section's collections; the caller holds the emulator's lock."""

    def __init__(self, new_rating_key: Callable[[], str]) -> None:
        self._new_rating_key = new_rating_key
        self._by_title: dict[tuple[int, str], Collection] = {}
        self._by_key: dict[str, Collection] = {}

    def listed(self, section_key: int, items: Iterable[Item], now: int) -> list[tuple[Collection, list[Item]]]:
        """The section's collections that have items, each with its items in its order (made when first seen)."""
        members: dict[str, list[Item]] = {}
        for item in items:
            if item.section_key == section_key:
                for title in item.tags["collection"]:
                    members.setdefault(title, []).append(item)
        listed = []
        for title, found in sorted(members.items()):
            collection = self._collection(section_key, title, now)
            listed.append((collection, self._ordered(collection, found)))
        return listed

    def get(self, rating_key: str) -> Collection | None:
        return self._by_key.get(rating_key)

    def items(self, collection: Collection, items: Iterable[Item]) -> list[Item]:
        """The collection's items in its order."""
        found = [item for item in items if item.section_key == collection.section_key
                 and collection.title in item.tags["collection"]]
        return self._ordered(collection, found)

    def move(self, collection: Collection, members: list[Item], rating_key: str, after: str | None) -> bool:
        """Move a member right after another (first when `after` is None); False when either is not a member."""
        keys = [item.rating_key for item in self._ordered(collection, members)]
        if rating_key not in keys or (after is not None and (after not in keys or after == rating_key)):
            return False
        keys.remove(rating_key)
        keys.insert(0 if after is None else keys.index(after) + 1, rating_key)
        collection.order = keys
        return True

    def _collection(self, section_key: int, title: str, now: int) -> Collection:
        collection = self._by_title.get((section_key, title))
        if collection is None:
            collection = Collection(self._new_rating_key(), section_key, title, now)
            self._by_title[(section_key, title)] = collection
            self._by_key[collection.rating_key] = collection
        return collection

    @staticmethod
    def _ordered(collection: Collection, members: list[Item]) -> list[Item]:
        """Members in the collection's sort; the custom order keeps new members at the end, as first seen."""
        keys = {item.rating_key for item in members}
        collection.order = [key for key in collection.order if key in keys]
        known = set(collection.order)
        collection.order += [item.rating_key for item in members if item.rating_key not in known]
        if collection.sort == 1:
            return sorted(members, key=lambda item: str(item.fields.get("title") or "").casefold())
        if collection.sort == 0:
            return sorted(members, key=lambda item: (str(item.fields.get("originallyAvailableAt") or ""),
                                                     str(item.fields.get("title") or "").casefold()))
        position = {key: index for index, key in enumerate(collection.order)}
        return sorted(members, key=lambda item: position[item.rating_key])
