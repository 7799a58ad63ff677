"""`python -m benchmarks [--quick] [--json FILE] [--only NAME …] [--profile DIR]`: run, print the table, save JSON."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from benchmarks.context import FULL, LATENCY, QUICK, Context
from benchmarks.machine import load_average, machine
from benchmarks.registry import Benchmark, Result, all_benchmarks

RESULTS = Path(__file__).parent / "results"
LATEST_JSON = RESULTS / "latest.json"  # a complete full run: the raw data of the README's table (committed)
SCRATCH_JSON = RESULTS / "scratch.json"  # a --quick or --only run (not committed)


def main(argv: list[str] | None = None) -> int:
    benchmarks = all_benchmarks()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small libraries and short windows (a smoke run)")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help=f"where to write the results (default {LATEST_JSON} after a complete full run, "
                             f"else {SCRATCH_JSON})")
    parser.add_argument("--only", nargs="+", choices=[b.name for b in benchmarks], metavar="NAME",
                        help="run only these: " + ", ".join(b.name for b in benchmarks))
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="profile each benchmark with pyinstrument (the bench extra) into DIR/NAME.html; "
                             "it samples the calling thread only, so the pool's HTTP work shows as waiting "
                             "(py-spy sees all)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    selected = [b for b in benchmarks if not args.only or b.name in args.only]
    context = Context(QUICK if args.quick else FULL)
    report: dict[str, Any] = {"machine": machine(), "quick": args.quick, "latency_seconds": LATENCY,
                              "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "results": []}
    print(_machine_line(report["machine"]), flush=True)
    failed = True
    try:
        for bench in selected:
            row = _run(bench, context, args.profile)
            report["results"].append(row)
            print(f"  {bench.name}: {row['measured']} (load {row['load_before']:.2f} → {row['load_after']:.2f})",
                  flush=True)
        failed = any(row["met"] is False for row in report["results"])  # errors too: look at the files
    finally:
        context.close(keep_files=failed)
    if failed:
        print(f"\nwork files (databases, the run's output) kept in {context.workdir}")
    print()
    print(format_table(report["results"]))
    path = args.json or (SCRATCH_JSON if args.quick or args.only else LATEST_JSON)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nwritten to {path}")
    return 0


def _run(bench: Benchmark, context: Context, profile_dir: Path | None) -> dict[str, Any]:
    """One benchmark; a crash becomes a row saying so, so the other rows still get measured."""
    before = load_average()
    started = time.perf_counter()
    try:
        result = bench.run(context) if profile_dir is None else _profiled(bench, context, profile_dir)
    except Exception as exc:  # report and go on: one broken benchmark must not hide the others
        traceback.print_exc()
        result = Result(bench.title, f"error: {type(exc).__name__}: {exc}", "", False)
    row = {**result.__dict__, "name": bench.name, "wall_seconds": time.perf_counter() - started,
           "load_before": before, "load_after": load_average()}
    return row


def _profiled(bench: Benchmark, context: Context, profile_dir: Path) -> Result:
    from pyinstrument import Profiler  # only with the bench extra installed

    profiler = Profiler(async_mode="disabled")
    profiler.start()
    try:
        return bench.run(context)
    finally:
        profiler.stop()
        profile_dir.mkdir(parents=True, exist_ok=True)
        (profile_dir / f"{bench.name}.html").write_text(profiler.output_html(), encoding="utf-8")
        (profile_dir / f"{bench.name}.txt").write_text(profiler.output_text(show_all=False), encoding="utf-8")


def _machine_line(info: dict[str, Any]) -> str:
    return (f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, Python {info['python']}, "
            f"{info['system']}, plexapi {info['plexapi']}; {LATENCY * 1000:g} ms per Plex and Stash request")


def format_table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table, so the README can carry it as printed."""
    lines = ["| benchmark | measured | target | met | load |", "|---|---|---|---|---|"]
    for row in rows:
        met = {True: "yes", False: "**no**", None: "–"}[row["met"]]
        load = f"{row['load_before']:.1f}–{row['load_after']:.1f}"
        lines.append(f"| {row['benchmark']} | {row['measured']} | {row['target']} | {met} | {load} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
