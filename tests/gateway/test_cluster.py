"""The local cluster (`mutiroes cluster`, deploy/cluster/cluster.py) comes up on this machine, serves through its
gateway, is scraped by Prometheus, and goes down.

Slow-ish (~60 s): the whole topology with one gunicorn worker per replica, in a temp directory, on a port base
below the ephemeral range. Needs supervisord (Debian `supervisor`); skipped, and said so, without it. With
Debian's `prometheus` installed (.ci/run installs it): every target up, a join visible in the API's and the
workers' metrics, and a killed worker shown down in Prometheus's target list with its alert pending.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from deploy.cluster.cluster import OFFSETS, SCRAPE_INTERVAL_S, prometheus_binary, web_programs

from tests.gateway.support import request
from tests.support.processes import LOOPBACK, make_temp_dir, reap_stale_dirs

pytestmark = pytest.mark.system

PREFIX = "mutiroes-cluster"
JOINS = 'sum(mutiroes_joins_total{job="api"})'
EMAIL_JOBS_DONE = 'sum(mutiroes_messages_total{job="worker", actor="send_event_notification_email", outcome="done"})'


def _supervisord_available() -> bool:
    return bool(shutil.which("supervisord") or (Path(sys.executable).parent / "supervisord").exists())


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _port_base() -> int:
    for _ in range(50):
        base = random.randrange(20000, 30000, 50)
        if all(_free(base + offset) for offset in OFFSETS.values()):
            return base
    pytest.fail("no free port range for the cluster")


def _stop_supervisord(data: Path) -> None:
    """Last resort for a cluster whose `down` failed, or that a killed run left behind."""
    with contextlib.suppress(OSError, ValueError):
        pid = int((data / "supervisord.pid").read_text().strip())
        os.kill(pid, signal.SIGTERM)  # supervisord stops its programs, then exits
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.2)


def _cluster(data: Path, *args: str, timeout_s: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mutiroes", "cluster", "--data", str(data), *args],
                          capture_output=True, text=True, timeout=timeout_s, check=False)  # fmt: skip


def _prometheus(url: str, path: str) -> dict:
    with urllib.request.urlopen(f"{url}{path}", timeout=5) as response:
        return json.loads(response.read())["data"]


def _query(url: str, expr: str) -> float:
    result = _prometheus(url, f"/api/v1/query?query={urllib.parse.quote(expr)}")["result"]
    return float(result[0]["value"][1]) if result else 0.0


def _targets(url: str) -> dict[str, str]:
    return {t["labels"]["instance_name"]: t["health"] for t in _prometheus(url, "/api/v1/targets")["activeTargets"]}


def _until(check, *, timeout_s: float, what: str) -> float:
    """Seconds until `check()` holds (polled every 0.2 s)."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout_s, f"timed out after {timeout_s} s waiting for {what}"
        time.sleep(0.2)
    return time.monotonic() - started


@pytest.mark.skipif(not _supervisord_available(), reason="supervisord not installed (apt-get install supervisor)")
def test_local_cluster_comes_up_serves_through_the_gateway_and_goes_down(figures):
    reap_stale_dirs(PREFIX, _stop_supervisord)
    data = make_temp_dir(PREFIX)
    data.chmod(0o755)
    base = _port_base()
    try:
        started = time.monotonic()
        up = _cluster(data, "up", "--port-base", str(base), "--api-workers", "1", "--python", sys.executable)
        up_s = time.monotonic() - started
        assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
        status = _cluster(data, "status").stdout
        web = web_programs()
        assert web, "the web app is not built: make test builds it before the Python suite"
        prometheus = bool(prometheus_binary())
        assert status.count("RUNNING") == 16 + prometheus + len(web), status
        assert "/health via the gateway: 200 ok" in status, status
        assert "replica streaming" in status, status  # the primary sees its standby
        assert "in recovery (read-only standby): t" in status, status
        assert "OK 3 usable Sentinels" in status, status
        assert "static upstream list" in status, status

        described = json.loads(_cluster(data, "status", "--json").stdout)
        gateway = base + OFFSETS["gateway"]
        assert described["gateway_url"] == f"http://127.0.0.1:{gateway}/"
        by_name = {proc["name"]: proc for proc in described["processes"]}
        assert by_name["api-2"] | {"pid": None} == {
            "name": "api-2", "role": "api", "state": "RUNNING", "pid": None, "port": base + OFFSETS["api-2"],
            "metrics_url": f"http://127.0.0.1:{base + OFFSETS['api-2']}/metrics",
        }  # fmt: skip
        assert all(proc["pid"] for proc in described["processes"] if proc["state"] == "RUNNING")
        assert {by_name[name]["role"] for name in ("worker-1", "worker-2", "sentinel-3", "web-1")} == {
            "worker", "sentinel", "web",
        }  # fmt: skip
        master = f"127.0.0.1:{base + OFFSETS['redis-master']}"
        assert described["redis_master_by_sentinel"] == {f"sentinel-{i}": master for i in (1, 2, 3)}
        [standby] = described["replication"]
        assert standby["state"] == "streaming" and standby["replay_lag_s"] >= 0

        assert request(gateway, "GET", "/gateway/health").status == 200
        assert request(gateway, "GET", "/metrics").status == 404  # never public
        body = {"username": "ana", "email": "ana@example.org", "password": "plantar-arvores-2026", "first_name": "Ana"}
        assert request(gateway, "POST", "/api/v1/auth/register", json_body=body).status == 201
        login = request(
            gateway, "POST", "/api/v1/auth/token", json_body={"username": "ana", "password": body["password"]}
        )
        assert login.status == 200, login
        _confirm_email(data, gateway, body["email"])
        page = request(gateway, "GET", "/eventos")
        assert page.status == 200 and b"Buscar eventos" in page.body, page
        # Each replica answers /liveness on its own port; the gateway spreads requests over them.
        for name in ("api-1", "api-2", "api-3"):
            assert request(base + OFFSETS[name], "GET", "/liveness").status == 200

        if prometheus:
            _observed_by_prometheus(data, described["prometheus_url"], gateway, login.json()["access"], figures)
        else:
            figures("Prometheus not installed: its part of the cluster test did not run (apt-get install prometheus)")

        started = time.monotonic()
        down = _cluster(data, "down")
        down_s = time.monotonic() - started
        assert down.returncode == 0, down.stdout + down.stderr
        assert not (data / "supervisor.sock").exists() or _cluster(data, "status").returncode == 3
        figures(f"cluster up in {up_s:.1f} s (first time: initdb, base backup, migrations), down in {down_s:.1f} s")
    finally:
        _cluster(data, "down", timeout_s=120)
        _stop_supervisord(data)
        shutil.rmtree(data, ignore_errors=True)


def _emails(data: Path) -> list[email.message.EmailMessage]:
    """What the workers wrote under app/emails (the cluster has no SMTP server)."""
    messages = []
    for path in (data / "app" / "emails").glob("*.log"):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                messages.append(email.message_from_bytes(raw.strip(), policy=email.policy.default))
    return messages


def _confirm_email(data: Path, gateway: int, address: str) -> None:
    """Follows the link of the registration e-mail a worker wrote for `address`."""

    def link() -> str | None:
        for message in _emails(data):
            body = message.get_body(("plain",)) if message["To"] == address else None
            found = re.search(r"verificar-email\?token=(\S+)", body.get_content()) if body is not None else None
            if found:
                return urllib.parse.unquote(found.group(1))
        return None

    _until(lambda: link() is not None, timeout_s=60, what=f"the verification e-mail to {address}")
    verified = request(gateway, "POST", "/api/v1/auth/email/verify", json_body={"token": link()})
    assert verified.status == 204, verified


def _signed_up(gateway: int, username: str) -> str:
    """A new account's access token."""
    password = "plantar-arvores-2026"
    body = {"username": username, "email": f"{username}@example.org", "password": password, "first_name": username}
    assert request(gateway, "POST", "/api/v1/auth/register", json_body=body).status == 201
    login = request(gateway, "POST", "/api/v1/auth/token", json_body={"username": username, "password": password})
    assert login.status == 200, login
    return login.json()["access"]


def _event_body(gateway: int) -> dict:
    categories = request(gateway, "GET", "/api/v1/categories").json()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    return {
        "title": "Limpeza da praia", "description": "Retirada de lixo da areia",
        "category_id": categories[0]["id"],
        "address": "Av. Atlântica, 1", "city": "Rio de Janeiro", "state": "RJ", "latitude": -22.97,
        "longitude": -43.18, "start_date": start.isoformat(), "end_date": (start + timedelta(hours=3)).isoformat(),
        "max_participants": 10, "status": "published",
    }  # fmt: skip


def _observed_by_prometheus(data: Path, url: str, gateway: int, token: str, figures) -> None:
    """Every target up; a join visible in the API's and the workers' metrics; a killed worker down, alert pending."""
    interval = SCRAPE_INTERVAL_S
    _until(lambda: set(_targets(url).values()) == {"up"} and len(_targets(url)) == 9, timeout_s=10 * interval,
           what="every Prometheus target up")  # fmt: skip
    event = request(gateway, "POST", "/api/v1/events", json_body=_event_body(gateway), token=token)
    assert event.status == 201, event
    volunteer = _signed_up(gateway, "bia")
    # Every e-mail goes through the same actor: bia's verification e-mail must be counted before the baseline.
    _confirm_email(data, gateway, "bia@example.org")
    _until(lambda: _query(url, EMAIL_JOBS_DONE) == len(_emails(data)), timeout_s=6 * interval,
           what="the e-mails written so far in the worker metrics")  # fmt: skip
    joins, emails = _query(url, JOINS), _query(url, EMAIL_JOBS_DONE)
    started = time.monotonic()
    joined = request(gateway, "POST", f"/api/v1/events/{event.json()['id']}/join", json_body={}, token=volunteer)
    assert joined.status == 201, joined
    api_s = _until(lambda: _query(url, JOINS) == joins + 1, timeout_s=6 * interval, what="the join in the API metrics")
    _until(lambda: _query(url, EMAIL_JOBS_DONE) == emails + 1, timeout_s=6 * interval,
           what="the join's e-mail job in the worker metrics")  # fmt: skip
    job_s = time.monotonic() - started
    figures(f"a join visible in Prometheus: in the API's metrics after {api_s:.1f} s, its e-mail job in the "
            f"workers' after {job_s:.1f} s (scrape interval {interval} s)")  # fmt: skip

    # SIGKILL the worker's whole process group and keep it dead (supervisord would start it again in ~4 s).
    pid = int(_cluster(data, "ctl", "pid", "worker-2").stdout.strip())
    killed = time.monotonic()
    os.killpg(pid, signal.SIGKILL)
    _cluster(data, "ctl", "stop", "worker-2")
    down_s = _until(lambda: _targets(url)["worker-2"] == "down", timeout_s=6 * interval,
                    what="worker-2 down in Prometheus's targets")  # fmt: skip

    def pending() -> bool:
        alerts = _prometheus(url, "/api/v1/alerts")["alerts"]
        return any(a["labels"]["alertname"] == "MutiroesWorkerDown" and a["labels"]["instance_name"] == "worker-2"
                   for a in alerts)  # fmt: skip

    alert_s = _until(pending, timeout_s=6 * interval, what="MutiroesWorkerDown pending for worker-2") + down_s
    assert _targets(url)["worker-1"] == "up"
    figures(f"SIGKILLed worker-2: down in Prometheus's targets after {down_s:.1f} s, MutiroesWorkerDown pending "
            f"after {alert_s:.1f} s (fires after 1 min); killed {time.monotonic() - killed:.1f} s ago")  # fmt: skip
    assert "RUNNING" not in _cluster(data, "ctl", "status", "worker-2").stdout
    _cluster(data, "ctl", "start", "worker-2")
    _until(lambda: _targets(url)["worker-2"] == "up", timeout_s=10 * interval, what="worker-2 up again")
