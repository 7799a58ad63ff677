"""A compact index of which Plex item holds which file, built by listing each target section once in pages.

A first sync of many scenes would otherwise cost one `file=` lookup per scene. The index keeps, per section, only a
64-bit hash of each normalised path and of its basename, mapped to the item's ratingKey: about 200 bytes per file
(20 MB for a 100,000-item section, measured), never its pages, items or paths. It lives while jobs keep coming
(see core/sync/resolve.py), not in the idle service.

It answers only what is certain. A hit is a ratingKey to read, and the caller re-checks the read item's files (a
hash collision then reads as a miss). A miss, or more than one item for a path or a basename, is no answer: the
scene then takes the `file=` lookup (`PlexClient.find_candidates`), so a scene Plex added after the listing is still
found, and ambiguous matches fail with the same candidates and errors as before.
"""

from __future__ import annotations

import time

from plexsync_gui.core.plex.client import PlexClient, SectionInfo, sections_for_path
from plexsync_gui.core.sync.paths import basename, normalise

PAGE_SIZE = 1000  # items per listing request (plexapi pages by 100; PMS serves 1,000 without trouble)
AMBIGUOUS = -1  # more than one item for a path (or a basename) in one section


class SectionIndex:
    """File -> ratingKey for the target sections, as listed at `built_at`."""

    def __init__(self, sections: list[SectionInfo], built_at: float) -> None:
        self.sections = sections
        self.built_at = built_at
        self._paths: dict[int, dict[int, int]] = {s.key: {} for s in sections}
        self._names: dict[int, dict[int, int]] = {s.key: {} for s in sections}

    @classmethod
    def build(cls, plex: PlexClient, sections: list[SectionInfo], page_size: int = PAGE_SIZE) -> SectionIndex:
        """List every section once, page by page; raises the client's SyncError when a page fails."""
        index = cls(sections, time.monotonic())
        for section in sections:
            for rating_key, _title, file in plex.section_files(section, page_size):
                index.add(section.key, rating_key, file)
        return index

    def add(self, section_key: int, rating_key: str, file: str) -> None:
        if not rating_key.isdigit():
            return  # never editable (see `edit_query`); its scene takes the lookup, which reports it
        key = int(rating_key)
        path = normalise(file)
        _put(self._paths[section_key], hash(path), key)
        _put(self._names[section_key], hash(basename(path)), key)

    def match(self, plex_path: str) -> tuple[str, bool] | None:
        """The one item holding `plex_path` (exact: True), else the one item with its basename (False), searched in
        the sections `find_candidates` would query; None when there is none or more than one."""
        ordered = sections_for_path(plex_path, self.sections)
        path = normalise(plex_path)
        for table, exact in ((self._paths, True), (self._names, False)):
            wanted = hash(path if exact else basename(path))
            found = [hit for s in ordered if (hit := table[s.key].get(wanted)) is not None]
            if found:
                return (str(found[0]), exact) if len(found) == 1 and found[0] != AMBIGUOUS else None
        return None

    def age(self) -> float:
        return time.monotonic() - self.built_at


def _put(table: dict[int, int], key: int, rating_key: int) -> None:
    """Record an item under `key`; a second item under the same key makes it ambiguous (one item's parts don't)."""
    present = table.setdefault(key, rating_key)
    if present != rating_key:
        table[key] = AMBIGUOUS
