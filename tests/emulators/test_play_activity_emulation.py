"""The emulated servers' play activity: Plex's history route (filters, sort, paging) as plexapi reads it, and
Stash's play/activity mutations per schema version, with what an older Stash lacks refused as Stash refuses it."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
import requests
from plexapi.server import PlexServer

from plexsync_gui.emulators.plex import PlexEmulator
from plexsync_gui.emulators.stash import StashEmulator

TOKEN = "emulator-token"
PAST = 1_750_000_000


@pytest.fixture
def plex_with_plays():
    with PlexEmulator(token=TOKEN) as plex:
        section = plex.add_section("Movies", "movie", ["/media"])
        first = plex.add_item(section, "/media/a.mp4", title="A")
        second = plex.add_item(section, "/media/b.mp4", title="B")
        plex.add_play(first, PAST)
        plex.add_play(second, PAST + 60, account_id=2)
        plex.add_play(first, PAST + 120)
        yield plex, first, second


def test_plexapi_reads_the_history_with_its_filters(plex_with_plays) -> None:
    plex, first, second = plex_with_plays
    server = PlexServer(plex.url, TOKEN)
    everything = server.history()
    assert [(int(h.ratingKey), int(h.viewedAt.timestamp())) for h in everything] == \
        [(int(first), PAST + 120), (int(second), PAST + 60), (int(first), PAST)]
    assert {type(h).__name__ for h in everything} == {"MovieHistory"}
    assert [h.accountID for h in server.history(accountID=2)] == [2]
    assert len(server.history(ratingKey=first)) == 2


def test_history_filters_on_viewed_at_inclusively_and_pages(plex_with_plays) -> None:
    plex, _first, _second = plex_with_plays

    def page(**params: str | int) -> list[tuple[str, str]]:
        response = requests.get(f"{plex.url}/status/sessions/history/all", params={"X-Plex-Token": TOKEN, **params},
                                timeout=5)
        assert response.status_code == 200
        return [(v.get("viewedAt"), v.get("historyKey")) for v in ElementTree.fromstring(response.content)]
    assert [v for v, _ in page(**{"viewedAt>": PAST + 60})] == [str(PAST + 60), str(PAST + 120)]
    sorted_desc = {"sort": "viewedAt:desc"}
    assert [v for v, _ in page(**sorted_desc, **{"X-Plex-Container-Start": 1, "X-Plex-Container-Size": 1})] == \
        [str(PAST + 60)]


def test_a_play_updates_the_items_view_state(plex_with_plays) -> None:
    plex, first, _ = plex_with_plays
    plex.edit_item(first, viewOffset=5_000, userRating=7.0)
    plex.add_play(first, PAST + 180)
    state = plex.item_state(first)
    assert (state["viewCount"], state["lastViewedAt"], state["viewOffset"], state["userRating"]) == \
        (3, PAST + 180, None, 7.0)


def graphql(stash: StashEmulator, operation: str, query: str, variables: dict) -> requests.Response:
    return requests.post(f"{stash.url}/graphql", json={"query": query, "operationName": operation,
                                                        "variables": variables},
                         headers={"Accept": "application/json"}, timeout=5)


ADD_PLAY = "mutation AddPlay($id: ID!, $times: [Timestamp!]) { sceneAddPlay(id: $id, times: $times) { count history } }"


def test_stash_stores_plays_in_its_own_zone_to_the_second() -> None:
    with StashEmulator(utc_offset="+02:00") as stash:
        scene = stash.add_scene(title="Played")
        answer = graphql(stash, "AddPlay", ADD_PLAY, {"id": scene, "times": ["2025-06-15T15:06:40Z"]}).json()
        assert answer == {"data": {"sceneAddPlay": {"count": 1, "history": ["2025-06-15T17:06:40+02:00"]}}}
        bad = graphql(stash, "AddPlay", ADD_PLAY, {"id": scene, "times": ["yesterday"]}).json()
        assert "cannot parse Timestamp" in bad["errors"][0]["message"]


def test_an_older_stash_refuses_what_it_does_not_have() -> None:
    with StashEmulator(profile="v0.24") as stash:
        scene = stash.add_scene(title="Old")
        refused = graphql(stash, "AddPlay", ADD_PLAY, {"id": scene, "times": []})
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["message"] == 'Cannot query field "sceneAddPlay" on type "Mutation".'
        history = graphql(stash, "H", "query H($id: ID!) { findScene(id: $id) { play_history } }", {"id": scene})
        assert history.status_code == 422
        saved = graphql(stash, "S", "mutation S($id: ID!) { sceneSaveActivity(id: $id, resume_time: 12.5) }",
                        {"id": scene}).json()
        assert saved == {"data": {"sceneSaveActivity": True}}
        names = graphql(stash, "M", 'query M { __type(name: "Mutation") { fields { name } } }', {}).json()
        assert "sceneAddPlay" not in {f["name"] for f in names["data"]["__type"]["fields"]}
        assert "sceneSaveActivity" in {f["name"] for f in names["data"]["__type"]["fields"]}


def test_play_mutations_do_not_bump_updated_at_but_a_rating_does() -> None:
    with StashEmulator() as stash:
        scene = stash.add_scene(title="Stamped")
        before = stash.scene(scene)["updated_at"]
        stash.advance(10)
        graphql(stash, "AddPlay", ADD_PLAY, {"id": scene, "times": None})
        assert stash.scene(scene)["updated_at"] == before
        rated = graphql(stash, "R", "mutation R($input: SceneUpdateInput!) { sceneUpdate(input: $input) "
                                    "{ id rating100 } }", {"input": {"id": scene, "rating100": 70}}).json()
        assert rated == {"data": {"sceneUpdate": {"id": scene, "rating100": 70}}}
        assert stash.scene(scene)["updated_at"] != before
