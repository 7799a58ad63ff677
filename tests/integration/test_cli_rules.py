"""`plexsync` with `[rules]` in its config file: `check` lists them, `sync`/`process` apply them."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

RULES = '''
[rules]
only_organized = true
exclude_tags = ["To Do"]
genre_parent_tag = "Genres"
title_template = "{studio} - {title}"
[rules.fields]
summary = "fill_empty"
'''


def test_check_prints_each_active_rule_on_its_own_line(cli, stash):
    stash.set_tag_parents("Drama", ["Genres"])
    cli.config_file.write_text(cli.config_file.read_text() + RULES)
    code, out, err = cli("check")
    assert code == 0, err
    rules = [line for line in out.splitlines() if line.startswith("Rules  ")]
    assert rules == ["Rules  only organized scenes are synced (rules.only_organized)",
                     "Rules  genres: only tags under 'Genres' (rules.genre_parent_tag)",
                     "Rules  never genres: To Do (rules.exclude_tags)",
                     "Rules  title: {studio} - {title} (rules.title_template)",
                     "Rules  only filled when empty in Plex: summary (rules.fields)"]
    assert "1 tags under 'Genres' can become genres" in out


def test_check_without_rules_says_so(cli):
    code, out, _ = cli("check")
    assert code == 0
    assert "Rules  none: every scene is synced" in out


def test_check_names_a_missing_genre_parent_tag_and_exits_2(cli):
    cli.config_file.write_text(cli.config_file.read_text() + '[rules]\ngenre_parent_tag = "Nope"\n')
    code, _, err = cli("check")
    assert code == 2
    assert err.strip() == "plexsync: config error: rules.genre_parent_tag: Stash has no tag named 'Nope'"


def test_check_warns_when_no_scene_can_have_the_required_tag(cli, library):
    library.add(title="Tagged", tags=["Plex"])
    cli.config_file.write_text(cli.config_file.read_text() + '[rules]\nrequire_tag = "plex"\n')
    code, out, _ = cli("check")
    assert code == 0 and "warning: rules.require_tag" not in out
    cli.config_file.write_text(cli.config_file.read_text().replace('"plex"', '"Plexx"'))
    code, out, _ = cli("check")
    assert code == 0
    assert "warning: rules.require_tag: Stash has no tag named 'Plexx', so no scene is synced" in out


def test_an_unknown_title_placeholder_is_one_config_line(cli):
    cli.config_file.write_text(cli.config_file.read_text() + '[rules]\ntitle_template = "{title} {rating}"\n')
    code, _, err = cli("sync", "--all")
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "rules.title_template: unknown placeholder {rating}" in err


def test_sync_and_process_apply_the_rules(cli, stash, plex, library):
    stash.set_tag_parents("Drama", ["Genres"])
    cli.config_file.write_text(cli.config_file.read_text() + RULES)
    _, synced_key = library.add(title="Sunset", studio="Harbour", organized=True, tags=["Drama", "To Do", "4K"],
                                details="From Stash")
    plex.edit_item(synced_key, summary="Written in Plex")
    _, skipped_key = library.add(title="Unsorted", organized=False, plex_title="plex keeps this")
    code, out, err = cli("sync", "--all")
    assert (code, out.strip()) == (0, "queued 1, unchanged 0, removed 0, skipped 1 (sync rules)"), err
    code, out, err = cli("process")
    assert code == 0, err
    state = plex.item_state(synced_key)
    assert (state["title"], state["summary"], state["tags"]["genre"]) == ("Harbour - Sunset", "Written in Plex",
                                                                          ["Drama"])
    assert plex.item_state(skipped_key)["title"] == "plex keeps this"
