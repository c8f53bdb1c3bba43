"""How the event pages' cost grows with the table: list, detail and near= at 3,000 and at 100,000 events.

Starts a private PostgreSQL cluster (the tests/servers helper; or BENCH_DATABASE_URL, a throwaway database),
seeds it with `mutiroes seed` (ten participations per event on average), and times requests through the whole
Django stack in process (middleware, JWT authentication, the query, serialisation; no network, no gateway):
the authenticated event list (page of 50), an event's detail, and a `near=` search around São Paulo.
Then it seeds up to the second scale and measures again. It also runs EXPLAIN ANALYZE on the list's query, and
times the list query as it was before participant counts were stored (grouping every visible event with its
participations) for comparison.

    .venv/bin/python bench/growth.py [--small 3000] [--large 100000] [--requests 200]
    .venv/bin/python bench/growth.py --quick          # 200 and 1,000 events, 20 requests: CI keeps it working
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests/servers helpers


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=3000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--report", type=Path, help="append the markdown table to this file")
    args = parser.parse_args()
    if args.quick:
        args.small, args.large, args.requests = 200, 1000, 20
    with contextlib.ExitStack() as stack:
        data_dir = Path(tempfile.mkdtemp(prefix="mutiroes-bench-"))
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        url = os.environ.get("BENCH_DATABASE_URL") or _start_postgres(stack)
        os.environ.update(
            DATABASE_URL=url, MUTIROES_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="mutiroes.config.settings",
            LOG_LEVEL="WARNING",
        )  # fmt: skip
        return _run(args)


def _start_postgres(stack: contextlib.ExitStack) -> str:
    from tests.servers.postgres import PostgresCluster

    cluster = PostgresCluster()
    stack.callback(cluster.cleanup)
    cluster.start()
    return cluster.url()


def _run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    rows = []
    seeded = 0
    for scale in (args.small, args.large):
        started = time.monotonic()
        call_command("seed", scale=scale - seeded, stdout=io.StringIO())
        seeded = scale
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics, as autovacuum would have them on a live database
        print(f"\n== {scale:,} events (seeded in {time.monotonic() - started:.0f} s)")
        rows.append((scale, _measure(args.requests)))
    _report(rows, args.report)
    return 0


def _measure(requests: int) -> dict[str, tuple[float, float]]:
    from django.db import connection
    from django.db.models import Count, Q
    from django.test import Client
    from ninja_jwt.tokens import RefreshToken

    from mutiroes.accounts.models import User
    from mutiroes.events import selectors
    from mutiroes.events.models import Event, Participation

    user = User.objects.order_by("pk").first()
    assert user is not None
    token = str(RefreshToken.for_user(user).access_token)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    event_ids = list(Event.objects.filter(status="published", is_public=True).values_list("pk", flat=True)[:500])
    paths = {
        "list (auth, page of 50)": lambda i: "/api/v1/events?page_size=50",
        "detail": lambda i: f"/api/v1/events/{event_ids[i % len(event_ids)]}",
        "near São Paulo, 25 km": lambda i: "/api/v1/events?near=-23.5505,-46.6333&radius_km=25&page_size=50",
    }
    results = {}
    for name, path in paths.items():
        for i in range(5):  # warm-up
            client.get(path(i))
        times = []
        for i in range(requests):
            started = time.perf_counter()
            response = client.get(path(i))
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:200]
        times.sort()
        results[name] = (statistics.median(times), times[int(len(times) * 0.99) - 1])
        print(f"{name:<28} p50 {results[name][0]:7.1f} ms   p99 {results[name][1]:7.1f} ms")

    listed = selectors.event_list(filters=selectors.EventFilters(), user=user)[:50]
    # The query as it was before the count was stored: every visible event grouped with its participations.
    grouped = Event.objects.filter(selectors.event_visible_q(user), status="published").annotate(
        n=Count("participations", filter=Q(participations__status__in=Participation.HOLDS_SPOT))
    )
    for name, queryset in (
        ("list query now", listed),
        ("list query before (GROUP BY)", grouped.order_by("start_date", "id")[:50]),
    ):
        sql, params = queryset.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, FORMAT TEXT) " + sql, params)
            plan = [row[0] for row in cursor.fetchall()]
        execution = next((line for line in plan if line.startswith("Execution Time")), "")
        print(f"{name:<28} {execution}   ({plan[0].strip()[:90]})")
        results[name] = (float(execution.split(":")[1].split()[0]) if execution else 0.0, 0.0)
    return results


def _report(rows: list[tuple[int, dict[str, tuple[float, float]]]], path: Path | None) -> None:
    from bench import report

    (small, a), (large, b) = rows
    table = report.table(
        ["measure", f"p50 at {small:,} events", f"p50 at {large:,} events", "growth"],
        [[name, f"{a[name][0]:.1f} ms", f"{b[name][0]:.1f} ms", report.ratio(b[name][0], a[name][0])] for name in a],
    )
    report.emit(
        f"### Growth ({small:,} -> {large:,} events, in process)\n\nMachine: {report.machine()}.\n\n{table}", path
    )


if __name__ == "__main__":
    raise SystemExit(main())
