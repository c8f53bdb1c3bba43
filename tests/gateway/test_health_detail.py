"""/health through the gateway: the overall status for anyone, the detail for staff and the operator token only;
/liveness and /readiness stay open for the orchestrator."""

from __future__ import annotations

import pytest
from ninja_jwt.tokens import RefreshToken

from tests.gateway.support import OPERATOR_TOKEN, request

pytestmark = [pytest.mark.system, pytest.mark.django_db(transaction=True)]
DETAIL = {"instance", "version", "checks", "breakers", "workers", "fallbacks"}


def _token(user) -> str:
    return str(RefreshToken.for_user(user).access_token)


def test_anonymous_callers_get_the_status_and_nothing_else(stack, user_factory):
    volunteer = user_factory()
    for token in (None, _token(volunteer), "adivinhado"):
        reply = request(stack.port, "GET", "/health", source=stack.addresses.one(), token=token)
        assert (reply.status, reply.json()) == (200, {"status": "ok"}), token
        assert reply.header("Cache-Control") == "no-store"


def test_staff_and_the_operator_see_the_detail_and_it_is_never_cached(stack, user_factory):
    staff = user_factory(is_staff=True)
    for token in (_token(staff), OPERATOR_TOKEN):
        reply = request(stack.port, "GET", "/health", source=stack.addresses.one(), token=token)
        assert reply.status == 200
        assert set(reply.json()) >= DETAIL, reply
        assert reply.header("Cache-Control") == "no-store"
    # The next anonymous caller, from the same address, does not get the detail from any cache on the way.
    assert set(request(stack.port, "GET", "/health", source=stack.addresses.one()).json()) == {"status"}


def test_liveness_and_readiness_stay_open(stack):
    for path in ("/liveness", "/readiness"):
        reply = request(stack.port, "GET", path, source=stack.addresses.one())
        assert (reply.status, reply.json()["status"]) == (200, "ok"), path
