"""HTTP with wrk: each endpoint directly on one API replica and through the gateway, next to the nginx floor.

    .venv/bin/python bench/endpoints.py           # the local cluster (deploy/cluster), 100,000 events, 10 s a run
    .venv/bin/python bench/endpoints.py --quick   # one replica behind nginx, 300 events, 1 s a run (CI)

The gateway's per-address limits are lifted by configuration (render option `limits=False`, the cluster's
`up --gateway-limits off`); nothing is edited. The reference (bench/reference: the same list on Django REST
Framework) is served by gunicorn with as many workers as one replica, on the same database, and measured
directly like the replica. Each figure is wrk's requests/s, p50 and p99 at the given connections.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.cluster.cluster import default_api_workers  # noqa: E402

from bench import report, stack, wrk  # noqa: E402

LIST = "/api/v1/events?page_size=50"
UNCACHED = "/api/v1/events?page_size=50&starts_after={n}"
NEAR = "/api/v1/events?near=-23.5505,-46.6333&radius_km=25&page_size=50"
REFERENCE_LIST = stack.REFERENCE_LIST
RECORDED = {
    "liveness": "`/liveness` (the Python floor)",
    "list_cached": "list, anonymous, cached page",
    "list_signed_in": "list, signed in",
    "list_uncached": "list, anonymous, uncached pages",
}  # the figures the targets table reads (bench/targets.py)
QUICK_ON_REPLICA = {"`/liveness` (the Python floor)", "list, anonymous, uncached pages", "list, signed in"}


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--events", type=int, default=100_000, help="events in the database (seeded)")
    parser.add_argument("--seconds", type=float, help="length of each wrk run (10 s; 1 s in quick mode)")
    parser.add_argument("--connections", type=int, help="wrk's connections (50; 10 in quick mode)")
    parser.add_argument(
        "--api-workers",
        type=int,
        help="gunicorn workers per replica (default: the cluster's rule; 2 in quick mode)",
    )
    parser.add_argument("--only-runs", help="';'-separated substrings: only the runs whose endpoint names match")
    parser.add_argument("--port-base", type=int, default=19000, help="the benchmark cluster's ports")
    parser.add_argument("--report", type=Path, help="append the markdown tables to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.api_workers = 300, args.api_workers or 2
        args.seconds, args.connections = args.seconds or 1, args.connections or 10
    args.seconds, args.connections = args.seconds or 10, args.connections or 50
    args.api_workers = args.api_workers or default_api_workers()
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if not wrk.available():
        raise SystemExit("wrk not found: apt-get install wrk")
    with contextlib.ExitStack() as exits:
        base = Path(tempfile.mkdtemp(prefix="mutiroes-bench-http-"))
        exits.callback(shutil.rmtree, base, ignore_errors=True)
        if args.quick:
            database_url, redis_url = stack.postgres(exits), stack.redis(exits)
            env = stack.app_env(database_url=database_url, redis_url=redis_url, data_dir=base)
            stack.setup_django(env, migrate=True)
            target = stack.small_gateway(exits, base, env, workers=args.api_workers)
        else:
            target = stack.local_cluster(exits, ROOT / "var" / "bench" / "cluster", port_base=args.port_base,
                                         api_workers=args.api_workers)  # fmt: skip
            stack.setup_django(target.env, migrate=False)
        started = stack.start_reference(exits, base, target.env, workers=target.api_workers)
        fixtures = _seed(args.events)  # while the reference boots
        reference = started.wait() if started is not None else None
        rows = _measure(args, target, fixtures, reference)
    _report(args, target, rows)
    # The reference's own timeouts (wrk gives up after 10 s) are one of its figures, not a failure of this run.
    return 0 if all(result.ok for where, _, result in rows if where != "reference") else 1


def _seed(events: int) -> dict[str, list[str]]:
    from django.core.management import call_command
    from django.db import connection
    from ninja_jwt.tokens import RefreshToken

    from mutiroes.accounts.models import User
    from mutiroes.api.auth import TOKEN_VERSION_CLAIM
    from mutiroes.core import clock
    from mutiroes.events.models import Event

    have = Event.objects.count()
    if have < events:
        started = time.monotonic()
        call_command("seed", scale=events - have, stdout=io.StringIO())
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"seeded {events - have:,} events in {time.monotonic() - started:.0f} s", flush=True)

    def token(user: User) -> str:
        refresh = RefreshToken.for_user(user)
        refresh[TOKEN_VERSION_CLAIM] = user.token_version
        return str(refresh.access_token)

    users = list(User.objects.filter(is_active=True).order_by("pk")[:50])
    # Joins by new accounts: a seeded one may organise the event or have been declined by it (a 409, not a join).
    tag = f"{int(time.time()):x}"
    joiners = User.objects.bulk_create(
        [User(username=f"joiner{tag}-{i}", email=f"joiner{tag}-{i}@example.org", password="!") for i in range(2000)]
    )
    open_events = Event.objects.filter(status="published", is_public=True, start_date__gt=clock.now())
    ids = list(open_events.order_by("?").values_list("pk", flat=True)[:200])
    return {
        "tokens": [token(user) for user in users],
        "joiners": [token(user) for user in joiners],
        "detail": [f"/api/v1/events/{pk}" for pk in ids],
        "join": [f"/api/v1/events/{pk}/join" for pk in ids[:50]],
    }


def _measure(args: argparse.Namespace, target: stack.Target, fixtures: dict[str, list[str]],
             reference: str | None) -> list[tuple[str, str, wrk.Result]]:  # fmt: skip
    signed_in = fixtures["tokens"]
    runs: list[tuple[str, str, str, list[str], dict]] = [
        ("gateway", "`/gateway/health` (the nginx floor)", target.gateway_url, ["/gateway/health"], {}),
        ("replica", "`/liveness` (the Python floor)", target.replica_url, ["/liveness"], {}),
        ("gateway", "`/liveness` (the Python floor)", target.gateway_url, ["/liveness"], {}),
        ("gateway", "list, anonymous, cached page", target.gateway_url, [LIST], {}),
        ("replica", "list, anonymous, cached page", target.replica_url, [LIST], {}),
        ("replica", "list, anonymous, uncached pages", target.replica_url, [UNCACHED], {}),
        ("gateway", "list, anonymous, uncached pages", target.gateway_url, [UNCACHED], {}),
        ("replica", "list, signed in", target.replica_url, [LIST], {"tokens": signed_in}),
        ("gateway", "list, signed in", target.gateway_url, [LIST], {"tokens": signed_in}),
        ("replica", "event detail, signed in", target.replica_url, fixtures["detail"], {"tokens": signed_in}),
        ("gateway", "event detail, signed in", target.gateway_url, fixtures["detail"], {"tokens": signed_in}),
        ("replica", "`near=` São Paulo 25 km, signed in", target.replica_url, [NEAR], {"tokens": signed_in}),
        ("gateway", "`near=` São Paulo 25 km, signed in", target.gateway_url, [NEAR], {"tokens": signed_in}),
        # Joins: volunteer i joins event j; each pair once until every pair was made (then a repeat is a 200).
        ("gateway", "join (POST, many volunteers x 50 events)", target.gateway_url, fixtures["join"],
         {"tokens": fixtures["joiners"], "method": "POST", "body": "{}"}),
    ]  # fmt: skip
    if reference is not None:
        runs += [
            ("reference", "list, anonymous, uncached pages", reference, [REFERENCE_LIST], {}),
            ("reference", "list, signed in", reference, [REFERENCE_LIST], {"tokens": signed_in}),
        ]
    if args.only_runs:  # e.g. the worker-count sweep of docs/benchmarks.md
        wanted = args.only_runs.split(";")
        runs = [run for run in runs if "nginx floor" in run[1] or any(part in run[1] for part in wanted)]
    if args.quick:  # CI checks that every kind of run works: the gateway side of each, the replica's for the ratios
        runs = [run for run in runs if run[0] != "replica" or run[1] in QUICK_ON_REPLICA]
    rows = []
    for where, what, base_url, paths, options in runs:
        probe = base_url + paths[0].replace("{n}", "2000-01-01T00:00:00Z")
        if options.get("method", "GET") == "GET":
            _probe(probe, (options.get("tokens") or [None])[0])
        result = wrk.run(base_url, paths, connections=args.connections, seconds=args.seconds, **options)
        bad = f"{result.bad_status} {result.statuses or ''}"
        print(f"{where:<9} {what:<45} {result.rps:9.0f} req/s  p50 {result.p50_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms"
              f"  non-2xx {bad}  errors {result.socket_errors}", flush=True)  # fmt: skip
        rows.append((where, what, result))
    return rows


def _probe(url: str, token: str | None) -> None:
    """One request answered 200 before a run; a server still working through the previous run's queue (the
    reference's exact counts take seconds each at 100,000 events) gets up to two minutes to drain it."""
    deadline = time.monotonic() + 120
    while (code := stack.http_status(url, token)) is None and time.monotonic() < deadline:
        time.sleep(1)
    if code != 200:
        raise RuntimeError(f"{url} answered {code} before the run")


def _report(args: argparse.Namespace, target: stack.Target, rows: list[tuple[str, str, wrk.Result]]) -> None:
    floor = next(r for w, what, r in rows if "nginx floor" in what).rps
    found = {(where, what): result for where, what, result in rows}
    figures = {"http.floor_rps": floor}
    for key, what in RECORDED.items():
        for where in ("gateway", "replica", "reference"):
            if (where, what) in found:
                result = found[(where, what)]
                figures[f"http.{key}.{where}.rps"] = result.rps
                figures[f"http.{key}.{where}.p50_ms"] = result.p50_ms
                figures[f"http.{key}.{where}.p99_ms"] = result.p99_ms
    report.record(args.report, **figures)
    table = report.table(
        ["endpoint", "where", "requests/s", "p50 ms", "p99 ms", "of the nginx floor", "non-2xx / errors"],
        [[what, where, round(r.rps), r.p50_ms, r.p99_ms, report.percent(r.rps, floor),
          f"{r.bad_status} {r.statuses or ''} / {r.socket_errors}".replace("  ", " ")] for where, what, r in rows],
    )  # fmt: skip
    lines = [
        f"### HTTP ({'quick' if args.quick else 'full'}: {args.events:,} events, {args.connections} connections, "
        f"{args.seconds:.0f} s a run)",
        "",
        f"Target: {target.description}. Machine: {report.machine()}.",
        "",
        table,
    ]
    against = [
        f"{what} {report.ratio(found[('replica', what)].rps, found[('reference', what)].rps)}"
        for what in ("list, signed in", "list, anonymous, uncached pages")
        if ("replica", what) in found and ("reference", what) in found
    ]
    if against:
        lines += ["", "Against the DRF reference (both directly on one gunicorn with the same workers): "
                  f"{'; '.join(against)} the reference's requests/s."]  # fmt: skip
    report.emit("\n".join(lines), args.report)


if __name__ == "__main__":
    raise SystemExit(main())
