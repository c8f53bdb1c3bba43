"""docs/reliability.md, scenario 24 at the gateway (body sizes), the security headers, the API docs' assets and CORS."""

from __future__ import annotations

import io
import os
import re

import pytest
from ninja_jwt.tokens import RefreshToken
from PIL import Image

from mutiroes.events.models import EventPhoto
from tests.gateway.support import ALLOWED_ORIGIN, multipart, request

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

MIB = 1024 * 1024
GATEWAY_TOO_LARGE = {
    "code": "payload_too_large",
    "message": "request body too large for the gateway (10 MB; photos 9 MB)",
    "details": {},
}


def _token(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


def _noise_png(size_bytes: int) -> bytes:
    """An uncompressed PNG of random pixels of about size_bytes (Pillow can neither shrink nor reject it)."""
    side = int((size_bytes / 3) ** 0.5)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG", compress_level=0)
    return buffer.getvalue()


def test_a_body_over_10_mb_is_413_json_at_the_gateway(stack, user_factory):
    token = _token(user_factory())
    reply = request(stack.port, "POST", "/api/v1/events", source=stack.addresses.one(), token=token,
                    headers={"Content-Type": "application/json"}, body=b" " * (10 * MIB + 1))  # fmt: skip
    assert reply.status == 413
    assert reply.json() == GATEWAY_TOO_LARGE  # the gateway's: the app's own 413 says "request body too large"
    assert reply.header("Content-Type") == "application/json"


def test_the_photo_route_takes_a_5_mb_photo_through_the_gateway_and_stops_9_mb_bodies(stack, event_factory):
    event = event_factory()
    token = _token(event.organizer)
    path = f"/api/v1/events/{event.pk}/photos"
    photo = _noise_png(5 * MIB)
    assert len(photo) > 5 * MIB - 64 * 1024
    body, content_type = multipart({"caption": "antes"}, {"photo": ("praia.png", "image/png", photo)})

    created = request(stack.port, "POST", path, source=stack.addresses.one(), token=token,
                      headers={"Content-Type": content_type}, body=body, timeout_s=60)  # fmt: skip
    assert created.status == 201, created
    assert EventPhoto.objects.filter(event=event).count() == 1
    # The stored file is served by nginx from the replicas' shared MEDIA_ROOT.
    media_path = re.sub(r"^https?://[^/]+", "", created.json()["url"])
    served = request(stack.port, "GET", media_path)
    assert served.status == 200
    assert served.header("Content-Type") == "image/png"
    assert served.header("X-Content-Type-Options") == "nosniff"
    assert served.body[:8] == b"\x89PNG\r\n\x1a\n"

    too_big, content_type = multipart({}, {"photo": ("grande.png", "image/png", b"\0" * (9 * MIB + 1))})
    refused = request(stack.port, "POST", path, source=stack.addresses.one(), token=token,
                      headers={"Content-Type": content_type}, body=too_big)  # fmt: skip
    assert refused.status == 413
    assert refused.json() == GATEWAY_TOO_LARGE
    assert EventPhoto.objects.filter(event=event).count() == 1


def test_security_headers_are_set_once_on_api_responses(stack):
    reply = request(stack.port, "GET", "/api/v1/categories", source=stack.addresses.one())
    assert reply.status == 200
    # The app sets some of these too: the gateway hides the app's copies, so each appears exactly once.
    assert reply.all("X-Content-Type-Options") == ["nosniff"]
    assert reply.all("X-Frame-Options") == ["DENY"]
    assert reply.all("Referrer-Policy") == ["same-origin"]
    [csp] = reply.all("Content-Security-Policy")
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert reply.header("Strict-Transport-Security") is None  # plain HTTP here: HSTS only behind TLS
    assert reply.header("Server") == "nginx"  # no version
    assert re.fullmatch(r"[0-9a-f]{32}", reply.header("X-Request-ID") or "")


def test_the_api_docs_load_their_assets_from_the_gateway_under_the_csp(stack):
    docs = request(stack.port, "GET", "/api/docs", source=stack.addresses.one())
    assert docs.status == 200
    assert docs.header("Content-Type").startswith("text/html")
    csp = docs.header("Content-Security-Policy")
    assert "script-src 'self'" in csp
    scripts = re.findall(rb'<script src="([^"]+)"', docs.body)
    styles = re.findall(rb'<link[^>]+href="([^"]+\.css)"', docs.body)
    assert scripts and styles, docs.body[:500]
    # Every asset is same-origin (allowed by 'self') and nginx serves it from the collected static files.
    for asset in [*scripts, *styles]:
        path = asset.decode()
        assert path.startswith("/static/"), path
        served = request(stack.port, "GET", path)
        assert served.status == 200, path
        assert served.header("Cache-Control") == "max-age=86400"  # nginx's `expires 1d`, not the app's whitenoise
        assert (stack.static_root / path.removeprefix("/static/")).stat().st_size == len(served.body)


def test_cors_preflight_from_an_allowed_origin_is_answered_by_the_app_through_the_gateway(stack):
    preflight_headers = {
        "Origin": ALLOWED_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
    }
    allowed = request(stack.port, "OPTIONS", "/api/v1/events", source=stack.addresses.one(), headers=preflight_headers)
    assert allowed.status == 200
    assert allowed.header("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    assert "POST" in allowed.header("Access-Control-Allow-Methods")
    allowed_headers = allowed.header("Access-Control-Allow-Headers").lower()
    assert "authorization" in allowed_headers and "idempotency-key" in allowed_headers

    stranger = request(stack.port, "OPTIONS", "/api/v1/events", source=stack.addresses.one(),
                       headers={**preflight_headers, "Origin": "https://evil.example"})  # fmt: skip
    assert stranger.header("Access-Control-Allow-Origin") is None

    simple = request(stack.port, "GET", "/api/v1/categories", source=stack.addresses.one(),
                     headers={"Origin": ALLOWED_ORIGIN})  # fmt: skip
    assert simple.status == 200
    assert simple.header("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    # A browser script may read the headers a retry depends on.
    assert "retry-after" in simple.header("Access-Control-Expose-Headers").lower()
