"""Accounts that hold up on the open internet: password change and reset (by e-mail), signing out everywhere,
and sign-in throttling that counts failures only, so a school's shared address and a targeted owner get in."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.core.cache import cache

from mutiroes.accounts.models import User
from mutiroes.notifications.models import EmailDelivery

pytestmark = pytest.mark.django_db(transaction=True)  # the worker thread reads committed rows

AUTH = "/api/v1/auth"
ME = "/api/v1/users/me"
PASSWORD = "Mutir@o-forte-2024"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def _token(client, login, password=PASSWORD, address="10.0.0.1"):
    return client.post(
        f"{AUTH}/token", {"username": login, "password": password}, content_type="application/json", REMOTE_ADDR=address
    )


def _bearer(token):
    return {"Authorization": f"Bearer {token}"}


def _reset_link(user) -> dict[str, str]:
    [message] = [m for m in mail.outbox if user.email in m.to and "senha" in m.subject]
    link = re.search(r"http\S+/redefinir-senha\?\S+", message.body).group(0)
    query = parse_qs(urlsplit(link).query)
    return {"uid": query["uid"][0], "token": query["token"][0]}


def test_thirty_people_behind_one_address_all_sign_in_within_a_minute(client, user_factory, settings):
    settings.LOGIN_THROTTLE = "5/m"
    students = user_factory.create_batch(30, password=PASSWORD)
    statuses = [_token(client, s.username, address="10.9.9.9").status_code for s in students]
    assert statuses == [200] * 30


def test_failed_attempts_from_one_address_are_throttled(client, user_factory, settings):
    settings.LOGIN_THROTTLE = "3/m"
    victims = user_factory.create_batch(4, password=PASSWORD)
    statuses = [_token(client, v.username, "errada", address="10.6.6.6").status_code for v in victims]
    assert statuses == [401, 401, 401, 429]


def test_username_and_email_share_the_account_bucket(client, user_factory, settings):
    settings.LOGIN_THROTTLE = "2/m"
    owner = user_factory(username="maria", email="maria@example.org", password=PASSWORD)
    assert _token(client, "maria", "x", address="10.0.0.2").status_code == 401
    assert _token(client, "MARIA@example.org", "y", address="10.0.0.3").status_code == 401
    assert _token(client, owner.username, address="10.0.0.4").status_code == 429


def test_an_attacker_cannot_keep_the_owner_out_after_a_reset(client, user_factory, settings, run_jobs):
    settings.LOGIN_THROTTLE = "3/m"
    owner = user_factory(username="ana", email="ana@example.org", password=PASSWORD)
    for n in range(6):  # from many addresses: the per-account bucket fills
        _token(client, "ana", f"chute-{n}", address=f"10.5.5.{n}")
    assert _token(client, "ana", address="10.1.2.3").status_code == 429

    response = client.post(f"{AUTH}/password/reset", {"email": "ANA@example.org"}, content_type="application/json")
    assert response.status_code == 202
    run_jobs()
    new_password = "Nova-senha-de-volta-2026"
    confirm = client.post(
        f"{AUTH}/password/reset/confirm", {**_reset_link(owner), "new_password": new_password},
        content_type="application/json",
    )  # fmt: skip
    assert confirm.status_code == 204, confirm.content
    assert _token(client, "ana", new_password, address="10.1.2.3").status_code == 200


def test_the_reset_answer_is_the_same_whether_or_not_the_address_exists(client, user_factory, run_jobs):
    user_factory(email="existe@example.org")
    answers = [
        client.post(f"{AUTH}/password/reset", {"email": email}, content_type="application/json")
        for email in ("existe@example.org", "nao-existe@example.org")
    ]
    assert [(a.status_code, a.content) for a in answers] == [(202, b""), (202, b"")]
    run_jobs()
    assert [m.to for m in mail.outbox] == [["existe@example.org"]]
    assert EmailDelivery.objects.get().kind == "password_reset"


def test_a_reset_link_works_once_and_revokes_every_session(client, user_factory, run_jobs):
    user = user_factory(password=PASSWORD)
    before = _token(client, user.username).json()
    client.post(f"{AUTH}/password/reset", {"email": user.email}, content_type="application/json")
    run_jobs()
    link = _reset_link(user)

    first = client.post(
        f"{AUTH}/password/reset/confirm", {**link, "new_password": "Outra-senha-boa-1"}, content_type="application/json"
    )
    again = client.post(
        f"{AUTH}/password/reset/confirm", {**link, "new_password": "Outra-senha-boa-2"}, content_type="application/json"
    )

    assert first.status_code == 204
    assert (again.status_code, again.json()["code"]) == (422, "invalid_reset_token")
    assert client.get(ME, headers=_bearer(before["access"])).status_code == 401
    refreshed = client.post(f"{AUTH}/token/refresh", {"refresh": before["refresh"]}, content_type="application/json")
    assert refreshed.status_code == 401


def test_password_change_revokes_other_sessions_and_keeps_this_one(client, user_factory):
    user = user_factory(password=PASSWORD)
    other = _token(client, user.username, address="10.0.0.7").json()
    mine = _token(client, user.username, address="10.0.0.8").json()
    wrong = client.post(
        f"{AUTH}/password/change", {"current_password": "errada", "new_password": "Nova-senha-boa-9"},
        content_type="application/json", headers=_bearer(mine["access"]),
    )  # fmt: skip
    assert (wrong.status_code, list(wrong.json()["details"]["fields"])) == (422, ["current_password"])

    changed = client.post(
        f"{AUTH}/password/change", {"current_password": PASSWORD, "new_password": "Nova-senha-boa-9"},
        content_type="application/json", headers=_bearer(mine["access"]),
    )  # fmt: skip

    assert changed.status_code == 200
    assert client.get(ME, headers=_bearer(changed.json()["access"])).status_code == 200
    assert client.get(ME, headers=_bearer(other["access"])).status_code == 401
    assert client.get(ME, headers=_bearer(mine["access"])).status_code == 401
    for stale in (other["refresh"], mine["refresh"]):
        response = client.post(f"{AUTH}/token/refresh", {"refresh": stale}, content_type="application/json")
        assert response.status_code == 401
    assert _token(client, user.username, "Nova-senha-boa-9").status_code == 200


def test_weak_new_passwords_are_refused_next_to_the_field(client, user_factory):
    user = user_factory(password=PASSWORD)
    access = _token(client, user.username).json()["access"]
    response = client.post(
        f"{AUTH}/password/change", {"current_password": PASSWORD, "new_password": "12345678"},
        content_type="application/json", headers=_bearer(access),
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["details"]["fields"]["new_password"]
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_passwords_are_taken_exactly_as_typed(client):
    body = {"username": "espaco", "email": "espaco@example.org", "password": "  senha com espaços  "}
    assert client.post(f"{AUTH}/register", body, content_type="application/json").status_code == 201
    assert _token(client, "espaco", "senha com espaços").status_code == 401
    assert _token(client, "espaco", "  senha com espaços  ").status_code == 200
