"""A config error is printed before logging (and its redaction) exists: a token on the broken line must not ride
along to stderr or into the desktop app's message."""

from __future__ import annotations

import logging

import pytest

from plexsync_gui.core.setup.config import ConfigError, load_config
from plexsync_gui.ui.app import parse_args, startup_environment

pytestmark = pytest.mark.security

TOKEN = "pasted-tok-7Qz9xK2m"
NUMERIC_KEY = "8675309112358"

# A token on the line that is wrong, in every way a config can be wrong.
BROKEN = [
    f'[plex]\ntoken = ["{TOKEN}"]\n',  # a list where a string belongs: the type error names the value
    f"[stash]\napi_key = {NUMERIC_KEY}\n",  # a key that looks like a number is read as one
    f"plex = {{ token = {NUMERIC_KEY}, timeout = 5 }}\n",
    f'[plex]\ntokn = "{TOKEN}"\n',  # misspelt key
    f'[plex]\ntoken = "{TOKEN}" x\n',  # TOML syntax errors
    f'[plex]\ntoken = "{TOKEN}\n',
    f"[plex]\ntoken = {TOKEN}\n",
    f'[plex]\nurl = "nas:32400/?X-Plex-Token={TOKEN}"\n',
    f'[plex]\ntimeout = "{TOKEN}"\nplex_token = "{TOKEN}"\n',  # the same value pasted into another key as well
]
SECRETS = (TOKEN, NUMERIC_KEY)


def leaked(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


@pytest.mark.parametrize("text", BROKEN, ids=[f"config{i}" for i in range(len(BROKEN))])
def test_the_error_line_never_carries_the_secret(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert leaked(message) == [] and message and "\n" not in message


@pytest.mark.parametrize("text", BROKEN, ids=[f"config{i}" for i in range(len(BROKEN))])
def test_the_cli_prints_the_config_error_without_the_secret(cli, text):
    cli.config_file.write_text(text, encoding="utf-8")
    for command in (["check"], ["sync", "--all"]):
        code, out, err = cli(*command)
        assert code == 2 and err.startswith("plexsync: config error: ") and err.count("\n") == 1, err
        assert leaked(out + err) == [], err


@pytest.mark.parametrize("text", BROKEN, ids=[f"config{i}" for i in range(len(BROKEN))])
def test_the_desktop_app_moves_the_config_aside_and_says_why_without_the_secret(tmp_path, text, capfd, caplog):
    caplog.set_level(logging.INFO)
    config_file = tmp_path / "config.toml"
    config_file.write_text(text, encoding="utf-8")
    args = parse_args(["--config", str(config_file), "--data-dir", str(tmp_path / "data")])
    with startup_environment(args) as startup:
        notices = list(startup.notices)
    out, err = capfd.readouterr()
    assert len(notices) == 1 and "could not be used" in notices[0]
    assert leaked("\n".join(notices) + out + err + caplog.text) == []
