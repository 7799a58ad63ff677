"""`plexsync coverage` against the emulators: the summary, the JSON and CSV shapes, and each action."""

from __future__ import annotations

import csv
import io
import json

from plexsync_gui.cli.coverage import COLUMNS
from tests.integration.coverage_library import Crafted


def test_text_report_has_counts_per_reason_and_a_row_per_problem(cli, stash, plex, movies) -> None:
    lib = Crafted(stash, plex, movies)
    code, out, err = cli("coverage")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Stash scenes 7: 2 with their Plex item. Plex items 5 in Movies."
    assert "        1  not scanned: in a library folder, but Plex has no item with the file" in lines
    assert "        0  ignored (--reason ignored lists them)" in lines
    rows = [line.split("\t") for line in lines[lines.index("ref\treason\ttitle\tpath\tlibrary\taction") + 1:]]
    assert {row[0]: row[1] for row in rows} == {
        f"scene:{lib.not_scanned}": "not_scanned", f"scene:{lib.unmapped}": "no_path_mapping",
        f"scene:{lib.ambiguous}": "ambiguous", f"scene:{lib.excluded}": "excluded", f"scene:{lib.no_file}": "no_file",
        f"item:{lib.orphan}": "no_stash_scene"}
    twice = next(row for row in rows if row[1] == "ambiguous")
    assert twice[5] == f"pick the right Plex item, or ignore (items {', '.join(lib.candidates)})"


def test_json_shape(cli, stash, plex, movies) -> None:
    lib = Crafted(stash, plex, movies)
    code, out, _ = cli("coverage", "--json", "--reason", "ambiguous")
    assert code == 0
    data = json.loads(out)
    assert data["summary"] == {"scenes": 7, "matched": 2, "plex_items": 5, "libraries": ["Movies"], "counts": {
        "no_path_mapping": 1, "not_scanned": 1, "ambiguous": 1, "excluded": 1, "no_file": 1, "no_stash_scene": 1,
        "ignored": 0}}
    assert data["rows"] == [{
        "ref": f"scene:{lib.ambiguous}", "reason": "ambiguous", "scene_id": lib.ambiguous,
        "plex_items": lib.candidates, "title": "Twice", "path": "/data/movies/twice.mp4",
        "plex_path": "/media/movies/twice.mp4", "library": "Movies", "ignored": False,
        "action": "pick the right Plex item, or ignore", "actions": ["pick", "ignore"], "detail": None}]


def test_csv_shape(cli, stash, plex, movies) -> None:
    lib = Crafted(stash, plex, movies)
    code, out, _ = cli("coverage", "--csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert tuple(rows[0]) == COLUMNS
    by_ref = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    assert len(by_ref) == 6
    assert by_ref[f"scene:{lib.ambiguous}"]["plex_items"] == " ".join(lib.candidates)
    assert by_ref[f"item:{lib.orphan}"] == {
        "ref": f"item:{lib.orphan}", "reason": "no_stash_scene", "scene_id": "", "plex_items": lib.orphan,
        "title": "Only in Plex", "path": "/media/movies/only-in-plex.mp4", "plex_path": "", "library": "Movies",
        "ignored": "no", "action": "ignore", "detail": ""}


def test_ignore_and_unignore_persist_across_commands(cli, stash, plex, movies) -> None:
    lib = Crafted(stash, plex, movies)
    assert cli("coverage", "ignore", lib.unmapped, f"item:{lib.orphan}")[:2] == (0, "ignored 2 row(s)\n")
    data = json.loads(cli("coverage", "--json")[1])
    refs = {row["ref"] for row in data["rows"]}
    assert f"scene:{lib.unmapped}" not in refs and f"item:{lib.orphan}" not in refs
    assert data["summary"]["counts"]["ignored"] == 2
    ignored = json.loads(cli("coverage", "--json", "--reason", "ignored")[1])["rows"]
    assert {row["ref"] for row in ignored} == {f"scene:{lib.unmapped}", f"item:{lib.orphan}"}
    assert all(row["ignored"] for row in ignored)
    assert cli("coverage", "unignore", f"scene:{lib.unmapped}")[:2] == (0, "showing 1 row(s) again\n")
    assert json.loads(cli("coverage", "--json")[1])["summary"]["counts"]["ignored"] == 1


def test_scan_asks_plex_for_every_not_scanned_folder(cli, stash, plex, movies) -> None:
    lib = Crafted(stash, plex, movies)
    plex.clear_log()
    code, out, _ = cli("coverage", "scan")
    assert (code, out) == (0, "asked Plex to scan 1 folder(s)\n  Movies: /media/movies/new\n")
    assert [r.params["path"] for r in plex.requests if r.path.endswith("/refresh")] == [["/media/movies/new"]]
    code, out, _ = cli("coverage", "scan", lib.matched)
    assert (code, out) == (0, "asked Plex to scan 1 folder(s)\n  Movies: /media/movies\n")


def test_scan_of_a_scene_outside_the_libraries_is_one_line_and_asks_nothing(cli, stash, plex, movies) -> None:
    lib = Crafted(stash, plex, movies)
    plex.clear_log()
    code, out, err = cli("coverage", "scan", lib.matched, lib.unmapped)
    assert code == 2 and out == ""
    assert err == ("plexsync: /srv/elsewhere/unmapped.mp4 lies in no folder of the chosen Plex libraries, so a scan "
                   "cannot find it: check the path mapping and plex.libraries\n")
    assert not [r for r in plex.requests if r.path.endswith("/refresh")]


def test_pick_queues_the_scene_and_process_syncs_it_to_that_item(cli, stash, plex, movies) -> None:
    lib = Crafted(stash, plex, movies)
    chosen = lib.candidates[1]
    code, out, _ = cli("coverage", "pick", lib.ambiguous, chosen)
    assert code == 0 and out.startswith(f"scene {lib.ambiguous} will sync to Plex item {chosen}: queued")
    assert [row["scene_id"] for row in json.loads(cli("queue", "list", "--json")[1])] == [lib.ambiguous]
    assert cli("process")[0] == 0
    assert plex.item_state(chosen)["title"] == "Twice"
    counts = json.loads(cli("coverage", "--json")[1])["summary"]["counts"]
    assert counts["ambiguous"] == 0


def test_bad_input_is_one_line(cli, stash, plex, movies) -> None:
    lib = Crafted(stash, plex, movies)
    code, out, err = cli("coverage", "pick", lib.ambiguous, lib.orphan)
    assert (code, out) == (2, "")
    assert err == (f"plexsync: Plex item {lib.orphan} does not have the scene's file /media/movies/twice.mp4; "
                   "pick one that has it\n")
    code, _, err = cli("coverage", "scan", "4242")
    assert (code, err) == (2, "plexsync: Stash has no scene 4242\n")
