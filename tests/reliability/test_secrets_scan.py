"""After every other test of the session ran (see conftest.py), read every log and database file they produced,
the kill test's data directory included, and find none of the secrets they used."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.reliability

SECRETS = [PLEX_TOKEN, STASH_KEY, "wrong-token-123"]
# Files a user hands over in a bug report; config files hold secrets on purpose (mode 0600) and certificates none.
SKIPPED_SUFFIXES = (".toml", ".pem", ".key")


def scan(root: Path, secrets: list[str]) -> tuple[dict[str, int], list[str]]:
    counts = {"log": 0, "database": 0, "other": 0}
    found = []
    for path in root.rglob("*"):
        if not path.is_file() or path.name.endswith(SKIPPED_SUFFIXES):
            continue
        kind = "log" if ".log" in path.name or path.suffix == ".txt" else \
            "database" if ".db" in path.name else "other"
        counts[kind] += 1
        data = path.read_bytes()
        found += [f"{path}: {s}" for s in secrets if s.encode() in data or s.encode("utf-16-le") in data]
    return counts, found


def test_the_scan_finds_a_planted_secret(tmp_path):
    planted = tmp_path / "plexsync.log"
    planted.write_text(f"oops {PLEX_TOKEN}")
    try:
        counts, found = scan(tmp_path, SECRETS)
        assert counts["log"] == 1 and found == [f"{planted}: {PLEX_TOKEN}"]
    finally:
        planted.unlink()  # the session-wide scan must not find the canary


def test_no_secret_in_any_log_or_database_the_tests_produced(tmp_path_factory):
    counts, found = scan(tmp_path_factory.getbasetemp(), SECRETS)
    print(f"\nsecrets scan: {counts['log']} log files, {counts['database']} database files, "
          f"{counts['other']} other files; secrets found: {len(found)}")
    assert counts["log"] > 0 and counts["database"] > 0  # the scan saw what the suites produced
    assert found == []
