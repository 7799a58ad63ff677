"""The emulated Plex's play history: seeded plays and the `/status/sessions/history/all` route.

Shape as python-plexapi 4.18 reads it (`PlexServer.history()`, `PlexHistory`) and as the Plex OpenAPI description
shows it (LukeHagar/plexjs `GetSessionHistory`): one `<Video>` per play with `historyKey`, `key`, `ratingKey`,
`librarySectionID`, `title`, `type`, `viewedAt` (unix seconds), `accountID`, `deviceID`; the container has `size`
(no `totalSize` in that example, so none here: clients must page until a short page). No real capture exists.
Filters: `viewedAt>=` / `viewedAt<=` (plexapi writes the key `viewedAt>` with `=value`), `metadataItemID=`,
`accountID=`, `librarySectionID=`; `sort=viewedAt:desc|asc`; paging with `X-Plex-Container-Start/-Size`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from plexsync_gui.emulators import plex_xml

# The view state Plex keeps per item (and the owner): seedable with add_item/edit_item, shown only when set.
VIEW_FIELDS: dict[str, type] = {"viewCount": int, "lastViewedAt": int, "viewOffset": int, "lastRatedAt": int}


@dataclass(frozen=True)
class Play:
    history_id: int
    rating_key: str
    section_key: int
    title: str
    type: str
    viewed_at: int
    account_id: int
    device_id: int


class PlayHistory:
    """The plays, in the order they were recorded; the emulator's lock guards it."""

    def __init__(self) -> None:
        self.plays: list[Play] = []

    def add(self, rating_key: str, section_key: int, title: str, type: str, viewed_at: int,
            account_id: int = 1, device_id: int = 1) -> Play:
        play = Play(len(self.plays) + 1, rating_key, section_key, title, type, viewed_at, account_id, device_id)
        self.plays.append(play)
        return play

    def answer(self, param: Callable[[str], str | None], paging: Callable[[str], int | None]) -> ET.Element:
        """The history container for a request's filters, sort and page."""
        checks = _filters(param)
        rows = [p for p in self.plays if all(check(p) for check in checks)]
        rows.sort(key=lambda p: (p.viewed_at, p.history_id), reverse=(param("sort") or "").endswith(":desc"))
        start = paging("X-Plex-Container-Start") or 0
        size = paging("X-Plex-Container-Size")
        page = rows[start:] if size is None else rows[start:start + size]
        root = plex_xml.container(size=len(page), offset=start)
        for play in page:
            plex_xml.element("Video", root, historyKey=f"/status/sessions/history/{play.history_id}",
                             key=f"/library/metadata/{play.rating_key}", ratingKey=play.rating_key,
                             librarySectionID=play.section_key, title=play.title, type=play.type,
                             viewedAt=play.viewed_at, accountID=play.account_id, deviceID=play.device_id)
        return root


def _filters(param: Callable[[str], str | None]) -> list[Callable[[Play], bool]]:
    """The request's filters as checks on a play, built once per request (`viewedAt>`: at or after)."""
    checks: list[Callable[[Play], bool]] = []
    since, until = param("viewedAt>"), param("viewedAt<")
    if since is not None:
        checks.append(partial(_at_or_after, int(since)))
    if until is not None:
        checks.append(partial(_at_or_before, int(until)))
    for name, attribute in (("metadataItemID", "rating_key"), ("accountID", "account_id"),
                            ("librarySectionID", "section_key")):
        value = param(name)
        if value is not None:
            checks.append(partial(_attribute_is, attribute, value))
    return checks


def _at_or_after(moment: int, play: Play) -> bool:
    return play.viewed_at >= moment


def _at_or_before(moment: int, play: Play) -> bool:
    return play.viewed_at <= moment


def _attribute_is(attribute: str, value: str, play: Play) -> bool:
    return str(getattr(play, attribute)) == value
