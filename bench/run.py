"""Every benchmark group in one command (`make bench`), or the quick mode that CI runs (`make bench-quick`).

    .venv/bin/python bench/run.py [--quick] [--only growth,http,jobs,reminders,aggregations] [--report FILE]

Each group is its own script and process (bench/<group>.py; run one alone with the same options). The tables go
to stdout and to the report file (default var/bench/report-<time>.md): docs/benchmarks.md is written from it.
The quick mode shares one private PostgreSQL server (a database per group) and Redis (flushed between groups)
and keeps every size tiny: it proves
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

from bench import report, stack  # noqa: E402

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
    failed = []
    with contextlib.ExitStack() as exits:
        env = dict(os.environ)
        server = None
        private_redis = "BENCH_REDIS_URL" not in os.environ  # only a Redis this run started is ever flushed
        if args.quick:  # one PostgreSQL server and one Redis for every group: the servers start once
            server, env["BENCH_REDIS_URL"] = stack.postgres(exits), stack.redis(exits)
        for name in chosen:
            if server is not None:  # a database of its own for each group
                env["BENCH_DATABASE_URL"] = stack.new_database(server, f"bench_{name}")
                if private_redis:
                    stack.flush_redis(env["BENCH_REDIS_URL"])
            script = ROOT / GROUPS[name]
            if not script.exists():
                print(f"== {name}: {script.relative_to(ROOT)} not written yet, skipped", flush=True)
                continue
            started = time.monotonic()
            print(f"== {name}", flush=True)
            cmd = [sys.executable, str(script), "--report", str(path), *(["--quick"] if args.quick else [])]
            code = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode  # noqa: S603
            print(f"== {name}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
            if code != 0:
                failed.append(name)
    print(f"\nreport: {path}" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
