"""E-mails lead into the web app, and each kind carries a one-click unsubscribe for that kind (RFC 8058)."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail

from mutiroes.accounts.models import NotificationSettings
from mutiroes.events import services as event_services
from mutiroes.impact import services as impact_services

pytestmark = pytest.mark.django_db(transaction=True)  # the worker thread reads committed rows


def test_an_event_email_links_to_the_event_and_unsubscribes_from_its_kind_in_one_click(
    event_factory, user_factory, run_jobs, client, settings
):
    settings.PUBLIC_WEB_URL = "https://mutiroes.example.org"
    event = event_factory()
    volunteer = user_factory()
    event_services.participation_join(event_id=event.pk, user=volunteer)
    run_jobs()

    [message] = [m for m in mail.outbox if volunteer.email in m.to]
    assert f"https://mutiroes.example.org/eventos/{event.pk}" in message.body
    html = message.alternatives[0][0]
    assert f'href="https://mutiroes.example.org/eventos/{event.pk}"' in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = re.fullmatch(r"<(.+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    assert one_click.startswith("https://mutiroes.example.org/api/v1/notifications/unsubscribe?token=")

    # What a mail client does: POST the form body RFC 8058 prescribes to that URL (through the web app's /api).
    path = urlsplit(one_click)
    response = client.post(
        f"{path.path}?{path.query}", "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"kind": "registration"}
    toggles = NotificationSettings.objects.get(user=volunteer)
    assert (toggles.email_registration, toggles.email_reminder) == (False, True)  # only that kind


def test_a_tampered_or_foreign_token_changes_nothing(event_factory, user_factory, run_jobs, client):
    event = event_factory()
    volunteer = user_factory()
    event_services.participation_join(event_id=event.pk, user=volunteer)
    run_jobs()
    [message] = [m for m in mail.outbox if volunteer.email in m.to]
    token = parse_qs(urlsplit(message.extra_headers["List-Unsubscribe"].strip("<>")).query)["token"][0]

    for bad in (token[:-2] + "xx", "not-a-token"):
        response = client.post(f"/api/v1/notifications/unsubscribe?token={bad}")
        assert (response.status_code, response.json()["code"]) == (422, "invalid_unsubscribe_token")
    assert NotificationSettings.objects.get(user=volunteer).email_registration is True


def test_the_monthly_report_email_links_to_the_impact_page_and_its_open_data(user_factory, run_jobs, settings):
    settings.PUBLIC_WEB_URL = "https://mutiroes.example.org"
    staff = user_factory(staff=True)
    impact_services.monthly_report_publish(year=2026, month=10)
    run_jobs()

    [message] = [m for m in mail.outbox if staff.email in m.to]
    csv = "https://mutiroes.example.org/api/v1/impact/monthly.csv?year=2026&month=10"
    assert "https://mutiroes.example.org/impacto" in message.body and csv in message.body
    html = message.alternatives[0][0]
    assert 'href="https://mutiroes.example.org/impacto"' in html and f'href="{csv.replace("&", "&amp;")}"' in html
    assert not re.search(r"(?<![\w/.])/api/", message.body), "a link without the public base URL"


def test_the_plain_text_part_prints_titles_and_names_as_typed_and_the_html_escapes_them(
    event_factory, user_factory, run_jobs
):
    event = event_factory(title="Limpeza & plantio <Rio D'Água>", what_to_bring="Luvas & sacos")
    volunteer = user_factory(first_name="Zé D'Ávila")
    event_services.participation_join(event_id=event.pk, user=volunteer)
    run_jobs()

    [message] = [m for m in mail.outbox if volunteer.email in m.to]
    for typed in ("Limpeza & plantio <Rio D'Água>", "Luvas & sacos", "Olá, Zé D'Ávila!"):
        assert typed in message.body, typed
    assert "&amp;" not in message.body and "&#x27;" not in message.body and "&lt;" not in message.body
    html = message.alternatives[0][0]
    assert "Limpeza &amp; plantio &lt;Rio D&#x27;Água&gt;" in html and "<Rio" not in html
