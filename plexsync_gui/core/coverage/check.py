"""The coverage check: one pass over the chosen Plex libraries and every Stash scene, both listed in pages.

Memory stays bounded for 100,000 scenes and items: the Plex listing keeps per item only its ratingKey (in an
`array`), and per file and file name a 64-bit hash pointing at it, like `SectionIndex`; a bitmap marks the items a
scene claimed. Stash scenes are streamed (id, title, first file) and only the problem rows are kept. The items no
scene claimed are then listed once more, to give their rows a title and a file without having held 100,000 of
them. Matching follows the sync's own rules (`find_candidates`): the mapped path in the sections whose folder holds
it, then its file name; so "matched" here means a sync would find one item. Scenes the sync rules leave out
(`rules.only_organized`, `rules.require_tag`) are reported as excluded, naming the rule: the listing asks Stash for
their organized flag and tags only while such a rule is on.
"""

from __future__ import annotations

import posixpath
from array import array
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field

from plexsync_gui.core.coverage.report import CoverageReport, CoverageRow, Reason
from plexsync_gui.core.plex.client import SEARCH_TYPES, PlexClient, SectionInfo, sections_for_path
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.stash.client import StashClient
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.paths import basename, map_path, normalise
from plexsync_gui.core.sync.rules import leaves_scenes_out, skip_reason

PAGE_SIZE = 1000  # items (and scenes) per listing request
Progress = Callable[[str, int], None]  # (what is being listed, how many so far)


@dataclass
class PlexFiles:
    """The chosen libraries' items, as compact as the check needs them."""

    sections: list[SectionInfo]
    keys: array[int] = field(default_factory=lambda: array("q"))  # ratingKey per item number
    section_of: array[int] = field(default_factory=lambda: array("H"))  # the item's position in `sections`
    by_path: dict[int, int | tuple[int, ...]] = field(default_factory=dict)  # hash of the normalised file
    by_name: dict[int, int | tuple[int, ...]] = field(default_factory=dict)  # hash of its file name
    claimed: bytearray = field(default_factory=bytearray)  # 1 where a scene has the item's file
    folders: list[tuple[int, str]] = field(default_factory=list)  # (section position, normalised folder + "/")
    _number_of: dict[int, int] = field(default_factory=dict)  # ratingKey -> item number, while listing

    def __post_init__(self) -> None:
        self.folders = [(position, normalise(location).rstrip("/") + "/")
                        for position, section in enumerate(self.sections) for location in section.locations]

    @classmethod
    def build(cls, plex: PlexClient, sections: list[SectionInfo], page_size: int = PAGE_SIZE,
              progress: Progress | None = None) -> PlexFiles:
        files = cls(sections)
        for position, section in enumerate(sections):
            for rating_key, _title, file in plex.section_files(section, page_size):
                files.add(rating_key, position, file)
                if progress is not None and len(files.keys) % page_size == 0:
                    progress("plex", len(files.keys))
        files.finish()
        return files

    def add(self, rating_key: str, position: int, file: str) -> None:
        """One file of an item of `sections[position]` (an item with several parts comes once per part)."""
        if not rating_key.isdigit():
            return  # never editable, never a sync's match
        number = self._number_of.setdefault(int(rating_key), len(self.keys))
        if number == len(self.keys):
            self.keys.append(int(rating_key))
            self.section_of.append(position)
        path = normalise(file)
        _put(self.by_path, hash(path), number)
        _put(self.by_name, hash(basename(path)), number)

    def finish(self) -> None:
        """Listing done: no scene has claimed an item yet; the ratingKey lookup of `add` is no longer needed."""
        self.claimed = bytearray(len(self.keys))
        self._number_of = {}

    def candidates(self, plex_path: str) -> list[int]:
        """Item numbers a sync would find for the path: exact file first, else the same file name, within the
        sections whose folder holds the path (all sections when none does), as `sections_for_path` chooses them
        (its folders normalised once here: per scene it cost a third of the check's own CPU)."""
        path = normalise(plex_path)
        allowed = {position for position, folder in self.folders if path.startswith(folder)} or None
        for table, key in ((self.by_path, hash(path)), (self.by_name, hash(basename(path)))):
            found = [n for n in _numbers(table.get(key)) if allowed is None or self.section_of[n] in allowed]
            if found:
                return found
        return []

    def rating_key(self, number: int) -> str:
        return str(self.keys[number])


def _put(table: dict[int, int | tuple[int, ...]], key: int, number: int) -> None:
    """One item number under a key, or a tuple of them when several items share it (one item's parts count once)."""
    present = table.setdefault(key, number)
    if present == number:
        return
    numbers = _numbers(present)
    if number not in numbers:
        table[key] = (*numbers, number)


def _numbers(value: int | tuple[int, ...] | None) -> tuple[int, ...]:
    return () if value is None else value if isinstance(value, tuple) else (value,)


class _Rows:
    """The report's rows as they are found, numbered in order."""

    def __init__(self, ignored: Collection[str]) -> None:
        self.rows: list[CoverageRow] = []
        self._ignored = ignored

    def add(self, reason: Reason, scene_id: str | None, rating_keys: tuple[str, ...], title: str, path: str | None,
            plex_path: str | None, section: str | None, detail: str | None = None, rule: bool = False) -> None:
        ref = f"scene:{scene_id}" if scene_id is not None else f"item:{rating_keys[0]}"
        self.rows.append(CoverageRow(len(self.rows) + 1, reason, scene_id, rating_keys, title, path, plex_path,
                                     section, ref in self._ignored, detail, rule))


def check_coverage(stash: StashClient, plex: PlexClient, config: Config, store: Store,
                   progress: Progress | None = None, page_size: int = PAGE_SIZE) -> CoverageReport:
    """List the chosen libraries and every Stash scene once and classify them (see the module docstring). An
    ambiguous scene whose pick is remembered (the duplicate picker's, or `coverage pick`) counts as matched, since
    its sync uses that item. A scene the sync rules leave out (`skip_reason`) is `excluded` with the rule in its
    detail, whatever Plex has; its items still count as having a scene. Raises the clients' errors (Plex or Stash
    unreachable, a library missing) for the front end to show in one line."""
    sections = plex.target_sections(config.plex.libraries)
    chosen = {s.key for s in sections}
    others = [s for s in plex.sections() if s.type in SEARCH_TYPES and s.key not in chosen]
    files = PlexFiles.build(plex, sections, page_size, progress)
    rows = _Rows(store.coverage_ignored())
    scenes = matched = 0
    rules = config.rules
    rule_fields = leaves_scenes_out(rules)
    for listed in stash.scene_paths(page_size, rule_fields):
        scene_id, path = listed.id, listed.path
        scenes += 1
        if progress is not None and scenes % page_size == 0:
            progress("stash", scenes)
        shown = listed.title or (basename(path) if path else f"scene {scene_id}")
        skipped = skip_reason(listed.raw, rules) if rule_fields else None
        if path is None:
            rows.add(Reason.EXCLUDED if skipped else Reason.NO_FILE, scene_id, (), shown, None, None, None, skipped,
                     rule=skipped is not None)
            continue
        plex_path = map_path(path, config.path_map)
        found = files.candidates(plex_path)
        for number in found:
            files.claimed[number] = 1
        keys = tuple(files.rating_key(n) for n in found)
        if skipped:
            rows.add(Reason.EXCLUDED, scene_id, keys, shown, path, plex_path, _holding(plex_path, [*sections, *others]),
                     skipped, rule=True)
        elif len(found) == 1 or (found and _picked(store, scene_id) in keys):
            matched += 1
        elif found:
            rows.add(Reason.AMBIGUOUS, scene_id, keys, shown, path, plex_path, _holding(plex_path, sections))
        else:
            reason, section = _missing_reason(plex_path, sections, others)
            detail = f"in the Plex library {section!r}, not in plex.libraries" if reason == Reason.EXCLUDED else None
            rows.add(reason, scene_id, (), shown, path, plex_path, section, detail)
    for rating_key, item_title, file, section_title in _unclaimed(plex, files, page_size):
        rows.add(Reason.NO_STASH_SCENE, None, (rating_key,), item_title or basename(file), file, None, section_title)
    return CoverageReport(scenes, len(files.keys), matched, tuple(s.title for s in sections), tuple(rows.rows))


def _picked(store: Store, scene_id: str) -> str | None:
    state = store.sync_state(scene_id)
    return state.rating_key if state is not None else None


def _missing_reason(plex_path: str, chosen: list[SectionInfo],
                    others: list[SectionInfo]) -> tuple[Reason, str | None]:
    """Why no item has the file: a chosen library's folder holds it (not scanned yet), another library's does
    (excluded), or none does (the path mapping does not lead into Plex)."""
    section = _holding(plex_path, chosen)
    if section is not None:
        return Reason.NOT_SCANNED, section
    section = _holding(plex_path, others)
    if section is not None:
        return Reason.EXCLUDED, section
    return Reason.NO_PATH_MAPPING, None


def _holding(plex_path: str, sections: list[SectionInfo]) -> str | None:
    """The title of the section whose folder holds the path (the longest folder wins), or None."""
    holding = holding_section(plex_path, sections)
    return holding.title if holding is not None else None


def holding_section(plex_path: str, sections: list[SectionInfo]) -> SectionInfo | None:
    """The section whose folder holds the path, the longest folder first; None when no folder holds it
    (`sections_for_path` then answers every section, which is right for a lookup but not here)."""
    ordered = sections_for_path(plex_path, sections)
    target = normalise(plex_path)
    for section in ordered:
        if any(target.startswith(normalise(loc).rstrip("/") + "/") for loc in section.locations):
            return section
    return None


def folder_of(plex_path: str) -> str:
    """The folder to ask Plex to scan for a file, in the path's own separators."""
    if "\\" in plex_path and "/" not in plex_path:
        return plex_path.rsplit("\\", 1)[0]
    return posixpath.dirname(plex_path)


def _unclaimed(plex: PlexClient, files: PlexFiles, page_size: int) -> Iterator[tuple[str, str, str, str]]:
    """(ratingKey, title, file, library) of the items no scene claimed, from a second listing. Items added since
    the first listing are not in the index and are skipped: they are new, not known to lack a scene."""
    wanted = {files.keys[n]: n for n in range(len(files.keys)) if not files.claimed[n]}
    if not wanted:
        return
    for section in files.sections:
        for rating_key, title, file in plex.section_files(section, page_size):
            if rating_key.isdigit() and wanted.pop(int(rating_key), None) is not None:
                yield rating_key, title, file, section.title
