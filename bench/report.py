"""Markdown tables and the machine line, shared by every benchmark group."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    versions = sorted(p.name for p in Path("/usr/lib/postgresql").glob("*") if p.name.isdigit())
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return (f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}, Python {platform.python_version()}, "
            f"PostgreSQL {versions[-1] if versions else '?'}; load average {load} at {when}")  # fmt: skip


def table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


def percent(a: float, b: float) -> str:
    return f"{100 * a / b:.2f} %" if b else "-"


def emit(section: str, path: Path | None) -> None:
    """Print a section and append it to the run's report file (bench/run.py collects them)."""
    print(section, flush=True)
    if path is not None:
        with path.open("a") as out:
            out.write(section.rstrip() + "\n\n")


def record(path: Path | None, **figures: float) -> None:
    """Keep a group's key figures beside the run's report (<report>.json) for the targets table (bench/targets.py)."""
    if path is None:
        return
    kept = path.with_suffix(".json")
    known = json.loads(kept.read_text()) if kept.exists() else {}
    kept.write_text(json.dumps({**known, **figures}, indent=1, sort_keys=True))


def recorded(path: Path) -> dict[str, float]:
    kept = path.with_suffix(".json")
    return json.loads(kept.read_text()) if kept.exists() else {}
