"""The coverage report's pure parts: row references, counts and selections, scan planning, ignored rows stored."""

from __future__ import annotations

import pytest

from plexsync_gui.core.coverage.actions import scan_requests
from plexsync_gui.core.coverage.check import PlexFiles, folder_of
from plexsync_gui.core.coverage.report import IGNORED, CoverageReport, CoverageRow, Reason, parse_ref
from plexsync_gui.core.plex.client import SectionInfo
from plexsync_gui.core.storage.store import Store

MOVIES = SectionInfo(1, "Movies", "movie", ("/media/movies",))
SHOWS = SectionInfo(2, "Shows", "show", ("/media/movies/shows/",))
WINDOWS = SectionInfo(3, "Films", "movie", ("D:\\Films",))


def row(number: int, reason: Reason, ignored: bool = False, scene: str | None = "1") -> CoverageRow:
    keys = ("9",) if scene is None else ()
    return CoverageRow(number, reason, scene, keys, "t", "/p", None, None, ignored)


@pytest.mark.parametrize(("text", "ref"), [("12", "scene:12"), ("scene:012", "scene:12"), ("item:345", "item:345")])
def test_refs_are_read_in_every_spelling(text: str, ref: str) -> None:
    assert parse_ref(text) == ref


@pytest.mark.parametrize("text", ["", "abc", "scene:", "item:x", "movie:3", "-1"])
def test_bad_refs_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="expected a scene id, scene:ID or item:RATINGKEY"):
        parse_ref(text)


def test_counts_and_selections_keep_ignored_rows_apart() -> None:
    rows = (row(1, Reason.NOT_SCANNED), row(2, Reason.NOT_SCANNED, ignored=True), row(3, Reason.NO_STASH_SCENE,
                                                                                       scene=None))
    report = CoverageReport(2, 1, 0, ("Movies",), rows)
    assert report.counts() == {"no_path_mapping": 0, "not_scanned": 1, "ambiguous": 0, "excluded": 0, "no_file": 0,
                               "no_stash_scene": 1, "ignored": 1}
    assert [r.id for r in report.select()] == [1, 3]
    assert [r.id for r in report.select("not_scanned")] == [1]
    assert [r.id for r in report.select(IGNORED)] == [2]
    assert [r.ref for r in rows] == ["scene:1", "scene:1", "item:9"]
    assert rows[1].action_text.startswith("ignored")


def test_scans_go_to_the_library_holding_the_file_once_per_folder() -> None:
    requests, outside = scan_requests(
        ["/media/movies/a/x.mp4", "/media/movies/a/y.mp4", "/media/movies/shows/s1/e1.mkv", "/srv/z.mp4",
         "D:\\Films\\New\\f.mkv"], [MOVIES, SHOWS, WINDOWS])
    assert [(r.section.title, r.folder) for r in requests] == [
        ("Movies", "/media/movies/a"), ("Shows", "/media/movies/shows/s1"), ("Films", "D:\\Films\\New")]
    assert outside == ["/srv/z.mp4"]


def test_folders_keep_the_paths_own_separators() -> None:
    assert folder_of("/media/movies/a.mp4") == "/media/movies"
    assert folder_of("D:\\Films\\a.mkv") == "D:\\Films"


def test_the_file_index_finds_by_path_then_by_name_within_the_holding_sections() -> None:
    files = PlexFiles([MOVIES, SHOWS])
    for key, section, path in [("100", 0, "/media/movies/a.mp4"), ("101", 0, "/media/movies/dup.mp4"),
                               ("101", 0, "/media/movies/dup-part2.mp4"), ("102", 0, "/media/movies/old/dup.mp4"),
                               ("103", 1, "/media/movies/shows/a.mp4"), ("x", 0, "/media/movies/odd.mp4")]:
        files.add(key, section, path)
    files.finish()
    assert list(files.keys) == [100, 101, 102, 103] and len(files.claimed) == 4
    assert files.candidates("/media/movies/a.mp4") == [0]  # the exact path, not the show's same name
    assert files.candidates("/media/movies/shows/a.mp4") == [3]  # only the show section holds that folder
    assert files.candidates("/media/movies/new/dup.mp4") == [1, 2]  # by name: two items, ambiguous
    assert files.candidates("/media/movies/odd.mp4") == []  # an item without a numeric ratingKey is never a match
    assert files.candidates("/elsewhere/a.mp4") == [0, 3]  # no library holds it: every section, by name
    assert files.candidates("/media/movies/none.mp4") == []


def test_ignored_rows_are_stored_and_removed(tmp_path) -> None:
    store = Store(tmp_path / "db.sqlite")
    try:
        assert store.set_coverage_ignored(["scene:1", "item:2", "scene:1"], True) == 2
        assert store.coverage_ignored() == {"scene:1", "item:2"}
        assert store.set_coverage_ignored(["scene:1", "scene:9"], False) == 1
        assert store.coverage_ignored() == {"item:2"}
    finally:
        store.close()
