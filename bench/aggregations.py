"""Aggregations next to the bare SQL doing the same work: the monthly impact report over 200,000 reports, the
public impact summary and the nightly cleanup over 100,000 events.

    .venv/bin/python bench/aggregations.py [--events 100000] [--reports 200000] [--runs 5]
    .venv/bin/python bench/aggregations.py --quick     # 3,000 events, 2,000 reports, 2 runs

Private PostgreSQL (or BENCH_DATABASE_URL), seeded with `mutiroes seed`; the 200,000 reports are completed events
of one month cloned from the seeded ones with INSERT ... SELECT (the seed files reports only on completed events,
about 15 % of them). For each job, the product's function is run and the statements it sent are captured; then
exactly those statements are replayed through a bare cursor. The ratio is the function's time over the replay's:
what Python, the ORM and the job's own bookkeeping add to the SQL. The cleanup writes: each of its runs (and each
replay) is rolled back, over the same expired events (5 % of the published ones, moved into the past first).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import report, stack  # noqa: E402

MONTH = (2025, 6)
SKIPPED = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


class Rollback(Exception):
    pass


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=200_000, help="reports in the month of the monthly report")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.reports, args.runs = 3000, 2000, 2
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    with contextlib.ExitStack() as exits:
        stack.django_on_private_servers(exits, "agg")
        _prepare(args)
        rows = _measure(args)
    for key, row in zip(("monthly_report", "impact_summary", "cleanup"), rows, strict=True):
        ours, bare = (float(cell.split()[0]) for cell in row[1:3])
        report.record(args.report, **{f"aggregations.{key}.ours_ms": ours, f"aggregations.{key}.bare_ms": bare,
                                      f"aggregations.{key}.ratio": ours / bare})  # fmt: skip
    table = report.table(["job", "the function", "its statements, bare", "ratio", "statements"], rows)
    report.emit(f"### Aggregations ({'quick' if args.quick else 'full'}: {args.events:,} events, {args.reports:,} "
                f"reports in {MONTH[0]}-{MONTH[1]:02d}, median of {args.runs})\n\nMachine: {report.machine()}.\n\n"
                f"{table}", args.report)  # fmt: skip
    return 0


def _prepare(args: argparse.Namespace) -> None:
    from django.core.management import call_command
    from django.db import connection

    from mutiroes.events.models import Event
    from mutiroes.impact.models import EventReport

    started = time.monotonic()
    if Event.objects.count() < args.events:
        call_command("seed", scale=args.events - Event.objects.count(), stdout=io.StringIO())
    year, month = MONTH
    have = EventReport.objects.filter(event__start_date__year=year, event__start_date__month=month).count()
    if have < args.reports:
        _clone_reports(args.reports - have, year, month)
    with connection.cursor() as cursor:
        # 5 % of the published events end in the past: the cleanup's work (every run is rolled back).
        cursor.execute("UPDATE events_event SET start_date = now() - interval '2 days', end_date = now() - "
                       "interval '1 day' WHERE status = 'published' AND id % 20 = 0")  # fmt: skip
        cursor.execute("ANALYZE")
    print(f"prepared in {time.monotonic() - started:.0f} s", flush=True)


def _clone_reports(count: int, year: int, month: int) -> None:
    """`count` completed public events of the month, each with a report: INSERT ... SELECT from seeded rows."""
    from django.db import connection

    from mutiroes.events.models import Event
    from mutiroes.impact.models import EventReport

    start = f"'{year:04d}-{month:02d}-01 12:00:00+00'::timestamptz"
    event_set = {"status": "'completed'", "is_public": "true", "created_at": "now()", "updated_at": "now()",
                 "start_date": f"{start} + interval '1 second' * ((g * 37) %% 2332800)",
                 "end_date": f"{start} + interval '1 second' * ((g * 37) %% 2332800) + interval '3 hours'",
                 "registration_deadline": "NULL"}  # fmt: skip
    columns = [f.column for f in Event._meta.concrete_fields if f.column != "id"]
    select = ", ".join(event_set.get(column, f"e.{column}") for column in columns)
    report_values = {
        "created_at": "now()", "updated_at": "now()", "event_id": "id", "participants": "10 + id %% 40",
        "hours": "(10 + id %% 40) * 3.5", "trash_kg": "50 + id %% 300", "recyclable_kg": "20 + id %% 30",
        "trees_planted": "id %% 12", "area_m2": "500 + id %% 2000", "summary": "''", "challenges": "''",
        "achievements": "''", "filed_by_id": "organizer_id", "co2e_kg": "(20 + id %% 30) * 1.2",
        "waste_diverted_kg": "20 + id %% 30", "factors_version": "'bench'", "computed_at": "now()",
    }  # fmt: skip
    report_columns = [f.column for f in EventReport._meta.concrete_fields if f.column != "id"]
    missing = set(report_columns) - set(report_values)
    if missing:
        raise RuntimeError(f"no bench value for impact_eventreport columns {sorted(missing)}")
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH source AS (SELECT e.*, row_number() OVER (ORDER BY e.id) AS n FROM events_event e), "  # noqa: S608
            f"new AS (INSERT INTO events_event ({', '.join(columns)}) SELECT {select} FROM generate_series(1, %s) g "
            f"JOIN source e ON e.n = 1 + g %% (SELECT count(*) FROM source) RETURNING id, organizer_id) "
            f"INSERT INTO impact_eventreport ({', '.join(report_columns)}) "
            f"SELECT {', '.join(report_values[c] for c in report_columns)} FROM new",
            [count],
        )  # fmt: skip


def _timed(run: Callable[[], object], runs: int, *, rollback: bool) -> float:
    from django.db import transaction

    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with contextlib.suppress(Rollback):
            if rollback:
                with transaction.atomic():
                    run()
                    elapsed = time.perf_counter() - started
                    raise Rollback
            run()
        times.append(elapsed if rollback else time.perf_counter() - started)
    return statistics.median(times) * 1000


def _captured(run: Callable[[], object], *, rollback: bool) -> list[str]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured, contextlib.suppress(Rollback), transaction.atomic():
        run()
        if rollback:
            raise Rollback
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(SKIPPED)]


def _replay(statements: list[str]) -> Callable[[], None]:
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)

    return run


def _measure(args: argparse.Namespace) -> list[list[object]]:
    from mutiroes.events import services as events
    from mutiroes.impact import selectors, services

    jobs = [
        ("monthly impact report", lambda: services.monthly_report_generate(year=MONTH[0], month=MONTH[1]), False),
        ("impact summary (all public reports)", lambda: selectors.impact_summary(filters=selectors.ImpactFilters()),
         False),
        ("nightly cleanup (expired events -> completed)", events.events_complete_expired, True),
    ]  # fmt: skip
    rows = []
    for name, run, rollback in jobs:
        statements = _captured(run, rollback=rollback)  # also the warm-up
        ours = _timed(run, args.runs, rollback=rollback)
        bare = _timed(_replay(statements), args.runs, rollback=rollback)
        print(f"{name:<48} {ours:9.1f} ms   bare {bare:9.1f} ms   ({len(statements)} statements)", flush=True)
        rows.append([name, f"{ours:.1f} ms", f"{bare:.1f} ms", report.ratio(ours, bare), len(statements)])
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
