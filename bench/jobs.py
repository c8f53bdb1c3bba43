"""Jobs: join -> e-mail latency with an idle worker (ours and the Celery reference), the idle workers' CPU, the
e-mail drain rate next to the SMTP sink's own accept rate, and joins per second on one hot event and across many.

    .venv/bin/python bench/jobs.py [--joins 40] [--emails 2000] [--seconds 10]
    .venv/bin/python bench/jobs.py --quick

Private PostgreSQL and Redis (or BENCH_DATABASE_URL / BENCH_REDIS_URL), an aiosmtpd sink in this process (it
timestamps each message as it is accepted), one `mutiroes serve` replica (2 workers), one `mutiroes worker`
(1 process x 4 threads, the production settings), and the reference: the DRF app under gunicorn (2 workers) with
a Celery worker (threads pool, concurrency 4) on the same database, Redis and sink. Latency is measured from
the join's HTTP response to the e-mail's acceptance by the sink, one join at a time with the workers idle
between joins. The reminder fan-out is bench/reminders_10k.py.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import smtplib
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import report, stack, wrk  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--joins", type=int, default=40, help="joins measured one at a time, per stack")
    parser.add_argument("--idle-s", type=float, default=1.5, help="idle time before each measured join")
    parser.add_argument("--emails", type=int, default=2000, help="e-mails queued at once for the drain rate")
    parser.add_argument("--seconds", type=float, default=10, help="idle CPU window; length of each wrk run")
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.joins, args.idle_s, args.emails, args.seconds = 3, 0.3, 40, 1
    return args


class StampedSink:
    """The tests' aiosmtpd sink, plus the moment each recipient's first message was accepted."""

    def __init__(self) -> None:
        from tests.servers.smtp import SmtpSink

        self.sink = SmtpSink()
        self.accepted: dict[str, float] = {}
        record = self.sink._record

        def stamped(message: Any) -> None:
            for recipient in message.rcpt_tos:
                self.accepted.setdefault(recipient, time.monotonic())
            record(message)

        self.sink._record = stamped

    def count(self) -> int:
        return len(self.sink.messages)

    def wait_for(self, recipient: str, timeout_s: float = 30) -> float:
        deadline = time.monotonic() + timeout_s
        while recipient not in self.accepted:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no e-mail for {recipient} within {timeout_s:.0f} s")
            time.sleep(0.001)
        return self.accepted[recipient]


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    with contextlib.ExitStack() as exits:
        base = Path(tempfile.mkdtemp(prefix="mutiroes-bench-jobs-"))
        if not os.environ.get("BENCH_KEEP"):  # BENCH_KEEP=1 keeps the processes' logs
            exits.callback(shutil.rmtree, base, ignore_errors=True)
        database_url, redis_url = stack.postgres(exits), stack.redis(exits)
        stamped = StampedSink()
        stamped.sink.start()
        exits.callback(stamped.sink.stop)
        mail = {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(stamped.sink.port)}  # fmt: skip
        env = stack.app_env(database_url=database_url, redis_url=redis_url, data_dir=base, BROKER_URL=redis_url,
                            REFERENCE_BROKER_URL=stack.redis_db(redis_url, 2), **mail)  # fmt: skip
        stack.setup_django(env, migrate=True)
        ours = _start_ours(exits, base, env)
        reference = _start_celery(exits, base, env)
        rows = _measure(args, stamped, ours, reference)
    report.emit(_table(args, rows), args.report)
    report.record(args.report, **_figures(rows))
    return 0


def _start_ours(exits: contextlib.ExitStack, base: Path, env: dict[str, str]) -> dict[str, Any]:
    from tests.gateway.support import Backend
    from tests.support.processes import WorkerProcess

    backend = Backend(0, env=env, base_dir=base, workers=2)
    exits.callback(backend.kill)
    backend.start()
    # INFO: the worker's readiness line is what WorkerProcess waits for.
    worker = WorkerProcess(env={**env, "LOG_LEVEL": "INFO"}, log_path=base / "worker.log", processes=1, threads=4)
    exits.callback(worker.cleanup)
    worker.start(wait=False)
    backend.wait_live(timeout_s=120)
    worker.wait_ready(timeout_s=120)
    return {"url": f"http://{backend.address}", "join": "/api/v1/events/{id}/join", "pids": worker.worker_pids}


def _start_celery(exits: contextlib.ExitStack, base: Path, env: dict[str, str]) -> dict[str, Any] | None:
    starting = stack.start_reference(exits, base, env, workers=2)
    if starting is None:
        return None
    from tests.gateway.support import Supervised

    # -b: Celery's command line would otherwise take BROKER_URL (Dramatiq's) from the environment.
    cmd = [sys.executable, "-m", "celery", "-A", "bench.reference.celery_app", "-b", env["REFERENCE_BROKER_URL"],
           "worker", "--pool", "threads",
           "--concurrency", "4", "--loglevel", "WARNING", "--without-gossip", "--without-mingle"]  # fmt: skip
    celery_env = {**env, "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "bench.reference.settings"}
    worker = Supervised("celery", cmd, env=celery_env, log_path=base / "celery.log", pid_dir=base)
    exits.callback(worker.kill)
    worker.spawn()
    url = starting.wait()
    time.sleep(2)  # the Celery worker connects to Redis (no readiness signal without a result backend)
    worker.check_alive()
    return {"url": url, "join": "/ref/events/{id}/join", "pids": lambda: [worker.proc.pid]}


def _volunteers(count: int, prefix: str) -> list[tuple[str, str]]:
    """`count` new accounts as (e-mail, access token)."""
    from ninja_jwt.tokens import RefreshToken

    from mutiroes.accounts.models import User
    from mutiroes.api.auth import TOKEN_VERSION_CLAIM

    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org", password="!") for i in range(count)]
    )
    out = []
    for user in users:
        refresh = RefreshToken.for_user(user)
        refresh[TOKEN_VERSION_CLAIM] = user.token_version
        out.append((user.email, str(refresh.access_token)))
    return out


def _event(capacity: int) -> int:
    from datetime import timedelta

    from tests.factories import EventFactory

    from mutiroes.core import clock

    return EventFactory(max_participants=capacity, start_date=clock.now() + timedelta(days=10)).pk


def _latency(args: argparse.Namespace, stamped: StampedSink, target: dict[str, Any], name: str) -> list[float]:
    event_id = _event(10_000)
    latencies = []
    for email, token in _volunteers(args.joins, f"lat-{name}-{int(time.time())}-"):
        time.sleep(args.idle_s)  # the worker goes idle: its consumers back off to their longest poll
        code = stack.http_status(target["url"] + target["join"].format(id=event_id), token, method="POST", body=b"{}")
        answered = time.monotonic()
        if code not in (200, 201):
            raise RuntimeError(f"{name} join answered {code}")
        latencies.append((stamped.wait_for(email) - answered) * 1000)
    return latencies


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime: every thread of the process
    return total / CLOCK_TICKS


def _idle_cpu(targets: dict[str, dict[str, Any]], seconds: float) -> dict[str, float]:
    before = {name: _cpu_seconds(t["pids"]()) for name, t in targets.items()}
    time.sleep(seconds)
    return {name: 100 * (_cpu_seconds(t["pids"]()) - before[name]) / seconds for name, t in targets.items()}


def _drain(args: argparse.Namespace, stamped: StampedSink) -> tuple[float, float]:
    """(our e-mails/s for a burst of queued notifications, the sink's accept rate from 4 plain SMTP clients)."""
    from django.db import transaction

    from mutiroes.jobs.outbox import email_enqueue
    from mutiroes.notifications.models import EmailDelivery

    event_id = _event(10)
    recipients = _volunteers(args.emails, f"drain-{int(time.time())}-")
    from mutiroes.accounts.models import User

    ids = list(User.objects.filter(email__in=[email for email, _ in recipients]).values_list("pk", flat=True))
    start_count, started = stamped.count(), time.monotonic()
    with transaction.atomic():
        for user_id in ids:
            email_enqueue(kind=EmailDelivery.Kind.UPDATE, user_id=user_id, event_id=event_id, period="bench-drain")
    while stamped.count() - start_count < len(ids):
        if time.monotonic() - started > 600:
            raise TimeoutError(f"drain: {stamped.count() - start_count} of {len(ids)} e-mails after 600 s")
        time.sleep(0.01)
    ours = len(ids) / (time.monotonic() - started)

    body = "Subject: bench\r\nFrom: bench@example.org\r\n\r\n" + ("x" * 75 + "\r\n") * 20  # about our e-mails' size
    per_client = max(1, args.emails // 4)
    start_count, started = stamped.count(), time.monotonic()

    def client(i: int) -> None:
        for n in range(per_client):  # one connection per message, as Django's SMTP backend makes them
            with smtplib.SMTP("127.0.0.1", stamped.sink.port) as smtp:
                smtp.sendmail("bench@example.org", [f"sink-{i}-{n}@example.org"], body)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(client, range(4)))
    sink_rate = (stamped.count() - start_count) / (time.monotonic() - started)
    return ours, sink_rate


def _joins(args: argparse.Namespace, target: dict[str, Any], *, events: int) -> wrk.Result:
    tokens = [token for _, token in _volunteers(3000 if not args.quick else 200, f"j{events}-{int(time.time())}-")]
    paths = [target["join"].format(id=_event(100_000)) for _ in range(events)]
    return wrk.run(target["url"], paths, tokens=tokens, method="POST", body="{}", connections=20,
                   seconds=args.seconds)  # fmt: skip


def _measure(args: argparse.Namespace, stamped: StampedSink, ours: dict, reference: dict | None) -> dict[str, Any]:
    targets = {"ours": ours, **({"reference": reference} if reference else {})}
    rows: dict[str, Any] = {"latency": {}, "joins": {}}
    for name, target in targets.items():
        rows["latency"][name] = _latency(args, stamped, target, name)
        values = rows["latency"][name]
        print(f"{name}: join -> e-mail p50 {statistics.median(values):.0f} ms, max {max(values):.0f} ms", flush=True)
    rows["idle_cpu"] = _idle_cpu(targets, args.seconds)
    rows["drain"] = _drain(args, stamped)
    for name, target in targets.items():
        for events in (1, 50):
            result = _joins(args, target, events=events)
            print(f"{name}: joins on {events} event(s): {result.rps:.0f}/s, non-2xx {result.bad_status}", flush=True)
            rows["joins"][(name, events)] = result
    return rows


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _figures(rows: dict[str, Any]) -> dict[str, float]:
    figures = {"jobs.drain.ours_per_s": rows["drain"][0], "jobs.drain.sink_per_s": rows["drain"][1]}
    for name, values in rows["latency"].items():
        figures[f"jobs.latency.{name}.p50_ms"] = statistics.median(values)
        figures[f"jobs.latency.{name}.p99_ms"] = _p(values, 0.99)
        figures[f"jobs.idle_cpu.{name}"] = rows["idle_cpu"][name]
    for (name, events), result in rows["joins"].items():
        figures[f"jobs.joins.{name}.{events}.rps"] = result.rps
    return figures


def _table(args: argparse.Namespace, rows: dict[str, Any]) -> str:
    names = {"ours": "ours (outbox, Dramatiq)", "reference": "reference (Celery task after commit)"}
    latency = report.table(
        ["stack", "joins", "p50 ms", "p99 ms", "max ms", "idle worker CPU (% of a core)"],
        [[names[n], len(v), statistics.median(v), _p(v, 0.99), max(v), f"{rows['idle_cpu'][n]:.2f} %"]
         for n, v in rows["latency"].items()],
    )  # fmt: skip
    ours, sink = rows["drain"]
    drain = report.table(["measure", "e-mails/s"], [
        [f"our worker draining {args.emails:,} queued notifications (1 process x 4 threads)", ours],
        ["the SMTP sink's own accept rate (4 plain smtplib clients, a connection per message)", sink],
        ["ratio ours / sink", report.ratio(ours, sink)],
    ])  # fmt: skip
    joins = report.table(
        ["stack", "events", "joins/s", "p50 ms", "p99 ms", "non-2xx"],
        [[names[n], e, round(r.rps), r.p50_ms, r.p99_ms, r.bad_status] for (n, e), r in rows["joins"].items()],
    )
    return (f"### Jobs ({'quick' if args.quick else 'full'})\n\nMachine: {report.machine()}.\n\n"
            f"Join -> e-mail, one join at a time after {args.idle_s:.1f} s idle:\n\n{latency}\n\n"
            f"E-mail drain:\n\n{drain}\n\nJoins per second (wrk, 20 connections, {args.seconds:.0f} s, "
            f"one API replica x 2 workers, each join a new volunteer):\n\n{joins}")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
