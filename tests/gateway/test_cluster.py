"""The local cluster (deploy/cluster/cluster.py) comes up on this machine, serves through its gateway, and goes down.

Slow-ish (~30 s): the whole topology with one gunicorn worker per replica, in a temp directory, on a port base
below the ephemeral range. Needs supervisord (Debian `supervisor`); skipped, and said so, without it.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deploy.cluster.cluster import OFFSETS, web_programs

from tests.gateway.support import request
from tests.servers._process import LOOPBACK, make_temp_dir, reap_stale_dirs

pytestmark = pytest.mark.system

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "cluster" / "cluster.py"
PREFIX = "mutiroes-cluster"


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
    return subprocess.run([sys.executable, str(SCRIPT), "--data", str(data), *args], capture_output=True, text=True,
                          timeout=timeout_s, check=False)  # fmt: skip


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
        assert status.count("RUNNING") == 15 + len(web), status
        assert "/health via the gateway: 200 ok" in status, status
        assert "replica streaming" in status, status  # the primary sees its standby
        assert "in recovery (read-only standby): t" in status, status
        assert "OK 3 usable Sentinels" in status, status
        assert "static upstream list" in status, status

        gateway = base + OFFSETS["gateway"]
        assert request(gateway, "GET", "/gateway/health").status == 200
        body = {"username": "ana", "email": "ana@example.org", "password": "plantar-arvores-2026", "first_name": "Ana"}
        assert request(gateway, "POST", "/api/v1/auth/register", json_body=body).status == 201
        login = request(
            gateway, "POST", "/api/v1/auth/token", json_body={"username": "ana", "password": body["password"]}
        )
        assert login.status == 200, login
        page = request(gateway, "GET", "/eventos")
        assert page.status == 200 and b"Buscar eventos" in page.body, page
        # Each replica answers /liveness on its own port; the gateway spreads requests over them.
        for name in ("api-1", "api-2", "api-3"):
            assert request(base + OFFSETS[name], "GET", "/liveness").status == 200

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
