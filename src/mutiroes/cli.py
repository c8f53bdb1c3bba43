"""The `mutiroes` command. One image, many commands:

- ``mutiroes dev``: the embedded platform (SQLite, in-process worker, e-mails to files), no servers needed;
- ``mutiroes serve``: the API under gunicorn; ``mutiroes worker``: Dramatiq workers;
- ``mutiroes dashboard``: the Dramatiq dashboard (staff only) on port 5555;
- ``mutiroes scheduler``: the periodic jobs (any number of processes: one leader fires);
- ``mutiroes cluster up|down|status|ctl``: the local cluster, every role as a real process (deploy/cluster/);
- ``mutiroes exporter``: nginx, replication and Sentinel figures for Prometheus (docs/operations.md);
- ``mutiroes consul-render``: the gateway's upstreams from Consul's healthy instances (static list without Consul);
- anything else is a Django management command (``mutiroes migrate``, ``mutiroes createsuperuser``).
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

SETTINGS = "mutiroes.config.settings"


def _dev(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="mutiroes dev", description="Run the embedded platform (no servers needed).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    args = parser.parse_args(argv)

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()
    print(f"Mutirões ({settings.MODE}) — data in {settings.DATA_DIR}")
    call_command("migrate", interactive=False, verbosity=0)
    if not args.no_demo:
        call_command("load_demo")
    if settings.EMBEDDED_WORKER:
        _start_embedded_worker()
    if settings.EMBEDDED_SCHEDULER:
        _start_embedded_scheduler()
    base = f"http://{args.host}:{args.port}"
    print(f"API      {base}/api/v1/\nDocs     {base}/api/docs\nAdmin    {base}/admin/\nHealth   {base}/health")
    if settings.EMBEDDED:
        print(f"E-mails  {settings.EMAIL_FILE_PATH}")
    print()
    _hide_server_version()
    call_command("runserver", f"{args.host}:{args.port}", use_reloader=False)


def _hide_server_version() -> None:
    """The development server's Server header says "WSGIServer/0.2 CPython/3.11.x": no versions to the world."""
    from django.core.servers import basehttp

    basehttp.ServerHandler.server_software = "mutiroes"
    basehttp.WSGIRequestHandler.server_version = "mutiroes"
    basehttp.WSGIRequestHandler.sys_version = ""


def _start_embedded_worker() -> None:
    from mutiroes.jobs.worker import start_embedded

    start_embedded()


def _start_embedded_scheduler() -> None:
    from mutiroes.scheduler.process import start_embedded

    start_embedded()


def _scheduler(argv: list[str]) -> None:
    from mutiroes.scheduler.process import main as scheduler_main

    scheduler_main(argv)


def _metrics_dir(instance: str) -> None:
    """prometheus-client's multiprocess mode for a server with several processes: one sample directory per
    instance, emptied before it starts (samples of a previous run would be summed in). Set before exec: the
    client reads it when imported, in every process."""
    default = Path(tempfile.gettempdir()) / "mutiroes-metrics" / instance
    path = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(default)))
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def _exec(argv: list[str]) -> None:
    # exec: signals (SIGTERM on deploy) reach the server or worker master directly.
    os.execvp(argv[0], argv)  # noqa: S606 - fixed argv built above, no shell


def _worker(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="mutiroes worker", description="Run Dramatiq worker processes.")
    parser.add_argument("--processes", "-p", type=int, default=2)
    parser.add_argument("--threads", "-t", type=int, default=4)
    parser.add_argument("--queues", "-Q", nargs="*", help="only these queues (default: all)")
    parser.add_argument(
        "--metrics-port", type=int, help="serve /metrics on METRICS_HOST:this port (default METRICS_PORT)"
    )
    args = parser.parse_args(argv)
    if args.metrics_port is not None:
        os.environ["METRICS_PORT"] = str(args.metrics_port)
    if os.environ.get("METRICS_PORT", "0") not in ("", "0"):
        _metrics_dir(f"worker-{os.environ['METRICS_PORT']}")
    # Dramatiq's CLI, with the app's logging configured before it starts (mutiroes.infra.dramatiq_cli).
    command = [sys.executable, "-m", "mutiroes.infra.dramatiq_cli", "mutiroes.jobs.boot",
               "--processes", str(args.processes), "--threads", str(args.threads)]  # fmt: skip
    if args.queues:
        command += ["--queues", *args.queues]
    _exec(command)


def default_workers() -> int:
    """Gunicorn sync workers for one replica: 2 per core it may use, plus 1, shared by the replicas on the host.

    A sync worker holds its core only while it computes; while it waits on PostgreSQL or Redis, another can run,
    so about two per core keep the cores busy without queueing requests behind each other. The cores are those
    this process may run on (a container's cpuset), divided among API_REPLICAS_PER_HOST replicas (default 1);
    API_WORKERS overrides the rule. docs/benchmarks.md has the measurements behind it.
    """
    if os.environ.get("API_WORKERS"):
        return max(1, int(os.environ["API_WORKERS"]))
    cores = len(os.sched_getaffinity(0))
    replicas = max(1, int(os.environ.get("API_REPLICAS_PER_HOST", "1") or 1))
    return max(2, -(-(2 * cores + 1) // replicas))


def _gunicorn(prog: str, default_port: int, argv: list[str], service: str = "mutiroes-api") -> None:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--workers", "-w", type=int, default=None, help="default: 2 x cores + 1 (default_workers)")
    parser.add_argument("--timeout", type=int, default=30)
    args = parser.parse_args(argv)
    _metrics_dir(f"{service}-{args.host}-{args.port}")  # /metrics on this port sums every gunicorn worker
    _exec([sys.executable, "-m", "gunicorn", "mutiroes.config.wsgi:application", "--bind", f"{args.host}:{args.port}",
           "--workers", str(args.workers or default_workers()), "--timeout", str(args.timeout),
           # Consul registration and logging, access log included (mutiroes.config.gunicorn); --name: which service.
           "--config", "python:mutiroes.config.gunicorn", "--name", service])  # fmt: skip


def _cluster(argv: list[str]) -> None:
    from mutiroes.cluster import main as cluster_main

    sys.exit(cluster_main(argv))


def _exporter(argv: list[str]) -> None:
    from mutiroes.infra.exporter import main as exporter_main

    exporter_main(argv)


def _consul_render(argv: list[str]) -> None:
    from mutiroes.infra.consul import render_command

    sys.exit(render_command(argv))


COMMANDS = {
    "dev": _dev,
    "worker": _worker,
    "scheduler": _scheduler,
    "serve": lambda argv: _gunicorn("mutiroes serve", 8000, argv),
    "dashboard": lambda argv: _gunicorn("mutiroes dashboard", 5555, argv, service="mutiroes-dashboard"),
    "consul-render": _consul_render,
    "exporter": _exporter,
    "cluster": _cluster,
}


# The process's name in traces (settings.PROCESS_NAME; OTEL_SERVICE_NAME overrides it).
PROCESS_NAMES = {"dev": "mutiroes-dev", "serve": "mutiroes-api", "worker": "mutiroes-worker",
                 "scheduler": "mutiroes-scheduler", "dashboard": "mutiroes-dashboard"}  # fmt: skip


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS)
    argv = sys.argv[1:]
    if argv and argv[0] in PROCESS_NAMES:
        os.environ.setdefault("MUTIROES_PROCESS", PROCESS_NAMES[argv[0]])
    if argv and argv[0] in COMMANDS:
        COMMANDS[argv[0]](argv[1:])
        return
    from django.core.management import execute_from_command_line

    execute_from_command_line(["mutiroes", *argv])


if __name__ == "__main__":
    main()
