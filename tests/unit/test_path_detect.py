"""Guided path mapping: the prefix pair derived from sampled Stash and Plex file paths (a table of cases)."""

from __future__ import annotations

import pytest

from plexsync_gui.core.setup.path_detect import propose_path_rule
from plexsync_gui.core.sync.paths import PathRule, map_path

CASES = {
    "containers": (["/data/movies/a.mp4", "/data/movies/b.mp4"],
                   ["/media/movies/a.mp4", "/media/movies/b.mp4"], ("/data/", "/media/")),
    "deeper on one side": (["/movies/a.mp4"], ["/mnt/nas/media/movies/a.mp4"], ("/", "/mnt/nas/media/")),
    "same paths": (["/srv/movies/a.mp4"], ["/srv/movies/a.mp4"], ("/", "/")),
    "Windows Plex": (["/data/Movies/a.mp4"], ["D:\\Media\\Movies\\a.mp4"], ("/data/", "D:\\Media\\")),
    "Windows Stash, case differs": (["C:\\Stash\\movies\\A.MP4"], ["/media/Movies/a.mp4"], ("C:\\Stash\\", "/media/")),
    "UNC share": (["/data/movies/a.mp4"], ["\\\\nas\\share\\movies\\a.mp4"], ("/data/", "\\\\nas\\share\\")),
    "trailing slashes and spaces": (["/data/movies/a.mp4/ "], ["/media/movies/a.mp4/"], ("/data/", "/media/")),
    "NFD in Plex": (["/data/films/café.mp4"], ["/media/films/cafe\u0301.mp4"], ("/data/", "/media/")),
    "the majority wins": (["/data/m/a.mp4", "/data/m/b.mp4", "/data/m/c.mp4"],
                          ["/media/m/a.mp4", "/media/m/b.mp4", "/old/stuff/c.mp4"], ("/data/", "/media/")),
}


@pytest.mark.parametrize(("stash", "plex", "expected"), CASES.values(), ids=CASES.keys())
def test_the_prefix_pair_is_derived_from_the_shared_tail(stash, plex, expected):
    proposal = propose_path_rule(stash, plex)
    assert proposal is not None and proposal.rule == PathRule(*expected)
    assert proposal.needed == (expected[0] != expected[1])


def test_the_proposal_maps_the_stash_files_onto_the_plex_ones():
    stash = ["/data/movies/a.mp4", "/data/movies/sub/b.mp4"]
    plex = ["D:\\Media\\movies\\a.mp4", "D:\\Media\\movies\\sub\\b.mp4"]
    proposal = propose_path_rule(stash, plex)
    assert [map_path(path, [proposal.rule]) for path in stash] == plex
    assert (proposal.matched, proposal.paired) == (2, 2)


@pytest.mark.parametrize(("stash", "plex"), [
    (["/data/movies/a.mp4"], ["/media/movies/b.mp4"]),  # no overlap
    ([], ["/media/movies/a.mp4"]),
    (["/data/movies/a.mp4"], []),
    (["/data/movies/A.mp4"], ["/media/movies/a.mp4"]),  # POSIX names differ by case: another file
])
def test_no_shared_file_name_gives_no_proposal(stash, plex):
    assert propose_path_rule(stash, plex) is None


def test_the_evidence_counts_only_the_files_the_rule_explains():
    proposal = propose_path_rule(["/data/m/a.mp4", "/data/m/b.mp4", "/data/m/c.mp4", "/data/m/d.mp4"],
                                 ["/media/m/a.mp4", "/media/m/b.mp4", "/old/x/c.mp4"])
    assert (proposal.rule, proposal.matched, proposal.paired) == (PathRule("/data/", "/media/"), 2, 3)
