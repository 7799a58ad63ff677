from urllib.parse import quote, unquote

from hypothesis import given
from hypothesis import strategies as st

from plexsync_gui.core.plex.edits import (
    PlexItemSnapshot,
    encoded_size,
    fields_in,
    for_episode,
    plan_edit,
    split_edit,
    tag_params,
)


def item(scalars=None, tags=None, locks=()):
    return PlexItemSnapshot("100", scalars or {}, tags or {}, frozenset(locks))


def test_changed_scalars_are_written_with_their_lock():
    plan = plan_edit({"title": "New", "summary": "S"}, item({"title": "Old", "summary": "S"}, locks={"summary"}),
                     None, False)
    assert plan.params == {"title.value": "New", "title.locked": 1}
    assert plan.changed == ["title"]


def test_unlocked_equal_value_only_gets_locked():
    plan = plan_edit({"title": "Same"}, item({"title": "Same"}), None, False)
    assert plan.params == {"title.locked": 1}
    assert plan.changed == []


def test_nothing_to_do_sends_nothing():
    plan = plan_edit({"title": "T", "genre": ["A"]}, item({"title": "T"}, {"genre": ["A"]}, {"title", "genre"}),
                     None, False)
    assert plan.params == {}


def test_empty_value_clears():
    plan = plan_edit({"studio": None}, item({"studio": "Old"}), None, False)
    assert plan.params == {"studio.value": "", "studio.locked": 1}


def test_tag_lists_are_replaced_exactly():
    plan = plan_edit({"genre": ["B", "C"]}, item(tags={"genre": ["A", "B"]}), None, False)
    assert plan.params["genre[0].tag.tag"] == "B"
    assert plan.params["genre[1].tag.tag"] == "C"
    assert plan.params["genre[].tag.tag-"] == "A"
    assert plan.params["genre.locked"] == 1


def test_removal_names_are_quoted_once_here():
    params = tag_params("actor", [], ["A, B", "C D"])
    value = params["actor[].tag.tag-"]
    assert value == "A%2C%20B,C%20D"
    assert [unquote(v) for v in value.split(",")] == ["A, B", "C D"]
    assert not any(k.startswith("actor[0]") for k in params)


def test_preserve_keeps_a_value_edited_in_plex():
    last = {"title": "Stash Title"}
    plan = plan_edit({"title": "New Stash Title"}, item({"title": "Hand Edited"}), last, True)
    assert plan.params == {}
    assert plan.preserved == ["title"]
    assert plan.written["title"] == "Stash Title"


def test_preserve_overwrites_a_value_plexsync_wrote_itself():
    last = {"title": "Stash Title"}
    plan = plan_edit({"title": "New Stash Title"}, item({"title": "Stash Title"}), last, True)
    assert plan.params["title.value"] == "New Stash Title"


def test_preserve_without_record_treats_non_empty_as_edit_but_fills_empty():
    plan = plan_edit({"title": "T", "summary": "S"}, item({"title": "Agent Title"}), None, True)
    assert "title.value" not in plan.params
    assert plan.params["summary.value"] == "S"


def test_preserve_applies_to_tag_lists():
    plan = plan_edit({"genre": ["X"]}, item(tags={"genre": ["Mine"]}), {"genre": ["Old"]}, True)
    assert plan.preserved == ["genre"]
    plan = plan_edit({"genre": ["X"]}, item(tags={"genre": ["Old"]}), {"genre": ["Old"]}, True)
    assert plan.params["genre[0].tag.tag"] == "X"


def test_studio_collection_follows_the_studio_and_keeps_user_collections():
    plan = plan_edit({"collection": "New Studio"}, item(tags={"collection": ["Old Studio", "Favourites"]}),
                     {"collection": "Old Studio"}, False)
    entries = {v for k, v in plan.params.items() if k.startswith("collection[") and k.endswith("].tag.tag")}
    assert entries == {"Favourites", "New Studio"}
    assert plan.params["collection[].tag.tag-"] == "Old%20Studio"
    assert plan.written["collection"] == "New Studio"


def test_numbers_compare_by_value():
    plan = plan_edit({"userRating": 8.0, "year": 2024}, item({"userRating": 8, "year": 2024},
                                                             locks={"userRating", "year"}), None, False)
    assert plan.params == {}


def test_field_names_are_described_in_stash_words() -> None:
    from plexsync_gui.core.plex.edits import describe_fields

    assert describe_fields(["title", "originallyAvailableAt", "year", "genre", "actor", "poster"]) == \
        "title, date, tags, performers, poster"


# --- splitting an edit under a proxy's request-line limit, and episodes ------------------------------------------


def test_an_edit_that_fits_stays_one_put():
    params = {"title.value": "T", "title.locked": 1, **tag_params("genre", ["A", "B"], [])}
    assert split_edit(params, 8000) == [params]


def test_a_long_edit_is_split_with_scalars_and_tag_lists_apart_and_each_field_whole():
    params = {"title.value": "T", "title.locked": 1, "summary.value": "s" * 3000, "summary.locked": 1,
              **tag_params("genre", [f"g{i:02d}" * 33 for i in range(30)], ["Old"]),
              **tag_params("actor", [f"Ada Lane {i}" * 8 for i in range(5)], [])}
    batches = split_edit(params, 4000)
    assert [fields_in(b) for b in batches] == [["title", "summary"], ["genre"], ["actor"]]
    assert all(encoded_size(b) <= 4000 for b in batches)
    assert {k: v for b in batches for k, v in b.items()} == params
    assert "genre[].tag.tag-" in batches[1]  # a list's removal travels with its entries


def test_a_single_field_over_the_budget_goes_alone():
    params = {"title.value": "T", "summary.value": "s" * 5000, "studio.value": "S"}
    batches = split_edit(params, 1000)
    assert [fields_in(b) for b in batches] == [["title"], ["summary"], ["studio"]]


def test_episodes_keep_only_the_fields_plex_models_for_them():
    want = {"title": "T", "studio": "S", "summary": None, "originallyAvailableAt": "2024-01-01", "year": 2024,
            "actor": ["A"], "genre": ["G"], "collection": "S", "userRating": 8.0}
    kept, skipped = for_episode(want)
    assert set(kept) == {"title", "summary", "originallyAvailableAt", "year", "collection", "userRating"}
    assert skipped == ["studio", "actor", "genre"]


@given(st.text(st.characters(blacklist_categories=("Cs",))))
def test_edit_size_is_counted_as_plexapi_quotes(text):
    """The size guard counts bytes without quoting (issue 13's CPU cut); it must agree with what plexapi sends."""
    assert encoded_size({text: text}) == 2 * len(quote(text, safe="")) + 2
