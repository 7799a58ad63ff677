"""Command lines as launch-at-login entries store them: exact quoting both ways, so a path is never called stale."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plexsync_gui.core.setup.command_line import (
    CommandLineError,
    desktop_exec,
    parse_desktop_exec,
    parse_windows_command_line,
    windows_command_line,
)

_ARG = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


def test_plain_arguments_stay_unquoted_in_exec():
    assert desktop_exec(["/usr/bin/python3", "-m", "plexsync_gui", "--background"]) == (
        "/usr/bin/python3 -m plexsync_gui --background")


def test_path_with_spaces_is_double_quoted_in_exec():
    assert desktop_exec(["/opt/My Apps/plexsync-gui", "--background"]) == '"/opt/My Apps/plexsync-gui" --background'


def test_exec_escapes_quote_dollar_backtick_backslash_and_percent():
    # Exec quoting gives "a\"b\$c\`d\\e%%f"; the string-value escaping then doubles each backslash.
    assert desktop_exec(['a"b$c`d\\e%f']) == '"a\\\\"b\\\\$c\\\\`d\\\\\\\\e%%f"'
    assert parse_desktop_exec(desktop_exec(['a"b$c`d\\e%f'])) == ['a"b$c`d\\e%f']


def test_empty_argument_survives_exec():
    assert parse_desktop_exec(desktop_exec(["prog", "", "x"])) == ["prog", "", "x"]


def test_field_codes_of_a_copied_launcher_are_dropped_but_literal_percent_kept():
    assert parse_desktop_exec("plexsync-gui %U") == ["plexsync-gui"]
    assert parse_desktop_exec('prog %%U "%f"') == ["prog", "%U", "%f"]


def test_exec_string_escapes_are_undone_before_splitting():
    assert parse_desktop_exec("prog\\sone two") == ["prog", "one", "two"]
    assert parse_desktop_exec('"/a\\tb" x') == ["/a\tb", "x"]


def test_unterminated_exec_quote_is_an_error():
    with pytest.raises(CommandLineError):
        parse_desktop_exec('"/opt/My Apps/prog --background')


@given(st.lists(_ARG, min_size=1, max_size=5))
def test_exec_round_trip(argv):
    assert parse_desktop_exec(desktop_exec(argv)) == argv


def test_windows_program_files_path_is_quoted():
    line = windows_command_line(["C:\\Program Files\\PlexSync\\plexsync-gui.exe", "--background"])
    assert line == '"C:\\Program Files\\PlexSync\\plexsync-gui.exe" --background'
    assert parse_windows_command_line(line) == ["C:\\Program Files\\PlexSync\\plexsync-gui.exe", "--background"]


def test_windows_backslashes_before_quotes_follow_the_c_runtime_rules():
    assert parse_windows_command_line('"a\\\\" b') == ["a\\", "b"]  # 2n backslashes + quote: n, quote delimits
    assert parse_windows_command_line('a\\"b') == ['a"b']  # 2n+1: the quote is literal
    assert parse_windows_command_line("C:\\x\\y z") == ["C:\\x\\y", "z"]  # no quote after: literal
    assert parse_windows_command_line('"say ""hi"""') == ['say "hi"']


def test_unterminated_windows_quote_is_an_error():
    with pytest.raises(CommandLineError):
        parse_windows_command_line('"C:\\Program Files\\x.exe --background')


@given(st.lists(_ARG, min_size=1, max_size=5))
def test_windows_round_trip(argv):
    assert parse_windows_command_line(windows_command_line(argv)) == argv
