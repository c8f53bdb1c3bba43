"""How the event pages' cost grows with the table: list, detail and near= at 3,000 and at 100,000 events.

Two databases on one private PostgreSQL server (the tests/servers helper; or the server of BENCH_DATABASE_URL)
are seeded with `mutiroes seed` (ten participations per event on average), one with each number of events, and
vacuumed and analysed as autovacuum would leave a live database. Requests go through the whole Django stack in
process (middleware, JWT authentication, the queries, serialisation; no network, no gateway): the signed-in event
list (page of 50), an event's detail, and a `near=` search around São Paulo. The two scales are measured in
alternating rounds (the process switches its database connection between them), so that the load of a shared
machine, which drifts over minutes, weighs on both alike: the growth is a ratio within one run.

Each page's queries are also captured and run again under EXPLAIN ANALYZE, with two of the queries as they were
before (the list grouping every visible event with its participations, near= sorting every event of the radius);
the plans go to the report.

    .venv/bin/python bench/growth.py [--small 3000] [--large 100000] [--rounds 10] [--requests 20]
    .venv/bin/python bench/growth.py --quick          # 200 and 1,000 events, 2 rounds of 5: CI keeps it working
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
sys.path.insert(0, str(ROOT))

from bench import report, stack  # noqa: E402

NEAR = "/api/v1/events?near=-23.5505,-46.6333&radius_km=25&page_size=50"
PAGE_QUERY = 'SELECT "events_event"."id", '  # the rows of a page (not the visibility look-ups, not the count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=3000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=10, help="alternating rounds per endpoint")
    parser.add_argument("--requests", type=int, default=20, help="requests per round and scale")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--report", type=Path, help="append the markdown tables to this file")
    args = parser.parse_args()
    if args.quick:
        args.small, args.large, args.rounds, args.requests = 200, 1000, 2, 5
    with contextlib.ExitStack() as exits:
        data_dir = Path(tempfile.mkdtemp(prefix="mutiroes-bench-"))
        exits.callback(shutil.rmtree, data_dir, ignore_errors=True)
        server = stack.postgres(exits)
        urls = {scale: stack.new_database(server, f"growth_{scale}") for scale in (args.small, args.large)}
        os.environ.update(
            DATABASE_URL=urls[args.small], MUTIROES_DATA_DIR=str(data_dir),
            DJANGO_SETTINGS_MODULE="mutiroes.config.settings", LOG_LEVEL="WARNING",
        )  # fmt: skip
        return _run(args, urls)


class Databases:
    """The process's `default` connection, switched between one database per scale."""

    def __init__(self, urls: dict[int, str]):
        from django.db import connections

        configured = connections.settings["default"]
        self._wrappers = {}
        for scale, url in urls.items():
            connections.settings["default"] = {**configured, "NAME": url.rsplit("/", 1)[1]}
            self._wrappers[scale] = connections.create_connection("default")
        connections.settings["default"] = configured

    def use(self, scale: int) -> None:
        from django.db import connections

        connections["default"] = self._wrappers[scale]


def _run(args: argparse.Namespace, urls: dict[int, str]) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    databases = Databases(urls)
    fixtures = {}
    for scale in (args.small, args.large):
        databases.use(scale)
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        call_command("seed", scale=scale, stdout=io.StringIO())
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # visibility map and statistics, as autovacuum leaves a live database
        fixtures[scale] = _fixtures()
        print(f"== {scale:,} events seeded in {time.monotonic() - started:.0f} s", flush=True)
    times = _measure(args, databases, fixtures)
    plans = {}
    for scale in (args.small, args.large):
        databases.use(scale)
        plans[scale] = _plans(fixtures[scale])
    _report(args, times, plans)
    return 0


def _fixtures() -> dict[str, object]:
    from django.test import Client
    from ninja_jwt.tokens import RefreshToken

    from mutiroes.accounts.models import User
    from mutiroes.api.auth import TOKEN_VERSION_CLAIM
    from mutiroes.events.models import Event

    user = User.objects.order_by("pk").first()
    assert user is not None
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    # Events spread over the whole table, as visitors' clicks are.
    ids = list(
        Event.objects.filter(status="published", is_public=True).order_by("?").values_list("pk", flat=True)[:500]
    )
    return {
        "user": user,
        "client": Client(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}", HTTP_HOST="127.0.0.1"),
        "paths": {
            "list (signed in, page of 50)": lambda i: "/api/v1/events?page_size=50",
            "detail (signed in)": lambda i: f"/api/v1/events/{ids[i % len(ids)]}",
            "near São Paulo, 25 km (signed in, page of 50)": lambda i: NEAR,
        },
    }  # fmt: skip


def _measure(args: argparse.Namespace, databases: Databases, fixtures: dict) -> dict[str, dict[int, list[float]]]:
    scales = list(fixtures)
    times: dict[str, dict[int, list[float]]] = {}
    for name in fixtures[scales[0]]["paths"]:
        times[name] = {scale: [] for scale in scales}
        for scale in scales:  # warm-up: connection, caches, the first page of each table
            databases.use(scale)
            for i in range(5):
                fixtures[scale]["client"].get(fixtures[scale]["paths"][name](i))
        for round_ in range(args.rounds):
            for scale in scales if round_ % 2 == 0 else reversed(scales):
                databases.use(scale)
                client, path = fixtures[scale]["client"], fixtures[scale]["paths"][name]
                for i in range(args.requests):
                    started = time.perf_counter()
                    response = client.get(path(round_ * args.requests + i))
                    times[name][scale].append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200, response.content[:200]
        p50s = (f"{scale:,}: p50 {statistics.median(taken):.1f} ms" for scale, taken in times[name].items())
        print(name, *p50s, sep="   ", flush=True)
    return times


def _plans(fixture: dict) -> list[tuple[str, list[str]]]:
    """EXPLAIN ANALYZE of each page's queries as the request sent them, and of two queries as they were before."""
    from django.db import connection
    from django.db.models import Count, Q
    from django.test.utils import CaptureQueriesContext

    from mutiroes.events import selectors
    from mutiroes.events.models import Event, Participation

    def explain(sql: str, params: object = None) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return [row[0] for row in cursor.fetchall()]

    plans = []
    for name, path in fixture["paths"].items():
        with CaptureQueriesContext(connection) as captured:
            fixture["client"].get(path(0))
        for query in captured.captured_queries:
            sql = query["sql"]
            if sql.startswith(PAGE_QUERY):
                plans.append((f"{name}: {'the event' if 'detail' in name else 'the page'}", explain(sql)))
            elif sql.startswith("SELECT COUNT(*)") and "events_event" in sql:
                plans.append((f"{name}: the capped count", explain(sql)))
    user = fixture["user"]
    grouped = Event.objects.filter(selectors.event_visible_q(user), status="published").annotate(
        n=Count("participations", filter=Q(participations__status__in=Participation.HOLDS_SPOT))
    )
    near = selectors.EventFilters(near=(-23.5505, -46.6333), radius_km=25)
    for name, queryset in (
        ("list before: every visible event grouped with its participations", grouped.order_by("start_date", "id")),
        ("near before: every event of the radius sorted", selectors.event_list(filters=near, user=user)),
    ):
        plans.append((name, explain(*queryset[:51].query.sql_with_params())))
    return plans


def _execution_ms(plan: list[str]) -> float:
    line = next((line for line in plan if line.startswith("Execution Time")), "Execution Time: 0 ms")
    return float(line.split(":")[1].split()[0])


def _report(args: argparse.Namespace, times: dict[str, dict[int, list[float]]], plans: dict[int, list]) -> None:
    small, large = args.small, args.large
    rows = []
    for (name, by_scale), key in zip(times.items(), ("list", "detail", "near"), strict=True):
        a, b = (sorted(by_scale[scale]) for scale in (small, large))
        p50a, p50b = statistics.median(a), statistics.median(b)
        report.record(args.report, **{f"growth.{key}.small_ms": p50a, f"growth.{key}.large_ms": p50b,
                                      f"growth.{key}.ratio": p50b / p50a})  # fmt: skip
        rows.append([name, f"{p50a:.1f} ms", f"{p50b:.1f} ms", report.ratio(p50b, p50a),
                     f"{_p99(a):.1f} ms", f"{_p99(b):.1f} ms"])  # fmt: skip
    table = report.table(
        ["request", f"p50 at {small:,}", f"p50 at {large:,}", "growth", f"p99 at {small:,}", f"p99 at {large:,}"],
        rows,
    )
    by_name = {name: plan for name, plan in plans[large]}
    sql = report.table(
        ["query (EXPLAIN ANALYZE)", f"at {small:,} events", f"at {large:,} events", "growth"],
        [[name, f"{_execution_ms(plan):.2f} ms", f"{_execution_ms(by_name[name]):.2f} ms",
          report.ratio(_execution_ms(by_name[name]), _execution_ms(plan))] for name, plan in plans[small]],
    )  # fmt: skip
    text = [
        f"### Growth ({small:,} -> {large:,} events, in process, {args.rounds} alternating rounds of "
        f"{args.requests} requests per scale)",
        "",
        f"Machine: {report.machine()}.",
        "",
        table,
        "",
        sql,
        "",
        f"<details><summary>Query plans at {large:,} events</summary>",
        "",
    ]
    for name, plan in plans[large]:
        text += [f"{name}:", "", "```", *plan, "```", ""]
    text += ["</details>"]
    report.emit("\n".join(text), args.report)


def _p99(ordered: list[float]) -> float:
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


if __name__ == "__main__":
    raise SystemExit(main())
