"""The benchmark registry: named functions that each measure one target and return one result row.

A benchmark module registers its functions with `@benchmark(...)` at import time; `MODULES` lists the modules the
runner imports, in the order their rows appear.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MODULES = ("benchmarks.sync_benchmarks", "benchmarks.event_benchmarks", "benchmarks.run_benchmark",
           "benchmarks.gui_benchmarks", "benchmarks.preview_benchmarks", "benchmarks.coverage_benchmark")


@dataclass
class Result:
    """One row of the table: what was measured, against which target, and whether it was met.

    `met` is None when the benchmark has no pass/fail target. `figures` holds the raw numbers behind `measured`
    (for the JSON file); `note` explains a miss or an unusual condition in one line.
    """

    benchmark: str
    measured: str
    target: str
    met: bool | None
    figures: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Benchmark:
    name: str
    title: str
    run: Callable[[Any], Result]  # takes the shared benchmark context (benchmarks.context.Context)


_REGISTRY: dict[str, Benchmark] = {}


def benchmark(name: str, title: str) -> Callable[[Callable[[Any], Result]], Callable[[Any], Result]]:
    """Register a benchmark function under a short unique name (used by --only)."""

    def register(func: Callable[[Any], Result]) -> Callable[[Any], Result]:
        if name in _REGISTRY:
            raise ValueError(f"benchmark {name!r} is registered twice")
        _REGISTRY[name] = Benchmark(name, title, func)
        return func

    return register


def all_benchmarks() -> list[Benchmark]:
    """Every registered benchmark, in module order and, within a module, in definition order."""
    for module in MODULES:
        importlib.import_module(module)
    return list(_REGISTRY.values())
