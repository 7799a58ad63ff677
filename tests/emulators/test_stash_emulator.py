"""The emulated Stash behaves as docs/stash-protocol.md says real Stash does, over real HTTP."""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from plexsync_gui.core.stash import queries as q
from plexsync_gui.emulators.stash import StashEmulator

JSON_HEADERS = {"Accept": "application/json"}


@pytest.fixture()
def emu() -> Iterator[StashEmulator]:
    with StashEmulator() as server:
        yield server


def post(emu: StashEmulator, query: str, operation: str | None, variables: dict[str, Any] | None = None,
         key: str | None = None, accept: str = "application/json", timeout: float = 5) -> requests.Response:
    headers = {"Accept": accept, **({"ApiKey": key} if key else {})}
    body = {"query": query, "operationName": operation, "variables": variables or {}}
    return requests.post(emu.url + "/graphql", json=body, headers=headers, allow_redirects=False, timeout=timeout)


def changed(emu: StashEmulator, value: str, modifier: str = "GREATER_THAN", value2: str | None = None,
            **find_filter: Any) -> dict[str, Any]:
    criterion = {"value": value, "modifier": modifier, **({"value2": value2} if value2 else {})}
    flt = {"page": 1, "per_page": -1, "sort": "updated_at", "direction": "ASC", **find_filter}
    response = post(emu, q.CHANGED_SCENE_IDS, "ChangedSceneIds", {"scene_filter": {"updated_at": criterion},
                                                                   "filter": flt})
    assert response.status_code == 200, response.text
    return response.json()


def all_ids(emu: StashEmulator, **find_filter: Any) -> dict[str, Any]:
    response = post(emu, q.ALL_SCENE_IDS, "AllSceneIds", {"filter": find_filter})
    assert response.status_code == 200, response.text
    return response.json()


def ids_of(payload: dict[str, Any]) -> list[str]:
    return [scene["id"] for scene in payload["data"]["findScenes"]["scenes"]]


def get(emu: StashEmulator, path: str, **kwargs: Any) -> requests.Response:
    return requests.get(emu.url + path, allow_redirects=False, timeout=5, **kwargs)


# ------------------------------------------------------------------------------------------------------ transport
def test_healthz_answers_without_credentials() -> None:
    with StashEmulator("secret") as emu:
        response = get(emu, "/healthz")
    assert (response.status_code, response.text) == (200, ".")
    assert response.headers["Content-Type"].startswith("text/plain")


def test_graphql_needs_json_content_type_and_a_json_body(emu: StashEmulator) -> None:
    as_text = requests.post(emu.url + "/graphql", data=q.PROBE, headers={"Content-Type": "text/plain"}, timeout=5)
    assert as_text.status_code == 400
    assert as_text.json()["errors"][0]["message"] == "transport not supported"
    broken = requests.post(emu.url + "/graphql", data=b"{nope", headers={"Content-Type": "application/json"},
                           timeout=5)
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["message"].startswith("json request body could not be decoded")


def test_other_paths_answer_with_the_html_web_ui(emu: StashEmulator) -> None:
    response = requests.post(emu.url + "/", json={"query": q.PROBE}, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")


# ----------------------------------------------------------------------------------------------------------- auth
def test_server_without_auth_rejects_any_api_key(emu: StashEmulator) -> None:
    assert post(emu, q.PROBE, "Probe").status_code == 200
    for response in (post(emu, q.PROBE, "Probe", key="anything"),
                     requests.post(emu.url + "/graphql?apikey=x", json={"query": q.PROBE}, timeout=5)):
        assert response.status_code == 401
        assert response.content == b""
        assert response.headers["WWW-Authenticate"] == "FormBased"


def test_keyed_server_auth_matrix() -> None:
    with StashEmulator("secret") as emu:
        scene_id = emu.add_scene(title="t", performers=["P"])
        missing, wrong = post(emu, q.PROBE, "Probe"), post(emu, q.PROBE, "Probe", key="wrong")
        for response in (missing, wrong):
            assert (response.status_code, response.content) == (401, b"")
            assert response.headers["WWW-Authenticate"] == "FormBased"
        assert post(emu, q.PROBE, "Probe", key="secret").status_code == 200

        shot = get(emu, f"/scene/{scene_id}/screenshot?t=1")
        assert shot.status_code == 302
        assert shot.headers["Location"] == "/login?returnURL=%2Fscene%2F1%2Fscreenshot%3Ft%3D1"
        assert get(emu, "/performer/1/image").status_code == 302
        assert get(emu, f"/scene/{scene_id}/screenshot", headers={"ApiKey": "wrong"}).status_code == 401
        assert get(emu, f"/scene/{scene_id}/screenshot", headers={"ApiKey": "secret"}).status_code == 200
        assert get(emu, "/healthz").status_code == 200


def test_apikey_query_parameter_counts_only_without_the_header() -> None:
    with StashEmulator("secret") as emu:
        url = emu.url + "/graphql?apikey=secret"
        body = {"query": q.PROBE, "operationName": "Probe"}
        assert requests.post(url, json=body, timeout=5).status_code == 200
        assert requests.post(url, json=body, headers={"ApiKey": "wrong"}, timeout=5).status_code == 401


# --------------------------------------------------------------------------------------------------------- probes
@pytest.mark.parametrize(("profile", "version"), [("v0.24", "v0.24."), ("v0.26", "v0.26."), ("v0.27", "v0.27."),
                                                  ("v0.30", "v0.30.1")])
def test_probe_reports_version_and_status(profile: str, version: str) -> None:
    with StashEmulator(profile=profile) as emu:
        data = post(emu, q.PROBE, "Probe").json()["data"]
        assert data["version"]["version"].startswith(version)
        assert data["systemStatus"]["status"] == "OK"
        assert isinstance(data["systemStatus"]["appSchema"], int)
        emu.set_system_status("NEEDS_MIGRATION")
        assert post(emu, q.PROBE, "Probe").json()["data"]["systemStatus"]["status"] == "NEEDS_MIGRATION"


@pytest.mark.parametrize(("profile", "has_groups", "has_ids"),
                         [("v0.24", False, False), ("v0.26", False, True), ("v0.27", True, True),
                          ("v0.30", True, True)])
def test_schema_probe_reflects_profile(profile: str, has_groups: bool, has_ids: bool) -> None:
    with StashEmulator(profile=profile) as emu:
        data = post(emu, q.SCHEMA_PROBE, "SchemaProbe").json()["data"]
    scene_fields = {f["name"]: f["isDeprecated"] for f in data["scene"]["fields"]}
    assert ("groups" in scene_fields) is has_groups
    assert scene_fields["movies"] is has_groups  # deprecated once groups exist
    query_args = {f["name"]: [a["name"] for a in f["args"]] for f in data["query"]["fields"]}
    assert ("ids" in query_args["findScenes"]) is has_ids
    assert {"scene_ids", "filter", "scene_filter"} <= set(query_args["findScenes"])
    assert "id" in query_args["findScene"]


def test_unknown_operation_name_is_a_validation_error(emu: StashEmulator) -> None:
    response = post(emu, q.PROBE, "Nope")
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "operation Nope not found"


def test_v029_plus_answers_validation_errors_with_400_unless_json_is_accepted(emu: StashEmulator) -> None:
    loose = post(emu, q.PROBE, "Nope", accept="*/*")
    assert loose.status_code == 400
    assert loose.headers["Content-Type"] == "application/graphql-response+json"
    with StashEmulator(profile="v0.27") as old:
        assert post(old, q.PROBE, "Nope", accept="*/*").status_code == 422


# ------------------------------------------------------------------------------------------- changed-scene polling
def test_greater_than_is_textual_on_a_plus_two_server() -> None:
    with StashEmulator(utc_offset="+02:00", start_time="2026-07-01T14:00:00") as emu:
        old = emu.add_scene(title="old")
        emu.advance(3600)
        new = emu.add_scene(title="new")
        assert emu.scene(new)["updated_at"] == "2026-07-01T15:00:00+02:00"
        assert ids_of(changed(emu, "2026-07-01T14:30:00+02:00")) == [new]
        # 13:00Z is 15:00+02:00, after both writes, yet as text "...T13:00:00Z" < "...T14:00:00+02:00".
        assert ids_of(changed(emu, "2026-07-01T13:00:00Z")) == [old, new]


def test_dst_fall_back_makes_later_writes_compare_smaller() -> None:
    with StashEmulator(utc_offset="+02:00", start_time="2026-10-25T02:59:00") as emu:
        summer = emu.add_scene(title="summer")
        emu.set_clock("2026-10-25T02:10:00", "+01:00")  # 40 minutes later in real time
        winter = emu.add_scene(title="winter")
        assert emu.scene(winter)["updated_at"] == "2026-10-25T02:10:00+01:00"
        assert ids_of(changed(emu, "2026-10-25T02:30:00+02:00")) == [summer]
        assert ids_of(all_ids(emu, per_page=-1, sort="updated_at", direction="ASC")) == [winter, summer]


def test_cursor_second_edit_is_missed_by_greater_than(emu: StashEmulator) -> None:
    first = emu.add_scene(title="first")
    cursor = emu.scene(first)["updated_at"]
    assert ids_of(changed(emu, cursor)) == []
    second = emu.add_scene(title="second")  # same second as the cursor
    assert emu.scene(second)["updated_at"] == cursor
    assert ids_of(changed(emu, cursor)) == []
    assert ids_of(changed(emu, cursor, "EQUALS")) == [first, second]


@pytest.mark.parametrize(("modifier", "value2", "expected"), [
    ("EQUALS", None, ["2"]), ("NOT_EQUALS", None, ["1", "3"]), ("LESS_THAN", None, ["1"]),
    ("GREATER_THAN", None, ["3"]), ("BETWEEN", "2026-01-01T12:00:10Z", ["2", "3"]),
    ("NOT_BETWEEN", "2026-01-01T12:00:05Z", ["1", "3"]), ("IS_NULL", None, []), ("NOT_NULL", None, ["1", "2", "3"]),
])
def test_timestamp_modifiers(emu: StashEmulator, modifier: str, value2: str | None, expected: list[str]) -> None:
    for step in range(3):
        emu.add_scene(title=f"s{step}")
        emu.advance(5)
    assert ids_of(changed(emu, "2026-01-01T12:00:05Z", modifier, value2)) == expected


def test_between_without_value2_ends_one_day_after_server_now(emu: StashEmulator) -> None:
    now = emu.add_scene(title="now")
    emu.add_scene(title="future", updated_at="2026-01-03T00:00:00Z")
    assert ids_of(changed(emu, "2026-01-01T00:00:00Z", "BETWEEN")) == [now]


def test_unsupported_and_invalid_modifiers(emu: StashEmulator) -> None:
    emu.add_scene(title="x")
    body = changed(emu, "2026-01-01T00:00:00Z", "INCLUDES")
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Internal system error. Error <unsupported date modifier type>"
    bad = post(emu, q.CHANGED_SCENE_IDS, "ChangedSceneIds",
               {"scene_filter": {"updated_at": {"value": "x", "modifier": "GT"}}, "filter": {}})
    assert bad.status_code == 422
    error = bad.json()["errors"][0]
    assert error["message"] == "GT is not a valid CriterionModifier"
    assert error["path"] == ["variable", "scene_filter", "updated_at", "modifier"]


def test_required_variables_and_filters_the_profile_lacks() -> None:
    with StashEmulator(profile="v0.27") as emu:
        missing = post(emu, q.CHANGED_SCENE_IDS, "ChangedSceneIds", {"filter": {}})
        assert missing.status_code == 422
        error = missing.json()["errors"][0]
        assert (error["message"], error["path"]) == ("must be defined", ["variable", "scene_filter"])
        files_filter = {"files_filter": {"updated_at": {"value": "x", "modifier": "GREATER_THAN"}}}
        old = post(emu, q.CHANGED_SCENE_IDS, "ChangedSceneIds", {"scene_filter": files_filter, "filter": {}})
        assert old.status_code == 422
        assert old.json()["errors"][0]["path"] == ["variable", "scene_filter", "files_filter"]


def test_scene_filters_the_emulator_does_not_model_fail_loudly(emu: StashEmulator) -> None:
    emu.add_scene()
    response = post(emu, q.CHANGED_SCENE_IDS, "ChangedSceneIds",
                    {"scene_filter": {"path": {"value": "/x", "modifier": "INCLUDES"}}, "filter": {}})
    body = response.json()
    assert body["data"] is None
    assert "path" in body["errors"][0]["message"]


def test_paging_defaults_all_and_count_only(emu: StashEmulator) -> None:
    for index in range(30):
        emu.add_scene(title=f"scene {index}")
    default = all_ids(emu, sort="id")["data"]["findScenes"]
    assert (default["count"], len(default["scenes"])) == (30, 25)
    everything = all_ids(emu, per_page=-1, sort="id")["data"]["findScenes"]
    assert [s["id"] for s in everything["scenes"]] == [str(i) for i in range(1, 31)]
    count_only = all_ids(emu, per_page=0)["data"]["findScenes"]
    assert (count_only["count"], count_only["scenes"]) == (30, [])
    assert ids_of(all_ids(emu, page=2, per_page=25, sort="id")) == [str(i) for i in range(26, 31)]
    assert ids_of(all_ids(emu, page=0, per_page=2, sort="id")) == ["1", "2"]


def test_invalid_sort_is_a_resolver_error(emu: StashEmulator) -> None:
    body = all_ids(emu, sort="bogus")
    assert body == {"errors": [{"message": "invalid sort: bogus", "path": ["findScenes"]}], "data": None}


def test_same_second_ties_break_by_natural_title_then_untitled_first(emu: StashEmulator) -> None:
    b, c10, a, c9, untitled = (emu.add_scene(title=t) for t in ("b", "c10", "A", "c9", None))
    emu.advance(1)
    later = emu.add_scene(title="0 first by title")
    assert ids_of(all_ids(emu, per_page=-1, sort="updated_at")) == [untitled, a, b, c9, c10, later]
    # DESC reverses the sort key only: the title tie-break stays ascending.
    assert ids_of(all_ids(emu, per_page=-1, sort="updated_at", direction="DESC")) == [later, untitled, a, b, c9, c10]


# --------------------------------------------------------------------------------------------------- fetch by ids
def test_find_scenes_by_ids_keeps_order_and_fails_whole_call(emu: StashEmulator) -> None:
    first, second, third = (emu.add_scene(title=t) for t in "xyz")
    document = q.find_scenes_by_ids(True, "ids")
    body = post(emu, document, "FindScenesByIds", {"ids": [third, first, second]}).json()
    assert ids_of(body) == [third, first, second]
    assert body["data"]["findScenes"]["count"] == 3
    missing = post(emu, document, "FindScenesByIds", {"ids": [first, "99"]}).json()
    assert missing == {"errors": [{"message": "scene with id 99 not found", "path": ["findScenes"]}], "data": None}


def test_empty_ids_fall_through_to_the_first_25_scenes(emu: StashEmulator) -> None:
    for index in range(30):
        emu.add_scene(title=f"s{index}")
    body = post(emu, q.find_scenes_by_ids(True, "ids"), "FindScenesByIds", {"ids": []}).json()
    assert body["data"]["findScenes"]["count"] == 30
    assert ids_of(body) == [str(i) for i in range(1, 26)]


def test_scene_shape_matches_the_fragment(emu: StashEmulator) -> None:
    scene_id = emu.add_scene(title="T", details="line 1\nline 2", date="2024-05-01", rating100=80, studio="Studio",
                             performers=["Ann"], tags=["Tag"], files=["/media/a.mp4", "/media/b.mkv"], code="C-1",
                             director="Dir", organized=True, urls=["https://example.test/a"], groups=["Group"])
    scene = post(emu, q.find_scene(True), "FindScene", {"id": scene_id}).json()["data"]["findScene"]
    assert set(scene) == {"id", "title", "code", "details", "director", "date", "rating100", "organized", "urls",
                          "created_at", "updated_at", "studio", "performers", "tags", "groups", "files", "paths"}
    assert scene == emu.scene(scene_id)
    assert scene["details"] == "line 1\nline 2"
    assert scene["studio"] == {"id": "1", "name": "Studio", "parent_studio": None}
    assert scene["performers"][0]["image_path"].endswith("&default=true")
    assert [f["basename"] for f in scene["files"]] == ["a.mp4", "b.mkv"]
    assert scene["groups"] == [{"scene_index": None, "group": {"id": "1", "name": "Group"}}]
    assert scene["paths"]["screenshot"] == f"{emu.url}/scene/{scene_id}/screenshot?t=1767268800"


def test_bare_scene_has_nulls_and_empty_lists(emu: StashEmulator) -> None:
    scene = emu.scene(emu.add_scene())
    assert (scene["title"], scene["studio"], scene["date"], scene["rating100"]) == (None, None, None, None)
    assert (scene["files"], scene["performers"], scene["tags"], scene["groups"], scene["urls"]) == ([],) * 5
    assert scene["organized"] is False


def test_find_scene_unknown_is_null_and_non_numeric_is_an_error(emu: StashEmulator) -> None:
    assert post(emu, q.find_scene(True), "FindScene", {"id": "42"}).json() == {"data": {"findScene": None}}
    body = post(emu, q.find_scene(True), "FindScene", {"id": "abc"}).json()
    assert body["data"] == {"findScene": None}
    assert body["errors"][0]["message"].startswith('strconv.Atoi: parsing "abc"')


@pytest.mark.parametrize("profile", ["v0.24", "v0.26"])
def test_groups_on_old_profiles_is_a_validation_error_and_movies_works(profile: str) -> None:
    with StashEmulator(profile=profile) as emu:
        scene_id = emu.add_scene(title="t", groups=["G"])
        response = post(emu, q.find_scene(True), "FindScene", {"id": scene_id})
        assert response.status_code == 422
        body = response.json()
        assert body["data"] is None
        assert body["errors"][0]["message"] == 'Cannot query field "groups" on type "Scene".'
        assert body["errors"][0]["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
        legacy = post(emu, q.find_scene(False), "FindScene", {"id": scene_id}).json()["data"]["findScene"]
        assert legacy["movies"] == [{"scene_index": None, "movie": {"id": "1", "name": "G"}}]


def test_v024_rejects_ids_argument_but_takes_scene_ids() -> None:
    with StashEmulator(profile="v0.24") as emu:
        first, second = emu.add_scene(title="a"), emu.add_scene(title="b")
        modern = post(emu, q.find_scenes_by_ids(False, "ids"), "FindScenesByIds", {"ids": [first]})
        assert modern.status_code == 422
        assert modern.json()["errors"][0]["message"] == 'Unknown argument "ids" on field "Query.findScenes".'
        legacy = post(emu, q.find_scenes_by_ids(False, "scene_ids"), "FindScenesByIds", {"ids": [2, 1]})
        assert ids_of(legacy.json()) == [second, first]


def test_partial_dates_only_from_v030() -> None:
    with StashEmulator(profile="v0.30") as emu:
        year, month = emu.add_scene(date="2024"), emu.add_scene(date="2024-05")
        assert (emu.scene(year)["date"], emu.scene(month)["date"]) == ("2024", "2024-05")
    old = StashEmulator(profile="v0.27")
    with pytest.raises(ValueError):
        old.add_scene(date="2024-05")
    with pytest.raises(ValueError):
        old.add_scene(date="2024-13-01")
    scene_id = old.add_scene(title="kept", date="2024-05-01")
    with pytest.raises(ValueError):
        old.update_scene(scene_id, title="changed", date="2024")
    assert (old.scene(scene_id)["title"], old.scene(scene_id)["date"]) == ("kept", "2024-05-01")


# --------------------------------------------------------------------------------------------------------- images
def _jpeg_is_well_formed(data: bytes) -> bool:
    """Walk the marker segments up to SOS, then expect EOI at the end."""
    if not data.startswith(b"\xff\xd8"):
        return False
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        pos += 2 + length
        if marker == 0xDA:
            return data.endswith(b"\xff\xd9") and pos < len(data) - 2
    return False


def test_screenshot_jpeg_etag_and_304(emu: StashEmulator) -> None:
    scene_id = emu.add_scene(title="t")
    response = get(emu, f"/scene/{scene_id}/screenshot")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.content == emu.cover_bytes(scene_id)
    assert _jpeg_is_well_formed(response.content)
    tag = response.headers["ETag"]
    again = get(emu, f"/scene/{scene_id}/screenshot", headers={"If-None-Match": tag})
    assert (again.status_code, again.content) == (304, b"")

    emu.advance(10)
    emu.update_scene(scene_id, title="renamed")  # new ?t=, same bytes
    assert get(emu, f"/scene/{scene_id}/screenshot").headers["ETag"] == tag
    emu.advance(10)
    emu.set_cover(scene_id, b"\xff\xd8\xff\xe0 new cover \xff\xd9")
    changed_cover = get(emu, f"/scene/{scene_id}/screenshot", headers={"If-None-Match": tag})
    assert changed_cover.status_code == 200
    assert changed_cover.content == b"\xff\xd8\xff\xe0 new cover \xff\xd9"
    assert emu.scene(scene_id)["updated_at"] == "2026-01-01T12:00:20Z"


def test_generated_covers_differ_per_scene_and_version(emu: StashEmulator) -> None:
    first, second = emu.add_scene(), emu.add_scene()
    before = emu.cover_bytes(first)
    assert before != emu.cover_bytes(second)
    emu.update_scene(first, has_cover=False)
    emu.update_scene(first, has_cover=True)
    assert emu.cover_bytes(first) != before
    assert _jpeg_is_well_formed(emu.cover_bytes(first))


def test_missing_cover_is_svg_placeholder_and_bad_ids(emu: StashEmulator) -> None:
    scene_id = emu.add_scene(has_cover=False)
    placeholder = get(emu, f"/scene/{scene_id}/screenshot")
    assert placeholder.status_code == 200
    assert placeholder.headers["Content-Type"] == "image/svg+xml"
    assert placeholder.content.startswith(b"<svg")
    assert get(emu, "/scene/999/screenshot").status_code == 404
    assert get(emu, "/scene/abc/screenshot").status_code == 400


def test_performer_default_image_is_png(emu: StashEmulator) -> None:
    scene_id = emu.add_scene(performers=["Ann"])
    image_path = emu.scene(scene_id)["performers"][0]["image_path"]
    response = requests.get(image_path, timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert get(emu, "/performer/77/image").status_code == 404


# --------------------------------------------------------------------------------------------------------- faults
def test_fail_next_gives_html_5xx_in_queue_order_then_recovers(emu: StashEmulator) -> None:
    emu.fail_next(502)
    emu.fail_next(503, count=2)
    statuses = [post(emu, q.PROBE, "Probe").status_code for _ in range(4)]
    assert statuses == [502, 503, 503, 200]
    emu.fail_next(500)
    failed = post(emu, q.PROBE, "Probe")
    assert failed.headers["Content-Type"].startswith("text/html")


def test_fault_path_filter_leaves_other_routes_alone(emu: StashEmulator) -> None:
    scene_id = emu.add_scene()
    emu.fail_next(503, path="/scene/")
    assert post(emu, q.PROBE, "Probe").status_code == 200
    assert get(emu, "/healthz").status_code == 200
    assert get(emu, f"/scene/{scene_id}/screenshot").status_code == 503
    assert get(emu, f"/scene/{scene_id}/screenshot").status_code == 200


def test_graphql_error_next_reports_database_locked(emu: StashEmulator) -> None:
    emu.graphql_error_next()
    body = all_ids(emu, per_page=-1)
    assert body == {"errors": [{"message": "database is locked", "path": ["findScenes"]}], "data": None}
    assert all_ids(emu, per_page=-1)["data"]["findScenes"]["count"] == 0


def test_delay_next_triggers_client_read_timeout(emu: StashEmulator) -> None:
    emu.delay_next(3)
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(emu, q.PROBE, "Probe", timeout=0.3)
    assert post(emu, q.PROBE, "Probe").status_code == 200


def test_html_next_is_a_200_login_page(emu: StashEmulator) -> None:
    emu.html_next()
    response = post(emu, q.PROBE, "Probe")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert post(emu, q.PROBE, "Probe").headers["Content-Type"] == "application/json"


def test_unauthorized_next_spares_healthz(emu: StashEmulator) -> None:
    emu.unauthorized_next(count=2)
    assert get(emu, "/healthz").status_code == 200
    first, second, third = (post(emu, q.PROBE, "Probe") for _ in range(3))
    assert (first.status_code, first.content, first.headers["WWW-Authenticate"]) == (401, b"", "FormBased")
    assert (second.status_code, third.status_code) == (401, 200)


def test_refuse_and_resume_on_the_same_port(emu: StashEmulator) -> None:
    scene_id = emu.add_scene(title="kept")
    url = emu.url
    with requests.Session() as session:  # a pooled connection must not outlive refuse()
        assert session.get(url + "/healthz", timeout=2).status_code == 200
        emu.refuse()
        with pytest.raises(requests.exceptions.ConnectionError):
            session.get(url + "/healthz", timeout=2)
        emu.resume()
        assert emu.url == url
        assert session.get(url + "/healthz", timeout=2).status_code == 200
    assert ids_of(all_ids(emu, per_page=-1)) == [scene_id]


def test_concurrent_polls_while_seeding(emu: StashEmulator) -> None:
    failures: list[str] = []

    def poll() -> None:
        for _ in range(10):
            response = post(emu, q.ALL_SCENE_IDS, "AllSceneIds", {"filter": {"per_page": -1, "sort": "id"}})
            if response.status_code != 200 or "errors" in response.json():
                failures.append(response.text)

    workers = [threading.Thread(target=poll) for _ in range(4)]
    for worker in workers:
        worker.start()
    for index in range(100):
        emu.add_scene(title=f"s{index}")
    for worker in workers:
        worker.join()
    assert failures == []
    assert all_ids(emu, per_page=0)["data"]["findScenes"]["count"] == 100


# ------------------------------------------------------------------------------------------------ clock and log
def test_update_scene_stamps_clock_text() -> None:
    with StashEmulator(utc_offset="+02:00", start_time="2026-03-01T09:00:00") as emu:
        edited, untouched = emu.add_scene(title="a"), emu.add_scene(title="b")
        emu.advance(90.7)
        stamp = emu.update_scene(edited, title="a2")
        assert stamp == "2026-03-01T09:01:30+02:00"
        assert emu.scene(edited)["updated_at"] == stamp
        assert emu.scene(edited)["created_at"] == "2026-03-01T09:00:00+02:00"
        assert emu.scene(untouched)["updated_at"] == "2026-03-01T09:00:00+02:00"
        emu.set_clock("2026-03-29T03:00:00", "Z")
        assert emu.update_scene(untouched, rating100=20) == "2026-03-29T03:00:00Z"
        emu.delete_scene(edited)
        assert ids_of(all_ids(emu, per_page=-1)) == [untouched]


def test_request_log_records_what_the_client_sent(emu: StashEmulator) -> None:
    post(emu, q.ALL_SCENE_IDS, "AllSceneIds", {"filter": {"per_page": 0}})
    get(emu, "/healthz")
    record = emu.requests[0]
    assert (record.method, record.path, record.operation, record.status) == ("POST", "/graphql", "AllSceneIds", 200)
    assert record.variables == {"filter": {"per_page": 0}}
    assert record.headers["Accept"] == "application/json"
    assert emu.count("AllSceneIds") == 1
    assert emu.count(path="/healthz") == 1
    assert emu.count() == 2
    emu.clear_log()
    assert emu.count() == 0
