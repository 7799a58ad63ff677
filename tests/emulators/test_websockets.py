"""The emulators' websockets, driven by websocket-client (the library PlexSync and plexapi use): Plex's
notification socket with its scans, Stash's jobsSubscribe in both of gqlgen's protocols."""

from __future__ import annotations

import json
import time

import pytest
import requests
import websocket

from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator
from tests.servers import PLEX_TOKEN, STASH_KEY


def ws_url(http_url: str, path: str) -> str:
    return http_url.replace("http://", "ws://") + path


def refresh(plex: PlexEmulator, section: int, path: str | None = None) -> int:
    params = {"path": path} if path else {}
    return requests.get(f"{plex.url}/library/sections/{section}/refresh", params=params,
                        headers={"X-Plex-Token": PLEX_TOKEN}, timeout=5).status_code


def test_an_unscanned_file_becomes_an_item_only_when_a_scan_covers_its_folder(plex: PlexEmulator,
                                                                               movies: int) -> None:
    ws = websocket.create_connection(ws_url(plex.url, "/:/websockets/notifications"),
                                     header=[f"X-Plex-Token: {PLEX_TOKEN}"], timeout=5)
    try:
        plex.add_unscanned_file(movies, "/media/movies/new/a.mp4", title="A")
        assert refresh(plex, movies, "/media/movies/other") == 200
        assert refresh(plex, movies, "/media/movies/ne") == 200  # a prefix of the folder name is another folder
        assert plex.notifications.unscanned_count() == 1
        assert refresh(plex, movies, "/media/movies/new") == 200
        created, processed = json.loads(ws.recv()), json.loads(ws.recv())
    finally:
        ws.close()
    assert plex.notifications.unscanned_count() == 0
    entries = created["NotificationContainer"]["TimelineEntry"]
    assert [(e["itemID"], e["state"], e["type"], e["sectionID"]) for e in entries] == [("1000", 0, 1, str(movies))]
    assert processed["NotificationContainer"]["TimelineEntry"][0]["state"] == 5
    assert plex.item_state("1000")["file"] == "/media/movies/new/a.mp4"


def test_a_full_refresh_scans_every_unscanned_file(plex: PlexEmulator, movies: int) -> None:
    plex.add_unscanned_file(movies, "/media/movies/x/1.mp4")
    plex.add_unscanned_file(movies, "/media/movies/y/2.mp4")
    assert refresh(plex, movies) == 200
    assert plex.notifications.unscanned_count() == 0
    assert {plex.item_state(k)["file"] for k in ("1000", "1001")} == {"/media/movies/x/1.mp4", "/media/movies/y/2.mp4"}


def test_the_notification_socket_wants_the_token(plex: PlexEmulator) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(ws_url(plex.url, "/:/websockets/notifications"), timeout=5)
    assert refused.value.status_code == 401


@pytest.mark.parametrize(("protocol", "subscribe", "data"), [
    ("graphql-transport-ws", "subscribe", "next"),
    ("graphql-ws", "start", "data"),
])
def test_jobs_subscribe_in_both_protocols(stash: StashEmulator, protocol: str, subscribe: str, data: str) -> None:
    ws = websocket.create_connection(ws_url(stash.url, "/graphql"), header=[f"ApiKey: {STASH_KEY}"],
                                     subprotocols=[protocol], timeout=5)
    try:
        ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        assert json.loads(ws.recv())["type"] == "connection_ack"
        if protocol == "graphql-ws":
            assert json.loads(ws.recv())["type"] == "ka"
        ws.send(json.dumps({"id": "1", "type": subscribe,
                            "payload": {"query": "subscription { jobsSubscribe { type job { id status } } }"}}))
        deadline = time.monotonic() + 10
        while not stash.jobs.subscribed and time.monotonic() < deadline:
            time.sleep(0.01)
        stash.jobs.run_job("Scanning...")
        updates = [json.loads(ws.recv()) for _ in range(4)]
    finally:
        ws.close()
    assert {u["type"] for u in updates} == {data}
    jobs = [u["payload"]["data"]["jobsSubscribe"] for u in updates]
    assert [(j["type"], j["job"]["status"]) for j in jobs] == [
        ("ADD", "READY"), ("UPDATE", "RUNNING"), ("UPDATE", "FINISHED"), ("REMOVE", "FINISHED")]


def test_the_subscription_socket_wants_the_api_key(stash: StashEmulator) -> None:
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(ws_url(stash.url, "/graphql"), header=["ApiKey: wrong"],
                                    subprotocols=["graphql-transport-ws"], timeout=5)
    assert refused.value.status_code == 401
