"""Plex -> Stash figures: the one-time import of N plays over M scenes, a re-import, and a quiet round.

    python -m benchmarks.plex_to_stash [SCENES] [PLAYS_PER_SCENE]

Both emulators add 5 ms to every request, as the other benchmarks do; the scenes are synced first so PlexSync
knows which Plex item is which scene. Prints one line per figure with the requests each side received.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.machine import load_average
from plexsync_gui.core.activity.plex_to_stash import PlexActivity
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Session, open_session
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.paths import PathRule
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator

LATENCY = 0.005
FIRST_PLAY = 1_700_000_000


def seeded(stash: StashEmulator, plex: PlexEmulator, scenes: int, plays: int) -> list[str]:
    movies = plex.add_section("Movies", "movie", ["/media/movies"])
    stash.add_scenes([{"title": f"Scene {i}", "files": [f"/data/movies/s{i}.mp4"]} for i in range(scenes)])
    keys = plex.add_items(movies, [{"file": f"/media/movies/s{i}.mp4", "userRating": 7.0} for i in range(scenes)])
    for n, key in enumerate(keys):
        for day in range(plays):
            plex.add_play(key, FIRST_PLAY + n * 10 + day * 86_400)
    return keys


def measured(label: str, stash: StashEmulator, plex: PlexEmulator, action: Callable[[], str]) -> None:
    stash.clear_log()
    plex.clear_log()
    started = time.perf_counter()
    line = action()
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds:.2f} s, {len(plex.requests)} Plex and {len(stash.requests)} Stash requests; {line}")


def main(argv: list[str]) -> int:
    scenes = int(argv[0]) if argv else 2000
    plays = int(argv[1]) if len(argv) > 1 else 5
    print(f"{scenes} scenes, {plays} plays each, {LATENCY * 1000:g} ms per request; load {load_average()}")
    with StashEmulator(api_key="k") as stash, PlexEmulator(token="t") as plex, \
            tempfile.TemporaryDirectory() as scratch:
        seeded(stash, plex, scenes, plays)
        stash.latency = plex.latency = LATENCY
        config = Config()
        config.stash.url, config.plex.url, config.plex.libraries = stash.url, plex.url, ["Movies"]
        config.path_map = [PathRule("/data/", "/media/")]
        config.plex_to_stash.enabled = config.plex_to_stash.rating = True
        store = Store(Path(scratch) / "plexsync.db")
        session: Session = open_session(config, Secrets("t", "k"), store)
        try:
            session.queuer.sync_all(False)
            while session.engine.process_due().outcomes:
                pass
            flow = PlexActivity(store, session.stash, session.plex, lambda: config.plex_to_stash)
            measured("import", stash, plex, lambda: flow.import_past().line())
            measured("re-import", stash, plex, lambda: flow.import_past().line())
            flow.round()  # the first round reads every item's rating once
            measured("quiet round", stash, plex, lambda: (summary.line() if (summary := flow.round()) else ""))
        finally:
            session.close()
            store.close()
    print(f"load after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
