"""The network half of a sync job, run on a pool worker: find the Plex item, send the one edit, upload the poster.

It never touches the database. The calling thread reads what a job needs (`PushTask`) before handing it over, and
records what the worker learned (`PushResult`) after, so SQLite stays on the thread that opened it and a worker
can be interrupted at any point without leaving half-written state behind.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from plexsync_gui.core.errors import (
    InternalError,
    PermanentError,
    PlexAuthError,
    PlexNotFound,
    StashDownError,
    StashError,
    SyncError,
)
from plexsync_gui.core.plex.client import EPISODE, Candidate, PlexClient, PlexItem, SectionInfo
from plexsync_gui.core.plex.edits import EditPlan, describe_fields, for_episode, plan_edit
from plexsync_gui.core.plex.posters import fit_poster
from plexsync_gui.core.setup.config import Config
from plexsync_gui.core.stash.client import StashClient
from plexsync_gui.core.storage.store import Job, Original, OwnedItem
from plexsync_gui.core.sync.originals import POSTER_FIELD, originals_before
from plexsync_gui.core.sync.paths import same_file
from plexsync_gui.core.sync.scene import SceneMetadata, desired_fields

log = logging.getLogger(__name__)

POSTER_REFUSALS = (400, 413, 500)
NOT_APPLICABLE = "not_applicable"  # key of the sync state's `written`: the fields last reported as not applicable


@dataclass
class Lane:
    """One worker's own clients, and the sections its client listed (once per connection)."""

    plex: PlexClient
    stash: StashClient
    sections: list[SectionInfo] | None = None
    _downloads: ThreadPoolExecutor | None = None  # one thread: the lane's Stash client is never used twice at once

    def forget_sections(self) -> None:
        """Drop plexapi's cached server and the sections (after the token changed, say)."""
        self.plex.reconnect()
        self.sections = None

    def download(self, url: str) -> Future[bytes | None]:
        """Start fetching an image from Stash on the lane's download thread, so it arrives while the lane's Plex
        client sends the edit: a scene with a poster then waits for two requests in a row, not three."""
        if self._downloads is None:
            self._downloads = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plexsync-poster")
        return self._downloads.submit(self.stash.download_image, url)

    def stop_downloads(self) -> None:
        if self._downloads is not None:
            self._downloads.shutdown(wait=True)
            self._downloads = None


@dataclass(frozen=True)
class PushTask:
    """A claimed job with everything the worker needs, read from the store beforehand by the calling thread."""

    job: Job
    scene: SceneMetadata
    plex_path: str
    owned: OwnedItem | None  # the item this scene (or, new to PlexSync, its file) was last synced to
    config: Config
    item: PlexItem | None = None  # the full item, when it was read with its batch (core/sync/resolve.py)


@dataclass
class PushResult:
    """What the calling thread records: the new sync state, or the error; and whether the remembered ratingKey
    turned out stale (forgotten even when the job then fails, so the retry goes straight to a lookup)."""

    error: SyncError | None = None
    forget_rating_key: bool = False
    rating_key: str | None = None
    section_key: str | None = None  # the item's library section (where its group collections live)
    written: dict[str, Any] = field(default_factory=dict)
    poster_sha1: str | None = None
    detail: str = ""
    stash_answered: bool = False  # the poster download worked: a pause waiting for Stash can end
    originals: dict[str, Original] = field(default_factory=dict)  # Plex's values before this push (for undo)
    originals_of: str | None = None  # their item, kept even when the job then fails (a later step, the poster)


def push(lane: Lane, task: PushTask) -> PushResult:
    """Bring the scene's Plex item in line with the scene; every failure comes back as `error`, never raised."""
    result = PushResult()
    try:
        _push(lane, task, result)
    except SyncError as exc:
        result.error = exc
    except Exception as exc:  # a bug must cost one job an attempt, never the worker
        log.exception("unexpected error while syncing scene %s", task.job.scene_id)
        result.error = InternalError.from_exception(exc)
    return result


@dataclass(frozen=True)
class TaskPlan:
    """The edit a task would make to its item, and what it was planned from: the one planning step that both a sync
    and its preview (core/preview) run, so a preview shows exactly what a sync would write."""

    owned: OwnedItem | None  # PlexSync's record of this very item (None for an item new to PlexSync)
    want: dict[str, Any]  # the fields the item can take
    not_applicable: list[str]  # wanted fields the item cannot take (an episode's studio, say)
    plan: EditPlan


def plan_for(task: PushTask, item: PlexItem) -> TaskPlan:
    """Plan the edit of `item` for `task`'s scene, against the item as it is now."""
    # What PlexSync wrote belongs to the item it wrote to; an item found by a new lookup has no record yet.
    owned = task.owned if task.owned is not None and task.owned.rating_key == item.rating_key else None
    last_written = (owned.written if owned else None) or {}
    config = task.config
    want, not_applicable = _fields_for(item, desired_fields(task.scene, config.fields))
    plan = plan_edit(want, item.snapshot, last_written, config.sync.preserve_plex_edits,
                     config.rules.fill_empty_fields())
    return TaskPlan(owned, want, not_applicable, plan)


def find_item(lane: Lane, task: PushTask) -> PlexItem:
    """The task's full Plex item, found as a sync finds it (raises the sync's errors when there is none)."""
    return _item_for(lane, task, PushResult())


def _push(lane: Lane, task: PushTask, result: PushResult) -> None:
    """Once the item is found, download the poster (when one is wanted) while the item is edited; the upload
    follows the edit. Not before: a job that cannot reach Plex (an outage, the breaker's trial) costs Stash nothing."""
    item = _item_for(lane, task, result)
    url = task.scene.screenshot_url if task.config.fields.poster else None
    download = lane.download(url) if url else None
    try:
        _edit(lane, task, item, result, download)
    finally:
        if download is not None:
            wait([download])  # never left running into the lane's next job, or past a stop


def _edit(lane: Lane, task: PushTask, item: PlexItem, result: PushResult,
          download: Future[bytes | None] | None) -> None:
    planned = plan_for(task, item)
    owned, not_applicable, plan = planned.owned, planned.not_applicable, planned.plan
    last_written = (owned.written if owned else None) or {}
    result.originals_of = item.rating_key
    if plan.params:
        lane.plex.apply(item, plan.params)
        result.originals.update(originals_before(item.snapshot, plan.params))
    notes: list[str] = []
    last_sha1 = owned.poster_sha1 if owned else None
    poster_sha1 = _sync_poster(lane, item, result, last_sha1, notes, download)
    changed = plan.changed + (["poster"] if poster_sha1 != last_sha1 else [])
    detail = describe_fields(changed) + " changed" if changed else "no change"
    if plan.preserved:
        detail += f"; kept Plex edits to {describe_fields(plan.preserved)}"
    if plan.kept_filled:
        detail += f"; {describe_fields(plan.kept_filled)} already set in Plex (only filled when empty)"
    if not_applicable:
        plan.written[NOT_APPLICABLE] = not_applicable
        if last_written.get(NOT_APPLICABLE) != not_applicable:  # said once, not on every later sync
            detail += f"; {describe_fields(not_applicable)}: not applicable to episodes, not sent"
    detail += "".join(f"; {note}" for note in notes)
    result.rating_key, result.written, result.poster_sha1, result.detail = (
        item.rating_key, plan.written, poster_sha1, detail)
    result.section_key = item.section_key


def _fields_for(item: PlexItem, want: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """What the item can take: an episode only the fields Plex models for it, the others named (once, in the
    activity) and never sent, so an episode neither fails nor looks changed for ever."""
    return for_episode(want) if item.search_type == EPISODE else (want, [])


def _item_for(lane: Lane, task: PushTask, result: PushResult) -> PlexItem:
    """The full Plex item: as read with its batch, else through the remembered ratingKey when it still holds the
    file, else a lookup."""
    if task.item is not None:
        return task.item
    rating_key = task.owned.rating_key if task.owned else None
    if rating_key:
        item = lane.plex.fetch_full(rating_key)
        if item is not None and any(same_file(f, task.plex_path) for f in item.files):
            return item
        result.forget_rating_key = True
    candidate = _match(lane, task)
    item = lane.plex.fetch_full(candidate.rating_key)
    if item is None:
        raise PlexNotFound(f"Plex item {candidate.rating_key} vanished while syncing")
    return item


def _match(lane: Lane, task: PushTask) -> Candidate:
    if lane.sections is None:
        lane.sections = lane.plex.target_sections(task.config.plex.libraries)
    candidates = lane.plex.find_candidates(task.plex_path, lane.sections)
    if not candidates:
        raise PlexNotFound(f"no Plex item has the file {task.plex_path} (not scanned yet, or a path_map is missing)")
    if len(candidates) > 1 and task.config.sync.strict_matching:
        listed = "; ".join(f"{c.rating_key} {c.title!r} ({c.file})" for c in candidates[:10])
        raise PermanentError(
            f"{len(candidates)} Plex items match {task.plex_path} and strict_matching is on: {listed}. "
            "Pick one in the app, or turn strict_matching off to take the first",
            candidates=[c.as_dict() for c in candidates],
        )
    return candidates[0]


def _sync_poster(lane: Lane, item: PlexItem, result: PushResult, last_sha1: str | None, notes: list[str],
                 download: Future[bytes | None] | None) -> str | None:
    """Upload the scene's screenshot (`download`, None when no poster is wanted) when its bytes changed; Stash
    placeholders are never uploaded.

    The hash recorded is the screenshot's, as Stash serves it, so a scaled one is not scaled again next time. A poster
    Plex will not take (too large to scale, or refused as this item's problem) becomes a note, not a failed job."""
    if download is None:
        return last_sha1
    try:
        data = download.result()
    except StashError as exc:
        raise StashDownError(f"could not download the poster from Stash: {exc}") from None
    result.stash_answered = True
    if data is None:
        return last_sha1
    sha1 = hashlib.sha1(data).hexdigest()
    if sha1 == last_sha1:
        return sha1
    poster = fit_poster(data)
    if poster.note:
        notes.append(poster.note)
    if poster.data is None:
        return last_sha1
    before = _poster_before(lane, item) if last_sha1 is None else None
    try:
        lane.plex.upload_poster(item, poster.data)
    except SyncError as exc:
        if not _poster_problem(exc):
            raise
        notes.append(f"poster not uploaded: {exc}")
        return last_sha1
    if before is not None:
        result.originals[POSTER_FIELD] = before
    return sha1


def _poster_before(lane: Lane, item: PlexItem) -> Original:
    """The poster Plex had selected, before PlexSync's first upload to this item (kept for undo). An item showing
    one costs the one request a sync adds for undo, once per item: its `thumb` URL does not say which of its
    posters it is. An item showing none costs nothing."""
    locked = POSTER_FIELD in item.snapshot.locks
    if item.snapshot.thumb is None:
        return Original(None, locked)
    return Original(lane.plex.selected_poster(item.rating_key), locked)


def _poster_problem(error: SyncError) -> bool:
    """Plex (or its proxy) answered the upload and refused this image: HTTP 500, as PMS answers images it cannot
    take, 400 or 413. No answer, 502/503, 429, 404 or a rejected token remain the job's usual failures."""
    return not isinstance(error, PlexAuthError) and error.status in POSTER_REFUSALS
