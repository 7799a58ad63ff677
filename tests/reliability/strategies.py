"""Hypothesis strategies for hostile Stash scenes: nulls and wrong types anywhere, control and format characters,
lone surrogates, emoji, right-to-left text, huge details, odd dates, duplicate tags, thousands of performers."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NASTY_PIECES = [
    "\u202eevil\u202c", "\u200f\u05e9\u05dc\u05d5\u05dd\u200e", "\u0645\u0631\u062d\u0628\u0627",
    "\U0001f600\U0001f3f3\ufe0f\u200d\U0001f308",
    "e\u0301", "\u0000", "\x1b[31m", "\r\n", "\t", "\ufeff", "\ud800", "\U000e0001", "A,B", "%20&x=1", "<b>&amp;</b>",
    "   ", "\u3000", "\u2028", "\u00a0", "Ω\u0308",
]

# Every code point Python can hold, surrogates and unassigned ones included.
any_char = st.characters(exclude_categories=())
nasty_text = st.one_of(
    st.text(any_char, max_size=40),
    st.lists(st.sampled_from(NASTY_PIECES) | st.text(any_char, max_size=5), max_size=8).map("".join),
)
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), nasty_text)
json_value = st.recursive(json_scalar, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=5), inner, max_size=3), max_leaves=6)

huge_details = st.builds(lambda chunk, size: (chunk * (size // max(len(chunk), 1) + 1))[:size],
                         st.sampled_from(["word ", "\U0001f600", "\u05e9\u05dc\u05d5\u05dd ", "a\n\n", "x" * 50]),
                         st.sampled_from([10_001, 40_000, 100_000]))
odd_dates = st.one_of(
    st.sampled_from(["2024", "2024-07", "2024-02-29", "2023-02-29", "2024-13-01", "0000", "0001-01", "9999-12-31",
                     "2024-7-1", " 2024-01-01 ", "2024-01-01T10:00:00Z", "", "yesterday"]),
    st.from_regex(r"\A\d{1,5}(-\d{1,2}){0,2}\Z"),
    json_value,
)
names = st.lists(st.one_of(st.fixed_dictionaries({"name": nasty_text}), json_value), max_size=6)
duplicated = st.lists(st.sampled_from(["Tag", "tag", "TAG ", " tag", "Täg", "Ta\u0308g"]), max_size=8).map(
    lambda values: [{"name": v} for v in values])
many = st.builds(lambda base, count: [{"id": str(i), "name": f"{base} {i}"} for i in range(count)],
                 nasty_text, st.sampled_from([150, 1000, 4000]))


def scene_id() -> st.SearchStrategy[Any]:
    return st.one_of(st.integers(min_value=1, max_value=10**9), st.from_regex(r"\A[1-9]\d{0,8}\Z"))


stash_scenes = st.fixed_dictionaries(
    {"id": scene_id()},
    optional={
        "title": st.one_of(nasty_text, json_value),
        "details": st.one_of(nasty_text, huge_details, json_value),
        "date": odd_dates,
        "rating100": st.one_of(st.integers(-5, 120), st.floats(allow_nan=True), json_value),
        "updated_at": st.one_of(st.just("2024-05-01T10:00:00+02:00"), nasty_text, json_value),
        "studio": st.one_of(st.fixed_dictionaries({"name": st.one_of(nasty_text, json_value)}), json_value),
        "performers": st.one_of(names, many, json_value),
        "tags": st.one_of(names, duplicated, many, json_value),
        "files": st.one_of(st.lists(st.fixed_dictionaries({"path": st.one_of(nasty_text, json_value)}), max_size=2),
                           json_value),
        "paths": st.one_of(st.fixed_dictionaries({"screenshot": st.one_of(nasty_text, json_value)}), json_value),
    },
)
