"""Cookies and transport headers on a real embedded server (`mutiroes dev`): Secure cookies and HSTS once the
request came over TLS as the trusted gateway says, and a Server header without versions; the distributed
defaults (Secure cookies, one year of HSTS, the gateway's X-Forwarded-Proto trusted)."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.polling import wait_for
from tests.support.processes import LOOPBACK, ManagedProcess, child_env, free_port, mutiroes, port_is_open

pytestmark = pytest.mark.system


def _env(**extra: str) -> dict[str, str]:
    return child_env(EMBEDDED_WORKER="false", EMBEDDED_SCHEDULER="false", **extra)


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    data, port = tmp_path_factory.mktemp("dev-server"), free_port()
    env = _env(MUTIROES_MODE="embedded", MUTIROES_DATA_DIR=str(data), COOKIE_SECURE="true", HSTS_SECONDS="600",
               NINJA_NUM_PROXIES="1")  # fmt: skip
    server = ManagedProcess(mutiroes("dev", "--no-demo", "--host", LOOPBACK, "--port", str(port)), env=env,
                            log_path=data / "dev.log", cwd=Path.cwd())  # fmt: skip
    server.spawn()
    try:
        wait_for(lambda: server.check_alive() or port_is_open(port), timeout_s=120, what=f"mutiroes dev on {port}")
        yield port
    finally:
        server.stop(timeout_s=20)


def _get(port: int, path: str, **headers: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=20)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def test_the_dev_server_names_no_versions(dev_server):
    for path in ("/liveness", "/api/v1/nada", "/nada"):
        server = _get(dev_server, path).getheader("Server")
        assert server == "mutiroes", (path, server)


def test_cookies_are_secure_and_hsts_follows_the_gateways_scheme(dev_server):
    login = _get(dev_server, "/admin/login/")
    cookies = [value for name, value in login.getheaders() if name.lower() == "set-cookie"]
    assert any(c.startswith("csrftoken=") for c in cookies), cookies
    assert all("Secure" in c.split("; ") for c in cookies), cookies
    assert login.getheader("Strict-Transport-Security") is None  # plain HTTP: no HSTS
    over_tls = _get(dev_server, "/api/v1/categories", **{"X-Forwarded-Proto": "https"})
    assert over_tls.getheader("Strict-Transport-Security") == "max-age=600"


SETTINGS_PROBE = (
    "import json; from mutiroes.config import settings as s; print(json.dumps([s.SESSION_COOKIE_SECURE, "
    "s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, list(getattr(s, 'SECURE_PROXY_SSL_HEADER', None) or [])]))"
)


def _settings(tmp_path: Path, **env: str) -> list:
    result = subprocess.run(
        [sys.executable, "-c", SETTINGS_PROBE], env=_env(MUTIROES_DATA_DIR=str(tmp_path), **env),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_distributed_mode_defaults_to_secure_cookies_and_a_year_of_hsts(tmp_path):
    distributed = {"MUTIROES_MODE": "distributed", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": LOOPBACK,
                   "BROKER_URL": "stub://", "DATABASE_URL": "postgres://app@127.0.0.1:5432/mutiroes"}  # fmt: skip
    assert _settings(tmp_path, **distributed) == [True, True, 31536000, ["HTTP_X_FORWARDED_PROTO", "https"]]
    assert _settings(tmp_path, **distributed, COOKIE_SECURE="false", HSTS_SECONDS="0")[:3] == [False, False, 0]
    # Embedded (a laptop, plain HTTP, no gateway): none of it, and no client may claim TLS.
    assert _settings(tmp_path, MUTIROES_MODE="embedded") == [False, False, 0, []]
