"""The demo's two scenes whose files Plex has not scanned yet: with events on (the default), the app's first rounds
ask Plex to scan their folder, Plex announces the new items, and they sync: the folder scan in action."""

from __future__ import annotations

import pytest

from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.emulators.demo import DEMO_API_KEY, DEMO_TOKEN, demo_config, seed_demo
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator
from plexsync_gui.ui.service import SyncService
from tests.ui.conftest import settled

pytestmark = pytest.mark.integration


def test_the_demo_scenes_waiting_for_a_scan_get_their_folder_scanned_and_sync(qtbot, locations) -> None:
    with StashEmulator(api_key=DEMO_API_KEY) as stash, PlexEmulator(token=DEMO_TOKEN) as plex:
        seed_demo(stash, plex)
        assert plex.notifications.unscanned_count() == 2
        config = demo_config(stash, plex)
        assert config.events.listen and config.events.scan_missing
        service = SyncService(locations, config, Secrets(plex_token=DEMO_TOKEN, stash_api_key=DEMO_API_KEY))
        service.start()
        try:
            qtbot.waitUntil(lambda: service.status.get("synced") == 40 and settled(service), timeout=30000)
            assert service.status["failed"] == 2  # the scene without a file and the duplicated one
        finally:
            service.shutdown()
        assert plex.notifications.unscanned_count() == 0
        assert plex.notifications.scans and {path for _, path in plex.notifications.scans} == {"/media/movies"}
