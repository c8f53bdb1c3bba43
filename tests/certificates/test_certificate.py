"""An event's certificate end to end over HTTP: the PDF (its text and QR code read back), public verification,
who gets none, revocation and account deletion."""

import io
from decimal import Decimal
from urllib.parse import urlparse

import pypdf
import pytest
from django.conf import settings
from django.utils import timezone

from mutiroes.certificates.models import Certificate
from mutiroes.certificates.pdf import long_date
from tests.certificates.pdf import pdf_qr_codes, pdf_text
from tests.support.api import assert_error

pytestmark = pytest.mark.django_db

VERIFY = "/api/v1/certificates"


def _download(api_client, event, user):
    return api_client.get(f"/api/v1/events/{event.pk}/certificate.pdf", user=user)


def _verify(api_client, url_or_code, **environ):
    code = urlparse(url_or_code).path.rsplit("/", 1)[-1]
    return api_client.client.get(f"{VERIFY}/{code}", **environ)  # anonymous: no Authorization header


def _verification_url(api_client, event, user) -> str:
    response = _download(api_client, event, user)
    assert response.status_code == 200, response.content
    (url,) = pdf_qr_codes(response.content)
    return url


def test_the_pdf_states_the_facts_and_its_qr_code_leads_to_them(api_client, attended, volunteer):
    event = attended.event
    response = _download(api_client, event, volunteer)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    text = pdf_text(response.content)
    certificate = Certificate.objects.get(event=event, user=volunteer)
    url = f"{settings.PUBLIC_WEB_URL}/certificados/{'-'.join(certificate.code[i : i + 4] for i in range(0, 27, 4))}"
    for fact in ("Mutirões", "CERTIFICADO DE VOLUNTARIADO", "Joana da Silva Pereira", "Limpeza da Praia de Boa Viagem",
                 "Recife/PE", "Beatriz Organizadora", "3 horas", url):  # fmt: skip
        assert fact in text, (fact, text)
    assert pdf_qr_codes(response.content) == [url]
    # A second download is the same certificate, not a new code.
    assert pdf_qr_codes(_download(api_client, event, volunteer).content) == [url]
    assert Certificate.objects.filter(event=event, user=volunteer).count() == 1


def test_the_verification_url_shows_the_same_facts_to_anyone(api_client, attended, volunteer):
    url = _verification_url(api_client, attended.event, volunteer)
    response = _verify(api_client, url)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "valid" and body["status_label"] == "válido"
    assert body["verification_url"] == url
    assert (body["holder_name"], body["event_title"], body["city"], body["state"], body["organizer_name"]) == (
        "Joana da Silva Pereira", "Limpeza da Praia de Boa Viagem", "Recife", "PE", "Beatriz Organizadora",
    )  # fmt: skip
    assert body["hours"] == "3.00"
    assert volunteer.email not in response.content.decode() and "username" not in body
    # Typed from paper: lower case, without dashes, O for 0 and l for 1 all find it.
    code = urlparse(url).path.rsplit("/", 1)[-1]
    typed = code.replace("-", "").lower().replace("0", "o").replace("1", "l")
    assert _verify(api_client, typed).json()["holder_name"] == "Joana da Silva Pereira"


def test_unknown_and_mistyped_codes_are_404(api_client, attended, volunteer):
    url = _verification_url(api_client, attended.event, volunteer)
    code = urlparse(url).path.rsplit("/", 1)[-1].replace("-", "")
    wrong_symbol = code[:5] + ("A" if code[5] != "A" else "B") + code[6:]
    assert assert_error(_verify(api_client, wrong_symbol), 404)["details"]["mistyped"] is True
    assert assert_error(_verify(api_client, "0" * 27), 404)["code"] == "certificate_not_found"
    assert_error(_verify(api_client, "not-a-code"), 404)


def test_no_check_in_no_certificate_and_nobody_else_gets_it(api_client, attended, attend, user_factory, volunteer):
    event = attended.event
    came_not = user_factory()
    attend(event, came_not)  # registered, never checked in
    assert_error(_download(api_client, event, came_not), 404)
    assert_error(_download(api_client, event, user_factory()), 404)  # a stranger: only one's own certificate
    assert_error(_download(api_client, event, event.organizer), 404)
    assert not Certificate.objects.exclude(user=volunteer).exists()
    assert_error(api_client.get(f"/api/v1/events/{event.pk}/certificate.pdf"), 401)


def test_no_certificate_before_the_event_ends(api_client, past_event, attend, volunteer, frozen_clock):
    event = past_event()
    attend(event, volunteer, checked_in=True)
    frozen_clock.set(event.end_date - (event.end_date - event.start_date) / 2)
    assert assert_error(_download(api_client, event, volunteer), 409)["code"] == "event_not_ended"


def test_revoked_by_the_organiser_it_reads_revogado_and_cannot_be_downloaded(
    api_client, attended, volunteer, organiser, user_factory
):
    event = attended.event
    url = _verification_url(api_client, event, volunteer)
    revoke = f"/api/v1/events/{event.pk}/participants/{attended.pk}/certificate/revoke"
    assert_error(api_client.post(revoke, {"reason": "não era eu"}, user=volunteer), 403)
    assert_error(api_client.post(revoke, {"reason": "check-in feito por outra pessoa"}, user=user_factory()), 403)
    response = api_client.post(revoke, {"reason": "check-in feito por outra pessoa"}, user=organiser)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "revoked" and response.json()["revocation"] == "organizer"

    body = _verify(api_client, url).json()
    assert body["status_label"] == "revogado" and body["revoked_at"]
    assert body["holder_name"] is None and body["event_title"] is None and body["hours"] is None
    assert assert_error(_download(api_client, event, volunteer), 409)["code"] == "certificate_revoked"
    # Revoked hours are not the volunteer's hours any more.
    assert Decimal(api_client.get("/api/v1/users/me/stats", user=volunteer).json()["hours_volunteered"]) == 0
    # Again: the same answer, nothing new.
    assert api_client.post(revoke, {"reason": "de novo"}, user=organiser).status_code == 200
    assert Certificate.objects.filter(event=event).count() == 1


def test_staff_can_revoke_a_certificate_never_downloaded(api_client, attended, volunteer, user_factory):
    event = attended.event
    revoke = f"/api/v1/events/{event.pk}/participants/{attended.pk}/certificate/revoke"
    assert api_client.post(revoke, {"reason": "fraude"}, user=user_factory(staff=True)).status_code == 200
    assert assert_error(_download(api_client, event, volunteer), 409)["code"] == "certificate_revoked"


def test_after_the_holders_account_deletion_it_reads_revogado_without_a_name(api_client, attended, volunteer):
    url = _verification_url(api_client, attended.event, volunteer)
    response = api_client.delete("/api/v1/users/me", {"password": "mutirao-na-praia-2024"}, user=volunteer)
    assert response.status_code == 204, response.content
    response = _verify(api_client, url)
    assert response.status_code == 200
    body = response.json()
    assert body["status_label"] == "revogado" and body["revoked_at"]
    assert "Joana" not in response.content.decode()
    assert Certificate.objects.get().holder_name == ""


def test_lookups_are_throttled_per_address(api_client, attended, volunteer, settings):
    settings.CERTIFICATE_LOOKUP_THROTTLE = "3/m"
    url = _verification_url(api_client, attended.event, volunteer)
    statuses = [_verify(api_client, url, REMOTE_ADDR="10.2.2.1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert _verify(api_client, url, REMOTE_ADDR="10.2.2.2").status_code == 200


def test_cancelling_an_event_that_took_place_revokes_its_certificates(api_client, attended, volunteer, organiser):
    url = _verification_url(api_client, attended.event, volunteer)
    assert api_client.post(f"/api/v1/events/{attended.event_id}/cancel", user=organiser).status_code == 200
    assert _verify(api_client, url).json()["status_label"] == "revogado"
    assert Certificate.objects.get().revocation == Certificate.Revocation.EVENT_CANCELLED
    assert_error(_download(api_client, attended.event, volunteer), 404)  # a cancelled event gives no hours


def test_the_pdf_is_a_dated_a4_page_and_keeps_the_name_it_was_issued_with(api_client, attended, volunteer):
    event = attended.event
    content = _download(api_client, event, volunteer).content
    (page,) = pypdf.PdfReader(io.BytesIO(content)).pages
    assert sorted(round(float(side)) for side in (page.mediabox.width, page.mediabox.height)) == [595, 842]  # A4
    text = pdf_text(content)
    certificate = Certificate.objects.get(event=event, user=volunteer)
    assert f"{timezone.localtime(event.start_date):%d/%m/%Y}" in text
    assert f"Emitido em {long_date(timezone.localtime(certificate.issued_at).date())}." in text
    # The name is the profile's at the time of issue: a later change does not rewrite the issued certificate.
    volunteer.first_name, volunteer.last_name = "Joana", "Pereira Santos"
    volunteer.save()
    again = pdf_text(_download(api_client, event, volunteer).content)
    assert "Joana da Silva Pereira" in again and "Pereira Santos" not in again
    url = pdf_qr_codes(content)[0]
    assert _verify(api_client, url).json()["holder_name"] == "Joana da Silva Pereira"


@pytest.mark.parametrize(("first", "last"), [("", ""), ("Joana", ""), ("", "Pereira"), ("Joana", "  ")])
def test_a_profile_without_the_full_name_is_told_to_fill_it_in_first(
    api_client, attended, attend, user_factory, first, last
):
    partly_named = user_factory(first_name=first, last_name=last)
    attend(attended.event, partly_named, checked_in=True)
    response = _download(api_client, attended.event, partly_named)
    assert assert_error(response, 409)["code"] == "full_name_required"
    assert not Certificate.objects.filter(user=partly_named).exists()
    # Once both names are in the profile, the certificate is issued with them.
    partly_named.first_name, partly_named.last_name = "Joana", "Pereira"
    partly_named.save()
    assert _download(api_client, attended.event, partly_named).status_code == 200
    assert Certificate.objects.get(user=partly_named).holder_name == "Joana Pereira"
