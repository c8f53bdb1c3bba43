"""Accounts and tokens: register, token, refresh rotation, logout, /users/me, and JWT tampering (all one 401)."""

import base64
import json
import uuid
from datetime import date, timedelta

import jwt as pyjwt
import pytest
from django.conf import settings
from ninja_jwt.tokens import RefreshToken

from mutiroes.accounts.models import User
from mutiroes.core import clock
from tests.support.api import assert_error

pytestmark = pytest.mark.django_db

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"
PASSWORD = "Mutir@o-forte-2024"


def _register(client, **overrides):
    body = {
        "username": "joana",
        "email": "Joana@Example.org",
        "password": PASSWORD,
        "first_name": "Joana",
        "last_name": "Silva",
    } | overrides
    return client.post(f"{AUTH}/register", body, content_type="application/json")


def _token(client, username, password=PASSWORD, **extra):
    return client.post(
        f"{AUTH}/token", {"username": username, "password": password}, content_type="application/json", **extra
    )


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def account(client):
    response = _register(client)
    assert response.status_code == 201, response.content
    return User.objects.get(username="joana")


# --- register -----------------------------------------------------------------------------------------


def test_register_creates_user_and_profile(client):
    response = _register(client, birth_date="1990-05-17")
    assert response.status_code == 201, response.content
    body = response.json()
    user = User.objects.get(pk=body["id"])
    assert (user.username, user.email.lower(), user.first_name) == ("joana", "joana@example.org", "Joana")
    assert user.check_password(PASSWORD)
    assert user.profile.birth_date == date(1990, 5, 17)
    assert body["birth_date"] == "1990-05-17"
    assert "password" not in body


def test_email_is_unique_case_insensitively(client, account):
    assert_error(_register(client, username="outra", email="JOANA@example.ORG"), 409)
    assert_error(_register(client, username="JOANA", email="outra@example.org"), 409)
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "123"}, "password"),
        ({"password": "joana1234"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"username": "com espaço"}, "username"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"is_staff": True}, "is_staff"),
        ({"is_superuser": True}, "is_superuser"),
    ],
)
def test_register_rejects_bad_fields(client, overrides, field):
    body = assert_error(_register(client, **overrides), 422)
    assert field in body["details"]["fields"], body
    assert not User.objects.exists()


# --- token, refresh, logout ------------------------------------------------------------------------------


def test_token_by_username_or_email(client, account):
    for login in ("joana", "joana@example.org"):
        response = _token(client, login)
        assert response.status_code == 200, response.content
        pair = response.json()
        me = client.get(ME, headers=_bearer(pair["access"]))
        assert me.status_code == 200
        assert me.json()["id"] == account.pk


def test_wrong_password_is_401(client, account):
    assert_error(_token(client, "joana", "errada-123456"), 401)
    assert_error(_token(client, "ninguem", PASSWORD), 401)


def test_inactive_account_cannot_log_in(client, account):
    User.objects.filter(pk=account.pk).update(is_active=False)
    assert_error(_token(client, "joana"), 401)


def test_refresh_rotates_and_the_old_refresh_is_rejected(client, account):
    pair = _token(client, "joana").json()
    refreshed = client.post(f"{AUTH}/token/refresh", {"refresh": pair["refresh"]}, content_type="application/json")
    assert refreshed.status_code == 200, refreshed.content
    new_pair = refreshed.json()
    assert new_pair["refresh"] != pair["refresh"]
    assert client.get(ME, headers=_bearer(new_pair["access"])).status_code == 200

    replay = client.post(f"{AUTH}/token/refresh", {"refresh": pair["refresh"]}, content_type="application/json")
    assert_error(replay, 401)
    # The rotated token keeps working once.
    again = client.post(f"{AUTH}/token/refresh", {"refresh": new_pair["refresh"]}, content_type="application/json")
    assert again.status_code == 200


def test_access_token_is_not_a_refresh_token(client, account):
    pair = _token(client, "joana").json()
    assert_error(
        client.post(f"{AUTH}/token/refresh", {"refresh": pair["access"]}, content_type="application/json"), 401
    )
    assert_error(client.get(ME, headers=_bearer(pair["refresh"])), 401)


def test_logout_blacklists_the_refresh_token(client, account):
    pair = _token(client, "joana").json()
    response = client.post(
        f"{AUTH}/logout", {"refresh": pair["refresh"]}, content_type="application/json", headers=_bearer(pair["access"])
    )
    assert response.status_code == 204
    refresh = client.post(f"{AUTH}/token/refresh", {"refresh": pair["refresh"]}, content_type="application/json")
    assert_error(refresh, 401)


def test_logout_cannot_blacklist_someone_elses_token(client, account, user_factory):
    other = user_factory()
    theirs = RefreshToken.for_user(other)
    mine = _token(client, "joana").json()
    client.post(
        f"{AUTH}/logout", {"refresh": str(theirs)}, content_type="application/json", headers=_bearer(mine["access"])
    )
    still = client.post(f"{AUTH}/token/refresh", {"refresh": str(theirs)}, content_type="application/json")
    assert still.status_code == 200


def test_refresh_for_a_deactivated_user_is_refused(client, account):
    pair = _token(client, "joana").json()
    User.objects.filter(pk=account.pk).update(is_active=False)
    assert_error(
        client.post(f"{AUTH}/token/refresh", {"refresh": pair["refresh"]}, content_type="application/json"), 401
    )
    assert_error(client.get(ME, headers=_bearer(pair["access"])), 401)


def test_login_is_throttled_per_address_and_per_account(client, account, settings):
    from django.core.cache import cache

    cache.clear()
    settings.LOGIN_THROTTLE = "3/m"
    statuses = [_token(client, "joana", "errada-1", REMOTE_ADDR="10.1.1.1").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    # Another address, another account: still allowed.
    assert _token(client, "ninguem", "x", REMOTE_ADDR="10.1.1.2").status_code == 401
    # The same account from yet another address: the account limit holds across addresses.
    throttled = _token(client, "JOANA", PASSWORD, REMOTE_ADDR="10.1.1.3")
    assert_error(throttled, 429)
    assert int(throttled["Retry-After"]) >= 1
    cache.clear()


def test_an_unknown_login_costs_the_same_password_hash_as_a_wrong_password(client, account, monkeypatch):
    """No enumeration by timing: counted in hasher calls (what the time is made of), not measured in seconds."""
    from django.contrib.auth.hashers import get_hashers

    calls = []

    def counting(verify):
        def wrapper(self, password, encoded):
            calls.append(self.algorithm)
            return verify(self, password, encoded)

        return wrapper

    for hasher in get_hashers():
        monkeypatch.setattr(type(hasher), "verify", counting(type(hasher).verify))
    assert _token(client, "joana", "errada", REMOTE_ADDR="10.2.0.1").status_code == 401
    wrong_password, calls[:] = list(calls), []
    assert _token(client, "nobody-by-this-name", "errada", REMOTE_ADDR="10.2.0.2").status_code == 401
    assert calls == wrong_password == [account.password.split("$", 1)[0]]
    # The same for an e-mail that is nobody's, answered with the same body.
    calls[:] = []
    answer = _token(client, "nobody@example.org", "errada", REMOTE_ADDR="10.2.0.3")
    assert calls == wrong_password and answer.json() == _token(client, "joana", "x", REMOTE_ADDR="10.2.0.4").json()


# --- /users/me and public profiles ----------------------------------------------------------------------


def test_me_get_and_patch(client, account):
    access = _token(client, "joana").json()["access"]
    patch = {"city": "Campinas", "state": "SP", "bio": "Gosto de plantar", "interests": ["plantio"]}
    response = client.patch(ME, patch, content_type="application/json", headers=_bearer(access))
    assert response.status_code == 200, response.content
    account.profile.refresh_from_db()
    assert (account.profile.city, account.profile.state, account.profile.interests) == ("Campinas", "SP", ["plantio"])
    for bad in (
        {"username": "x"},
        {"email": "x@y.z"},
        {"is_staff": True},
        {"state": "ZZ"},
        {"birth_date": "3000-01-01"},
    ):
        assert_error(client.patch(ME, bad, content_type="application/json", headers=_bearer(access)), 422)
    account.refresh_from_db()
    assert (account.username, account.is_staff) == ("joana", False)


def test_public_profile_and_private_profile(client, account, user_factory):
    viewer = user_factory()
    response = client.get("/api/v1/users/joana")
    assert response.status_code == 200
    assert response.json()["username"] == "joana"
    assert "email" not in response.json()
    account.profile.is_public = False
    account.profile.save()
    assert_error(client.get("/api/v1/users/joana"), 404)
    assert_error(client.get("/api/v1/users/joana", headers=_bearer(RefreshToken.for_user(viewer).access_token)), 404)
    assert_error(client.get("/api/v1/users/nobody-here"), 404)


# --- JWT tampering -------------------------------------------------------------------------------------


def _claims(user, **overrides):
    now = clock.now()
    claims = {
        "token_type": "access",
        "user_id": user.pk,
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
        "aud": settings.NINJA_JWT["AUDIENCE"],
        "iss": settings.NINJA_JWT["ISSUER"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims, key=None, algorithm="HS256"):
    return pyjwt.encode(claims, key or settings.NINJA_JWT["SIGNING_KEY"], algorithm=algorithm)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _tampered_tokens(user):
    good = _sign(_claims(user))
    header, payload, signature = good.split(".")
    other_user_payload = _b64(_claims(user, user_id=user.pk + 1000))
    return {
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(user))}.",
        "alg_none_upper": f"{_b64({'alg': 'None', 'typ': 'JWT'})}.{_b64(_claims(user))}.",
        "wrong_signature": _sign(_claims(user), key="not-the-server-secret-" * 3),
        "swapped_payload": f"{header}.{other_user_payload}.{signature}",
        "truncated_signature": f"{header}.{payload}.{signature[:-4]}",
        "hs512_same_key": _sign(_claims(user), algorithm="HS512"),
        "expired": _sign(_claims(user, exp=int((clock.now() - timedelta(seconds=5)).timestamp()))),
        "wrong_audience": _sign(_claims(user, aud="another-api")),
        "missing_audience": _sign(_claims(user, aud=None)),
        "wrong_issuer": _sign(_claims(user, iss="someone-else")),
        "missing_issuer": _sign(_claims(user, iss=None)),
        "missing_exp": _sign(_claims(user, exp=None)),
        "refresh_type": _sign(_claims(user, token_type="refresh")),
        "unknown_user": _sign(_claims(user, user_id=987654321)),
        "garbage": "not.a.jwt",
        "empty_parts": "..",
    }


def test_crafted_valid_token_is_accepted(client, user_factory):
    # The control for the tampering cases: a token built by the same helper, untampered, works.
    user = user_factory()
    response = client.get(ME, headers=_bearer(_sign(_claims(user))))
    assert response.status_code == 200, response.content
    assert response.json()["id"] == user.pk


def test_tampered_tokens_are_all_the_same_401(client, user_factory):
    user = user_factory()
    reference = client.get(ME)
    reference_body = assert_error(reference, 401)
    for name, token in _tampered_tokens(user).items():
        for path in (ME, "/api/v1/events"):  # a required-auth route and an optional-auth route
            response = client.get(path, headers=_bearer(token))
            assert response.status_code == 401, (name, path, response.content)
            assert response.json() == reference_body, name
            assert response["WWW-Authenticate"].startswith("Bearer"), name


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic am9hbmE6c2VuaGE="},
        {"Authorization": "Token abc"},
        {"Authorization": "bearer x y z"},
    ],
)
def test_malformed_authorization_headers_are_401(client, headers):
    for path in (ME, "/api/v1/events"):
        assert_error(client.get(path, headers=headers), 401)


def test_token_in_the_query_string_is_ignored(client, user_factory, event_factory):
    user = user_factory()
    event_factory(organizer=user, status="published", is_public=False)
    access = str(RefreshToken.for_user(user).access_token)
    reference_body = assert_error(client.get(ME), 401)
    for param in ("access_token", "token", "jwt", "Authorization", "authorization", "bearer"):
        for value in (access, f"Bearer {access}"):
            response = client.get(ME, {param: value})
            assert response.status_code == 401, param
            assert response.json() == reference_body
    # On an optional-auth route the query-string token is not used either: no private data appears.
    assert client.get("/api/v1/events", {"access_token": access}).json()["count"] == 0
    assert client.get("/api/v1/events", headers=_bearer(access)).json()["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_refreshes_with_one_token_mint_one_pair(user_factory):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django.test import Client

    assert connection.vendor == "postgresql"
    token = str(RefreshToken.for_user(user_factory()))

    def refresh(_):
        try:
            body = json.dumps({"refresh": token})
            return Client().post(f"{AUTH}/token/refresh", body, content_type="application/json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(refresh, range(16)))

    # A stolen refresh token raced against its owner must not yield two live sessions.
    assert statuses.count(200) == 1, statuses
    assert statuses.count(401) == 15


def _register_at_once(bodies: list[dict]) -> list[int]:
    """POST /auth/register with each body, eight at a time from threads (each with its own connection)."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django.test import Client

    def register(body):
        try:
            return Client().post(f"{AUTH}/register", json.dumps(body), content_type="application/json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(register, bodies))


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_email_create_one_account():
    from django.db import connection

    assert connection.vendor == "postgresql"
    spellings = ["rita@example.org", "Rita@example.org", "RITA@EXAMPLE.ORG", "rita@Example.Org"]

    statuses = _register_at_once(
        [{"username": f"rita{i}", "email": spellings[i % 4], "password": PASSWORD} for i in range(12)]
    )

    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 11, statuses
    assert User.objects.filter(email__iexact="rita@example.org").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_username_in_any_case_create_one_account():
    spellings = ["maria", "Maria", "MARIA", "mAria"]

    statuses = _register_at_once(
        [{"username": spellings[i % 4], "email": f"maria{i}@example.org", "password": PASSWORD} for i in range(12)]
    )

    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 11, statuses
    assert User.objects.filter(username__iexact="maria").count() == 1


@pytest.mark.django_db
def test_login_name_is_case_insensitive(client, user_factory):
    user_factory(username="Joana", password=PASSWORD)
    response = client.post(
        f"{AUTH}/token", json.dumps({"username": "joana", "password": PASSWORD}), content_type="application/json"
    )
    assert response.status_code == 200
