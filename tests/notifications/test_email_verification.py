"""E-mail verification: one link at registration (sent once, whatever the job does twice), a new one on request
(throttled), the web app's page as the link, expiry and a changed address, and what an unverified account can do:
everything but organising events (403 email_not_verified)."""

import re
import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from mutiroes.accounts.models import User
from mutiroes.core import clock
from mutiroes.notifications.models import EmailDelivery
from mutiroes.notifications.services import notification_send
from tests.support.api import event_payload

pytestmark = pytest.mark.django_db(transaction=True)  # the worker thread reads committed rows

AUTH = "/api/v1/auth"
PASSWORD = "Mutir@o-forte-2024"


def _register(api_client, username="bia", **fields):
    body = {"username": username, "email": f"{username}@example.org", "password": PASSWORD} | fields
    response = api_client.post(f"{AUTH}/register", body)
    assert response.status_code == 201, response.content
    return User.objects.get(username=username)


def _links(user) -> list[str]:
    bodies = [m.body for m in mail.outbox if m.to == [user.email] and "Confirme seu e-mail" in m.subject]
    return [re.search(r"http\S+/verificar-email\?\S+", body).group(0) for body in bodies]


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _verify(api_client, token):
    return api_client.post(f"{AUTH}/email/verify", {"token": token})


def test_registration_sends_one_link_to_the_web_apps_page(api_client, run_jobs, settings):
    settings.PUBLIC_WEB_URL = "https://mutiroes.example.org"
    user = _register(api_client)
    run_jobs()
    [delivery] = EmailDelivery.objects.filter(kind="email_verification")
    # The job delivered again (a redelivery, a second relay): the key keeps it to one e-mail.
    notification_send(event_id=0, user_id=user.pk, kind="email_verification", period=delivery.period)
    [link] = _links(user)
    assert link.startswith("https://mutiroes.example.org/verificar-email?token=")
    assert (delivery.status, delivery.user_id) == ("sent", user.pk)
    assert not api_client.get("/api/v1/users/me", user=user).json()["email_verified"]

    assert _verify(api_client, _token(link)).status_code == 204
    assert _verify(api_client, _token(link)).status_code == 204  # opened twice: still fine, nothing changes
    user.refresh_from_db()
    assert user.email_verified_at is not None
    assert api_client.get("/api/v1/users/me", user=user).json()["email_verified"]


def test_an_unverified_account_joins_events_but_cannot_organise(api_client, run_jobs, event_factory):
    user = _register(api_client)
    event = event_factory(status="published")
    assert api_client.post(f"/api/v1/events/{event.pk}/join", {}, user=user).status_code == 201
    refused = api_client.post("/api/v1/events", event_payload(), user=user)
    assert (refused.status_code, refused.json()["code"]) == (403, "email_not_verified")

    run_jobs()
    [link] = _links(user)
    _verify(api_client, _token(link))
    assert api_client.post("/api/v1/events", event_payload(), user=user).status_code == 201


def test_a_new_link_on_request_and_the_resend_is_throttled(api_client, run_jobs, settings, frozen_clock):
    settings.EMAIL_VERIFICATION_RESEND_THROTTLE = "2/h"
    start = clock.now()
    user = _register(api_client)
    statuses = []
    for minute in range(3):
        frozen_clock.set(start + timedelta(minutes=minute + 1))
        statuses.append(api_client.post(f"{AUTH}/email/verify/resend", user=user).status_code)
    assert statuses == [202, 202, 429]
    run_jobs()
    links = _links(user)
    assert len(links) == 3  # registration and two resends
    assert _verify(api_client, _token(links[-1])).status_code == 204


def test_a_verified_account_asking_again_gets_no_mail(api_client, run_jobs, user_factory):
    user = user_factory()  # verified
    assert api_client.post(f"{AUTH}/email/verify/resend", user=user).status_code == 202
    run_jobs()
    assert not EmailDelivery.objects.exists() and not mail.outbox


def test_expired_tampered_and_stale_links_are_refused(api_client, run_jobs, settings, monkeypatch):
    user = _register(api_client)
    run_jobs()
    [link] = _links(user)
    token = _token(link)
    for bad in (token[:-2] + "xx", "nada", token + "a"):
        body = _verify(api_client, bad).json()
        assert body["code"] == "invalid_verification_token"
    later = time.time() + settings.EMAIL_VERIFICATION_TIMEOUT_S + 60
    with monkeypatch.context() as patched:
        patched.setattr("django.core.signing.time", SimpleNamespace(time=lambda: later))  # the signature's clock
        assert _verify(api_client, token).status_code == 422
    User.objects.filter(pk=user.pk).update(email="outra@example.org")  # the link was for the old address
    assert _verify(api_client, token).status_code == 422
    user.refresh_from_db()
    assert user.email_verified_at is None


def test_an_unverified_link_e_mail_is_skipped_once_the_account_is_verified(api_client, run_jobs, settings):
    user = _register(api_client)
    User.objects.filter(pk=user.pk).update(email_verified_at=clock.now())
    run_jobs()
    assert EmailDelivery.objects.get().status == "skipped"
    assert not mail.outbox
