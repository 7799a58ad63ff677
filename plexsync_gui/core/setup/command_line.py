"""Turning an argv list into the one-line command an OS launcher stores, and parsing it back.

Launch-at-login entries store a command as text, and PlexSync must read that text back to tell whether the entry
still starts *this* copy of the app. A lossy split (plain `str.split`, `shlex`) would call every entry under
"Program Files" or "My Apps" stale, so each format gets its exact quoting rules in both directions.
"""

from __future__ import annotations

import subprocess

# Desktop Entry spec, "The Exec key": characters that force an argument into double quotes.
_EXEC_RESERVED = frozenset(" \t\n\"'\\><~|&;$*?#()`")
# Inside double quotes these four must carry a backslash.
_EXEC_QUOTED_ESCAPES = frozenset('"`$\\')
# Field codes are replaced by the launcher (files, URLs, icon…); a stand-alone one is no argument of ours.
_EXEC_FIELD_CODES = frozenset({"%f", "%F", "%u", "%U", "%i", "%c", "%k", "%d", "%D", "%n", "%N", "%v", "%m"})
# String-value escapes of the Desktop Entry format, applied after the Exec quoting.
_STRING_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_STRING_UNESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


class CommandLineError(ValueError):
    """A stored command line that cannot be parsed (an unterminated quote)."""


def desktop_exec(argv: list[str]) -> str:
    """The `Exec=` value (already escaped as a Desktop Entry string value) that runs argv."""
    quoted = " ".join(_exec_quote(arg) for arg in argv)
    return "".join(_STRING_ESCAPES.get(ch, ch) for ch in quoted)


def parse_desktop_exec(value: str) -> list[str]:
    """The argv an `Exec=` value runs, field codes dropped; raises CommandLineError for broken quoting."""
    tokens = _split_exec(_unescape_string(value))
    return [raw.replace("%%", "%") for raw, quoted in tokens if not _is_field_code(raw, quoted)]


def windows_command_line(argv: list[str]) -> str:
    """A command line that the Microsoft C runtime splits back into argv (the rules of the `Run` registry key)."""
    return subprocess.list2cmdline(argv)


def parse_windows_command_line(line: str) -> list[str]:
    """Split a Windows command line the way the Microsoft C runtime does (CommandLineToArgvW rules)."""
    args: list[str] = []
    buf: list[str] = []
    in_quotes = False
    started = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\":
            i = _windows_backslashes(line, i, buf)
            started = True
        elif ch == '"':
            if in_quotes and line[i + 1:i + 2] == '"':  # "" inside quotes is a literal quote
                buf.append('"')
                i += 1
            else:
                in_quotes = not in_quotes
            started = True
            i += 1
        elif ch in " \t" and not in_quotes:
            if started:
                args.append("".join(buf))
                buf, started = [], False
            i += 1
        else:
            buf.append(ch)
            started = True
            i += 1
    if in_quotes:
        raise CommandLineError("unterminated quote in the command line")
    if started:
        args.append("".join(buf))
    return args


def _windows_backslashes(line: str, start: int, buf: list[str]) -> int:
    """Backslashes are literal unless a quote follows: then 2n give n and the quote delimits, 2n+1 escape it."""
    end = start
    while end < len(line) and line[end] == "\\":
        end += 1
    count = end - start
    if line[end:end + 1] != '"':
        buf.append("\\" * count)
        return end
    buf.append("\\" * (count // 2))
    if count % 2:
        buf.append('"')
        return end + 1
    return end


def _exec_quote(arg: str) -> str:
    escaped_percent = arg.replace("%", "%%")
    if arg and not any(ch in _EXEC_RESERVED for ch in arg):
        return escaped_percent
    inner = "".join("\\" + ch if ch in _EXEC_QUOTED_ESCAPES else ch for ch in escaped_percent)
    return f'"{inner}"'


def _unescape_string(value: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value) and value[i + 1] in _STRING_UNESCAPES:
            out.append(_STRING_UNESCAPES[value[i + 1]])
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _split_exec(text: str) -> list[tuple[str, bool]]:
    """Arguments of an unescaped Exec value, each with whether any part of it was quoted."""
    tokens: list[tuple[str, bool]] = []
    buf: list[str] = []
    started = quoted = in_quotes = False
    i = 0
    while i < len(text):
        ch = text[i]
        if in_quotes:
            if ch == "\\" and i + 1 < len(text) and text[i + 1] in _EXEC_QUOTED_ESCAPES:
                buf.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_quotes = False
            else:
                buf.append(ch)
        elif ch == '"':
            in_quotes = started = quoted = True
        elif ch in " \t\n":
            if started:
                tokens.append(("".join(buf), quoted))
                buf, started, quoted = [], False, False
        else:
            buf.append(ch)
            started = True
        i += 1
    if in_quotes:
        raise CommandLineError("unterminated quote in Exec")
    if started:
        tokens.append(("".join(buf), quoted))
    return tokens


def _is_field_code(raw: str, quoted: bool) -> bool:
    return not quoted and raw in _EXEC_FIELD_CODES
