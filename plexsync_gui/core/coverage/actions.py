"""What a coverage row offers: scan its folder in Plex, pick its Plex item, ignore it (or show it again).

Both front ends call these, the CLI directly and the desktop app in its worker thread, so an action means the same
in each. A pick is remembered exactly as the duplicate picker remembers one (the scene's `rating_key` in its sync
state, which the sync uses while that item holds the file) and the scene is queued at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from plexsync_gui.core.coverage.check import folder_of, holding_section
from plexsync_gui.core.errors import PermanentError
from plexsync_gui.core.plex.client import PlexClient, SectionInfo
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.paths import map_path, same_file
from plexsync_gui.core.sync.queueing import Queuer


@dataclass(frozen=True)
class ScanRequest:
    section: SectionInfo
    folder: str


def scan_requests(plex_paths: Iterable[str], sections: list[SectionInfo]) -> tuple[list[ScanRequest], list[str]]:
    """One request per folder holding the files (in the library whose folder holds it), and the paths that lie in
    no chosen library's folder (a scan cannot find those: the path mapping or the libraries need changing)."""
    requests: dict[tuple[int, str], ScanRequest] = {}
    outside: list[str] = []
    for path in plex_paths:
        section = holding_section(path, sections)
        if section is None:
            outside.append(path)
            continue
        folder = folder_of(path)
        requests.setdefault((section.key, folder), ScanRequest(section, folder))
    return list(requests.values()), outside


def plan_scans(plex: PlexClient, config: Config, plex_paths: Iterable[str]) -> tuple[list[ScanRequest], list[str]]:
    """`scan_requests` in the chosen libraries, as Plex lists them now."""
    return scan_requests(plex_paths, plex.target_sections(config.plex.libraries))


def scan_folders(plex: PlexClient, requests: Iterable[ScanRequest]) -> int:
    """Ask Plex to scan each folder (`PlexClient.scan_folder`); how many were asked."""
    asked = 0
    for request in requests:
        plex.scan_folder(request.section, request.folder)
        asked += 1
    return asked


def scene_plex_paths(queuer: Queuer, config: Config, scene_ids: list[str]) -> dict[str, str]:
    """The Plex-side path of each scene's file, read from Stash; a scene Stash does not have, or without a file,
    is one PermanentError naming it."""
    paths: dict[str, str] = {}
    for batch in queuer.stash.scene_batches(scene_ids):
        for scene_id, raw in batch.items():
            files = (raw or {}).get("files") or []
            path = files[0].get("path") if files and isinstance(files[0], dict) else None
            if raw is None:
                raise PermanentError(f"Stash has no scene {scene_id}")
            if not isinstance(path, str) or not path:
                raise PermanentError(f"scene {scene_id} has no file in Stash, so there is nothing to scan or pick")
            paths[scene_id] = map_path(path, config.path_map)
    return paths


def pick_item(plex: PlexClient, queuer: Queuer, store: Store, config: Config, scene_id: str,
              rating_key: str) -> None:
    """Remember `rating_key` as the scene's Plex item and queue the scene (forced), as "Use this Plex item and
    retry" does. The item must hold the scene's file: the sync keeps a remembered item only while it does, so any
    other pick would be forgotten at once."""
    if not rating_key.isdigit():
        raise PermanentError(f"Plex item ids are numbers, got {rating_key!r}")
    plex_path = scene_plex_paths(queuer, config, [scene_id])[scene_id]
    item = plex.fetch_full(rating_key)
    if item is None:
        raise PermanentError(f"Plex has no item {rating_key}")
    if not any(same_file(file, plex_path) for file in item.files):
        raise PermanentError(f"Plex item {rating_key} does not have the scene's file {plex_path}; pick one that has it")
    store.update_state(scene_id, rating_key=rating_key)
    queuer.sync_scenes([scene_id], force=True)


def set_ignored(store: Store, refs: Iterable[str], ignored: bool) -> int:
    """Ignore coverage rows (they leave the report's default view), or show them again."""
    return store.set_coverage_ignored(list(dict.fromkeys(refs)), ignored)
