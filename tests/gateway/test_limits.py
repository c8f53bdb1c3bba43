"""docs/reliability.md, 18: rate, connection and login limits at the gateway, per client address, and the app's own
per-account login throttle behind it (shared through Redis by every replica)."""

from __future__ import annotations

import math
import re
import socket
import time

import pytest

from tests.factories import DEFAULT_PASSWORD
from tests.gateway.support import ALLOWED_ORIGIN, request
from tests.support.polling import wait_for

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]

GATEWAY_THROTTLED = {"code": "throttled", "message": "too many requests from this address: slow down", "details": {}}
RATE_PER_S, BURST = 10, 20
LOGIN_BURST = 30


def _login(stack, source, username, password=DEFAULT_PASSWORD):
    return request(stack.port, "POST", "/api/v1/auth/token", source=source,
                   json_body={"username": username, "password": password})  # fmt: skip


def test_requests_beyond_rate_and_burst_are_429_json_with_retry_after_and_other_addresses_pass(stack, figures):
    flooder = stack.addresses.one()
    started = time.monotonic()
    replies = [
        request(stack.port, "GET", "/api/v1/categories", source=flooder, headers={"Origin": ALLOWED_ORIGIN})
        for _ in range(60)
    ]
    elapsed = time.monotonic() - started
    # At once: the bucket gives back one request every 100 ms, so asked after the other address's five (on a loaded
    # machine) the flooder was sometimes let in again.
    still_limited = request(stack.port, "GET", "/api/v1/categories", source=flooder)
    other = [request(stack.port, "GET", "/api/v1/categories", source="127.0.0.2") for _ in range(5)]

    statuses = [reply.status for reply in replies]
    assert set(statuses) == {200, 429}, statuses  # throttled, never 503
    accepted = statuses.count(200)
    # nginx's leaky bucket: the first request plus the burst at once, then RATE_PER_S a second.
    assert 1 + BURST <= accepted <= 1 + BURST + math.ceil(RATE_PER_S * elapsed) + 1, (accepted, elapsed)
    throttled = replies[statuses.index(429)]
    assert throttled.json() == GATEWAY_THROTTLED
    assert throttled.header("Content-Type") == "application/json"
    assert throttled.header("Retry-After") == "1"
    # The gateway's own errors are readable by a browser on an allowed origin; security headers are there too.
    assert throttled.header("Access-Control-Allow-Origin") == ALLOWED_ORIGIN
    assert throttled.header("X-Content-Type-Options") == "nosniff"
    assert [reply.status for reply in other] == [200] * 5
    assert still_limited.status == 429
    figures(f"{accepted} of 60 back-to-back GETs from one address passed in {elapsed:.2f} s, then 429 "
            f"(first 429 at request {statuses.index(429) + 1}); 127.0.0.2 meanwhile 5/5 200")  # fmt: skip


def _writing(stack) -> int:
    status = request(stack.port, "GET", "/nginx_status").body.decode()
    return int(re.search(r"Writing: (\d+)", status).group(1))


def test_the_11th_concurrent_request_from_one_address_is_429(stack, figures):
    source = stack.addresses.one()
    baseline = _writing(stack)  # counts the status request itself
    held: list[socket.socket] = []
    try:
        # Ten requests in flight from one address: headers sent, body still to come (nginx waits for it).
        for _ in range(10):
            sock = socket.create_connection(("127.0.0.1", stack.port), timeout=10, source_address=(source, 0))
            sock.sendall(b"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n")  # fmt: skip
            held.append(sock)
        wait_for(lambda: _writing(stack) >= baseline + 10, timeout_s=10, what="ten requests in flight at nginx")
        eleventh = request(stack.port, "GET", "/api/v1/categories", source=source)
        elsewhere = request(stack.port, "GET", "/api/v1/categories", source=stack.addresses.one())
    finally:
        for sock in held:
            sock.close()
    assert eleventh.status == 429, eleventh
    assert eleventh.json() == GATEWAY_THROTTLED
    assert eleventh.header("Retry-After") == "1"
    assert elsewhere.status == 200
    # Once they are gone the address may send again.
    wait_for(lambda: _writing(stack) <= baseline, timeout_s=10, what="the held requests to end")
    after = request(stack.port, "GET", "/api/v1/categories", source=source)
    assert after.status == 200, after
    figures("10 requests in flight from one address: the 11th got 429; another address 200; after they closed, 200")


def test_thirty_people_behind_one_address_sign_in_and_the_6th_failure_is_429_from_the_app(stack, user_factory, figures):
    pupils, others = user_factory.create_batch(30), user_factory.create_batch(6)
    school = stack.addresses.one()
    replies = []
    for pupil in pupils:  # a class signing in together, a few a second: within the 10 r/s of every address
        replies.append(_login(stack, school, pupil.username))
        time.sleep(0.2)
    assert [reply.status for reply in replies] == [200] * 30, [r.status for r in replies]

    # Failures are what count, per address: five wrong passwords (for five accounts) pass, the 6th is the app's 429.
    guesses = [_login(stack, school, other.username, password="errada") for other in others]
    assert [reply.status for reply in guesses] == [401] * 5 + [429], guesses
    body = guesses[5].json()
    assert body["code"] == "throttled" and body["details"]["retry_after_s"] >= 1, body  # the app's, not the gateway's
    assert request(stack.port, "GET", "/api/v1/categories", source=school).status == 200
    figures("30 sign-ins from one address: 30 x 200; then wrong passwords: 5 x 401, the 6th 429 from the app")


def test_a_sign_in_flood_from_one_address_is_429_at_the_gateway(stack, figures):
    flooder = stack.addresses.one()
    started = time.monotonic()
    replies = []
    for n in range(45):  # paced under the 10 r/s zone, so the login zone is the one that refuses
        replies.append(_login(stack, flooder, f"ninguem-{n}", password="x"))
        time.sleep(0.12)
    elapsed = time.monotonic() - started
    at_gateway = [reply for reply in replies if reply.status == 429 and reply.json() == GATEWAY_THROTTLED]
    passed = len(replies) - len(at_gateway)  # answered by the app (401, then its own 429 for the failures)
    # The leaky bucket: the first request and the burst of 30 at once, then one a second.
    assert 1 + LOGIN_BURST <= passed <= 1 + LOGIN_BURST + math.ceil(elapsed) + 1, (passed, elapsed)
    assert at_gateway and at_gateway[0].header("Retry-After") == "1"
    figures(
        f"45 sign-in requests from one address in {elapsed:.1f} s: {passed} reached the app, then 429 at the gateway"
    )


def test_per_account_login_throttle_holds_across_addresses(stack, user_factory, figures):
    target = user_factory()
    others = user_factory.create_batch(6)
    sources = stack.addresses.take(7)
    # Six addresses, six accounts: all pass. The app counts per client address (X-Forwarded-For, one proxy hop),
    # not per gateway address; otherwise its 5/m address limit would have refused the 6th.
    assert [_login(stack, source, other.username).status for source, other in zip(sources, others, strict=False)] == [
        200
    ] * 6

    # One account from six addresses (wrong passwords): the app's per-account throttle refuses the 6th.
    guesses = [_login(stack, source, target.username, password=f"wrong-{i}") for i, source in enumerate(sources[:6])]
    assert [reply.status for reply in guesses[:5]] == [401] * 5, guesses
    assert guesses[5].status == 429
    body = guesses[5].json()
    assert body["code"] == "throttled" and body["details"].get("retry_after_s", 0) >= 1, body  # the app's answer
    assert int(guesses[5].header("Retry-After")) >= 1
    # Even the right password from a fresh address waits: the limit is on the account.
    fresh = _login(stack, sources[6], target.username)
    assert fresh.status == 429, fresh
    figures("one account from 6 addresses: 5 x 401 then 429 from the app; the right password from a 7th address 429")
