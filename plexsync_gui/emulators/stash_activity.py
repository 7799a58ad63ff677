"""The emulated Stash's play and activity mutations, per schema version (stashapp/stash graphql/schema, v0.24-v0.30).

v0.24: `sceneIncrementPlayCount` (no dates), `sceneSaveActivity(id, resume_time, playDuration)`, `sceneUpdate`;
Scene has `play_count`, `last_played_at`, `resume_time`, `play_duration` but no `play_history`.
v0.25+: `sceneAddPlay(id, times)` / `sceneDeletePlay(id, times)` -> `HistoryMutationResult {count history}`,
`sceneResetPlayCount`, Scene `play_history: [Time!]!`. v0.27+: `sceneResetActivity(id, reset_resume, reset_duration)`.
Stash converts play times to its own zone (`tt.Local()`) and keeps them to the second; none of these mutations but
`sceneUpdate` bumps `updated_at` (docs/stash-protocol.md §4).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from plexsync_gui.emulators.stash_graphql import ResolverError
from plexsync_gui.emulators.stash_store import Clock, SceneRecord, SceneStore, atoi


def mutation_fields(minor: int) -> dict[str, list[str]]:
    """Mutation root fields (those the emulator models) and their argument names, for Stash v0.<minor>."""
    fields: dict[str, list[str]] = {
        "sceneUpdate": ["input"],
        "sceneSaveActivity": ["id", "resume_time", "playDuration"],
        "sceneIncrementPlayCount": ["id"],
    }
    if minor >= 25:
        fields.update(sceneAddPlay=["id", "times"], sceneDeletePlay=["id", "times"], sceneResetPlayCount=["id"])
    if minor >= 27:
        fields["sceneResetActivity"] = ["id", "reset_resume", "reset_duration"]
    return fields


MUTATION_RESULTS = {"sceneUpdate": "Scene", "sceneAddPlay": "HistoryMutationResult",
                    "sceneDeletePlay": "HistoryMutationResult"}


class ActivityMutations:
    """Resolvers over the emulator's scene store; called under the emulator's lock."""

    def __init__(self, store: SceneStore, clock: Clock,
                 view: Callable[[SceneRecord, str], dict[str, Any]]) -> None:
        self.store, self.clock, self.view = store, clock, view

    def resolvers(self) -> dict[str, Callable[[dict[str, Any], str], Any]]:
        return {"sceneUpdate": self.scene_update, "sceneSaveActivity": self.save_activity,
                "sceneIncrementPlayCount": self.increment_play_count, "sceneAddPlay": self.add_play,
                "sceneDeletePlay": self.delete_play, "sceneResetPlayCount": self.reset_play_count,
                "sceneResetActivity": self.reset_activity}

    def _scene(self, args: dict[str, Any]) -> SceneRecord:
        record = self.store.scenes.get(atoi(args.get("id")))
        if record is None:
            raise ResolverError(f"scene with id {args.get('id')} not found")
        return record

    def scene_update(self, args: dict[str, Any], base: str) -> dict[str, Any]:
        values = dict(args.get("input") or {})
        record = self._scene(values)
        unsupported = sorted(set(values) - {"id", "rating100", "title", "details"})
        if unsupported:
            raise ResolverError(f"the emulated Stash cannot update {', '.join(unsupported)}")
        rating = values.get("rating100")
        if rating is not None and not (isinstance(rating, int) and 0 <= rating <= 100):
            raise ResolverError("rating100 must be an integer from 0 to 100")
        self.store.update(str(record.id), {k: v for k, v in values.items() if k != "id"})
        return self.view(record, base)

    def save_activity(self, args: dict[str, Any], base: str) -> bool:
        record = self._scene(args)
        if args.get("resume_time") is not None:
            record.resume_time = float(args["resume_time"])
        if args.get("playDuration") is not None:
            record.play_duration += float(args["playDuration"])
        return True

    def reset_activity(self, args: dict[str, Any], base: str) -> bool:
        record = self._scene(args)
        if args.get("reset_resume"):
            record.resume_time = 0.0
        if args.get("reset_duration"):
            record.play_duration = 0.0
        return True

    def increment_play_count(self, args: dict[str, Any], base: str) -> int:
        record = self._scene(args)
        record.play_history = sorted([*record.play_history, self.clock.stamp()])
        return len(record.play_history)

    def add_play(self, args: dict[str, Any], base: str) -> dict[str, Any]:
        record = self._scene(args)
        times = [self._local(t) for t in args.get("times") or []] or [self.clock.stamp()]
        record.play_history = sorted([*record.play_history, *times])
        return {"count": len(record.play_history), "history": list(record.play_history)}

    def delete_play(self, args: dict[str, Any], base: str) -> dict[str, Any]:
        record = self._scene(args)
        times = [self._local(t) for t in args.get("times") or []] or record.play_history[-1:]
        for stamp in times:
            if stamp in record.play_history:
                record.play_history.remove(stamp)
        return {"count": len(record.play_history), "history": list(record.play_history)}

    def reset_play_count(self, args: dict[str, Any], base: str) -> int:
        self._scene(args).play_history = []
        return 0

    def _local(self, text: Any) -> str:
        """A `Timestamp` input in the server's zone, to the second, as Stash stores it."""
        try:
            moment = datetime.fromisoformat(str(text))
        except ValueError:
            raise ResolverError(f"cannot parse Timestamp: ParseDateStringAsTime failed: dateString <{text}>") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        offset = self.clock.offset
        zone = UTC if offset == "Z" else timezone(
            (1 if offset[0] == "+" else -1) * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))
        local = moment.astimezone(zone)
        return local.strftime("%Y-%m-%dT%H:%M:%S") + offset
