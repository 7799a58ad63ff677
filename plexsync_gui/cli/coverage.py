"""`plexsync coverage`: the coverage report (Stash scenes without a Plex item, by reason, and Plex items without a
scene) and its actions: scan, pick, ignore, unignore. The checking itself is core/coverage's."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from typing import Any

from plexsync_gui.cli.terminal import json_line, visible
from plexsync_gui.core.coverage.report import DESCRIPTIONS, IGNORED, CoverageReport, CoverageRow, Reason, parse_ref
from plexsync_gui.core.errors import PermanentError
from plexsync_gui.core.setup.session import Session

EXIT_OK, EXIT_INPUT = 0, 2
REASON_WORDS = [reason.value for reason in Reason] + [IGNORED]
COLUMNS = ("ref", "reason", "scene_id", "plex_items", "title", "path", "plex_path", "library", "ignored", "action",
           "detail")  # detail last: scripts reading the earlier columns by position keep working


class CoverageInputError(Exception):
    """Bad input for a coverage action: one line, exit code 2."""


def add_parser(commands: Any) -> None:
    """`coverage [--json|--csv] [--reason R]` and its actions, on the main parser's subcommands."""
    coverage = commands.add_parser("coverage", help="Stash scenes without a Plex item, and Plex items without a scene")
    output = coverage.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="the summary and rows as one JSON object")
    output.add_argument("--csv", action="store_true", help="the rows as CSV, with a header line")
    coverage.add_argument("--reason", choices=REASON_WORDS, help="only rows of this reason (ignored: the ignored rows)")
    actions = coverage.add_subparsers(dest="coverage_action", metavar="ACTION")
    scan = actions.add_parser("scan", help="ask Plex to scan the folders of not-scanned scenes (all, or these)")
    scan.add_argument("scenes", nargs="*", type=_number("scene ids"), metavar="SCENE")
    pick = actions.add_parser("pick", help="sync a scene to this Plex item (an ambiguous match), queued now")
    pick.add_argument("scene", type=_number("scene ids"), metavar="SCENE")
    pick.add_argument("item", type=_number("Plex item ids"), metavar="ITEM")
    for name, text in (("ignore", "hide rows from the report"), ("unignore", "show ignored rows again")):
        actions.add_parser(name, help=text).add_argument("refs", nargs="+", type=_ref, metavar="REF",
                                                         help="a scene id, scene:ID or item:RATINGKEY")


def _number(what: str) -> Any:
    def parse(text: str) -> str:
        if not text.isdigit():
            raise argparse.ArgumentTypeError(f"{what} are numbers, got {text!r}")
        return text
    return parse


def _ref(text: str) -> str:
    try:
        return parse_ref(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(session: Session, args: argparse.Namespace) -> int:
    """The report, or one of its actions; bad input is a CoverageInputError."""
    from plexsync_gui.core.coverage import actions

    action = args.coverage_action
    try:
        if action in ("ignore", "unignore"):
            changed = actions.set_ignored(session.store, args.refs, action == "ignore")
            _say(f"{action}d {changed} row(s)" if action == "ignore" else f"showing {changed} row(s) again")
        elif action == "pick":
            actions.pick_item(session.plex, session.queuer, session.store, session.config, args.scene, args.item)
            _say(f"scene {args.scene} will sync to Plex item {args.item}: queued (plexsync process, or the app, "
                 "syncs it)")
        elif action == "scan":
            _scan(session, args.scenes)
        else:
            _print_report(_check(session), args)
    except PermanentError as exc:
        raise CoverageInputError(str(exc)) from None
    return EXIT_OK


def _check(session: Session) -> CoverageReport:
    from plexsync_gui.core.coverage.check import check_coverage

    return check_coverage(session.stash, session.plex, session.config, session.store)


def _scan(session: Session, scene_ids: list[str]) -> None:
    """Scan the given scenes' folders, or (none given) those of every not-scanned row the report shows."""
    from plexsync_gui.core.coverage import actions

    if scene_ids:
        paths = list(actions.scene_plex_paths(session.queuer, session.config, scene_ids).values())
    else:
        paths = [row.plex_path for row in _check(session).select(Reason.NOT_SCANNED) if row.plex_path]
    requests, outside = actions.plan_scans(session.plex, session.config, paths)
    if outside:
        raise CoverageInputError(f"{outside[0]} lies in no folder of the chosen Plex libraries, so a scan cannot "
                                 "find it: check the path mapping and plex.libraries")
    actions.scan_folders(session.plex, requests)
    _say(f"asked Plex to scan {len(requests)} folder(s)")
    for request in requests:
        _say(f"  {request.section.title}: {request.folder}")


def _print_report(report: CoverageReport, args: argparse.Namespace) -> None:
    rows = report.select(args.reason)
    if args.json:
        print(json_line({"summary": summary(report), "rows": [row_cells(row) for row in rows]}))
    elif args.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in rows:
            cells = row_cells(row)
            writer.writerow([visible(_csv_value(cells[column])) for column in COLUMNS])
        sys.stdout.write(buffer.getvalue())
    else:
        _print_text(report, rows)


def summary(report: CoverageReport) -> dict[str, Any]:
    return {"scenes": report.scenes, "matched": report.matched, "plex_items": report.items,
            "libraries": list(report.libraries), "counts": report.counts()}


def row_cells(row: CoverageRow) -> dict[str, Any]:
    return {"ref": row.ref, "reason": row.reason.value, "detail": row.detail, "scene_id": row.scene_id,
            "plex_items": list(row.rating_keys),
            "title": row.title, "path": row.path, "plex_path": row.plex_path, "library": row.section,
            "ignored": row.ignored, "action": row.action_text, "actions": [a.value for a in row.actions]}


def _csv_value(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _print_text(report: CoverageReport, rows: list[CoverageRow]) -> None:
    libraries = ", ".join(report.libraries) or "none"
    _say(f"Stash scenes {report.scenes:,}: {report.matched:,} with their Plex item. "
         f"Plex items {report.items:,} in {libraries}.")
    for reason, count in report.counts().items():
        words = DESCRIPTIONS[Reason(reason)] if reason != IGNORED else "ignored (--reason ignored lists them)"
        _say(f"  {count:>7,}  {words}")
    if not rows:
        return
    _say("")
    print("\t".join(("ref", "reason", "title", "path", "library", "action")))
    for row in rows:
        action = row.action_text + (f" (items {', '.join(row.rating_keys)})" if row.reason == Reason.AMBIGUOUS
                                    else f" ({row.detail})" if row.detail else "")
        cells = (row.ref, row.reason.value, row.title, row.path or "", row.section or "", action)
        print("\t".join(visible(cell[:160]) for cell in cells))


def _say(text: str) -> None:
    print(visible(text))
