"""The coverage check and its actions end to end: Stash and Plex emulators over HTTP, the real clients."""

from __future__ import annotations

import pytest

from plexsync_gui.core.coverage.actions import pick_item, plan_scans, scan_folders, scene_plex_paths, set_ignored
from plexsync_gui.core.coverage.check import check_coverage
from plexsync_gui.core.coverage.report import IGNORED, CoverageReport, Reason
from plexsync_gui.core.errors import PermanentError
from plexsync_gui.core.setup.session import Session
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator
from tests.integration.coverage_library import Crafted


@pytest.fixture
def crafted(stash: StashEmulator, plex: PlexEmulator, movies: int) -> Crafted:
    return Crafted(stash, plex, movies)


def report_of(session: Session, page_size: int = 1000) -> CoverageReport:
    return check_coverage(session.stash, session.plex, session.config, session.store, page_size=page_size)


def reasons(report: CoverageReport) -> dict[str, str]:
    return {row.ref: row.reason.value for row in report.rows}


def test_every_reason_appears_for_a_crafted_library(session: Session, crafted: Crafted) -> None:
    report = report_of(session)
    assert reasons(report) == {
        f"scene:{crafted.not_scanned}": "not_scanned",
        f"scene:{crafted.unmapped}": "no_path_mapping",
        f"scene:{crafted.ambiguous}": "ambiguous",
        f"scene:{crafted.excluded}": "excluded",
        f"scene:{crafted.no_file}": "no_file",
        f"item:{crafted.orphan}": "no_stash_scene",
    }
    assert (report.scenes, report.items, report.matched) == (7, 5, 2)
    assert report.counts() == {"no_path_mapping": 1, "not_scanned": 1, "ambiguous": 1, "excluded": 1, "no_file": 1,
                               "no_stash_scene": 1, "ignored": 0}
    rows = {row.ref: row for row in report.rows}
    twice = rows[f"scene:{crafted.ambiguous}"]
    assert twice.rating_keys == tuple(crafted.candidates) and [a.value for a in twice.actions] == ["pick", "ignore"]
    assert rows[f"scene:{crafted.excluded}"].section == "Home videos"
    assert rows[f"scene:{crafted.not_scanned}"].plex_path == "/media/movies/new/not-scanned.mp4"
    orphan = rows[f"item:{crafted.orphan}"]
    assert (orphan.title, orphan.path, orphan.section) == ("Only in Plex", "/media/movies/only-in-plex.mp4", "Movies")


def test_small_pages_give_the_same_report(session: Session, crafted: Crafted) -> None:
    assert reasons(report_of(session, page_size=2)) == reasons(report_of(session))


def test_all_libraries_when_none_are_chosen_means_nothing_is_excluded(session: Session, crafted: Crafted,
                                                                     plex: PlexEmulator) -> None:
    session.config.plex.libraries = []
    report = report_of(session)
    assert reasons(report)[f"scene:{crafted.excluded}"] == "not_scanned"


def test_scan_asks_plex_for_the_folder_of_each_file_once(session: Session, crafted: Crafted, plex: PlexEmulator,
                                                        movies: int) -> None:
    report = report_of(session)
    paths = [row.plex_path for row in report.select(Reason.NOT_SCANNED) if row.plex_path]
    plex.clear_log()
    asked, outside = plan_scans(session.plex, session.config, paths + paths + ["/srv/elsewhere/x.mp4"])
    assert [(r.section.title, r.folder) for r in asked] == [("Movies", "/media/movies/new")]
    assert outside == ["/srv/elsewhere/x.mp4"]
    assert scan_folders(session.plex, asked) == 1
    scans = [r for r in plex.requests if r.path == f"/library/sections/{movies}/refresh"]
    assert [r.params.get("path") for r in scans] == [["/media/movies/new"]]


def test_a_scanned_file_is_matched_on_the_next_check(session: Session, crafted: Crafted, plex: PlexEmulator,
                                                     movies: int) -> None:
    plex.add_item(movies, "/media/movies/new/not-scanned.mp4")
    assert f"scene:{crafted.not_scanned}" not in reasons(report_of(session))


def test_pick_queues_the_scene_and_it_syncs_to_the_chosen_item(session: Session, crafted: Crafted,
                                                               plex: PlexEmulator) -> None:
    chosen = crafted.candidates[1]
    pick_item(session.plex, session.queuer, session.store, session.config, crafted.ambiguous, chosen)
    jobs = session.store.list_jobs()
    assert [job.scene_id for job in jobs] == [crafted.ambiguous]
    summary = session.engine.process_due()
    assert summary.synced == 1 and summary.failed == 0
    assert plex.item_state(chosen)["title"] == "Twice"
    assert plex.item_state(crafted.candidates[0])["title"] == "twice"
    state = session.store.sync_state(crafted.ambiguous)
    assert state is not None and state.rating_key == chosen
    after = report_of(session)
    assert f"scene:{crafted.ambiguous}" not in reasons(after) and after.matched == 3


def test_pick_of_an_item_without_the_file_is_refused_and_changes_nothing(session: Session, crafted: Crafted) -> None:
    with pytest.raises(PermanentError, match="does not have the scene's file"):
        pick_item(session.plex, session.queuer, session.store, session.config, crafted.ambiguous, crafted.orphan)
    with pytest.raises(PermanentError, match="Plex has no item 999"):
        pick_item(session.plex, session.queuer, session.store, session.config, crafted.ambiguous, "999")
    with pytest.raises(PermanentError, match="Stash has no scene 4242"):
        scene_plex_paths(session.queuer, session.config, ["4242"])
    assert session.store.list_jobs() == [] and session.store.sync_state(crafted.ambiguous) is None


def test_ignore_hides_a_row_persists_and_can_be_undone(session: Session, crafted: Crafted,
                                                       make_session) -> None:
    ref = f"scene:{crafted.unmapped}"
    assert set_ignored(session.store, [ref, ref], True) == 1
    reopened = make_session()
    report = report_of(reopened)
    assert ref not in {row.ref for row in report.select()}
    assert [row.ref for row in report.select(IGNORED)] == [ref]
    assert report.counts()["no_path_mapping"] == 0 and report.counts()["ignored"] == 1
    assert set_ignored(reopened.store, [ref], False) == 1
    assert ref in {row.ref for row in report_of(reopened).select()}
