"""CLI rough edges of issue 14: dead letters by scene id, the demo across commands, `run`'s progress lines without
-v, and `status` without a config."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from plexsync_gui.cli.main import main
from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.integration


def _dead_letters(cli, library, count: int) -> list[dict]:
    """`count` scenes whose files Plex has twice: permanent failures under strict matching. Five scenes that sync
    come first, so scene ids and dead letter ids differ."""
    for n in range(5):
        library.add(title=f"fine {n}")
    for n in range(count):
        _scene_id, _ = library.add(title=f"twice {n}", name=f"twice-{n}.mp4")
        library.plex.add_item(library.section, f"/media/movies/twice-{n}.mp4", title="copy")
    cli("sync", "--all")
    cli("process")
    return json.loads(cli("dlq", "list", "--json")[1])


def test_dlq_retry_and_discard_take_the_scene_ids_the_window_shows(cli, library):
    rows = _dead_letters(cli, library, 3)
    assert len(rows) == 3 and not {row["scene_id"] for row in rows} & {str(row["id"]) for row in rows}
    first, second, third = sorted(rows, key=lambda row: int(row["scene_id"]))
    code, out, err = cli("dlq", "retry", "--scene", first["scene_id"])
    assert (code, out, err) == (0, "1 dead letter(s) moved back to the queue\n", "")
    code, out, _ = cli("dlq", "discard", "--scene", second["scene_id"], third["scene_id"])
    assert (code, out) == (0, "discarded 2 dead letter(s)\n")
    assert json.loads(cli("dlq", "list", "--json")[1]) == []
    assert [job["scene_id"] for job in json.loads(cli("queue", "list", "--json")[1])] == [first["scene_id"]]


def test_dlq_by_an_unknown_scene_changes_nothing_and_exits_2(cli, library):
    rows = _dead_letters(cli, library, 1)
    code, out, err = cli("dlq", "discard", "--scene", rows[0]["scene_id"], "9999")
    assert (code, out) == (2, "") and err == "plexsync: no dead letter for scene 9999 (see dlq list)\n"
    assert len(json.loads(cli("dlq", "list", "--json")[1])) == 1
    with pytest.raises(SystemExit) as exit_info:
        main(["dlq", "retry", "--scene", "12", "--all"])
    assert exit_info.value.code == 2


def test_status_without_a_config_says_so_and_exits_2(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "config.toml"
    assert main(["--config", str(missing), "--data-dir", str(tmp_path / "data"), "status"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == f"plexsync: config error: no config file at {missing} (create one, see the README)\n"


def test_the_demo_keeps_its_state_across_commands_with_a_data_dir(tmp_path, capsys):
    def demo(*argv: str) -> tuple[int, str, str]:
        code = main(["--demo", "--data-dir", str(tmp_path), *argv])
        return (code, *capsys.readouterr())

    assert demo("sync", "--all")[:2] == (0, "queued 42, unchanged 0, removed 0\n")
    assert demo("process")[0] == 0
    failed = json.loads(demo("dlq", "list", "--json")[1])
    assert {row["title"] for row in failed} == {"Scene without a file", "Duplicated in Plex"}
    duplicated = next(row["scene_id"] for row in failed if row["title"] == "Duplicated in Plex")
    assert demo("dlq", "retry", "--scene", duplicated)[:2] == (0, "1 dead letter(s) moved back to the queue\n")
    status = json.loads(demo("status", "--json")[1])
    assert (status["dlq"], status["synced"]) == (1, 38)


def test_the_demo_without_a_data_dir_says_nothing_carries_over(tmp_path, capsys):
    assert main(["--demo", "status"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("plexsync: demo: fresh emulated servers and a temporary database for this command only; "
                          "add --data-dir DIR")


def test_run_prints_one_progress_line_per_round_without_verbose(tmp_path, library):
    for n in range(3):
        library.add(title=f"scene {n}")
    config = tmp_path / "config.toml"
    config.write_text(f'[stash]\nurl = "{library.stash.url}"\n[plex]\nurl = "{library.plex.url}"\n'
                      '[sync]\npoll_interval = 5\n[[path_map]]\nstash = "/data/"\nplex = "/media/"\n')
    env = {**os.environ, "PLEXSYNC_PLEX_TOKEN": PLEX_TOKEN, "PLEXSYNC_STASH_API_KEY": STASH_KEY}
    out_file, err_file = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_file.open("w") as out, err_file.open("w") as err:
        process = subprocess.Popen([sys.executable, "-m", "plexsync_gui.cli.main", "--config", str(config),
                                    "--data-dir", str(tmp_path / "data"), "run"], env=env, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 60
        while len(out_file.read_text().splitlines()) < 2:  # the first poll and the one 5 s later
            assert process.poll() is None and time.monotonic() < deadline, out_file.read_text()
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    lines = out_file.read_text().splitlines()
    line = re.compile(r"\d\d:\d\d:\d\d polled Stash, queued (\d+); synced (\d+), unchanged \d+, retrying \d+, "
                      r"failed \d+; (\d+) queued, 0 dead letters")
    matches = [line.fullmatch(text) for text in lines]
    assert all(matches), lines
    assert matches[0].groups() == ("3", "3", "0")  # the first round queued and synced the three scenes
    assert matches[1].groups() == ("0", "0", "0")  # an idle round is one line too
    assert "Traceback" not in err_file.read_text()
