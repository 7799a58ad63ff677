"""Bad configuration and bad command lines: one clear line each, the documented exit code, no traceback, and the
user's config file left where it was."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from plexsync_gui.cli.main import main
from plexsync_gui.core.setup.config import ConfigError, load_config
from plexsync_gui.core.storage.quarantine import move_aside

pytestmark = pytest.mark.reliability

# (config text, what the one line must name)
BAD_CONFIGS = [
    # malformed TOML
    ("[plex\nurl = 'x'\n", "is not valid TOML"),
    ("[plex]\nurl = \n", "is not valid TOML"),
    ("[plex]\nurl = 'unterminated\n", "is not valid TOML"),
    ("[plex]\nlibraries = ['a',\n", "is not valid TOML"),
    ("[plex]\n[plex]\n", "is not valid TOML"),
    # wrong types
    ("[plex]\ntimeout = 'fast'\n", "plex.timeout: must be a number"),
    ("[plex]\nlibraries = [1, 2]\n", "plex.libraries: must be a list of non-empty strings"),
    ("[plex]\nlibraries = ['']\n", "plex.libraries: must be a list of non-empty strings"),
    ("[sync]\nmax_retries = true\n", "sync.max_retries: must be a number"),
    ("[sync]\nmax_retries = 0\n", "sync.max_retries: must be between 1 and 50"),
    ("[sync]\npoll_interval = 0\n", "sync.poll_interval: must be between 5 and 86400"),
    ("[stash]\ntimeout = 0\n", "stash.timeout: must be between 1 and 600"),
    ("[stash]\nverify_tls = 'no'\n", "stash.verify_tls: must be true or false"),
    ("[plex]\nca_bundle = 5\n", "plex.ca_bundle: must be a string"),
    ("[fields]\ntitle = 1\n", "fields.title: must be true or false"),
    ("[desktop]\nstart_hidden = 'yes'\n", "desktop.start_hidden: must be true or false"),
    ("[stash]\napi_key = ['a']\n", "stash.api_key: must be a string"),
    ("sync = [1]\n", "sync: must be a table"),
    ("path_map = 'x'\n", "path_map: must be an array of tables"),
    ("path_map = [1]\n", "path_map #1: needs exactly the keys stash and plex"),
    ("[[path_map]]\nstash = 1\nplex = '/m/'\n", "path_map #1.stash: must be an absolute path"),
    # missing or unknown keys
    ("[[path_map]]\nstash = '/data/'\n", "path_map #1: needs exactly the keys stash and plex"),
    ("[[path_map]]\nplex = '/media/'\n", "path_map #1: needs exactly the keys stash and plex"),
    ("[[path_map]]\nstash = '/a/'\nplex = '/b/'\nnote = 'x'\n", "path_map #1: needs exactly the keys stash and plex"),
    ("[plex]\ntokn = 'x'\n", "plex.tokn: unknown key"),
    ("[sychn]\n", "sychn: unknown section"),
    # bad URLs
    ("[plex]\nurl = ''\n", "plex.url: must be an http:// or https:// URL"),
    ("[plex]\nurl = 'localhost:32400'\n", "plex.url: must be an http:// or https:// URL"),
    ("[plex]\nurl = 'http://'\n", "plex.url: must be an http:// or https:// URL"),
    ("[plex]\nurl = 'ftp://nas'\n", "plex.url: must be an http:// or https:// URL"),
    ("[plex]\nurl = 'http://exa mple:32400'\n", "plex.url: must be an http:// or https:// URL"),
    ("[plex]\nurl = 'http://nas:99999'\n", "plex.url: the port must be a number from 1 to 65535"),
    ("[plex]\nurl = 'http://nas:abc'\n", "plex.url: the port must be a number from 1 to 65535"),
    ("[stash]\nurl = 'https://nas:0'\n", "stash.url: the port must be a number from 1 to 65535"),
    ("[plex]\nurl = 'http://nas:32400/?X-Plex-Token=abc'\n", "plex.url: must not carry credentials or a query"),
    ("[stash]\nurl = 'http://me:pw@nas:9999'\n", "stash.url: must not carry credentials or a query"),
    # relative and overlapping path maps
    ("[[path_map]]\nstash = 'data/'\nplex = '/media/'\n", "path_map #1.stash: must be an absolute path"),
    ("[[path_map]]\nstash = '/data/'\nplex = './media'\n", "path_map #1.plex: must be an absolute path"),
    ("[[path_map]]\nstash = '/data/'\nplex = '~/media'\n", "path_map #1.plex: must be an absolute path"),
    ("[[path_map]]\nstash = '/data/'\nplex = 'C:media'\n", "path_map #1.plex: must be an absolute path"),
    ("[[path_map]]\nstash = '/data'\nplex = '/a/'\n[[path_map]]\nstash = '/data/'\nplex = '/b/'\n",
     "path_map #2.stash: '/data/' is already mapped by an earlier rule ('/data' -> '/a/')"),
    ("[[path_map]]\nstash = 'C:\\\\Data'\nplex = '/a/'\n[[path_map]]\nstash = 'c:\\\\data\\\\'\nplex = '/b/'\n",
     "path_map #2.stash"),
    # TLS settings that cannot work
    ("[plex]\nca_bundle = '/nonexistent/ca.pem'\n", "plex.ca_bundle: no such file: /nonexistent/ca.pem"),
    ("[stash]\nverify_tls = false\nca_bundle = '/etc/hostname'\n", "stash.ca_bundle: set, but stash.verify_tls"),
]


@pytest.mark.parametrize("text,expected", BAD_CONFIGS, ids=[f"config{i}" for i in range(len(BAD_CONFIGS))])
def test_each_config_mistake_is_one_line_naming_it(tmp_path, text, expected):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_nested_path_maps_are_allowed_and_the_longest_wins(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[[path_map]]\nstash = '/data/'\nplex = '/a/'\n[[path_map]]\nstash = '/data/movies/'\n"
                    "plex = '/b/'\n")
    assert len(load_config(path).path_map) == 2


@pytest.mark.parametrize("content", [b"\xff\xfe[plex]\x00\x00", b"[plex]\nurl = 'http://x:1'\n\x80\x81"])
def test_a_config_that_is_not_text_is_one_line(tmp_path, content):
    path = tmp_path / "config.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(path)


@pytest.mark.parametrize("text", [t for t, _ in BAD_CONFIGS[::4]] + ["\x00binary"])
def test_the_cli_reports_a_bad_config_with_exit_2_and_leaves_the_file_alone(cli, text):
    cli.config_file.write_text(text, encoding="utf-8")
    before = cli.config_file.stat().st_mtime_ns
    for command in (["check"], ["sync", "--all"], ["process"], ["run"]):
        code, out, err = cli(*command)
        assert code == 2 and err.startswith("plexsync: config error: ") and err.count("\n") == 1, err
        assert "Traceback" not in out + err
    assert cli.config_file.read_text(encoding="utf-8") == text  # a typo never costs the user their file
    assert cli.config_file.stat().st_mtime_ns == before
    assert [p.name for p in cli.config_file.parent.iterdir() if p.name.startswith("config.toml.")] == []


def test_a_missing_config_file_says_where_it_looked(cli, tmp_path):
    cli.config_file.unlink()
    code, _, err = cli("check")
    assert code == 2 and f"no config file at {cli.config_file}" in err


BAD_FLAGS = [
    [], ["frobnicate"], ["--bogus", "status"], ["sync"], ["sync", "--all", "--scene", "1"], ["sync", "--scene"],
    ["sync", "--scene", "abc"], ["sync", "--scene", "-1"], ["sync", "--recent", "-1"], ["sync", "--recent", "x"],
    ["sync", "--recent", "0"], ["queue"], ["queue", "retry-now"], ["queue", "retry-now", "abc"],
    ["queue", "retry-now", "1", "--all"], ["dlq", "purge"], ["dlq", "purge", "--older-than", "0"],
    ["dlq", "retry", "1.5"], ["status", "--xml"], ["check", "extra"],
]


@pytest.mark.parametrize("argv", BAD_FLAGS, ids=[" ".join(a) or "nothing" for a in BAD_FLAGS])
def test_bad_flags_exit_2_with_a_usage_line(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    assert info.value.code == 2
    assert err.startswith("usage: plexsync") and "plexsync" in err.splitlines()[-1] and "error:" in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("argv,message", [
    (["queue", "retry-now", "999"], "no such id: 999 (see the list command)"),
    (["dlq", "retry", "41", "42"], "no such id: 41, 42"),
    (["dlq", "discard", "7"], "no such id: 7"),
    (["sync", "--scene", "99999"], "unknown scene id(s) in Stash: 99999"),
    (["sync", "--scene", "1", "424242"], "unknown scene id(s) in Stash: 424242"),
])
def test_unknown_ids_exit_2_with_one_line(cli, library, argv, message):
    library.add(title="known")
    code, out, err = cli(*argv)
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in out + err


def test_move_aside_keeps_every_file_with_a_timestamp(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("[plex\n")
    now = time.mktime((2026, 3, 4, 5, 6, 7, 0, 0, -1))
    first = move_aside(config, "corrupt", now=now)
    config.write_text("again")
    second = move_aside(config, "corrupt", now=now)
    assert (first.name, second.name) == ("config.toml.corrupt-20260304-050607", "config.toml.corrupt-20260304-050607-1")
    assert first.read_text() == "[plex\n" and second.read_text() == "again" and not config.exists()


def test_move_aside_takes_the_sqlite_companions_along(tmp_path):
    database = tmp_path / "plexsync.db"
    for suffix, data in (("", b"main"), ("-wal", b"wal"), ("-shm", b"shm")):
        database.with_name(database.name + suffix).write_bytes(data)
    moved = move_aside(database)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([moved.name, moved.name + "-wal", moved.name + "-shm"])
    assert moved.with_name(moved.name + "-wal").read_bytes() == b"wal"


def test_a_config_created_by_the_app_is_private(tmp_path):
    from plexsync_gui.core.setup.config import Config, save_config

    config = Config()
    config.plex.token = "a-secret-token-123"
    path = tmp_path / "new" / "config.toml"
    save_config(path, config)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def _unusable_data_dir(kind: str, tmp_path):
    """A data folder PlexSync cannot use: `/etc/passwd`-like file, a path under a file, a folder it may not write."""
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    if kind == "a file":
        return a_file
    if kind == "under a file":
        return a_file / "data"
    if kind == "read-only folder":
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    if not os.path.isdir("/sys/kernel"):  # "a folder the kernel refuses": even root cannot create one there
        pytest.skip("no sysfs")
    return "/sys/plexsync-data"


UNUSABLE_DATA_DIRS = ["a file", "under a file", "read-only folder", "kernel folder"]
EVERY_COMMAND = [["check"], ["sync", "--all"], ["process"], ["run"], ["status"], ["status", "--json"],
                 ["queue", "list"], ["queue", "retry-now", "--all"], ["dlq", "list"], ["dlq", "retry", "--all"],
                 ["dlq", "discard", "--all"], ["dlq", "purge", "--older-than", "1"]]


@pytest.mark.parametrize("kind", UNUSABLE_DATA_DIRS)
def test_an_unusable_data_dir_is_one_line_and_exit_2_for_every_command(cli, tmp_path, kind):
    data_dir = str(_unusable_data_dir(kind, tmp_path))
    for command in EVERY_COMMAND:
        code, out, err = cli("--data-dir", data_dir, *command)
        assert code == 2, (command, out, err)
        assert err.startswith(f"plexsync: cannot use {data_dir} as the data folder (") and err.count("\n") == 1, err
        assert "choose another with --data-dir" in err and "Traceback" not in out + err


@pytest.mark.parametrize("kind", ["a file", "under a file"])
def test_the_desktop_app_says_an_unusable_data_dir_in_one_line_and_a_message_box(tmp_path, kind):
    """The real `main()` in its own process (it builds its own QApplication), with the modal box recorded instead
    of shown."""
    data_dir = str(_unusable_data_dir(kind, tmp_path))
    program = ("import sys\n"
               "from PySide6.QtWidgets import QMessageBox\n"
               "QMessageBox.critical = staticmethod(lambda parent, title, text: print('BOX:', text) or 0)\n"
               "from plexsync_gui.ui.app import main\n"
               "sys.exit(main(sys.argv[1:]))\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PLEXSYNC_CONFIG": str(tmp_path / "none.toml")}
    result = subprocess.run([sys.executable, "-c", program, "--data-dir", data_dir], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 2, result
    assert result.stderr.startswith(f"plexsync-gui: cannot use {data_dir} as the data folder (")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr + result.stdout
    assert result.stdout.startswith(f"BOX: PlexSync cannot start: cannot use {data_dir} as the data folder (")
