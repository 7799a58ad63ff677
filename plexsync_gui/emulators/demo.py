"""Demo mode: both emulated servers, a seeded library with a few realistic failures, and a config pointing at them.

Used by `plexsync --demo …` (and the desktop app's `--demo`) so a newcomer sees every state without real servers.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Locations
from plexsync_gui.core.sync.paths import PathRule
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator

DEMO_TOKEN = "demo-plex-token"
DEMO_API_KEY = "demo-stash-key"

_STUDIOS = ["Northern Lights Films", "Harbour Studio", "Blue Hour Pictures", "Field Notes"]
_PERFORMERS = ["Ada Lane", "Ben Ortiz", "Cleo Park", "Dev Rao", "Eli Moss", "Fay Quinn", "Gus Hale", "Ivy Shaw"]
_FIRST_PLAY = 1_760_000_000  # 2025-10-09: the demo's plays in Plex are days apart from there
_TAGS = ["Outdoor", "Interview", "Travel", "Behind the Scenes", "Night", "Music", "Documentary", "Drama"]


def seed_demo(stash: StashEmulator, plex: PlexEmulator, scenes: int = 40) -> None:
    """Scenes in Stash under /data/, the same files in a Plex "Movies" library under /media/, plus failures:
    a scene without a file (permanent), two files on disk Plex has not scanned yet (not found at first; with
    events on, PlexSync asks Plex to scan their folder and they sync once Plex announces them), and one file Plex
    lists twice (ambiguous under strict_matching); and two Plex files no scene has. The first six scenes form a
    group, numbered backwards, and were played once in Plex."""
    movies = plex.add_section("Movies", "movie", ["/media/movies"])
    for i in range(1, scenes + 1):
        name = f"scene-{i:03d}.mp4"
        stash.add_scene(
            title=f"Demo scene {i}",
            details=f"Scene {i} of the demo library.\nSynced from Stash by PlexSync.",
            date=f"2024-{(i % 12) + 1:02d}-{(i % 27) + 1:02d}",
            rating100=(i * 7) % 100 or None,
            studio=_STUDIOS[i % len(_STUDIOS)],
            performers=[_PERFORMERS[i % 8], _PERFORMERS[(i * 3) % 8]],
            tags=[_TAGS[i % 8], _TAGS[(i + 3) % 8]],
            files=[f"/data/movies/{name}"],
            groups=[("Demo series", 7 - i)] if i <= 6 else [],  # a group whose order is not the scenes' order
        )
        if i in (scenes - 1, scenes):  # on disk but not scanned into Plex yet: the folder scan brings them in
            plex.add_unscanned_file(movies, f"/media/movies/{name}", title=name.removesuffix(".mp4"))
            continue
        rating_key = plex.add_item(movies, f"/media/movies/{name}", title=name.removesuffix(".mp4"))
        if i <= 6:  # watched in Plex: what Settings › Plex → Stash › "Import past plays now" brings over
            plex.add_play(rating_key, _FIRST_PLAY + i * 86_400)
    stash.add_scene(title="Scene without a file", details="Created in Stash without a file.")
    stash.add_scene(title="Duplicated in Plex", files=["/data/movies/duplicate.mp4"])
    plex.add_item(movies, "/media/movies/duplicate.mp4", title="duplicate", duration=5_409_000, size=2_147_483_648)
    plex.add_item(movies, "/media/movies/duplicate.mp4", title="duplicate (copy)", duration=42_000, size=52_428_800)
    # Files Plex has and Stash does not: the Library view's "Plex item without a Stash scene" rows.
    plex.add_item(movies, "/media/movies/extras/making-of.mp4", title="Making of")
    plex.add_item(movies, "/media/movies/extras/trailer.mp4", title="Trailer")


def demo_config(stash: StashEmulator, plex: PlexEmulator) -> Config:
    config = Config()
    config.stash.url = stash.url
    config.plex.url = plex.url
    config.plex.libraries = ["Movies"]
    config.sync.poll_interval = 5.0
    config.path_map = [PathRule("/data/", "/media/")]
    return config


@contextmanager
def demo_environment(data_dir: str | None = None) -> Iterator[tuple[Locations, Config, Secrets]]:
    """Running emulators, seeded, and where to keep the demo's database (a temporary folder by default)."""
    with StashEmulator(api_key=DEMO_API_KEY) as stash, PlexEmulator(token=DEMO_TOKEN) as plex, \
            tempfile.TemporaryDirectory(prefix="plexsync-demo-") as scratch:
        seed_demo(stash, plex)
        base = Path(data_dir) if data_dir else Path(scratch)
        locations = Locations(config_file=base / "demo-config.toml", data_dir=base, log_dir=base / "logs")
        yield locations, demo_config(stash, plex), Secrets(plex_token=DEMO_TOKEN, stash_api_key=DEMO_API_KEY)
