"""The coverage report and the sync rules that leave scenes out (`rules.only_organized`, `rules.require_tag`):
such scenes are `excluded` with the rule named in their detail, through the emulators and the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest

from plexsync_gui.cli.coverage import COLUMNS
from plexsync_gui.core.coverage.check import check_coverage
from plexsync_gui.core.coverage.report import RULE_ACTION_TEXT, CoverageReport
from plexsync_gui.core.setup.session import Session
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator

pytestmark = pytest.mark.integration


class Ruled:
    """Scenes a rule keeps and scenes it leaves out, each with its Plex item (and one without a file)."""

    def __init__(self, stash: StashEmulator, plex: PlexEmulator, movies: int) -> None:
        self.kept = stash.add_scene(title="Kept", tags=["Keep"], organized=True, files=["/data/movies/kept.mp4"])
        self.kept_key = plex.add_item(movies, "/media/movies/kept.mp4", title="kept")
        self.untagged = stash.add_scene(title="Untagged", organized=True, files=["/data/movies/untagged.mp4"])
        self.untagged_key = plex.add_item(movies, "/media/movies/untagged.mp4", title="untagged")
        self.unorganized = stash.add_scene(title="Draft", tags=["keep"], files=["/data/movies/draft.mp4"])
        self.unorganized_key = plex.add_item(movies, "/media/movies/draft.mp4", title="draft")
        self.no_file = stash.add_scene(title="No file yet")  # neither organized nor tagged


def report_of(session: Session) -> CoverageReport:
    return check_coverage(session.stash, session.plex, session.config, session.store)


def test_scenes_the_rules_leave_out_are_excluded_with_the_rule_named(session: Session, stash, plex, movies) -> None:
    ruled = Ruled(stash, plex, movies)
    session.config.rules.only_organized = True
    session.config.rules.require_tag = "Keep"
    report = report_of(session)
    rows = {row.scene_id: row for row in report.rows}
    assert set(rows) == {ruled.untagged, ruled.unorganized, ruled.no_file}  # no "Plex item without a scene" rows
    assert {row.reason.value for row in rows.values()} == {"excluded"}
    assert rows[ruled.untagged].detail == "does not have the tag 'Keep' (rules.require_tag)"
    assert rows[ruled.unorganized].detail == "not organized in Stash (rules.only_organized)"
    assert rows[ruled.no_file].detail == "not organized in Stash (rules.only_organized)"  # not "no file": left out
    untagged = rows[ruled.untagged]
    assert (untagged.rating_keys, untagged.section, untagged.rule) == ((ruled.untagged_key,), "Movies", True)
    assert untagged.action_text == RULE_ACTION_TEXT and [a.value for a in untagged.actions] == ["ignore"]
    assert (report.scenes, report.matched) == (4, 1)
    assert stash.count("ScenePathsRulesPage") == 1 and stash.count("ScenePathsPage") == 0


def test_without_such_rules_the_listing_stays_light_and_nothing_is_excluded(session: Session, stash, plex,
                                                                             movies) -> None:
    ruled = Ruled(stash, plex, movies)
    session.config.rules.exclude_tags = ["Keep"]  # a rule, but not one that leaves scenes out
    report = report_of(session)
    assert [(row.scene_id, row.reason.value, row.detail) for row in report.rows] == [(ruled.no_file, "no_file", None)]
    assert stash.count("ScenePathsPage") == 1 and stash.count("ScenePathsRulesPage") == 0


def test_a_library_not_synced_names_plex_libraries(session: Session, stash, plex, movies) -> None:
    plex.add_section("Home videos", "movie", ["/media/home"])
    scene = stash.add_scene(title="Home video", files=["/data/home/birthday.mp4"])
    row = next(row for row in report_of(session).rows if row.scene_id == scene)
    assert (row.reason.value, row.rule) == ("excluded", False)
    assert row.detail == "in the Plex library 'Home videos', not in plex.libraries"
    assert row.action_text == "add the library in Settings, or ignore"


def test_cli_json_csv_and_text_show_the_rule(cli, stash, plex, movies) -> None:
    ruled = Ruled(stash, plex, movies)
    cli.config_file.write_text(cli.config_file.read_text() + '[rules]\nrequire_tag = "Keep"\n')
    code, out, err = cli("coverage", "--json", "--reason", "excluded")
    assert code == 0, err
    rows = {row["scene_id"]: row for row in json.loads(out)["rows"]}
    assert set(rows) == {ruled.untagged, ruled.no_file}
    assert rows[ruled.untagged]["detail"] == "does not have the tag 'Keep' (rules.require_tag)"
    assert rows[ruled.untagged]["action"] == RULE_ACTION_TEXT
    code, out, _ = cli("coverage", "--csv")
    by_scene = {row["scene_id"]: row for row in csv.DictReader(io.StringIO(out))}
    assert tuple(csv.reader(io.StringIO(out)).__next__()) == COLUMNS
    assert by_scene[ruled.no_file]["reason"] == "excluded"
    assert by_scene[ruled.no_file]["detail"] == "does not have the tag 'Keep' (rules.require_tag)"
    code, out, _ = cli("coverage", "--reason", "excluded")
    line = next(line for line in out.splitlines() if line.startswith(f"scene:{ruled.untagged}\t"))
    assert line.endswith(f"{RULE_ACTION_TEXT} (does not have the tag 'Keep' (rules.require_tag))")
