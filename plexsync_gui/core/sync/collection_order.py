"""Put group collections in their Stash order, once per collection per round, after the round's edits.

A scene's sync only tags its item with the group's name (Plex makes the collection on the first tag). The order is a
property of the whole collection, so it is done here, for every collection a round touched (the store's
`collection_order_due`): custom order on, then the fewest moves. A collection stays due until it is done, so an
outage or a stop only delays its order to a later round.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from plexsync_gui.core.errors import SyncError
from plexsync_gui.core.plex.client import PlexClient
from plexsync_gui.core.plex.collections import (
    CUSTOM_ORDER,
    PlexCollection,
    collection_items,
    move_item,
    section_collections,
    use_custom_order,
)
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.people import collection_order, order_moves

log = logging.getLogger(__name__)


@dataclass
class OrderSummary:
    ordered: int = 0  # collections checked and in order now
    moves: int = 0  # items moved
    error: str | None = None  # why the rest waits for the next round


def order_due_collections(plex: PlexClient, store: Store) -> OrderSummary:
    """Order every due collection; a Plex failure stops the pass and leaves the rest due."""
    summary = OrderSummary()
    due = store.collections_due()
    try:
        for section_key in dict.fromkeys(section for section, _ in due):
            listing = section_collections(plex, section_key)
            for name in (name for section, name in due if section == section_key):
                collection = listing.get(name)
                if collection is not None:  # None: no item carries the tag any more, nothing to order
                    summary.moves += _order(plex, store, section_key, collection)
                store.collection_ordered(section_key, name)
                summary.ordered += 1
    except SyncError as exc:
        summary.error = str(exc)
        log.warning("group collections not put in order yet (retried next round): %s", exc)
    return summary


def _order(plex: PlexClient, store: Store, section_key: str, collection: PlexCollection) -> int:
    if collection.sort != CUSTOM_ORDER:  # first: the items are read in the order the moves then change
        use_custom_order(plex, collection)
    wanted = collection_order(store.group_members(section_key, collection.title))
    moves = order_moves(collection_items(plex, collection), wanted)
    for rating_key, after in moves:
        move_item(plex, collection, rating_key, after)
    if moves:
        log.info("collection %r put in its group's order (%d moved)", collection.title, len(moves))
    return len(moves)
