"""The coverage check (the Library view, `plexsync coverage`) on a large library: how long one pass takes and how
much memory it holds, against the emulated servers with 5 ms added per request."""

from __future__ import annotations

import time
import tracemalloc

from benchmarks.context import Context, build_library
from benchmarks.registry import Result, benchmark
from plexsync_gui.core.coverage.check import PlexFiles, check_coverage
from plexsync_gui.core.coverage.report import CoverageRow, Reason
from plexsync_gui.core.plex.client import SectionInfo

MISSING_SHARE = 20  # one scene in 20 has no Plex item yet, and as many Plex items have no scene


@benchmark("coverage", "coverage check of a large library")
def coverage(ctx: Context) -> Result:
    n = ctx.scale.section_items
    missing = n // MISSING_SHARE
    library = build_library(ctx.emulators, n, section_items=n, plex_files=n - missing)
    try:
        session = ctx.open_session(library, "coverage")
        try:
            library.plex.clear_log()
            library.stash.clear_log()
            started = time.perf_counter()
            report = check_coverage(session.stash, session.plex, session.config, session.store)
            seconds = time.perf_counter() - started
            requests = {"plex": library.plex.count(), "stash": library.stash.count()}
            tracemalloc.start()
            check_coverage(session.stash, session.plex, session.config, session.store)
            _held, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        finally:
            session.close()
            session.store.close()
    finally:
        library.stop()
    counts = report.counts()
    right = (report.matched, counts["not_scanned"], counts["no_stash_scene"]) == (n - missing, missing, missing)
    figures = {"scenes": n, "plex_items": report.items, "seconds": seconds, "requests": requests,
               "peak_python_bytes": peak, "peak_bytes_per_scene_and_item": peak / (2 * n), "counts": counts,
               "rows": len(report.rows), "matched": report.matched}
    return Result(
        f"coverage check of {n:,} scenes and {report.items:,} Plex items ({len(report.rows):,} rows)",
        f"{seconds:.1f} s ({requests['plex']} Plex and {requests['stash']} Stash requests); peak Python memory "
        f"{peak / 2**20:.0f} MB ({peak / (2 * n):.0f} bytes per scene and item, tracemalloc)",
        "listed in pages; memory grows with the rows, not the pages (< 100 MB at 100,000 + 100,000)",
        right and peak < 100 * 2**20, figures, "" if right else f"unexpected counts {counts}",
    )


@benchmark("coverage_memory", "coverage check's memory at 100,000 scenes and items")
def coverage_memory(ctx: Context) -> Result:
    """The check's own structures at full size without the emulators, whose pagination over 100,000 rows takes
    most of half an hour on a loaded 2-core machine: the index of 100,000 Plex files, then 100,000 scenes classified
    against it (one in 20 missing), measured with tracemalloc."""
    n = 100_000
    tracemalloc.start()
    files = PlexFiles([SectionInfo(1, "Movies", "movie", ("/media/movies",))])
    for i in range(n):
        files.add(str(200_000 + i), 0, f"/media/movies/studio-{i % 60:02d}/clip-{i:06d}.mp4")
    files.finish()
    index_bytes, _ = tracemalloc.get_traced_memory()
    rows: list[CoverageRow] = []
    for i in range(n):
        path = f"/media/movies/studio-{i % 60:02d}/clip-{i + n // MISSING_SHARE:06d}.mp4"
        found = files.candidates(path)
        for number in found:
            files.claimed[number] = 1
        if not found:
            rows.append(CoverageRow(len(rows) + 1, Reason.NOT_SCANNED, str(i), (), f"Scene {i}", path, path, "Movies"))
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figures = {"items": n, "scenes": n, "index_bytes": index_bytes, "held_bytes": held, "peak_bytes": peak,
               "rows": len(rows), "index_bytes_per_item": index_bytes / n}
    return Result(
        f"coverage check's memory at {n:,} scenes and {n:,} Plex items ({len(rows):,} rows)",
        f"index {index_bytes / 2**20:.1f} MB ({index_bytes / n:.0f} bytes per item); {held / 2**20:.1f} MB held "
        f"with the rows, peak {peak / 2**20:.1f} MB (tracemalloc, no HTTP)",
        "< 100 MB", peak < 100 * 2**20 and len(rows) == n // MISSING_SHARE, figures,
    )
