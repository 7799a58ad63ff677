"""Carry plays, resume points and ratings from Plex into Stash: each runner round, and once for past plays.

A round is cheap when nothing is new: one history request for plays at or after the stored watermark (kv). New plays
of Plex items PlexSync matched to scenes (sync_state) are added to each scene's play history with their Plex dates,
deduplicated against the history Stash answers, so a re-run adds nothing. Resume points and ratings are read from
the items that were played, and once an hour (and at the first round) from every matched item, since Plex records
neither in its history. What the Stash server lacks (play history needs v0.25) is said once and skipped.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from plexsync_gui.core.activity import rules
from plexsync_gui.core.plex.client import PlexClient
from plexsync_gui.core.plex.history import PlexPlay, ViewState
from plexsync_gui.core.setup.config import PlexToStashSettings
from plexsync_gui.core.stash.client import ActivityWrite, StashClient, StashOffers
from plexsync_gui.core.storage.keys import PLEX_TO_STASH_NOTICE_KEY
from plexsync_gui.core.storage.store import Store

log = logging.getLogger(__name__)

WATERMARK_KEY = "plex_to_stash.watermark"  # {"at": unix seconds, "keys": history keys read at that second}
NOTICE_KEY = PLEX_TO_STASH_NOTICE_KEY  # what this Stash lacks, for `plexsync status`
OUTCOME = "from_plex"  # the activity outcome of everything this module records
NOTICE_TITLE = "Plex → Stash"
STATE_PASS_INTERVAL = 3600.0  # seconds between reads of every matched item's resume point and rating
# What each part needs from Stash: mutations, then Scene fields. Play history with dates arrived in v0.25.
NEEDS: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "plays": (("sceneAddPlay",), ("play_history",), "plays from Plex are skipped (play history needs Stash v0.25+)"),
    "resume": (("sceneSaveActivity",), ("resume_time",), "resume points from Plex are skipped"),
    "rating": (("sceneUpdate",), ("rating100",), "ratings from Plex are skipped"),
}
STASH_FIELDS = {"plays": "play_history", "resume": "resume_time", "rating": "rating100"}


@dataclass
class Summary:
    """What one round or import did, for the CLI's line and the tests."""

    plays_added: int = 0
    plays_known: int = 0  # Plex plays Stash already had (same second)
    ratings: int = 0
    resumes: int = 0
    scenes: set[str] = field(default_factory=set)
    unmatched: int = 0  # plays of Plex items no scene is matched to
    notices: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"{self.plays_added} new play{'s' * (self.plays_added != 1)}",
                 f"{self.ratings} rating{'s' * (self.ratings != 1)}",
                 f"{self.resumes} resume point{'s' * (self.resumes != 1)}"]
        text = f"From Plex: {', '.join(parts)} on {len(self.scenes)} scene{'s' * (len(self.scenes) != 1)}"
        if self.plays_known:
            text += f"; {self.plays_known} play{'s' * (self.plays_known != 1)} already in Stash"
        if self.unmatched:
            text += f"; {self.unmatched} play{'s' * (self.unmatched != 1)} of Plex items not matched to a scene"
        return "; ".join([text, *self.notices])


class PlexActivity:
    """The Plex -> Stash direction; one per session. Not for concurrent use (it owns one client of each side)."""

    def __init__(self, store: Store, stash: StashClient, plex: PlexClient,
                 settings: Callable[[], PlexToStashSettings], clock: Callable[[], float] = time.monotonic) -> None:
        """`settings` is read at every round, so a change in the settings applies at once."""
        self.store = store
        self.stash = stash
        self.plex = plex
        self.settings = settings
        self.clock = clock
        self._next_state_pass: float | None = None  # None: at the next round
        self._noted: set[str] = set()

    def round(self) -> Summary | None:
        """New plays since the watermark (and, when due, every matched item's state); None when disabled."""
        settings = self.settings()
        if not settings.enabled or not (settings.plays or settings.resume or settings.rating):
            return None
        mark = self._watermark()
        if mark is None:  # first round: from now on; older plays are the import's
            self._save_watermark(int(time.time()), [])
            mark = self._watermark()
            assert mark is not None
        since, known = mark
        plays = [p for p in self.plex.play_history(since) if p.history_key not in known]
        state_keys: list[str] | None = []
        if (settings.resume or settings.rating) and (self._next_state_pass is None
                                                     or self.clock() >= self._next_state_pass):
            state_keys = None  # every matched item
            self._next_state_pass = self.clock() + STATE_PASS_INTERVAL
        summary = self._apply(settings, plays, state_keys) if plays or state_keys is None else Summary()
        self._advance(since, known, plays)
        return summary

    def read_states_soon(self) -> None:
        """Make the next round read every matched item's resume point and rating ("Sync now")."""
        self._next_state_pass = None

    def import_past(self) -> Summary:
        """Every play in Plex's history and every matched item's state, whatever the watermark; re-running adds
        nothing. The watermark moves to the newest play, so rounds carry on from there."""
        settings = self.settings()
        mark = self._watermark()
        plays = self.plex.play_history(0)
        summary = self._apply(settings, plays, None if (settings.resume or settings.rating) else [])
        if mark is None or (plays and max(p.viewed_at for p in plays) >= mark[0]):
            self._advance(*(mark or (0, set())), plays)
        return summary

    # ---- applying ----------------------------------------------------------------------------------------------

    def _apply(self, settings: PlexToStashSettings, plays: list[PlexPlay], state_keys: list[str] | None) -> Summary:
        """Plays (and the state of `state_keys`, None: of every matched item) into Stash; one activity row per
        scene that changed."""
        summary = Summary()
        parts = self._usable_parts(settings, summary)
        played = {p.rating_key for p in plays}
        if not {"resume", "rating"} & parts:
            state_keys = []
        elif state_keys is not None:
            state_keys = sorted(played | set(state_keys))
        scenes_of = self.store.scenes_by_rating_key(None if state_keys is None else sorted(played | set(state_keys)))
        times = self._plays_by_scene(plays, scenes_of, summary) if "plays" in parts else {}
        states = self._changed_states(sorted(scenes_of) if state_keys is None else state_keys, parts)
        touched = set(times) | {s for rk in states for s in scenes_of.get(rk, [])}
        fields = tuple(STASH_FIELDS[p] for p in sorted(parts))
        rows = self.stash.scene_activity(sorted(touched), fields) if touched else {}
        changes: dict[str, list[str]] = {}
        writes = self._new_plays(rows, times, summary, changes)
        for rating_key, (state, seen) in states.items():
            for scene_id in scenes_of.get(rating_key, []):
                if scene_id in rows:
                    writes += self._state_writes(settings, parts, rows[scene_id], state, seen, summary, changes)
        self.stash.write_activity(writes)
        self.store.remember_plex_seen({rk: (s.view_offset_ms, s.user_rating) for rk, (s, _) in states.items()})
        for scene_id, words in changes.items():
            summary.scenes.add(scene_id)
            self.store.record_activity(scene_id, str(rows[scene_id].get("title") or ""), OUTCOME, ", ".join(words))
        log.info("%s", summary.line())
        return summary

    @staticmethod
    def _plays_by_scene(plays: list[PlexPlay], scenes_of: dict[str, list[str]], summary: Summary
                        ) -> dict[str, set[int]]:
        """Each matched scene's Plex play times (a history row read twice counts once)."""
        times: dict[str, set[int]] = {}
        for play in {p.history_key: p for p in plays}.values():
            scenes = scenes_of.get(play.rating_key, [])
            summary.unmatched += not scenes
            for scene_id in scenes:
                times.setdefault(scene_id, set()).add(play.viewed_at)
        return times

    def _usable_parts(self, settings: PlexToStashSettings, summary: Summary) -> set[str]:
        """The parts switched on that this Stash offers; the others are said once per session."""
        wanted = {name for name in NEEDS if getattr(settings, name)}
        offers: StashOffers = self.stash.offers()
        usable = set()
        missing_now: list[str] = []
        for name in sorted(wanted):
            mutations, scene_fields, consequence = NEEDS[name]
            missing = [m for m in mutations if m not in offers.mutations]
            missing += [f"Scene.{f}" for f in scene_fields if f not in offers.scene_fields]
            if not missing:
                usable.add(name)
                continue
            notice = f"This Stash does not offer {', '.join(missing)}: {consequence}"
            missing_now.append(notice)
            if notice not in self._noted:  # once per session: the status and the activity say it, not every round
                self._noted.add(notice)
                summary.notices.append(notice)
                log.warning("%s", notice)
                self.store.record_activity("", NOTICE_TITLE, OUTCOME, notice)
        said = "; ".join(missing_now) or None
        if self.store.get(NOTICE_KEY) != said:
            self.store.set(NOTICE_KEY, said)
        return usable

    def _changed_states(self, rating_keys: list[str], parts: set[str]) -> dict[str, tuple[ViewState, Any]]:
        """Items whose resume point or rating differs from what was last read: (state now, seen before or None)."""
        if not {"resume", "rating"} & parts or not rating_keys:
            return {}
        states = self.plex.view_states(rating_keys)
        seen = self.store.plex_seen(list(states))
        return {rk: (state, seen.get(rk)) for rk, state in states.items()
                if seen.get(rk) != (state.view_offset_ms, state.user_rating)}

    def _new_plays(self, rows: dict[str, dict[str, Any]], times: dict[str, set[int]], summary: Summary,
                   changes: dict[str, list[str]]) -> list[ActivityWrite]:
        writes = []
        for scene_id, plex_times in sorted(times.items()):
            if scene_id not in rows:
                continue  # deleted in Stash since it was matched
            new = rules.new_play_times(plex_times, rows[scene_id].get("play_history") or [])
            summary.plays_known += len(plex_times) - len(new)
            if new:
                writes.append(ActivityWrite("play", scene_id, [rules.stash_time(t) for t in new]))
                summary.plays_added += len(new)
                latest = rules.stash_time(new[-1]).replace("T", " ")[:16]
                changes.setdefault(scene_id, []).append(f"{len(new)} play{'s' * (len(new) != 1)} "
                                                        f"(latest {latest} UTC)")
        return writes

    def _state_writes(self, settings: PlexToStashSettings, parts: set[str], row: dict[str, Any], state: ViewState,
                      seen: tuple[int | None, float | None] | None, summary: Summary,
                      changes: dict[str, list[str]]) -> list[ActivityWrite]:
        scene_id = str(row["id"])
        writes = []
        before_offset, before_rating = seen or (None, None)
        if "rating" in parts:
            rating = rules.rating_to_write(state.user_rating, before_rating, seen is not None, row.get("rating100"),
                                           settings.rating_wins)
            if rating is not None:
                writes.append(ActivityWrite("rating", scene_id, rating))
                summary.ratings += 1
                changes.setdefault(scene_id, []).append(f"rating {rating / 10:g} of 10")
        if "resume" in parts:
            resume = rules.resume_to_write(state.view_offset_ms, before_offset, seen is not None,
                                           row.get("resume_time"))
            if resume is not None:
                writes.append(ActivityWrite("resume", scene_id, resume))
                summary.resumes += 1
                changes.setdefault(scene_id, []).append(f"resume at {rules.clock_text(resume)}")
        return writes

    # ---- the watermark -----------------------------------------------------------------------------------------

    def _watermark(self) -> tuple[int, set[str]] | None:
        text = self.store.get(WATERMARK_KEY)
        try:
            data = json.loads(text) if text else None
            return (int(data["at"]), set(data["keys"])) if data else None
        except (ValueError, KeyError, TypeError):
            log.warning("the Plex play watermark is unreadable; starting from now")
            return None

    def _advance(self, since: int, known: set[str], plays: list[PlexPlay]) -> None:
        """Move to the newest play read, remembering the history keys of that second (PMS filters with >=)."""
        newest = max([since, *(p.viewed_at for p in plays)])
        keys = {p.history_key for p in plays if p.viewed_at == newest} | (known if newest == since else set())
        if newest != since or keys != known:
            self._save_watermark(newest, sorted(keys))

    def _save_watermark(self, at: int, keys: list[str]) -> None:
        self.store.set(WATERMARK_KEY, json.dumps({"at": at, "keys": keys}))
