"""The `plexsync` command-line contract: commands, exit codes, JSON shapes, one-line errors."""

from __future__ import annotations

import calendar
import json

import pytest

from plexsync_gui.cli.main import main
from plexsync_gui.core.storage.store import NewJob, Store
from tests.servers import PLEX_TOKEN, STASH_KEY

pytestmark = pytest.mark.integration

QUEUE_KEYS = ["id", "scene_id", "title", "path", "status", "attempts", "max_attempts", "next_retry_at",
              "last_error_type", "last_error"]
DLQ_KEYS = ["id", "scene_id", "title", "path", "error_type", "error", "attempts", "failed_at", "max_attempts"]
STATUS_KEYS = {"pending", "retry_wait", "in_progress", "dlq", "synced", "breaker"}


def test_check_lists_libraries(cli):
    code, out, err = cli("check")
    assert code == 0, err
    assert "Movies" in out and "/media/movies" in out


def test_check_with_bad_config_exits_2_with_one_line(cli):
    cli.config_file.write_text('[plex]\nurl = "nope"\n')
    code, _out, err = cli("check")
    assert code == 2
    assert err.strip().count("\n") == 0 and "plex.url" in err


def test_check_with_unreachable_plex_exits_3(cli, plex):
    plex.refuse()
    code, _, err = cli("check")
    assert code == 3 and "unreachable" in err and "Traceback" not in err


def test_check_with_wrong_token_exits_3_without_the_token(cli, monkeypatch):
    monkeypatch.setenv("PLEXSYNC_PLEX_TOKEN", "wrong-token-123")
    code, _, err = cli("check")
    assert code == 3 and "token" in err and "wrong-token-123" not in err


def test_check_with_wrong_stash_key_exits_3(cli, monkeypatch):
    monkeypatch.setenv("PLEXSYNC_STASH_API_KEY", "bad")
    code, _, err = cli("check")
    assert code == 3 and "API key" in err


def test_check_with_absent_library_exits_2(cli):
    cli.config_file.write_text(cli.config_file.read_text().replace('["Movies"]', '["Films"]'))
    code, _, err = cli("check")
    assert code == 2 and "Films" in err


def test_sync_process_status_round_trip(cli, library):
    for i in range(3):
        library.add(title=f"Scene {i}")
    library.add(title="Not in Plex", in_plex=False)
    assert cli("sync", "--all")[0] == 0
    code, out, _ = cli("status", "--json")
    status = json.loads(out)
    assert code == 0 and set(status) >= STATUS_KEYS and status["pending"] == 4
    assert cli("process")[0] == 0
    status = json.loads(cli("status", "--json")[1])
    assert (status["synced"], status["retry_wait"], status["breaker"]) == (3, 1, "closed")
    _code, out, _ = cli("queue", "list", "--json")
    [row] = json.loads(out)
    assert list(row) == QUEUE_KEYS
    assert row["status"] == "retry_wait" and row["last_error_type"] == "PlexNotFound"
    assert row["next_retry_at"].endswith("Z")
    assert cli("sync", "--all")[1].startswith("queued 0, unchanged 4")


def test_queue_retry_now_makes_a_job_due(cli, library, plex, movies):
    library.add(title="Late", in_plex=False, name="late.mp4")
    cli("sync", "--all")
    cli("process")
    [row] = json.loads(cli("queue", "list", "--json")[1])
    plex.add_item(movies, "/media/movies/late.mp4")
    assert cli("queue", "retry-now", str(row["id"]))[0] == 0
    cli("process")
    assert json.loads(cli("queue", "list", "--json")[1]) == []


def test_dlq_list_retry_discard_purge(cli, stash):
    for i in range(3):
        stash.add_scene(title=f"No file {i}")
    cli("sync", "--all")
    cli("process")
    rows = json.loads(cli("dlq", "list", "--json")[1])
    assert len(rows) == 3 and list(rows[0]) == DLQ_KEYS
    assert cli("dlq", "retry", str(rows[0]["id"]))[0] == 0
    assert len(json.loads(cli("queue", "list", "--json")[1])) == 1
    assert cli("dlq", "discard", str(rows[1]["id"]))[0] == 0
    assert [r["id"] for r in json.loads(cli("dlq", "list", "--json")[1])] == [rows[2]["id"]]
    assert cli("dlq", "purge", "--older-than", "1")[1].startswith("purged 0")
    assert cli("dlq", "discard", "--all")[0] == 0
    assert json.loads(cli("dlq", "list", "--json")[1]) == []


@pytest.mark.usefixtures("berlin_time")
def test_listings_print_times_as_utc_text_in_any_zone(cli, tmp_path):
    """The store keeps epoch seconds; the CLI prints them as ISO 8601 UTC, as it always has, summer time or not."""
    july_noon = calendar.timegm((2026, 7, 1, 12, 0, 0))
    store = Store(tmp_path / "data" / "plexsync.db")
    store.enqueue([NewJob(s, f"Scene {s}", f"/data/movies/{s}.mp4", "{}", f"h{s}") for s in ("1", "2")])
    store.dead_letter(store.claim_next(), "PermanentError", "no file", 1, now=july_noon)
    store.reschedule(store.claim_next(), "PlexNotFound", "not yet", 1, 12, next_retry_at=july_noon + 90)
    store.close()
    [job] = json.loads(cli("queue", "list", "--json")[1])
    assert job == {"id": 2, "scene_id": "2", "title": "Scene 2", "path": "/data/movies/2.mp4", "status": "retry_wait",
                   "attempts": 1, "max_attempts": 12, "next_retry_at": "2026-07-01T12:01:30Z",
                   "last_error_type": "PlexNotFound", "last_error": "not yet"}
    [dead] = json.loads(cli("dlq", "list", "--json")[1])
    assert (dead["failed_at"], dead["error_type"]) == ("2026-07-01T12:00:00Z", "PermanentError")
    assert cli("queue", "list")[1].splitlines()[1].split("\t") == [
        "2", "2", "retry_wait", "1", "2026-07-01T12:01:30Z", "Scene 2", "not yet"]
    assert "\t2026-07-01T12:00:00Z\t" in cli("dlq", "list")[1]


def test_unknown_ids_and_bad_flags(cli, library):
    library.add(title="x")
    code, _, err = cli("dlq", "retry", "12345")
    assert code == 2 and "no such id: 12345" in err
    code, _, err = cli("sync", "--scene", "99999")
    assert code == 2 and "99999" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["sync", "--scene", "abc"])
    assert exit_info.value.code == 2


def test_process_exits_3_when_plex_rejects_the_token(cli, library, monkeypatch):
    library.add(title="x")
    library.add(title="y")
    cli("sync", "--all")
    monkeypatch.setenv("PLEXSYNC_PLEX_TOKEN", "revoked")
    code, _, err = cli("process")
    assert code == 3 and "paused" in err
    status = json.loads(cli("status", "--json")[1])
    assert status["dlq"] == 1 and status["pending"] == 1 and status["paused"]
    monkeypatch.setenv("PLEXSYNC_PLEX_TOKEN", PLEX_TOKEN)
    assert cli("process")[0] == 0
    assert json.loads(cli("status", "--json")[1])["synced"] == 1


def test_secrets_never_reach_logs_or_the_database(cli, library, tmp_path, plex):
    library.add(title="x")
    cli("-v", "sync", "--all")
    plex.fail_next(401)
    cli("-v", "process")
    cli("-v", "check")
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PLEX_TOKEN.encode() not in data and STASH_KEY.encode() not in data, path
