"""Control characters in file names and titles are shown as escapes by every human-readable CLI output, never
obeyed by the terminal; JSON output stays exact JSON with the very same strings."""

from __future__ import annotations

import json
import re

import pytest

from plexsync_gui.cli.terminal import json_line, visible

pytestmark = pytest.mark.security

# Retitles the window, rings the bell, returns the cursor, an 8-bit CSI, a right-to-left override, a tab.
HOSTILE = "\x1b]0;pwned\x07ev\ril\x9b31m\u202egpm.\tclip.mp4"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # every control but tab and line end


def test_visible_escapes_controls_and_keeps_the_rest():
    assert visible(HOSTILE) == "\\x1b]0;pwned\\x07ev\\ril\\x9b31m\\u202egpm.\\tclip.mp4"
    assert visible("Caf\u00e9 \U0001f600 \u05e9\u05dc\u05d5\u05dd C:\\Films\\a.mp4") == \
        "Caf\u00e9 \U0001f600 \u05e9\u05dc\u05d5\u05dd C:\\Films\\a.mp4"


def test_json_line_is_the_same_json_value_without_raw_controls():
    data = [{"title": HOSTILE, "n": 1}]
    line = json_line(data)
    assert json.loads(line) == data and not RAW.search(line.replace("\t", ""))


def test_the_cli_shows_hostile_names_as_escapes_in_tables_and_exact_in_json(cli, library):
    library.add(name=HOSTILE, title=None, in_plex=False)  # no title: the file name is what the queue shows
    assert cli("sync", "--all")[0] == 0
    code, out, err = cli("process")
    assert code == 0 and not RAW.search(out + err)

    code, out, err = cli("queue", "list")
    assert code == 0 and not RAW.search(out + err), repr(out)
    [header, row] = out.splitlines()
    cells = row.split("\t")
    assert len(cells) == len(header.split("\t"))  # a tab in a name does not shift the columns
    assert cells[5] == visible(HOSTILE) and visible(HOSTILE) in cells[6]  # the title, and the path in the error

    code, out, _ = cli("queue", "list", "--json")
    assert code == 0 and not RAW.search(out.replace("\t", ""))
    [job] = json.loads(out)
    assert job["title"] == HOSTILE and f"/media/movies/{HOSTILE}" in job["last_error"]
