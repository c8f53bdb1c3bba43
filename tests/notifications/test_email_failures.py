"""E-mails the SMTP server (a real aiosmtpd sink) refuses: a 5xx is final at once, a 4xx is retried until the
job's retries run out; either way the delivery is recorded failed with its error, for staff to see."""

import smtplib
from dataclasses import replace

import pytest
from django.contrib.admin.sites import site
from django.test import Client

from mutiroes.events import services as event_services
from mutiroes.infra.email import EmailRefused
from mutiroes.jobs import registry
from mutiroes.notifications.models import EmailDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def _registration(event_factory, user_factory) -> EmailDelivery:
    volunteer = user_factory()
    event_services.participation_join(event_id=event_factory().pk, user=volunteer)
    return volunteer


def test_a_refused_email_is_tried_once_and_recorded_failed(
    event_factory, user_factory, smtp_server, fast_retries, run_jobs
):
    smtp_server.reply = "550 5.1.1 mailbox unavailable"
    volunteer = _registration(event_factory, user_factory)

    with pytest.raises(EmailRefused):
        run_jobs()  # dead-lettered at once (Dramatiq's throws=), not retried

    delivery = EmailDelivery.objects.get(user_id=volunteer.pk, kind=EmailDelivery.Kind.REGISTRATION)
    assert delivery.status == EmailDelivery.Status.FAILED
    assert delivery.attempts == 1
    assert "550" in delivery.last_error and "mailbox unavailable" in delivery.last_error
    [dead] = fast_retries.dead_letters
    assert dead.actor_name == registry.SEND_EVENT_NOTIFICATION_EMAIL
    assert "retries" not in dead.options  # never sent again
    assert smtp_server.messages == []


def test_an_email_whose_retries_ran_out_is_recorded_failed_with_its_error(
    event_factory, user_factory, smtp_server, fast_retries, run_jobs, monkeypatch
):
    # Three attempts in all (the production policy waits out about an hour of outage).
    actor = fast_retries.get_actor(registry.SEND_EVENT_NOTIFICATION_EMAIL)
    policy = replace(registry.JOBS[registry.SEND_EVENT_NOTIFICATION_EMAIL].retry, transient_retries=2)
    monkeypatch.setitem(actor.options, "retry_when", policy.retry_when)
    smtp_server.reply = "451 4.3.0 try again later"
    volunteer = _registration(event_factory, user_factory)

    with pytest.raises(smtplib.SMTPDataError):
        run_jobs()

    delivery = EmailDelivery.objects.get(user_id=volunteer.pk, kind=EmailDelivery.Kind.REGISTRATION)
    assert delivery.status == EmailDelivery.Status.FAILED
    assert delivery.attempts == 3
    assert "451" in delivery.last_error and "try again later" in delivery.last_error
    [dead] = fast_retries.dead_letters
    assert dead.options["retries"] == 3
    assert smtp_server.messages == []


def test_a_sent_email_counts_its_attempts(event_factory, user_factory, smtp_server, fast_retries, run_jobs):
    smtp_server.reply = "451 4.3.0 try again later"
    volunteer = _registration(event_factory, user_factory)
    actor = fast_retries.get_actor(registry.SEND_EVENT_NOTIFICATION_EMAIL)
    # The server comes back after the first refusal: the retry goes through.
    original = actor.fn

    def flaky(**kwargs):
        try:
            return original(**kwargs)
        finally:
            smtp_server.reply = None

    actor.fn = flaky
    try:
        run_jobs()
    finally:
        actor.fn = original

    delivery = EmailDelivery.objects.get(user_id=volunteer.pk, kind=EmailDelivery.Kind.REGISTRATION)
    assert delivery.status == EmailDelivery.Status.SENT
    assert (delivery.attempts, delivery.last_error) == (2, "")
    assert len(smtp_server.messages) == 1


def test_staff_see_failed_deliveries_and_their_errors_in_the_admin(user_factory):
    delivery = EmailDelivery.objects.create(
        kind=EmailDelivery.Kind.REMINDER, user_id=1, event_id=2, status=EmailDelivery.Status.FAILED, attempts=3,
        last_error="SMTPDataError: (451, b'4.3.0 try again later')",
    )  # fmt: skip
    assert EmailDelivery in site._registry
    staff = Client()
    staff.force_login(user_factory(staff=True, is_superuser=True))

    page = staff.get("/admin/notifications/emaildelivery/?status__exact=failed").content.decode()

    assert f"/admin/notifications/emaildelivery/{delivery.pk}/change/" in page
    assert "4.3.0 try again later" in page
