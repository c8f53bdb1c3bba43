"""The gateway and the W3C trace context: a client's valid traceparent reaches the API unchanged; without one (or
with a malformed one) nginx starts the trace, its request id as the trace id. The upstream here is a small echo
server, so the test sees exactly the headers nginx sent."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.gateway.support import request, standalone_gateway
from tests.support.processes import LOOPBACK

pytestmark = pytest.mark.system
CLIENT_PARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class _Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({name.lower(): value for name, value in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def echo_gateway():
    echo = ThreadingHTTPServer((LOOPBACK, 0), _Echo)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    try:
        with standalone_gateway(backends=[f"{LOOPBACK}:{echo.server_address[1]}"], name="trace") as gateway:
            yield gateway
    finally:
        echo.shutdown()


def test_a_valid_traceparent_reaches_the_api_unchanged(echo_gateway):
    reply = request(echo_gateway.port, "GET", "/api/v1/categories",
                    headers={"traceparent": CLIENT_PARENT, "tracestate": "vendor=abc"})  # fmt: skip

    assert reply.status == 200
    assert (reply.json()["traceparent"], reply.json()["tracestate"]) == (CLIENT_PARENT, "vendor=abc")


@pytest.mark.parametrize("sent", [None, "00-zz-00f067aa0ba902b7-01", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f0-01"])
def test_without_a_valid_one_the_gateway_starts_the_trace_with_its_request_id(echo_gateway, sent):
    reply = request(echo_gateway.port, "GET", "/api/v1/categories", headers={"traceparent": sent} if sent else {})

    request_id = reply.header("X-Request-ID")
    assert re.fullmatch(r"[0-9a-f]{32}", request_id or "")
    assert reply.json()["traceparent"] == f"00-{request_id}-{request_id[16:]}-01"
    assert reply.json()["x-request-id"] == request_id
