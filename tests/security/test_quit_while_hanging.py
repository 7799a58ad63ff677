"""Quitting while a server hangs: `plexsync run` and the desktop app both stop promptly on SIGTERM while a request
hangs (the server accepted it and never answers, or trickles its answer), exit 0 without an abort, and put the job
that was in flight back in the queue with its attempts unchanged. Neither may write a core dump (it would hold both
secrets): the core file limit of the running process is 0. Real processes against the emulated servers, started as
in tests/reliability/test_kill_recovery.py."""

from __future__ import annotations

import resource
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from plexsync_gui.core.sync.health import STASH_ERROR_KEY
from tests.reliability.test_kill_recovery import start_runner, wait_for
from tests.security.hostile import silent, trickled_headers

pytestmark = pytest.mark.security

HANG = 3600.0  # seconds Plex holds every answer: for ever, as far as the test is concerned
EXIT_BOUND = 10.0  # the promise: gone within 10 s of SIGTERM, for both front ends


def jobs(database: Path) -> list[tuple[str, int]]:
    if not database.exists():
        return []
    with sqlite3.connect(database, timeout=10) as db:
        try:
            return db.execute("SELECT status, attempts FROM jobs").fetchall()
        except sqlite3.OperationalError:  # not created yet
            return []


def stash_error_recorded(database: Path) -> bool:
    with sqlite3.connect(database, timeout=10) as db:
        return bool(db.execute("SELECT value FROM kv WHERE key = ?", (STASH_ERROR_KEY,)).fetchall())


def core_limit(pid: int) -> list[str]:
    """Soft and hard "Max core file size" of a running process."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max core file size"):
            return line.split()[4:6]
    raise AssertionError("no core file size in /proc/<pid>/limits")


def start_allowing_core_dumps(front_end: str, config_file: Path, data_dir: Path) -> subprocess.Popen:
    """The app started with core dumps allowed up to the hard limit, the most a user's shell could allow, so the
    limit the test reads is the one the app set itself."""
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
    try:
        return start_runner(front_end, config_file, data_dir)
    finally:
        resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))


def hanging_plex(plex, hostile, kind: str) -> tuple[str, Callable[[], bool]]:
    """The URL of a Plex that accepts requests and never answers them, or trickles its answer a byte at a time
    (within the read timeout, long before the deadline); and whether a request has reached it."""
    if kind == "hangs":
        plex.delay_next(HANG, count=10**6)
        return plex.url, lambda: plex.count() > 0
    server = hostile(trickled_headers)
    return server.url, lambda: bool(server.requests)


@pytest.mark.parametrize("front_end", ["cli", "gui"])
@pytest.mark.parametrize("kind", ["hangs", "trickles"])
def test_sigterm_while_plex_hangs_exits_cleanly_and_keeps_the_job(tmp_path, stash, plex, library, hostile, front_end,
                                                                   kind):
    if resource.getrlimit(resource.RLIMIT_CORE)[1] == 0:
        pytest.skip("the hard core file limit is 0 for this session, so the app's own limit cannot be told apart")
    library.add(title="In flight")
    plex_url, reached = hanging_plex(plex, hostile, kind)
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[stash]\nurl = "{stash.url}"\n[plex]\nurl = "{plex_url}"\nlibraries = ["Movies"]\ntimeout = 60\n'
        '[sync]\npoll_interval = 5\nworkers = 1\n[[path_map]]\nstash = "/data/"\nplex = "/media/"\n'
    )
    database = tmp_path / "data" / "plexsync.db"
    runner = start_allowing_core_dumps(front_end, config_file, tmp_path / "data")
    try:
        assert wait_for(lambda: jobs(database) == [("in_progress", 0)] and reached(), 60), \
            "the job never got in flight"
        limit = core_limit(runner.pid)
        runner.send_signal(signal.SIGTERM)
        code = runner.wait(timeout=EXIT_BOUND)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
    stderr = (tmp_path / "runner-stderr.txt").read_text()
    assert code == 0, f"exit code {code}\n{stderr}"
    assert "Traceback" not in stderr and "QThread" not in stderr
    assert jobs(database) == [("pending", 0)]
    assert limit == ["0", "0"]  # soft and hard: no core dump, and none allowed by a child either



@pytest.mark.parametrize("front_end", ["cli", "gui"])
def test_sigterm_while_stash_hangs_in_a_poll_exits_cleanly(tmp_path, plex, hostile, front_end):
    """The poll cut short by the stop is not a Stash failure: nothing is recorded against Stash."""
    stash = hostile(silent)
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[stash]\nurl = "{stash.url}"\ntimeout = 60\n[plex]\nurl = "{plex.url}"\nlibraries = ["Movies"]\n'
        '[[path_map]]\nstash = "/data/"\nplex = "/media/"\n'
    )
    database = tmp_path / "data" / "plexsync.db"
    runner = start_runner(front_end, config_file, tmp_path / "data")
    try:
        assert wait_for(lambda: bool(stash.requests), 60), "the app never polled Stash"
        runner.send_signal(signal.SIGTERM)
        code = runner.wait(timeout=EXIT_BOUND)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait(10)
    stderr = (tmp_path / "runner-stderr.txt").read_text()
    assert code == 0, f"exit code {code}\n{stderr}"
    assert "Traceback" not in stderr
    assert not stash_error_recorded(database)
