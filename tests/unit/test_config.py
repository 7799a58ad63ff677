import os
import stat

import pytest

from plexsync_gui.core.setup.config import Config, ConfigError, load_config, save_config
from plexsync_gui.core.sync.paths import PathRule

GOOD = """
[stash]
url = "http://127.0.0.1:9999"
[plex]
url = "http://127.0.0.1:32400"
libraries = ["Movies"]
[sync]
strict_matching = true
preserve_plex_edits = false
poll_interval = 30
[[path_map]]
stash = "/data/"
plex = "/media/"
"""


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_example_loads(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.plex.libraries == ["Movies"]
    assert config.sync.poll_interval == 30.0
    assert config.path_map == [PathRule("/data/", "/media/")]
    assert config.fields.rating is False and config.fields.title is True


@pytest.mark.parametrize(
    "text,expected",
    [
        ("[plex]\nurl = 'ftp://x'\n", "plex.url: must be an http:// or https:// URL"),
        ("[plex]\nurl = 'plex.local'\n", "plex.url"),
        ("[sync]\npoll_interval = 'often'\n", "sync.poll_interval: must be a number"),
        ("[sync]\npoll_interval = 1\n", "sync.poll_interval: must be between 5 and 86400"),
        ("[sync]\nmax_retries = 2.5\n", "sync.max_retries: must be a whole number"),
        ("[sync]\nstrict_matching = 'yes'\n", "sync.strict_matching: must be true or false"),
        ("[sync]\nstrict_mathcing = true\n", "sync.strict_mathcing: unknown key"),
        ("[plex]\nlibraries = 'Movies'\n", "plex.libraries: must be a list"),
        ("[nonsense]\n", "nonsense: unknown section"),
        ("plex = 3\n", "plex: must be a table"),
        ("[[path_map]]\nstash = 'data/'\nplex = '/media/'\n", "path_map #1.stash: must be an absolute path"),
        ("[[path_map]]\nstash = '/data/'\n", "path_map #1: needs exactly the keys stash and plex"),
        ("[[path_map]]\nstash = '/a/'\nplex = '/b/'\n[[path_map]]\nstash = '/a/'\nplex = '/c/'\n",
         "path_map #2.stash: '/a/' is already mapped"),
        ("[stash]\nurl = 'http://user:pw@host:9999'\n", "stash.url: must not carry credentials"),
    ],
)
def test_mistakes_are_one_line_naming_the_key(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_malformed_toml_names_the_file(tmp_path):
    path = write(tmp_path, "[plex\nurl=")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config(path)


def test_missing_file_says_where_it_looked(tmp_path):
    with pytest.raises(ConfigError, match="no config file at"):
        load_config(tmp_path / "absent.toml")


def test_save_round_trips_and_is_private(tmp_path):
    config = Config()
    config.plex.libraries = ["Movies", "TV"]
    config.sync.preserve_plex_edits = True
    config.fields.rating = True
    config.path_map = [PathRule("/data/", "/media/")]
    path = tmp_path / "sub" / "config.toml"
    save_config(path, config)
    assert load_config(path) == config
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
