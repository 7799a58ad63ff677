"""Fixtures that run the real code path against the emulated servers over HTTP on 127.0.0.1 (loaded by
tests/conftest.py for every suite)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest

from plexsync_gui.cli.main import main
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.secrets import Secrets
from plexsync_gui.core.setup.session import Session, open_session
from plexsync_gui.core.storage.store import Store
from plexsync_gui.core.sync.paths import PathRule
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator

PLEX_TOKEN = "plex-token-5f1c9a77e2"
STASH_KEY = "stash-key-b8e4d2c0aa"


@pytest.fixture
def plex() -> Iterator[PlexEmulator]:
    with PlexEmulator(token=PLEX_TOKEN) as emulator:
        yield emulator


@pytest.fixture
def stash() -> Iterator[StashEmulator]:
    with StashEmulator(api_key=STASH_KEY) as emulator:
        yield emulator


@pytest.fixture
def movies(plex: PlexEmulator) -> int:
    return plex.add_section("Movies", "movie", ["/media/movies"])


def base_config(stash: StashEmulator, plex: PlexEmulator) -> Config:
    config = Config()
    config.stash.url = stash.url
    config.stash.timeout = 2
    config.plex.url = plex.url
    config.plex.timeout = 1
    config.plex.libraries = ["Movies"]
    config.path_map = [PathRule("/data/", "/media/")]
    return config


@pytest.fixture
def config(stash: StashEmulator, plex: PlexEmulator) -> Config:
    return base_config(stash, plex)


@pytest.fixture
def make_session(tmp_path, config: Config) -> Iterator[Callable[..., Session]]:
    opened: list[Session] = []

    def factory(token: str = PLEX_TOKEN) -> Session:
        store = Store(tmp_path / "plexsync.db", max_attempts=config.sync.max_retries)
        session = open_session(config, Secrets(plex_token=token, stash_api_key=STASH_KEY), store)
        opened.append(session)
        return session

    yield factory
    for session in opened:
        session.close()
        session.store.close()


@pytest.fixture
def session(make_session: Callable[..., Session]) -> Session:
    return make_session()


@pytest.fixture
def cli(tmp_path, stash, plex, movies, monkeypatch, capsys) -> Callable[..., tuple[int, str, str]]:
    """`plexsync` in-process with a config for the emulators and the secrets in the environment; returns
    (exit code, stdout, stderr)."""
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        f'[stash]\nurl = "{stash.url}"\ntimeout = 2\n'
        f'[plex]\nurl = "{plex.url}"\nlibraries = ["Movies"]\ntimeout = 1\n'
        '[sync]\nstrict_matching = true\n'
        '[[path_map]]\nstash = "/data/"\nplex = "/media/"\n'
    )
    monkeypatch.setenv("PLEXSYNC_CONFIG", str(config_file))
    monkeypatch.setenv("PLEXSYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PLEXSYNC_PLEX_TOKEN", PLEX_TOKEN)
    monkeypatch.setenv("PLEXSYNC_STASH_API_KEY", STASH_KEY)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    run.config_file = config_file
    return run


class Library:
    """Adds a scene to Stash and the matching file to Plex in one call."""

    def __init__(self, stash: StashEmulator, plex: PlexEmulator, section: int) -> None:
        self.stash, self.plex, self.section = stash, plex, section
        self.count = 0

    def add(self, in_plex: bool = True, plex_title: str | None = None, **fields) -> tuple[str, str | None]:
        self.count += 1
        name = fields.pop("name", f"clip-{self.count:04d}.mp4")
        fields.setdefault("files", [f"/data/movies/{name}"])
        scene_id = self.stash.add_scene(**fields)
        rating_key = self.plex.add_item(self.section, f"/media/movies/{name}", title=plex_title) if in_plex else None
        return scene_id, rating_key


@pytest.fixture
def library(stash: StashEmulator, plex: PlexEmulator, movies: int) -> Library:
    return Library(stash, plex, movies)


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


class FakeClock:
    """A clock tests move by hand: retry and probe schedules of minutes run in milliseconds."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
