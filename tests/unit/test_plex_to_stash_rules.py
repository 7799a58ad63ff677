"""The Plex -> Stash rules and config section, without servers."""

from __future__ import annotations

import pytest

from plexsync_gui.core.activity import rules
from plexsync_gui.core.setup.config import ConfigError, config_from_dict, config_to_dict


def test_same_second_is_the_same_play_whatever_the_zone() -> None:
    history = ["2025-06-15T17:06:40+02:00", "2025-06-16T15:06:40.5Z"]
    assert rules.new_play_times([1_750_000_000, 1_750_086_400, 1_750_090_000], history) == [1_750_090_000]
    assert rules.stash_time(1_750_000_000) == "2025-06-15T15:06:40Z"


@pytest.mark.parametrize(("plex_now", "before", "seen", "stash", "wins", "expected"), [
    (8.0, None, False, 60, "plex", 80),  # never read: Plex wins
    (8.0, 8.0, True, 60, "plex", None),  # unchanged in Plex: Stash's own change stays
    (6.0, 8.0, True, 60, "plex", None),  # changed in Plex, but to what Stash has
    (7.0, 8.0, True, 60, "plex", 70),
    (None, 8.0, True, 60, "plex", None),  # a rating removed in Plex never clears Stash's
    (9.0, None, False, 60, "stash", None),
    (9.0, None, False, None, "stash", 90),  # only fills in
    (0.0, None, False, None, "plex", None),  # Plex 0 is no rating
    (10.0, None, False, None, "plex", 100),
])
def test_rating_rule(plex_now, before, seen, stash, wins, expected) -> None:
    assert rules.rating_to_write(plex_now, before, seen, stash, wins) == expected


@pytest.mark.parametrize(("now", "before", "seen", "stash", "expected"), [
    (754_000, None, False, 0.0, 754.0),
    (754_000, 754_000, True, 0.0, None),  # unchanged in Plex
    (754_400, None, False, 754.0, None),  # within a second of Stash's
    (None, 754_000, True, 754.0, 0.0),  # watched to the end in Plex: start over
    (None, None, False, 30.0, None),  # Plex never had one: Stash's stays
])
def test_resume_rule(now, before, seen, stash, expected) -> None:
    assert rules.resume_to_write(now, before, seen, stash) == expected


def test_section_defaults_off_and_round_trips() -> None:
    config = config_from_dict({})
    assert (config.plex_to_stash.enabled, config.plex_to_stash.plays, config.plex_to_stash.resume,
            config.plex_to_stash.rating, config.plex_to_stash.rating_wins) == (False, True, False, False, "plex")
    data = config_to_dict(config)
    data["plex_to_stash"].update(enabled=True, rating_wins="stash")
    assert config_from_dict(data).plex_to_stash.rating_wins == "stash"


@pytest.mark.parametrize(("section", "message"), [
    ({"rating_wins": "both"}, "plex_to_stash.rating_wins: must be one of 'plex', 'stash', got 'both'"),
    ({"enabled": "yes"}, "plex_to_stash.enabled: must be true or false, got 'yes'"),
    ({"ratings": True}, "plex_to_stash.ratings: unknown key"),
])
def test_bad_values_name_the_key(section, message) -> None:
    with pytest.raises(ConfigError) as error:
        config_from_dict({"plex_to_stash": section})
    assert str(error.value).startswith(message) and "\n" not in str(error.value)
