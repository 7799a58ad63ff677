import pytest

from plexsync_gui.core.stash.stamps import offset_text, parse_stamp, shift_stamp


def test_shift_keeps_the_servers_offset_text():
    assert shift_stamp("2024-05-01T13:45:10+02:00", -7200) == "2024-05-01T11:45:10+02:00"
    assert shift_stamp("2024-05-01T13:45:10Z", -7200) == "2024-05-01T11:45:10Z"


def test_shift_drops_fractions_like_stash_stores_them():
    assert shift_stamp("2024-05-01T13:45:10.123456Z", 0) == "2024-05-01T13:45:10Z"


def test_shift_across_midnight():
    assert shift_stamp("2024-05-01T01:00:00-05:00", -7200) == "2024-04-30T23:00:00-05:00"


def test_offset_text():
    assert offset_text("2024-05-01T13:45:10Z") == "Z"
    assert offset_text("2024-05-01T13:45:10-07:00") == "-07:00"


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        parse_stamp("yesterday")
