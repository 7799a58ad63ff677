"""What the benchmarks share: the scale, emulated servers with added latency, seeded libraries, sessions.

The emulators run in a child process (see remote.py). Seeding goes through their bulk API, not HTTP, so building
a 100,000-item Plex section takes seconds. Libraries are built once per size and reused; the first-sync benchmark
leaves its library synced, and later benchmarks that need a synced library reuse it (or sync one themselves when run
alone with --only).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.remote import EmulatorProcess, RemotePlex, RemoteStash
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Session, open_session
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.paths import PathRule

LATENCY = 0.005  # seconds added to every Plex and Stash request (the benchmark condition)
PLEX_TOKEN = "bench-plex-token"
STASH_KEY = "bench-stash-key"
STASH_NOW = "2026-01-01T12:00:00"  # the emulated Stash clock; seeded scenes were last edited before it
_STUDIOS = [f"Studio {i}" for i in range(60)]
_PERFORMERS = [f"Performer {i}" for i in range(400)]
_TAGS = [f"Tag {i}" for i in range(120)]


@dataclass(frozen=True)
class Scale:
    """Library sizes and durations; --quick shrinks everything for a smoke run of the whole suite."""

    scenes: int  # first sync, re-sync and the idle edit
    section_items: int  # the large Plex section of the lookup benchmark
    lookups: int  # scenes synced (each needing a lookup) against that section
    enqueue: int
    run_sizes: tuple[int, ...]  # synced scenes under `plexsync run`; the last one is the target row
    run_window: float  # seconds of idle run measured
    edits: int  # scenes edited while the app idles
    poll_interval: float  # for the idle benchmarks; the config's minimum is 5 s
    pool_scenes: int  # scenes synced at each pool size
    poster_scenes: int  # first sync with posters, against the prior art's figure
    gui_queued: int  # jobs in the queue when the window opens
    gui_failed: int  # dead letters when the window opens
    gui_seconds: float  # GUI-thread stalls measured over this long while the worker syncs
    start_runs: tuple[int, int]  # app launches timed: (cold, warm)


FULL = Scale(scenes=10_000, section_items=100_000, lookups=1_000, enqueue=100_000, run_sizes=(10_000, 100_000),
             run_window=60.0, edits=3, poll_interval=5.0, pool_scenes=2_000, poster_scenes=3_000, gui_queued=20_000,
             gui_failed=5_000, gui_seconds=15.0, start_runs=(3, 5))
QUICK = Scale(scenes=1_000, section_items=10_000, lookups=200, enqueue=10_000, run_sizes=(10_000,),
              run_window=15.0, edits=1, poll_interval=5.0, pool_scenes=300, poster_scenes=300, gui_queued=2_000,
              gui_failed=500, gui_seconds=5.0, start_runs=(1, 2))


def app_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for PlexSync launched as a user would: secrets in the environment (never in arguments), no
    keyring, no stray plexapi config file."""
    return {**os.environ, "PLEXSYNC_PLEX_TOKEN": PLEX_TOKEN, "PLEXSYNC_STASH_API_KEY": STASH_KEY,
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
            "PLEXAPI_CONFIG_PATH": str(data_dir / "no-plexapi-config.ini"), **extra}


def file_name(index: int) -> str:
    return f"clip-{index:06d}.mp4"


def stash_scene(index: int) -> dict[str, Any]:
    """A realistic scene: title, details, date, studio, two performers, three tags, one file, an old stamp."""
    day = index % 28 + 1
    return {
        "title": f"Scene {index}",
        "details": f"Scene {index} of the benchmark library.\nSecond line of the description.",
        "date": f"2024-{index % 12 + 1:02d}-{day:02d}",
        "rating100": index % 100 or None,
        "studio": _STUDIOS[index % len(_STUDIOS)],
        "performers": [_PERFORMERS[index % len(_PERFORMERS)], _PERFORMERS[(index * 7 + 3) % len(_PERFORMERS)]],
        "tags": [_TAGS[index % len(_TAGS)], _TAGS[(index * 5 + 1) % len(_TAGS)], _TAGS[(index * 11 + 2) % len(_TAGS)]],
        "files": [f"/data/movies/{file_name(index)}"],
        "updated_at": f"2025-{index % 12 + 1:02d}-{day:02d}T{index % 24:02d}:{index % 60:02d}:00Z",
    }


@dataclass
class Library:
    """A Stash with `scenes` scenes and a Plex "Movies" section holding their files (plus filler items)."""

    stash: RemoteStash
    plex: RemotePlex
    section: int
    scene_ids: list[str]
    rating_keys: list[str]  # of the scenes' files, in scene order
    section_items: int  # scenes' files plus filler
    synced: Session | None = None  # a session whose store holds a finished first sync
    urls: tuple[str, str] = ("", "")  # (stash, plex), asked once from the emulator process

    def __post_init__(self) -> None:
        self.urls = (self.stash.url(), self.plex.url())

    def config(self) -> Config:
        config = Config()
        config.stash.url, config.plex.url = self.urls
        config.plex.libraries = ["Movies"]
        config.fields.poster = False  # the condition: metadata only
        config.path_map = [PathRule("/data/", "/media/")]
        return config

    def stop(self) -> None:
        self.stash.stop()
        self.plex.stop()


def build_library(emulators: EmulatorProcess, scenes: int, section_items: int | None = None,
                  plex_files: int | None = None) -> Library:
    """Started emulators with 5 ms latency; the section holds the files of the first `plex_files` scenes (all by
    default), then filler up to its size."""
    stash = emulators.stash(api_key=STASH_KEY, start_time=STASH_NOW, latency=LATENCY)
    plex = emulators.plex(token=PLEX_TOKEN, latency=LATENCY)
    section = plex.add_section("Movies", "movie", ["/media/movies"])
    scene_ids = stash.add_scenes([stash_scene(i) for i in range(scenes)])
    files = scenes if plex_files is None else min(plex_files, scenes)
    rating_keys = plex.add_items(section, [{"file": f"/media/movies/{file_name(i)}"} for i in range(files)])
    filler = max((section_items or files) - files, 0)
    plex.add_items(section, [{"file": f"/media/movies/other/filler-{i:06d}.mkv"} for i in range(filler)])
    return Library(stash, plex, section, scene_ids, rating_keys, files + filler)


@dataclass
class Context:
    scale: Scale
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="plexsync-bench-")))
    _libraries: dict[tuple[int, int], Library] = field(default_factory=dict)
    _sessions: list[Session] = field(default_factory=list)
    _emulators: EmulatorProcess | None = None

    @property
    def emulators(self) -> EmulatorProcess:
        if self._emulators is None:
            self._emulators = EmulatorProcess()
        return self._emulators

    def library(self, scenes: int, section_items: int | None = None) -> Library:
        """A library shared by the benchmarks that ask for the same sizes."""
        key = (scenes, section_items or scenes)
        if key not in self._libraries:
            self._libraries[key] = build_library(self.emulators, scenes, section_items)
        return self._libraries[key]

    def session(self, library: Library, name: str) -> Session:
        """A session on the database `name` under the work directory, closed with the context."""
        session = self.open_session(library, name)
        self._sessions.append(session)
        return session

    def open_session(self, library: Library, name: str, config: Config | None = None) -> Session:
        """A session the caller closes: a store belongs to the thread that opened it."""
        config = config or library.config()
        store = Store(self.workdir / name / "plexsync.db", max_attempts=config.sync.max_retries)
        return open_session(config, Secrets(plex_token=PLEX_TOKEN, stash_api_key=STASH_KEY), store)

    def close(self, keep_files: bool = False) -> None:
        """Stop everything; the work directory (databases of up to 100,000 scenes) goes too unless `keep_files`."""
        for session in self._sessions:
            session.close()
            session.store.close()
        for library in self._libraries.values():
            library.stop()
        if self._emulators is not None:
            self._emulators.shutdown()
        if not keep_files:
            shutil.rmtree(self.workdir, ignore_errors=True)
