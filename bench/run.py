"""Every benchmark group in one command (`make bench`), or the quick mode that CI runs (`make bench-quick`).

    .venv/bin/python bench/run.py [--quick] [--only growth,http,jobs,reminders,aggregations] [--report FILE]

Each group is its own script and process (bench/<group>.py; run one alone with the same options). The tables go
to stdout and to the report file (default var/bench/report-<time>.md): docs/benchmarks.md is written from it.
The quick mode runs the groups at once on one private PostgreSQL server (a database per group), each with a
Redis of its own, and keeps every size tiny: it proves
the suite still runs (every request answered 2xx, every e-mail delivered) and asserts no timing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import report, stack, targets  # noqa: E402

GROUPS = {
    "growth": "bench/growth.py",
    "http": "bench/endpoints.py",
    "jobs": "bench/jobs.py",
    "reminders": "bench/reminders_10k.py",
    "aggregations": "bench/aggregations.py",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, short runs: the CI check")
    parser.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups")
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s): {', '.join(unknown)}; known: {', '.join(GROUPS)}")
    path = args.report or ROOT / "var" / "bench" / f"report-{time.strftime('%Y%m%d-%H%M%S')}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"## Benchmarks ({'quick' if args.quick else 'full'} run)\n\nMachine: {report.machine()}.\n\n")
    scripts = {name: ROOT / GROUPS[name] for name in chosen}
    with contextlib.ExitStack() as exits:
        if args.quick:
            failed = _quick(exits, scripts, path)
        else:
            failed = [name for name, script in scripts.items() if _run_group(name, script, path, dict(os.environ)) != 0]
    figures = report.recorded(path)
    report.emit(targets.side_by_side(figures), path)
    report.emit(targets.section(figures, quick=args.quick), path)
    print(f"\nreport: {path}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def _run_group(name: str, script: Path, report_path: Path, env: dict[str, str], *, quick: bool = False) -> int:
    started = time.monotonic()
    print(f"== {name}", flush=True)
    cmd = [sys.executable, str(script), "--report", str(report_path), *(["--quick"] if quick else [])]
    code = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode  # noqa: S603
    print(f"== {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
    return code


def _quick(exits: contextlib.ExitStack, scripts: dict[str, Path], report_path: Path) -> list[str]:
    """Every group at once (their timings mean nothing in this mode): one PostgreSQL server with a database per
    group, a Redis of each group's own; each group's output is printed when all are done, in order."""
    server = stack.postgres(exits)
    running = {}
    for name, script in scripts.items():
        env = {k: v for k, v in os.environ.items() if k != "BENCH_REDIS_URL"}
        env["BENCH_DATABASE_URL"] = stack.new_database(server, f"bench_{name}")
        log = report_path.with_name(f"{report_path.stem}.{name}.log")
        part = report_path.with_name(f"{report_path.stem}.{name}.md")
        part.unlink(missing_ok=True)
        cmd = [sys.executable, str(script), "--report", str(part), "--quick"]
        with log.open("w") as out:
            process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        running[name] = (process, log, part, time.monotonic())
    failed = []
    for name, (process, log, part, started) in running.items():
        code = process.wait()
        print(f"== {name}: exit {code} after {time.monotonic() - started:.0f} s\n{log.read_text()}", flush=True)
        if part.exists():
            with report_path.open("a") as out:
                out.write(part.read_text())
            part.unlink()
        report.record(report_path, **report.recorded(part))
        part.with_suffix(".json").unlink(missing_ok=True)
        if code != 0:
            failed.append(name)
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
