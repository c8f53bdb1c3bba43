"""HSTS at the gateway: sent once, only on TLS connections (a real nginx TLS listener with a self-signed
certificate in front of the package's replicas); over plain HTTP a client claiming X-Forwarded-Proto: https gets
none, from the gateway or the app."""

from __future__ import annotations

import pytest

from tests.gateway.support import Gateway, request, self_signed_certificate
from tests.support.processes import free_port

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]
ONE_YEAR = "max-age=31536000"


@pytest.fixture
def tls_gateway(stack, tmp_path):
    gateway = Gateway(
        base_dir=tmp_path, backends=[b.address for b in stack.backends], dashboard=f"127.0.0.1:{free_port()}",
        static_root=stack.static_root, media_root=stack.media_root, name="tls",
        tls=self_signed_certificate(tmp_path),
    )  # fmt: skip
    try:
        yield gateway.start()
    finally:
        gateway.stop()


def test_hsts_is_sent_once_over_tls_and_never_over_plain_http(tls_gateway, stack, tmp_path):
    ca = tmp_path / "gateway.crt"
    for path in ("/api/v1/categories", "/readiness", "/api/v1/nada", "/gateway/health"):
        secure = request(tls_gateway.tls_port, "GET", path, source=stack.addresses.one(), tls_ca=ca)
        assert secure.all("Strict-Transport-Security") == [ONE_YEAR], (path, secure.headers)
        plain = request(tls_gateway.port, "GET", path, source=stack.addresses.one(),
                        headers={"X-Forwarded-Proto": "https"})  # fmt: skip
        assert plain.status == secure.status, path
        assert plain.all("Strict-Transport-Security") == [], (path, plain.headers)


def test_the_app_sees_the_scheme_the_client_used(tls_gateway, stack, tmp_path, user_factory):
    """The app's own HSTS (HSTS_SECONDS) follows X-Forwarded-Proto as nginx rewrote it, not as the client sent it."""
    backend = stack.backends[0]
    direct_tls_claim = request(int(backend.address.rsplit(":", 1)[1]), "GET", "/api/v1/categories",
                               headers={"X-Forwarded-Proto": "https"})  # fmt: skip
    assert direct_tls_claim.header("Strict-Transport-Security") == "max-age=600"
    spoofed = request(tls_gateway.port, "GET", "/api/v1/categories", headers={"X-Forwarded-Proto": "https"})
    assert spoofed.header("Strict-Transport-Security") is None
