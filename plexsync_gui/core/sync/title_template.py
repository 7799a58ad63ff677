"""The title template of `[rules] title_template`: which placeholders exist, and how a template becomes a title.

Checked when the config is read, so a typo is a one-line config error naming the placeholder rather than a title
full of braces in Plex. Only plain `{name}` placeholders are allowed: Python's format syntax would otherwise reach
attributes (`{title.__class__}`) and format specs a user never needs here.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from functools import lru_cache

PLACEHOLDERS = ("title", "studio", "date", "year", "code", "performers")
DEFAULT_TEMPLATE = "{title}"
_SEPARATORS = " -–—|·:,;/"  # trimmed from the ends once an empty placeholder left them dangling
_EMPTY_BRACKETS = ("()", "[]", "{}")


def check_template(template: str) -> None:
    """ValueError with one line when the template uses anything but the known plain placeholders."""
    for _, name, spec, conversion in _parsed(template):
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise ValueError(f"unknown placeholder {{{name}}} (known: {known})")
        if spec or conversion:
            raise ValueError(f"{{{name}}} takes no format or conversion; write just {{{name}}}")


@lru_cache(maxsize=32)
def _parsed(template: str) -> tuple[tuple[str, str | None, str | None, str | None], ...]:
    """Parsed once per template: every queued scene renders the same one."""
    try:
        return tuple(string.Formatter().parse(template))
    except ValueError as exc:  # a lone brace
        raise ValueError(f"{exc} (write {{{{ or }}}} for a literal brace)") from None


def render(template: str, values: Mapping[str, str]) -> str:
    """The template with each placeholder replaced by its value (missing ones empty), separators and brackets left
    dangling by empty values removed. The template must have passed `check_template`."""
    out = []
    for literal, name, _, _ in _parsed(template):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    text = " ".join("".join(out).split())
    for brackets in _EMPTY_BRACKETS:
        text = " ".join(text.replace(brackets, "").split())
    return text.strip(_SEPARATORS)
