"""What a sync of these scenes would write to Plex, per scene and field, computed without changing anything.

It runs the sync's own steps and stops before the first write: the scenes are selected and skipped as queueing
skips them (held after an undo, unchanged since the last sync), their Plex items found as the engine finds them
(core/sync/resolve.py reads known and indexed items 100 a request; the rest take the worker's own lookup,
`push.find_item`), and each edit planned by `push.plan_for`, the very function a sync plans with. Nothing is
queued, no sync state or record is written, no Plex request but reads is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from plexsync_gui.core.errors import PermanentError, SyncError
from plexsync_gui.core.plex.client import PlexClient, PlexItem
from plexsync_gui.core.plex.edits import TAG_FIELDS, field_of
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.stash.client import StashClient
from plexsync_gui.core.storage.store import Job, JobStatus, Store
from plexsync_gui.core.sync.paths import map_path, normalise
from plexsync_gui.core.sync.push import Lane, PushTask, TaskPlan, find_item, plan_for
from plexsync_gui.core.sync.resolve import ItemResolver
from plexsync_gui.core.sync.rules import ActiveRules, scene_under_rules
from plexsync_gui.core.sync.scene import SceneMetadata, payload_hash


class FieldStatus(StrEnum):
    CHANGE = "change"  # the sync would write this value
    PRESERVED = "preserved"  # edited in Plex and `preserve_plex_edits` keeps it
    UNCHANGED = "unchanged"  # Plex already has it (at most its lock would be set)
    NOT_APPLICABLE = "not applicable"  # the item cannot take it (an episode's studio), never sent


@dataclass(frozen=True)
class FieldPreview:
    name: str  # Plex's field name ("genre")
    label: str  # in the words a Stash user knows ("tags")
    plex_now: Any
    would_write: Any
    status: FieldStatus


@dataclass(frozen=True)
class ScenePreview:
    """One scene: its item and fields, or why nothing would be written (`skipped`) or it cannot be (`problem`)."""

    scene_id: str
    title: str
    rating_key: str | None = None
    fields: tuple[FieldPreview, ...] = ()
    skipped: str | None = None
    problem: str | None = None

    @property
    def changes(self) -> int:
        return sum(f.status == FieldStatus.CHANGE for f in self.fields)

    def to_json(self) -> dict[str, Any]:
        return {"scene_id": self.scene_id, "title": self.title, "rating_key": self.rating_key,
                "skipped": self.skipped, "problem": self.problem,
                "fields": [{"field": f.label, "plex_field": f.name, "plex_now": f.plex_now,
                            "would_write": f.would_write, "status": f.status.value} for f in self.fields]}


LABELS = {"title": "title", "studio": "studio", "summary": "description", "originallyAvailableAt": "date",
          "year": "year", "userRating": "rating", "actor": "performers", "genre": "tags", "collection": "collection",
          "thumb": "poster"}
POSTER_NOW = "the poster Plex shows"
POSTER_NEW = "the scene's screenshot"
POSTER_SAME = "re-sent only if the screenshot changed"
SKIP_HELD = "held after an undo; syncing it by its id resumes it"
SKIP_UNCHANGED = "unchanged since the last sync (force to compare with Plex anyway)"


def value_text(value: Any) -> str:
    """A field's value as text: lists joined, nothing as "". The one rendering the CLI and the window share."""
    if value in (None, "", [], ()):
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def summary_text(rows: list[ScenePreview]) -> str:
    """The preview in one line, as the CLI and the window put it."""
    changing = sum(1 for r in rows if r.changes)
    skipped = sum(1 for r in rows if r.skipped)
    problems = sum(1 for r in rows if r.problem)
    same = len(rows) - changing - skipped - problems
    return (f"{changing} scene(s) would change ({sum(r.changes for r in rows)} field(s)), {same} already as in "
            f"Stash, {skipped} skipped, {problems} with a problem")


@dataclass(frozen=True)
class FetchedScenes:
    """Scenes read from Stash for a preview, mapped under the sync rules as the queuer maps them."""

    scenes: list[SceneMetadata]
    unknown: list[str]  # ids Stash does not have
    ruled_out: dict[str, str]  # scene id -> why the sync rules leave it out


def fetch_scenes(stash: StashClient, scene_ids: list[str], rules: ActiveRules) -> FetchedScenes:
    """The scenes from Stash in batches (as `sync` fetches them), each through `scene_under_rules`."""
    fetched = FetchedScenes([], [], {})
    for found in stash.scene_batches(scene_ids):
        fetched.unknown.extend(i for i, raw in found.items() if raw is None)
        for raw in (raw for raw in found.values() if raw is not None):
            scene, reason = scene_under_rules(raw, rules)
            fetched.scenes.append(scene)
            if reason:
                fetched.ruled_out[scene.scene_id] = reason
    return fetched


def queued_scenes(store: Store) -> list[SceneMetadata]:
    """The scenes of the live queue, as their jobs would push them."""
    jobs = store.due_jobs(float("inf"), 1 << 30)  # every job; a dry look, nothing is claimed
    return [SceneMetadata.from_json(job.payload) for job in jobs]


def preview(scenes: list[SceneMetadata], config: Config, store: Store, plex: PlexClient, stash: StashClient,
            force: bool = False, explicit: bool = False,
            ruled_out: dict[str, str] | None = None) -> list[ScenePreview]:
    """Per scene, in the given order, what a sync would do to its Plex item now. `force` and `explicit` mean what
    they mean to `sync` (compare unchanged scenes too; the user named these scenes, so holds do not apply);
    `ruled_out` names the scenes the sync rules leave out, with the reason."""
    held = set() if explicit else store.held_scenes([s.scene_id for s in scenes])
    skip_reasons = {scene_id: SKIP_HELD for scene_id in held} | (ruled_out or {})
    results: dict[str, ScenePreview] = {}
    tasks: list[PushTask] = []
    for scene in scenes:
        outcome = _task_or_preview(scene, config, store, force, skip_reasons.get(scene.scene_id))
        if isinstance(outcome, ScenePreview):
            results[scene.scene_id] = outcome
        else:
            tasks.append(outcome)
    resolver = ItemResolver(plex, config.plex.libraries, lambda: 0)  # shares `plex`: never closed here
    lane = Lane(plex, stash)
    for task in resolver.resolve(tasks):
        results[task.job.scene_id] = _scene_preview(lane, task)
    return [results[s.scene_id] for s in scenes if s.scene_id in results]


def _task_or_preview(scene: SceneMetadata, config: Config, store: Store, force: bool,
                     skip_reason: str | None) -> PushTask | ScenePreview:
    """The task a sync would run for the scene, or the scene's preview when it would not run one."""
    title = scene.display_title
    if skip_reason:
        return ScenePreview(scene.scene_id, title, skipped=skip_reason)
    digest = payload_hash(scene, config.fields, config.rules.fill_empty_fields())
    state = store.sync_state(scene.scene_id)
    if not force and state is not None and state.pushed_hash == digest:
        return ScenePreview(scene.scene_id, title, state.rating_key, skipped=SKIP_UNCHANGED)
    if not scene.path:
        return ScenePreview(scene.scene_id, title, problem="the scene has no file in Stash")
    plex_path = map_path(scene.path, config.path_map)
    owned = store.owned_item(state.rating_key if state else None, normalise(plex_path))
    job = Job(0, scene.scene_id, title, scene.path, JobStatus.PENDING, 0, 0, None, None, None, force,
              scene.to_json(), digest, 0)
    return PushTask(job, scene, plex_path, owned, config)


def _scene_preview(lane: Lane, task: PushTask) -> ScenePreview:
    scene_id, title = task.job.scene_id, task.job.title
    try:
        item = task.item or find_item(lane, task)
        planned = plan_for(task, item)
    except (SyncError, PermanentError) as exc:
        return ScenePreview(scene_id, title, task.owned.rating_key if task.owned else None, problem=str(exc))
    fields = [_field(name, item, planned) for name in planned.want]
    fields += [FieldPreview(name, LABELS.get(name, name), None, None, FieldStatus.NOT_APPLICABLE)
               for name in planned.not_applicable]
    if task.config.fields.poster and task.scene.screenshot_url:
        fields.append(_poster(planned))
    return ScenePreview(scene_id, title, item.rating_key, tuple(fields))


def _field(name: str, item: PlexItem, planned: TaskPlan) -> FieldPreview:
    snapshot, plan = item.snapshot, planned.plan
    now: Any = list(snapshot.tags.get(name, [])) if name in TAG_FIELDS else snapshot.scalars.get(name)
    if name in plan.changed:
        status = FieldStatus.CHANGE
        wanted = _tags_sent(plan.params, name) if name in TAG_FIELDS else planned.want[name]
    else:
        status = FieldStatus.PRESERVED if name in plan.preserved else FieldStatus.UNCHANGED
        wanted = now
    return FieldPreview(name, LABELS.get(name, name), now, wanted, status)


def _tags_sent(params: dict[str, Any], name: str) -> list[str]:
    """The tag list an edit sets, in its index order (the collection's includes the user's own collections)."""
    entries = [(int(key[len(name) + 1:key.index("]")]), value) for key, value in params.items()
               if field_of(key) == name and key.startswith(f"{name}[") and not key.startswith(f"{name}[]")]
    return [str(value) for _, value in sorted(entries)]


def _poster(planned: TaskPlan) -> FieldPreview:
    """Whether the poster would be sent is known only from the screenshot's bytes, which a preview does not
    download: a first poster would be, a later one only if the screenshot changed."""
    if planned.owned is None or planned.owned.poster_sha1 is None:
        return FieldPreview("thumb", "poster", POSTER_NOW, POSTER_NEW, FieldStatus.CHANGE)
    return FieldPreview("thumb", "poster", POSTER_NOW, POSTER_SAME, FieldStatus.UNCHANGED)
