"""Secrets and transport: config-file permissions, TLS verified by default, custom CA bundles, verification turned
off only explicitly and visibly, and secrets redacted wherever text is printed or logged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plexsync_gui.cli.main import main
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.setup.logs import MASK, RedactingFilter, redact, setup_logging
from plexsync_gui.core.setup.security import config_permission_problem, tls_warnings
from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator
from tests.certs import Certificate, make_certificate
from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.reliability


# ---- config file permissions -----------------------------------------------------------------------------------


def config_with(token: str | None) -> Config:
    config = Config()
    config.plex.token = token
    return config


@pytest.mark.parametrize("mode,expected", [
    (0o600, None), (0o400, None), (0o640, "readable by its group (mode 0640)"),
    (0o644, "readable by others (mode 0644)"), (0o604, "readable by others"),
])
def test_a_config_holding_a_secret_must_be_private(tmp_path, mode, expected):
    path = tmp_path / "config.toml"
    path.write_text("x")
    path.chmod(mode)
    problem = config_permission_problem(path, config_with("t0ken"))
    if expected is None:
        assert problem is None
    else:
        assert expected in problem and f"chmod 600 '{path}'" in problem


def test_a_readable_config_without_secrets_is_fine(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("x")
    path.chmod(0o644)
    assert config_permission_problem(path, config_with(None)) is None


def test_the_cli_warns_on_every_command_and_check_lists_it(cli):
    cli.config_file.write_text(cli.config_file.read_text().replace("[plex]\n", f"[plex]\ntoken = '{PLEX_TOKEN}'\n"))
    cli.config_file.chmod(0o644)
    for command in (["status"], ["queue", "list"], ["sync", "--all"], ["process"]):
        code, out, err = cli(*command)
        assert code == 0 and "warning:" in err and "chmod 600" in err, command
        assert PLEX_TOKEN not in out + err
    code, out, err = cli("check")
    assert code == 0 and "warning:" in out and "chmod 600" in out
    cli.config_file.chmod(0o600)
    assert "chmod" not in "".join(cli("status")[1:])


# ---- TLS ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Certificate:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_servers(certificate) -> Iterator[tuple[StashEmulator, PlexEmulator]]:
    with StashEmulator(api_key=STASH_KEY, ssl_context=certificate.server_context()) as stash, \
            PlexEmulator(token=PLEX_TOKEN, ssl_context=certificate.server_context()) as plex:
        section = plex.add_section("Movies", "movie", ["/media/movies"])
        stash.add_scene(title="Over TLS", files=["/data/movies/tls.mp4"])
        plex.add_item(section, "/media/movies/tls.mp4")
        yield stash, plex


@pytest.fixture
def run_cli(tmp_path, monkeypatch, capsys, tls_servers) -> Callable[..., tuple[int, str, str]]:
    stash, plex = tls_servers
    monkeypatch.setenv("PLEXSYNC_PLEX_TOKEN", PLEX_TOKEN)
    monkeypatch.setenv("PLEXSYNC_STASH_API_KEY", STASH_KEY)

    def run(tls: str, *argv: str) -> tuple[int, str, str]:
        config = tmp_path / "config.toml"
        config.write_text(f"[stash]\nurl = '{stash.url}'\ntimeout = 2\n{tls}\n"
                          f"[plex]\nurl = '{plex.url}'\ntimeout = 2\nlibraries = ['Movies']\n{tls}\n"
                          "[[path_map]]\nstash = '/data/'\nplex = '/media/'\n")
        code = main(["--config", str(config), "--data-dir", str(tmp_path / "data"), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_tls_is_verified_by_default_and_an_untrusted_certificate_is_refused(run_cli):
    code, _out, err = run_cli("", "check")
    assert code == 3 and "is not trusted" in err and "ca_bundle" in err and "Traceback" not in err


def test_a_custom_ca_bundle_is_trusted(run_cli, certificate, tls_servers):
    _, plex = tls_servers
    bundle = f"ca_bundle = '{certificate.ca_file}'"
    code, out, err = run_cli(bundle, "check")
    assert code == 0 and "warning" not in out + err, err
    assert run_cli(bundle, "sync", "--all")[0] == 0
    assert run_cli(bundle, "process")[0] == 0
    assert plex.item_state("1000")["title"] == "Over TLS"


def test_turning_verification_off_is_explicit_and_visible(run_cli, tls_servers, tmp_path):
    _, plex = tls_servers
    code, out, err = run_cli("verify_tls = false", "check")
    assert code == 0, err
    assert out.count("warning: TLS certificate verification is OFF") == 2  # stash and plex, in check's report
    assert err.count("WARNING TLS certificate verification is OFF") == 2  # and on the log, for every command
    assert run_cli("verify_tls = false", "sync", "--all")[0] == 0
    code, out, err = run_cli("verify_tls = false", "process")
    assert code == 0 and "verification is OFF" in err
    log_text = (tmp_path / "data" / "logs" / "plexsync.log").read_text()
    assert "TLS certificate verification is OFF for plex" in log_text
    assert plex.item_state("1000")["title"] == "Over TLS"


def test_tls_warnings_name_only_the_unverified_servers():
    config = Config()
    config.plex.url = "https://plex.lan:32400"
    assert tls_warnings(config) == []
    config.plex.verify_tls = False
    [warning] = tls_warnings(config)
    assert "for plex (plex.verify_tls = false)" in warning and "token" in warning


@pytest.mark.parametrize(("url", "warned"), [
    ("https://plex.lan:32400", True),
    ("HTTPS://plex.lan:32400", True),
    (" https://plex.lan", True),
    ("http://plex.lan:32400", False),  # no certificate to skip: a warning would only teach users to ignore it
    ("http://127.0.0.1:32400", False),
])
def test_tls_warnings_only_for_https_urls(url: str, warned: bool):
    config = Config()
    config.plex.url, config.plex.verify_tls = url, False
    config.stash.url, config.stash.verify_tls = "http://stash.lan:9999", False
    assert [w.split(" (")[0] for w in tls_warnings(config)] == (
        ["TLS certificate verification is OFF for plex"] if warned else [])


# ---- redaction ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    f"GET http://nas:32400/library/sections?X-Plex-Token={PLEX_TOKEN}&type=1",
    f"http://nas:32400/photo?x-plex-token={PLEX_TOKEN}",
    f"'url': 'http://stash:9999/scene/1/screenshot?apikey={STASH_KEY}'",
    f"http://stash:9999/graphql?api_key={STASH_KEY} failed",
    f"token={PLEX_TOKEN}",
    f"something mentions {PLEX_TOKEN} and {STASH_KEY} bare",
])
def test_redact_masks_url_secrets_and_known_values(text):
    out = redact(text, [PLEX_TOKEN, STASH_KEY])
    assert PLEX_TOKEN not in out and STASH_KEY not in out and MASK in out


def test_url_secrets_are_masked_even_when_the_value_is_unknown():
    assert redact("http://x/y?X-Plex-Token=abcdef123&z=1", []) == "http://x/y?X-Plex-Token=***&z=1"


def test_log_records_are_redacted_in_message_arguments_and_tracebacks(tmp_path):
    setup_logging(tmp_path, [PLEX_TOKEN])
    log = logging.getLogger("plexsync.test")
    log.warning("fetching %s", f"http://nas/?X-Plex-Token={PLEX_TOKEN}")
    try:
        raise RuntimeError(f"boom {PLEX_TOKEN}")
    except RuntimeError:
        log.exception("failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = (tmp_path / "plexsync.log").read_text()
    assert "fetching" in text and "boom" in text and PLEX_TOKEN not in text


def test_the_redacting_filter_handles_records_without_arguments():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, f"plain {STASH_KEY}", None, None)
    RedactingFilter([STASH_KEY]).filter(record)
    assert record.getMessage() == f"plain {MASK}"


def test_cli_errors_are_printed_redacted(cli):
    cli.config_file.write_text(f"[plex]\nurl = 'ftp://nas:32400/?X-Plex-Token={PLEX_TOKEN}'\n")
    code, _out, err = cli("check")
    assert code == 2 and "plex.url" in err and PLEX_TOKEN not in err and "X-Plex-Token=***" in err


def test_secrets_stay_out_of_dead_letters_and_activity(cli, library, plex, monkeypatch):
    library.add(title="x")
    monkeypatch.setenv("PLEXSYNC_PLEX_TOKEN", "wrong-" + PLEX_TOKEN)
    cli("sync", "--all")
    code, _, err = cli("process")
    assert code == 3 and PLEX_TOKEN not in err
    dead = cli("dlq", "list", "--json")[1]
    assert "401" in dead and PLEX_TOKEN not in dead
    assert Path(cli.config_file).read_text().count(PLEX_TOKEN) == 0
