"""The sync rules' pure parts: `[rules]` validation and writing, the title template, the genre filter, the
per-field "fill empty" plan, and the hash that makes a rule change re-sync the affected scenes."""

from __future__ import annotations

import pytest

from plexsync_gui.core.plex.edits import PlexItemSnapshot, plan_edit
from plexsync_gui.core.setup.config import Config, ConfigError, FieldToggles, config_from_dict, load_config, save_config
from plexsync_gui.core.setup.rules_config import FILL_EMPTY, RuleSettings
from plexsync_gui.core.setup.settings_writer import write_settings
from plexsync_gui.core.sync.rules import DEFAULT_FINGERPRINT, ActiveRules, apply_rules, describe, skip_reason
from plexsync_gui.core.sync.scene import payload_hash, scene_from_stash
from plexsync_gui.core.sync.title_template import check_template, render


def raw(**fields):
    scene = {"id": "7", "title": "Sunset", "studio": {"name": "Harbour"}, "date": "2024-03-05", "code": "HB-1",
             "performers": [{"name": "Ada"}, {"name": "Ben"}], "organized": False,
             "tags": [{"id": "1", "name": "Drama"}, {"id": "2", "name": "To Do"}, {"id": "3", "name": "4K"}],
             "files": [{"path": "/data/a.mp4"}]}
    scene.update(fields)
    return scene


# ---- config --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("rules", "message"), [
    ({"exclude_tag": []}, "rules.exclude_tag: unknown key"),
    ({"exclude_tags": "Drama"}, "rules.exclude_tags: must be a list of tag names, got 'Drama'"),
    ({"exclude_tags": ["ok", " "]}, "rules.exclude_tags: must be a list of tag names"),
    ({"only_organized": "yes"}, "rules.only_organized: must be true or false, got 'yes'"),
    ({"genre_parent_tag": 3}, "rules.genre_parent_tag: must be a tag name"),
    ({"require_tag": ["a"]}, "rules.require_tag: must be a tag name"),
    ({"title_template": "{title} {rating}"}, "rules.title_template: unknown placeholder {rating} (known: {title}"),
    ({"title_template": "{title.__class__}"}, "rules.title_template: unknown placeholder {title.__class__}"),
    ({"title_template": "{title:>40}"}, "rules.title_template: {title} takes no format or conversion"),
    ({"title_template": "{title"}, "rules.title_template: "),
    ({"title_template": 5}, "rules.title_template: must be a string"),
    ({"fields": {"title": "keep"}}, 'rules.fields.title: must be "stash_wins" or "fill_empty", got \'keep\''),
    ({"fields": {"poster": "fill_empty"}}, "rules.fields.poster: unknown field"),
    ({"fields": "fill_empty"}, "rules.fields: must be a table"),
])
def test_every_rules_mistake_is_one_line_naming_the_key(rules, message):
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"rules": rules})
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_rules_must_be_a_table():
    with pytest.raises(ConfigError, match=r"^rules: must be a table \(\[rules\]\)$"):
        config_from_dict({"rules": "none"})


def test_rules_are_written_back_and_read_the_same(tmp_path):
    config = Config()
    config.rules.exclude_tags = ["To Do"]
    config.rules.genre_parent_tag = "Genres"
    config.rules.only_organized = True
    config.rules.title_template = "{studio} - {title}"
    config.rules.fields.summary = FILL_EMPTY
    path = tmp_path / "config.toml"
    written = write_settings(path, config, None, plaintext_allowed=False)
    assert load_config(path) == written == config
    text = path.read_text()
    assert "[rules]" in text and "[rules.fields]" in text and "require_tag" not in text  # unset: left out


def test_defaults_round_trip_and_an_empty_tag_name_means_none(tmp_path):
    path = tmp_path / "config.toml"
    save_config(path, Config())
    assert load_config(path).rules == RuleSettings()
    assert config_from_dict({"rules": {"require_tag": "  ", "title_template": ""}}).rules == RuleSettings()


# ---- title template ------------------------------------------------------------------------------------------------

def test_the_template_fills_each_placeholder_and_tidies_empty_ones():
    check_template("{studio} - {title} ({year}) [{code}] {date} {performers}")
    values = {"title": "T", "studio": "", "year": "", "code": "C", "date": "2024-01-02", "performers": "A, B"}
    assert render("{studio} - {title} ({year}) [{code}] {date} {performers}", values) == "T [C] 2024-01-02 A, B"
    assert render("{{{title}}}", {"title": "x"}) == "{x}"


def test_a_templated_title_falls_back_to_the_plain_title_when_empty():
    rules = ActiveRules(RuleSettings(title_template="{studio} {code}"))
    scene = apply_rules(scene_from_stash(raw(studio=None, code=None)), raw(studio=None, code=None), rules)
    assert scene.title == "Sunset"
    rules = ActiveRules(RuleSettings(title_template="{title} – {performers}, {year}"))
    assert apply_rules(scene_from_stash(raw()), raw(), rules).title == "Sunset – Ada, Ben, 2024"


# ---- filters -------------------------------------------------------------------------------------------------------

def test_exclusion_and_the_genre_parent_filter_tags_by_name_and_id():
    rules = ActiveRules(RuleSettings(exclude_tags=["to  do"]), genre_tag_ids=frozenset({"1", "2"}))
    assert apply_rules(scene_from_stash(raw()), raw(), rules).tags == ("Drama",)
    assert apply_rules(scene_from_stash(raw()), raw(), ActiveRules(RuleSettings())).tags == ("Drama", "To Do", "4K")


def test_which_scenes_the_rules_skip():
    assert skip_reason(raw(), RuleSettings(only_organized=True)) == "not organized in Stash (rules.only_organized)"
    assert skip_reason(raw(organized=True), RuleSettings(only_organized=True)) is None
    assert skip_reason(raw(), RuleSettings(require_tag="4k")) is None
    assert "rules.require_tag" in skip_reason(raw(), RuleSettings(require_tag="Plex"))
    assert skip_reason({"id": "1", "tags": None}, RuleSettings(require_tag="Plex")) is not None


def test_describe_names_each_active_rule_and_says_when_there_is_none():
    assert describe(RuleSettings()) == ["none: every scene is synced, every tag is a genre, Stash wins on every "
                                        "field"]
    lines = describe(RuleSettings(require_tag="Plex", exclude_tags=["A", "B"]))
    assert lines == ["only scenes with the tag 'Plex' are synced (rules.require_tag)",
                     "never genres: A, B (rules.exclude_tags)"]


# ---- fill empty ----------------------------------------------------------------------------------------------------

def test_fill_empty_writes_only_into_empty_plex_fields():
    item = PlexItemSnapshot("1", {"title": "Plex", "summary": None}, {"genre": ["Plex genre"], "actor": []},
                            frozenset())
    want = {"title": "Stash", "summary": "S", "genre": ["G"], "actor": ["Ada"]}
    plan = plan_edit(want, item, {"title": "Earlier"}, False, frozenset({"title", "summary", "genre", "actor"}))
    assert plan.changed == ["summary", "actor"]
    assert plan.kept_filled == ["title", "genre"]
    assert "title.value" not in plan.params and "genre[0].tag.tag" not in plan.params
    assert plan.written["title"] == "Earlier"  # still on record as what PlexSync wrote before
    stash_wins = plan_edit(want, item, None, False)
    assert stash_wins.changed == ["title", "summary", "genre", "actor"] and stash_wins.kept_filled == []


def test_a_filled_release_date_brings_its_year_and_a_kept_one_keeps_plex_year():
    date_modes = frozenset({"originallyAvailableAt", "year"})
    want = {"originallyAvailableAt": "2024-03-05", "year": 2024}
    filled = plan_edit(want, PlexItemSnapshot("1", {"originallyAvailableAt": None, "year": 2019}, {}, frozenset()),
                       None, False, date_modes)
    assert filled.changed == ["originallyAvailableAt", "year"]
    kept = plan_edit(want, PlexItemSnapshot("1", {"originallyAvailableAt": "2019-01-01", "year": 2019}, {},
                                            frozenset()), None, False, date_modes)
    assert kept.changed == [] and kept.kept_filled == ["originallyAvailableAt", "year"]


# ---- hashes --------------------------------------------------------------------------------------------------------

def test_rules_change_the_hash_of_the_scenes_they_affect_only():
    toggles = FieldToggles()
    tagged, plain = raw(), raw(tags=[{"id": "3", "name": "4K"}])
    exclude = ActiveRules(RuleSettings(exclude_tags=["To Do"]))
    default = ActiveRules(RuleSettings())

    def digest(scene, rules):
        return payload_hash(apply_rules(scene_from_stash(scene), scene, rules), toggles, rules.fill_empty)

    assert digest(tagged, exclude) != digest(tagged, default)
    assert digest(plain, exclude) == digest(plain, default) == payload_hash(scene_from_stash(plain), toggles)
    filling = ActiveRules(RuleSettings())
    filling.settings.fields.title = FILL_EMPTY
    assert digest(plain, filling) != digest(plain, default)
    assert default.fingerprint == DEFAULT_FINGERPRINT != exclude.fingerprint != filling.fingerprint
    assert ActiveRules(RuleSettings(), frozenset({"1"})).fingerprint != DEFAULT_FINGERPRINT
