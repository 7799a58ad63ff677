"""A Stash and Plex library with one scene (or item) of every kind the coverage report knows, for its tests."""

from __future__ import annotations

from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator


class Crafted:
    """A library with one scene (or item) of every kind the report knows."""

    def __init__(self, stash: StashEmulator, plex: PlexEmulator, movies: int) -> None:
        self.other = plex.add_section("Home videos", "movie", ["/media/home"])
        self.matched = stash.add_scene(title="In Plex", files=["/data/movies/in-plex.mp4"])
        plex.add_item(movies, "/media/movies/in-plex.mp4", title="in-plex")
        self.not_scanned = stash.add_scene(title="Not scanned", files=["/data/movies/new/not-scanned.mp4"])
        self.unmapped = stash.add_scene(title="Unmapped", files=["/srv/elsewhere/unmapped.mp4"])
        self.ambiguous = stash.add_scene(title="Twice", files=["/data/movies/twice.mp4"])
        self.candidates = [plex.add_item(movies, "/media/movies/twice.mp4", title="twice"),
                           plex.add_item(movies, "/media/movies/twice.mp4", title="twice (copy)")]
        self.excluded = stash.add_scene(title="Home video", files=["/data/home/birthday.mp4"])
        self.no_file = stash.add_scene(title="No file")
        self.orphan = plex.add_item(movies, "/media/movies/only-in-plex.mp4", title="Only in Plex")
        self.by_name = stash.add_scene(title="Moved", files=["/data/old/moved.mp4"])
        plex.add_item(movies, "/media/movies/moved.mp4", title="moved")  # the sync finds it by file name
