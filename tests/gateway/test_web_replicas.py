"""The web app behind the gateway: `/` is balanced over two Next.js replicas, `/api/` still goes to the API.

One web replica SIGKILLed under page load loses no page (nginx retries a GET on the other one); build assets are
served with immutable caching and kept in the gateway's cache; the web replicas reach the API through the
gateway's internal listener, so a page's server-side calls do not spend the visitor's rate limit.
"""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import pytest

from tests.gateway.support import Gateway, Supervised, request
from tests.support.polling import wait_for
from tests.support.processes import LOOPBACK, free_port

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

SERVER_JS = Path(__file__).resolve().parents[2] / "web" / ".next" / "standalone" / "server.js"
PAGES = ["/", "/eventos", "/impacto", "/entrar"]


class WebReplica(Supervised):
    def __init__(self, index: int, *, port: int, base_dir: Path, api_port: int) -> None:
        self.port = port
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOSTNAME": LOOPBACK, "PORT": str(self.port),
               "API_URL": f"http://{LOOPBACK}:{api_port}", "NEXT_TELEMETRY_DISABLED": "1"}  # fmt: skip
        node = shutil.which("node") or "node"
        super().__init__(f"web-{index}", [node, str(SERVER_JS)], env=env, log_path=base_dir / f"web-{index}.log",
                         pid_dir=base_dir)  # fmt: skip

    def serving(self) -> bool:
        self.check_alive()
        try:
            return request(self.port, "GET", "/entrar", timeout_s=5).status == 200
        except OSError:
            return False


@pytest.fixture
def web_gateway(stack):
    if not SERVER_JS.exists():
        pytest.fail(f"{SERVER_JS} is missing: build the web app first (make test does: npm --prefix web run build)")
    base = stack.base_dir / f"web-{time.monotonic_ns()}"
    base.mkdir()
    # The replicas' API address is the gateway's internal listener, known once the gateway is configured, and the
    # gateway's list needs the replicas' ports: take the ports first, start the processes after.
    ports = [free_port(), free_port()]
    gateway = Gateway(
        base_dir=base, backends=[b.address for b in stack.backends], dashboard=f"{LOOPBACK}:{free_port()}",
        static_root=stack.static_root, media_root=stack.media_root, name="web-nginx",
        web=[f"{LOOPBACK}:{port}" for port in ports],
    )  # fmt: skip
    replicas = [WebReplica(i, port=port, base_dir=base, api_port=gateway.internal_port) for i, port in enumerate(ports)]
    try:
        gateway.start()
        for replica in replicas:
            replica.spawn()
        for replica in replicas:
            wait_for(replica.serving, timeout_s=60, what=f"{replica.name} serving")
        yield gateway, replicas
    finally:
        for replica in replicas:
            replica.kill()
        gateway.kill()


def test_pages_come_from_both_web_replicas_and_the_api_from_the_api(web_gateway, stack, event_factory):
    gateway, replicas = web_gateway
    event_factory(title="Mutirão na orla", status="published")
    sources = stack.addresses.take(20)
    pages = [request(gateway.port, "GET", PAGES[i % len(PAGES)], source=sources[i]) for i in range(20)]
    assert {p.status for p in pages} == {200}
    assert all("text/html" in (p.header("Content-Type") or "") for p in pages)
    assert b"Mutir" in pages[1].body  # the event search, rendered on the server from the API's data
    upstreams = {line.split("upstream=")[1].split()[0] for line in gateway.access_log.read_text().splitlines()}
    assert {f"{LOOPBACK}:{r.port}" for r in replicas} <= upstreams, upstreams
    api = request(gateway.port, "GET", "/api/v1/categories", source=sources[0])
    assert api.status == 200 and (api.header("Content-Type") or "").startswith("application/json")
    assert request(gateway.port, "GET", "/liveness", source=sources[0]).status == 200


def test_build_assets_are_immutable_and_cached_at_the_gateway(web_gateway, stack):
    gateway, _ = web_gateway
    source = stack.addresses.one()
    html = request(gateway.port, "GET", "/entrar", source=source).body.decode()
    asset = html.split('src="/_next/static/')[1].split('"')[0]
    first = request(gateway.port, "GET", f"/_next/static/{asset}", source=source)
    second = request(gateway.port, "GET", f"/_next/static/{asset}", source=source)
    assert (first.status, second.status) == (200, 200)
    assert "immutable" in (first.header("Cache-Control") or "")
    assert second.header("X-Cache-Status") == "HIT"
    assert second.header("X-Content-Type-Options") == "nosniff"  # the gateway's security headers stay


def test_a_web_replica_killed_under_page_load_loses_no_page(web_gateway, stack, figures):
    gateway, replicas = web_gateway
    sources = stack.addresses.take(200)
    outcomes: list[int | str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def load(offset: int) -> None:
        n = offset
        while not stop.is_set():
            try:
                status: int | str = request(gateway.port, "GET", PAGES[n % len(PAGES)], source=sources[n % 200]).status
            except OSError as exc:
                status = type(exc).__name__
            with lock:
                outcomes.append(status)
            n += 3

    threads = [threading.Thread(target=load, args=(i,), daemon=True) for i in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    replicas[0].kill()
    killed_at = len(outcomes)
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    assert len(outcomes) - killed_at >= 10, "the load did not go on after the kill"
    assert set(outcomes) == {200}, sorted(set(map(str, outcomes)))
    figures(f"{len(outcomes)} page loads through the gateway, {len(outcomes) - killed_at} after web-0 was SIGKILLed: "
            f"all 200")  # fmt: skip
