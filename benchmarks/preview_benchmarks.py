"""Preview (what a sync would write) and undo at library scale, against the emulated servers with 5 ms added per
request: the requests they cost and how long they take."""

from __future__ import annotations

import time

from benchmarks.context import Context, build_library
from benchmarks.registry import Result, benchmark
from plexsync_gui.core.preview.compute import fetch_scenes, preview
from plexsync_gui.core.sync.undo import undo

PREVIEW_SCENES = 1_000


@benchmark("preview_undo", "preview and undo of 1,000 scenes")
def preview_undo(ctx: Context) -> Result:
    """A first-run preview (every scene new to PlexSync: its items found through one section listing), a preview
    of the same scenes once synced (items read 100 a request), and an undo of all of them."""
    n = PREVIEW_SCENES
    library = build_library(ctx.emulators, n)
    try:
        session = ctx.open_session(library, "preview")
        try:
            plex = library.plex
            scenes = fetch_scenes(session.stash, library.scene_ids, session.queuer.refresh_rules()).scenes
            plex.clear_log()
            started = time.perf_counter()
            first = preview(scenes, session.config, session.store, session.plex, session.stash)
            first_seconds, first_requests = time.perf_counter() - started, plex.count()
            writes_in_preview = plex.count("PUT") + plex.count("POST")
            session.poller.poll()
            session.engine.process_due()
            plex.clear_log()
            started = time.perf_counter()
            known = preview(scenes, session.config, session.store, session.plex, session.stash, force=True)
            known_seconds, known_requests = time.perf_counter() - started, plex.count()
            plex.clear_log()
            started = time.perf_counter()
            report = undo(session.store, session.plex, None)
            undo_seconds, undo_requests = time.perf_counter() - started, plex.count()
        finally:
            session.close()
            session.store.close()
    finally:
        library.stop()
    changing = sum(1 for row in first if row.changes)
    unchanged_once_synced = sum(1 for row in known if row.problem is None and not row.changes)
    figures = {"scenes": n, "first_preview_seconds": first_seconds, "first_preview_requests": first_requests,
               "known_preview_seconds": known_seconds, "known_preview_requests": known_requests,
               "undo_seconds": undo_seconds, "undo_requests": undo_requests, "restored": len(report.restored),
               "writes_during_preview": writes_in_preview, "scenes_that_would_change": changing,
               "unchanged_once_synced": unchanged_once_synced}
    ok = (writes_in_preview == 0 and changing == n and unchanged_once_synced == n and first_requests <= 20
          and known_requests <= 20 and len(report.restored) == n)
    return Result(
        f"preview of {n:,} scenes; undo of {n:,} items",
        f"first-run preview {first_seconds:.2f} s in {first_requests} Plex requests; once synced "
        f"{known_seconds:.2f} s in {known_requests}; undo {undo_seconds:.1f} s, {undo_requests} requests "
        f"({undo_requests / n:.2f}/item); 0 writes while previewing",
        "a preview of 1,000 scenes in ≤ 20 Plex requests, none a write",
        ok, figures, "" if ok else f"{changing} of {n} previewed as changing, {len(report.restored)} restored",
    )
