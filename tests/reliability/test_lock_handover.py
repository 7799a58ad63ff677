"""The desktop worker kept out of the data directory by another process (a `plexsync run`) waits for the lock and
starts syncing once it frees, without a restart."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Locations
from plexsync_gui.ui import worker
from plexsync_gui.ui.service import SyncService
from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.reliability

HOLDER = ("import sys\n"
          "from pathlib import Path\n"
          "from plexsync_gui.core.storage.process_lock import ProcessLock\n"
          "with ProcessLock(Path(sys.argv[1])):\n"
          "    print('locked', flush=True)\n"
          "    sys.stdin.read()\n")  # holds the lock until the test closes its stdin


@pytest.fixture
def holder(tmp_path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the data directory's processing lock."""
    data_dir = tmp_path / "data"
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(data_dir)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdout.readline() == "locked\n"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(timeout=30)
    process.stdout.close()


def test_the_worker_starts_syncing_when_the_other_process_lets_go(qtbot, tmp_path, config, library, plex, holder,
                                                                  monkeypatch):
    monkeypatch.setattr(worker, "LOCK_RETRY_MS", 100, raising=False)
    _, rating_key = library.add(title="Synced after the handover")
    locations = Locations(tmp_path / "config.toml", tmp_path / "data", tmp_path / "data" / "logs")
    service = SyncService(locations, config, Secrets(plex_token=PLEX_TOKEN, stash_api_key=STASH_KEY))
    problems: list[str] = []
    service.problem.connect(problems.append)
    try:
        with qtbot.waitSignal(service.problem, timeout=10000):
            service.start()
        assert "already processing" in problems[0]
        qtbot.wait(500)  # several retries while the lock is still held: each must fail quietly
        assert len(problems) == 1 and service.status == {}
        assert plex.item_state(rating_key)["title"] != "Synced after the handover"

        holder.stdin.close()  # the other process ends, and the OS releases its lock
        holder.wait(timeout=30)
        qtbot.waitUntil(lambda: plex.item_state(rating_key)["title"] == "Synced after the handover", timeout=20000)
        qtbot.waitUntil(lambda: service.status.get("synced") == 1, timeout=10000)
        assert len(problems) == 1 and "as soon as it stops" in problems[0]  # the message promised it
    finally:
        service.shutdown()
