"""Text from Stash, Plex and the file system made safe to print on a terminal.

Titles and file names may hold control characters: an escape sequence (`\\x1b]0;…\\x07` retitles the window,
`\\x1b[2J` clears it), a carriage return that overwrites the start of the line, or bidi overrides that show a name
reversed. Printed as they are, they let a file name rewrite what the user sees; made visible as escapes, they are
shown, not obeyed.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 and C1 controls and DEL; bidi embeddings, overrides and isolates; the Unicode line and paragraph separators.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Inside JSON strings: what json.dumps(ensure_ascii=False) leaves raw (it already escapes the C0 controls).
_RAW_IN_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def visible(text: str) -> str:
    """`text` with each control character written as an escape (`\\x1b`, `\\r`, `\\u202e`); the rest unchanged."""
    return _INVISIBLE.sub(_escape, text)


def json_line(data: Any) -> str:
    """JSON for a terminal or a pipe: the same JSON value, with the characters a terminal would obey written as
    `\\u` escapes (which JSON readers turn back into the very same characters)."""
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
