"""What the figures were measured on, and how busy the machine was meanwhile (other processes skew timings)."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from pathlib import Path


def load_average() -> float:
    """The 1-minute load average: above the core count means the benchmark shared the CPUs."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def machine() -> dict[str, object]:
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": round(_mem_total_kib() / 1024 / 1024, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "plexapi": metadata.version("plexapi"),
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_kib() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1])
    return 0
