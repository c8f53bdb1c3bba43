"""Certificates as records: one per person and event under concurrent first downloads, read-only in the admin,
in the holder's LGPD export."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from mutiroes.certificates import services
from mutiroes.certificates.models import Certificate, HoursAdjustment
from mutiroes.privacy import lgpd
from tests import factories


def _in_thread(fn):
    try:
        return fn()
    finally:
        connection.close()


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_downloads_issue_one_certificate(attended, volunteer):
    assert connection.vendor == "postgresql", "the partial unique index is what is tested"

    def issue(_):
        return _in_thread(lambda: services.certificate_issue(event_id=attended.event_id, user=volunteer).code)

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = set(pool.map(issue, range(16)))
    assert len(codes) == 1
    assert Certificate.objects.filter(event=attended.event, user=volunteer).count() == 1


@pytest.mark.django_db
def test_the_admin_shows_certificates_and_adjustments_and_changes_nothing(client, attended, volunteer, organiser):
    certificate = services.certificate_issue(event_id=attended.event_id, user=volunteer)
    services.hours_adjust(
        event_id=attended.event_id, participation_id=attended.pk, user=organiser, hours=Decimal(2), reason="saiu cedo"
    )
    client.force_login(factories.UserFactory(is_staff=True, is_superuser=True))
    for model in (Certificate, HoursAdjustment):
        assert client.get(reverse(f"admin:certificates_{model._meta.model_name}_changelist")).status_code == 200
    page = client.get(reverse("admin:certificates_certificate_change", args=[certificate.pk]))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(reverse("admin:certificates_certificate_delete", args=[certificate.pk])).status_code == 403


@pytest.mark.django_db
def test_the_holders_export_lists_their_certificates(attended, volunteer, organiser):
    certificate = services.certificate_issue(event_id=attended.event_id, user=volunteer)
    services.hours_adjust(
        event_id=attended.event_id, participation_id=attended.pk, user=organiser, hours=Decimal(2), reason="saiu cedo"
    )
    services.certificate_revoke(event_id=attended.event_id, participation_id=attended.pk, user=organiser, reason="x")
    exported = lgpd.user_export(user=volunteer)
    assert {row["code"] for row in exported["certificates"]} >= {certificate.code}
    assert len(exported["certificates"]) == Certificate.objects.filter(user=volunteer).count() == 2
    # The organiser's export does not carry other people's certificates or adjustments they made.
    assert not [label for label in lgpd.user_export(user=organiser)["other"] if label.startswith("certificates.")]
