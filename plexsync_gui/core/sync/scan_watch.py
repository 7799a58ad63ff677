"""Scenes waiting for Plex to scan their file: ask Plex to scan it, and end the wait as soon as the item exists.

A scene whose file Plex has no item for waits with slow retries (errors.NOT_FOUND_BACKOFF, up to about 75 minutes)
and then sits in the dead letters. Three things shorten that, all run on the runner's thread between rounds:
- `request_scans`: the first time a scene finds no item, Plex is asked to scan just its folder
  (`scan_folder` on the section whose location holds the file); a folder is asked at most once per
  SCAN_COOLDOWN, so many scenes in one folder cost one scan and a retrying scene never storms Plex;
- `items_appeared`: Plex announced new items (plex_events): their files are read in one request, and the waiting
  jobs with one of those files become due now, the dead letters with one go back to the queue;
- `fallback_check`: without any event (websocket down or off), every FALLBACK_EVERY seconds the few newest such
  dead letters are looked up in Plex with the usual file look-up, and the ones found go back to the queue.
Each is best effort: a Plex failure here is logged and the scene keeps its ordinary retries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from plexsync_gui.core.errors import PlexNotFound, SyncError
from plexsync_gui.core.plex.client import PlexClient, SectionInfo, sections_for_path
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.storage.store import AwaitingScan, Store
from plexsync_gui.core.sync.paths import map_path, normalise

log = logging.getLogger(__name__)

NOT_FOUND = PlexNotFound.__name__  # the error type recorded for "no Plex item with this file yet"
SCAN_COOLDOWN = 600.0  # seconds before the same folder may be asked to be scanned again
FALLBACK_EVERY = 600.0  # seconds between look-ups of the no-item dead letters
FALLBACK_LIMIT = 20  # dead letters looked up per fallback check
ITEMS_PER_READ = 100  # announced items whose files are read in one request


class ScanWatch:
    def __init__(self, store: Store, plex: PlexClient, config: Config,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`plex` is used between rounds only (the engine's own client is idle then)."""
        self.store = store
        self.plex = plex
        self.config = config
        self.clock = clock
        self._asked: dict[str, float] = {}  # folder (normalised) -> when Plex was asked to scan it
        self._sections: list[SectionInfo] | None = None
        self._next_fallback = clock() + FALLBACK_EVERY
        self.scans_requested = 0  # for the log and tests
        self.revived = 0

    # ---- asking Plex to scan -----------------------------------------------------------------------------------

    def request_scans(self, job_ids: list[int]) -> None:
        """Jobs that just found no Plex item: ask Plex to scan each one's folder, once per folder per cooldown."""
        if not self.config.events.scan_missing or not job_ids:
            return
        now = self.clock()
        for row in self.store.list_jobs(job_ids):
            if row.last_error_type != NOT_FOUND or not row.path:
                continue
            plex_path = map_path(row.path, self.config.path_map)
            folder = _folder(plex_path)
            key = normalise(folder)
            if not folder or now - self._asked.get(key, float("-inf")) < SCAN_COOLDOWN:
                continue
            self._asked[key] = now
            self._scan(plex_path, folder)

    def _scan(self, plex_path: str, folder: str) -> None:
        try:
            section = self._holding_section(plex_path)
            if section is None:
                log.info("no Plex library holds %s; not asking for a scan", folder)
                return
            self.plex.scan_folder(section, folder)
        except SyncError as exc:
            log.info("could not ask Plex to scan %s: %s", folder, exc)
            self._sections = None
            return
        self.scans_requested += 1
        log.info("asked Plex to scan %s in %r", folder, section.title)

    def _holding_section(self, plex_path: str) -> SectionInfo | None:
        """The target section whose location holds the file (the longest location wins)."""
        if self._sections is None:
            self._sections = self.plex.target_sections(self.config.plex.libraries)
        target = normalise(plex_path)
        for section in sections_for_path(plex_path, self._sections):
            if any(target.startswith(normalise(location).rstrip("/") + "/") for location in section.locations):
                return section
        return None

    # ---- ending the wait ---------------------------------------------------------------------------------------

    def items_appeared(self, rating_keys: tuple[str, ...], many: bool = False) -> int:
        """Plex announced these items (or, `many`, more than can be read): end the wait of the scenes with their
        files; returns how many. Nothing is read from Plex when no scene waits."""
        waiting = self.store.awaiting_scan(NOT_FOUND)
        if not waiting or not (rating_keys or many):
            return 0
        if many:  # a big scan: every waiting job tries now, each with its own look-up
            return self._release([w for w in waiting if not w.dead_letter], "Plex scanned many items")
        known = self.store.known_items(list(rating_keys))
        rating_keys = tuple(key for key in rating_keys if key not in known)
        files: set[str] = set()
        if not rating_keys:
            return 0
        try:
            for start in range(0, len(rating_keys), ITEMS_PER_READ):
                found = self.plex.files_of(list(rating_keys[start:start + ITEMS_PER_READ]))
                files.update(normalise(file) for item_files in found.values() for file in item_files)
        except SyncError as exc:
            log.info("could not read the items Plex announced: %s", exc)
            return 0
        return self._release([w for w in waiting if self._plex_key(w.path) in files], "Plex has the file now")

    def fallback_check(self) -> int:
        """Every FALLBACK_EVERY seconds: look up the newest FALLBACK_LIMIT no-item dead letters in Plex; returns how
        many went back to the queue."""
        now = self.clock()
        if now < self._next_fallback:
            return 0
        self._next_fallback = now + FALLBACK_EVERY
        waiting = [w for w in self.store.awaiting_scan(NOT_FOUND, FALLBACK_LIMIT) if w.dead_letter]
        if not waiting:
            return 0
        found: list[AwaitingScan] = []
        try:
            sections = self.plex.target_sections(self.config.plex.libraries)
            for entry in waiting:
                if self.plex.find_candidates(map_path(entry.path, self.config.path_map), sections):
                    found.append(entry)
        except SyncError as exc:
            log.info("could not look up the scenes waiting for a Plex scan: %s", exc)
        return self._release(found, "Plex has the file now (periodic check)")

    def _release(self, entries: list[AwaitingScan], why: str) -> int:
        jobs = [e.id for e in entries if not e.dead_letter]
        dead_letters = [e.id for e in entries if e.dead_letter]
        released = (self.store.retry_now(jobs) if jobs else 0) + (
            self.store.retry_dead_letters(dead_letters) if dead_letters else 0)
        if released:
            self.revived += released
            log.info("%s: %d waiting scene(s) due now", why, released)
        return released

    def _plex_key(self, stash_path: str) -> str:
        return normalise(map_path(stash_path, self.config.path_map))


def _folder(path: str) -> str:
    """The folder holding a file, in the path's own separators ("" for a bare name)."""
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[:cut] if cut > 0 else ""
