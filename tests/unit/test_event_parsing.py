"""What the listeners read from a notification or a subscription message, and how the inbox and status say it
(pure logic; the protocols themselves run against the emulators in tests/integration/test_events.py)."""

from __future__ import annotations

import pytest

from plexsync_gui.core.events.inbox import MAX_WAITING_ITEMS, EventInbox
from plexsync_gui.core.events.plex_events import appeared_items, websocket_url
from plexsync_gui.core.events.stash_events import finished_job
from plexsync_gui.core.setup.config import ConfigError, config_from_dict, config_to_dict
from plexsync_gui.ui import wording


def timeline(*entries: dict[str, object], kind: str = "timeline") -> dict[str, object]:
    return {"NotificationContainer": {"type": kind, "size": len(entries), "TimelineEntry": list(entries)}}


def entry(**fields: object) -> dict[str, object]:
    return {"identifier": "com.plexapp.plugins.library", "sectionID": "1", "itemID": "1234", "type": 1,
            "state": 0, **fields}


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, [("1234", "1")]),  # created
    ({"state": 5}, [("1234", "1")]),  # processed
    ({"state": 3, "metadataState": "created"}, [("1234", "1")]),
    ({"type": 4, "state": 5}, [("1234", "1")]),  # an episode
    ({"state": 9}, []),  # deleted
    ({"state": 3}, []),  # still downloading metadata
    ({"type": 2}, []),  # a show: PlexSync writes to its episodes
    ({"itemID": ""}, []),
    ({"itemID": "12; DROP"}, []),
    ({"identifier": "com.plexapp.system"}, []),
    ({"type": "garbage", "state": None}, []),
])
def test_timeline_entries_that_announce_a_new_video(fields: dict[str, object], expected: list[tuple[str, str]]) -> None:
    assert appeared_items(timeline(entry(**fields))) == expected


def test_only_timeline_notifications_count() -> None:
    assert appeared_items(timeline(entry(), kind="activity")) == []
    assert appeared_items({"NotificationContainer": "nonsense"}) == []
    assert appeared_items({}) == []


@pytest.mark.parametrize(("update", "expected"), [
    ({"type": "UPDATE", "job": {"id": "7", "status": "FINISHED", "description": "Scanning..."}}, ("7", "Scanning...")),
    ({"type": "REMOVE", "job": {"id": "7", "status": "CANCELLED", "description": "Identifying..."}},
     ("7", "Identifying...")),
    ({"type": "UPDATE", "job": {"id": "7", "status": "RUNNING", "description": "Scanning..."}}, None),
    ({"type": "ADD", "job": {"id": "7", "status": "READY"}}, None),
    ({"type": "UPDATE", "job": None}, None),
])
def test_stash_job_updates_that_mean_finished(update: dict[str, object], expected: tuple[str, str] | None) -> None:
    assert finished_job(update) == expected


def test_websocket_urls_follow_the_scheme() -> None:
    assert websocket_url("http://plex:32400/", "/:/websockets/notifications") == \
        "ws://plex:32400/:/websockets/notifications"
    assert websocket_url("HTTPS://stash.example/", "/graphql") == "wss://stash.example/graphql"


def test_the_inbox_dedupes_items_and_wakes_once_per_fact() -> None:
    woken: list[int] = []
    inbox = EventInbox(lambda: woken.append(1))
    for _ in range(3):
        inbox.item_appeared("1000", "1")
    inbox.stash_job_finished("Scanning...")
    heard = inbox.drain()
    assert (heard.items, heard.stash_jobs, heard.many_items, len(woken)) == (("1000",), ("Scanning...",), False, 4)
    assert not inbox.drain()


def test_a_flood_of_items_is_reported_as_many() -> None:
    inbox = EventInbox()
    for key in range(MAX_WAITING_ITEMS + 5):
        inbox.item_appeared(str(key))
    heard = inbox.drain()
    assert heard.many_items and len(heard.items) == MAX_WAITING_ITEMS


def test_events_config_round_trips_and_rejects_bad_values_by_key() -> None:
    config = config_from_dict({"events": {"listen": False, "scan_missing": False}})
    assert (config.events.listen, config.events.scan_missing) == (False, False)
    assert config_to_dict(config)["events"] == {"listen": False, "scan_missing": False}
    assert config_from_dict({}).events.listen is True
    with pytest.raises(ConfigError, match=r"^events\.listen: must be true or false, got 'yes'$"):
        config_from_dict({"events": {"listen": "yes"}})
    with pytest.raises(ConfigError, match=r"^events\.push: unknown key"):
        config_from_dict({"events": {"push": True}})


def test_the_status_bar_words_for_events() -> None:
    assert wording.events_state({"plex": "live", "stash": "live"})[0] == "Live updates"
    text, tip = wording.events_state({"plex": "polling only: connection refused", "stash": "live"})
    assert text == "Polling (live updates unavailable)" and "Plex: connection refused" in tip
    assert wording.events_state(None)[0] == "Polling"
