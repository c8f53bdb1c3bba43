"""Reminders for an event with 10,000 confirmed participants, through real worker processes.

    .venv/bin/python bench/reminders_10k.py [--participants 10000] [--processes 2] [--threads 4]

Starts its own PostgreSQL cluster and redis-server (the tests/servers helpers), or uses BENCH_DATABASE_URL
(a throwaway database: 10,000 users are added to it) and BENCH_REDIS_URL. The SMTP server is always an
aiosmtpd sink in this process: it is what counts the e-mails. The workers are `mutiroes worker`
processes, as in production. Prints the total time, e-mails per second, distinct e-mails delivered,
duplicates and each worker process's peak resident memory (VmHWM).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests/servers and tests/system helpers


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2, help="worker processes (the `mutiroes worker` default)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument("--timeout", type=float, default=1800, help="give up after this many seconds")
    parser.add_argument("--quick", action="store_true", help="100 participants, one worker process (CI)")
    parser.add_argument("--report", type=Path, help="append the markdown table to this file")
    args = parser.parse_args()
    if args.quick:
        args.participants, args.processes = 100, 1
    return args


def main() -> int:
    args = _parse()
    with contextlib.ExitStack() as stack:
        data_dir = Path(tempfile.mkdtemp(prefix="mutiroes-bench-"))
        stack.callback(shutil.rmtree, data_dir, ignore_errors=True)
        database_url = os.environ.get("BENCH_DATABASE_URL") or _start_postgres(stack)
        redis_url = os.environ.get("BENCH_REDIS_URL") or _start_redis(stack)
        os.environ.update(
            DATABASE_URL=database_url,
            MUTIROES_DATA_DIR=str(data_dir),
            DJANGO_SETTINGS_MODULE="mutiroes.config.settings",
            LOG_LEVEL="WARNING",
        )
        return _run(args, stack, data_dir, redis_url)


def _start_postgres(stack: contextlib.ExitStack) -> str:
    from tests.servers.postgres import PostgresCluster

    cluster = PostgresCluster()
    stack.callback(cluster.cleanup)
    cluster.start()
    return cluster.url()


def _start_redis(stack: contextlib.ExitStack) -> str:
    from tests.servers.redis import RedisServer

    server = RedisServer()
    stack.callback(server.cleanup)
    server.start()
    return server.url()


def _run(args: argparse.Namespace, stack: contextlib.ExitStack, data_dir: Path, redis_url: str) -> int:
    import django

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import transaction
    from tests.factories import EventFactory, make_participants
    from tests.servers.smtp import SmtpSink
    from tests.support.brokers import redis_broker_config
    from tests.system.support import WorkerPool, deliveries, messages_in_redis

    from mutiroes.core import clock
    from mutiroes.infra.broker import build_broker, install_broker
    from mutiroes.jobs import registry as jobs
    from mutiroes.jobs.models import OutboxMessage
    from mutiroes.jobs.outbox import outbox_add
    from mutiroes.notifications.models import EmailDelivery, ReminderRun

    call_command("migrate", interactive=False, verbosity=0)
    install_broker(build_broker(redis_broker_config(redis_url)))
    sink = SmtpSink().start()
    stack.callback(sink.stop)
    client = redis.Redis.from_url(redis_url)

    n = args.participants
    print(f"setting up: an event with {n} confirmed participants ...", flush=True)
    # Starting in 3 hours: inside every participant's reminder lead time (24 h by default).
    event = EventFactory(max_participants=n, start_date=clock.now() + timedelta(hours=3))
    make_participants(event, n, prefix=f"bench{int(time.time())}-")
    pool = WorkerPool(data_dir)
    stack.callback(pool.cleanup)
    worker = pool.start(redis_url=redis_url, smtp_port=sink.port, processes=args.processes, threads=args.threads)

    def run_reminders() -> None:
        with transaction.atomic():
            outbox_add(jobs.SEND_BULK_EVENT_REMINDERS, event_id=event.pk)

    def processed() -> bool:
        return not OutboxMessage.objects.filter(relayed_at=None).exists() and messages_in_redis(client, "emails") == 0

    print(f"running the reminder job on {args.processes} worker processes x {args.threads} threads ...", flush=True)
    started = time.monotonic()
    run_reminders()
    fanned_out = None
    peak_kb: dict[int, int] = {}
    deadline = started + args.timeout
    while not (len(sink.messages) >= n and processed()):
        if fanned_out is None and ReminderRun.objects.filter(event_id=event.pk, finished_at__isnull=False).exists():
            fanned_out = time.monotonic() - started
        for pid, kb in worker.peak_rss_kb().items():
            peak_kb[pid] = max(kb, peak_kb.get(pid, 0))
        if time.monotonic() > deadline:
            print(f"TIMEOUT after {args.timeout:.0f} s: {len(sink.messages)} of {n} e-mails", file=sys.stderr)
            break
        time.sleep(0.25)
    total_s = time.monotonic() - started
    for pid, kb in worker.peak_rss_kb().items():
        peak_kb[pid] = max(kb, peak_kb.get(pid, 0))

    counts = deliveries(sink)
    delivered, dupes = len(counts), sum(c - 1 for c in counts.values())
    sent_rows = EmailDelivery.objects.filter(kind="reminder", status="sent").count()

    run_reminders()  # the second run of the same job must send nothing
    wait_until = time.monotonic() + 60
    while not processed() and time.monotonic() < wait_until:
        time.sleep(0.25)
    time.sleep(1)
    second_run = len(sink.messages) - sum(counts.values())
    fan_out_s, fan_out_cpu_s, in_redis = _timed_fan_out(event.pk, pool, client)

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    print()
    print(f"machine:               {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}")
    print(f"participants:          {n}")
    print(f"workers:               {args.processes} processes x {args.threads} threads")
    print(f"fan-out finished:      {fanned_out:.1f} s" if fanned_out is not None else "fan-out finished:      -")
    print(f"total time:            {total_s:.1f} s (job enqueued -> last e-mail accepted and acknowledged)")
    print(f"e-mails/s:             {len(sink.messages) / total_s:.0f}")
    print(f"distinct e-mails:      {delivered} of {n} (delivery rows sent: {sent_rows})")
    print(f"duplicates:            {dupes}")
    print(f"second run added:      {second_run}")
    for i, (pid, kb) in enumerate(sorted(peak_kb.items())):
        print(f"worker process {i} peak RSS (VmHWM): {kb / 1024:.0f} MiB (pid {pid})")
    from bench import report

    peak = ", ".join(f"{kb / 1024:.0f} MiB" for _, kb in sorted(peak_kb.items()))
    print(f"timed fan-out:         {in_redis} enqueued in {fan_out_s * 1000:.0f} ms ({in_redis / fan_out_s:,.0f}/s)")
    table = report.table(
        ["participants", "workers", "job written -> fan-out done", "fan-out alone (wall)", "enqueued msg/s (wall)",
         "msg/s per CPU second", "all sent", "e-mails/s", "duplicates", "second run", "peak RSS per worker process"],
        [[n, f"{args.processes} x {args.threads}", f"{fanned_out:.2f} s" if fanned_out else "-",
          f"{fan_out_s * 1000:.0f} ms", round(in_redis / fan_out_s), round(in_redis / max(fan_out_cpu_s, 1e-6)),
          f"{total_s:.1f} s", len(sink.messages) / total_s, dupes, second_run, peak]],
    )  # fmt: skip
    report.emit(f"### Reminder fan-out\n\nMachine: {report.machine()}.\n\n{table}", args.report)
    report.record(args.report, **{"reminders.enqueued_per_s": in_redis / fan_out_s,
                                  "reminders.enqueued_per_cpu_s": in_redis / max(fan_out_cpu_s, 1e-6),
                                  "reminders.peak_mib": max(peak_kb.values(), default=0) / 1024})  # fmt: skip
    ok = delivered == n and dupes == 0 and second_run == 0 and in_redis == n
    return 0 if ok else 1


def _timed_fan_out(event_id: int, pool: object, client: object) -> tuple[float, float, int]:
    """The fan-out alone, timed in this process on the same Redis: the workers are stopped first (the messages
    stay queued), and the event's reminder deliveries are forgotten so every participant is due again."""
    from tests.system.support import messages_in_redis

    from mutiroes.notifications.models import EmailDelivery
    from mutiroes.notifications.services import reminders_fan_out

    pool.cleanup()
    EmailDelivery.objects.filter(kind="reminder", event_id=event_id).delete()
    before = messages_in_redis(client, "emails")
    started, cpu = time.perf_counter(), time.process_time()
    reminders_fan_out(event_id=event_id)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"fan-out CPU time:      {cpu * 1000:.0f} ms of this process (wall {elapsed * 1000:.0f} ms)")
    return elapsed, cpu, messages_in_redis(client, "emails") - before


if __name__ == "__main__":
    sys.exit(main())
