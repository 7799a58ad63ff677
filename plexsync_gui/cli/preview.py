"""`plexsync sync … --dry-run` (what a sync would write, per scene and field) and `plexsync undo`.

Kept apart from cli/main.py, which only parses and dispatches: the table printed here and the window's preview
show the same rows from core/preview.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from plexsync_gui.cli.terminal import json_line
from plexsync_gui.core.preview.compute import (
    FieldStatus,
    ScenePreview,
    fetch_scenes,
    preview,
    summary_text,
    value_text,
)
from plexsync_gui.core.setup.session import Session
from plexsync_gui.core.sync.undo import undo

CELL = 60  # characters of a value shown in the table (`--json` has them whole)
ARROW = " -> "


def dry_run(session: Session, args: argparse.Namespace, say: Callable[[str], None]) -> list[str]:
    """Print the preview of the scenes `sync` would queue with these options; returns the unknown scene ids.
    Nothing is queued or written."""
    queuer = session.queuer
    if args.all:
        ids = queuer.all_ids()
    elif args.recent is not None:
        ids = queuer.recent_ids(args.recent)
    else:
        ids = list(args.scene)
    fetched = fetch_scenes(session.stash, ids, queuer.refresh_rules())
    unknown = fetched.unknown
    rows = preview(fetched.scenes, session.config, session.store, session.plex, session.stash, force=args.force,
                   explicit=bool(args.scene), ruled_out=fetched.ruled_out)
    if getattr(args, "json", False):
        print(json_line({"scenes": [row.to_json() for row in rows], "unknown": unknown}))
        return unknown
    for row in rows:
        for line in scene_lines(row):
            say(line)
    say(f"dry run: {summary_text(rows)}; nothing was written")
    return unknown


def scene_lines(row: ScenePreview) -> list[str]:
    """A scene's heading, then one line per field a sync would change or keep: `field  Plex now -> would write`."""
    item = f" (Plex item {row.rating_key})" if row.rating_key else ""
    head = f"scene {row.scene_id} {row.title!r}{item}"
    if row.problem or row.skipped:
        return [f"{head}: {row.problem or row.skipped}"]
    shown = [f for f in row.fields if f.status != FieldStatus.UNCHANGED]
    same = len(row.fields) - len(shown)
    lines = [f"{head}: {'no change' if not shown else f'{row.changes} change(s)'}"
             + (f", {same} field(s) already as in Stash" if same and shown else "")]
    width = max((len(f.label) for f in shown), default=0)
    for field in shown:
        note = "" if field.status == FieldStatus.CHANGE else f"  ({field.status.value})"
        lines.append(f"  {field.label:<{width}}  {_cell(field.plex_now)}{ARROW}{_cell(field.would_write)}{note}")
    return lines


def _cell(value: object) -> str:
    text = value_text(value)
    if not text:
        return "(empty)"
    return text if len(text) <= CELL else text[:CELL - 1] + "…"


def cmd_undo(session: Session, args: argparse.Namespace, say: Callable[[str], None]) -> bool:
    """Restore Plex's own values; True when every item was restored or gone (False: some failed)."""
    report = undo(session.store, session.plex, None if args.all else list(dict.fromkeys(args.scene)))
    for key, scenes in report.gone.items():
        say(f"Plex item {key} (scene {', '.join(scenes) or '-'}) is gone from Plex; its kept values were dropped")
    for key, message in report.failed.items():
        say(f"Plex item {key}: not restored: {message}")
    say(report.summary())
    return not report.failed



