"""Hours from the check-in ledger (capped at 12 a local day), the organiser's recorded adjustments, and the
same figure in the certificate and the stats."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutiroes.certificates import badges, codes
from mutiroes.certificates.hours import duration_hours
from mutiroes.certificates.models import Certificate, HoursAdjustment
from mutiroes.jobs import registry
from mutiroes.jobs.models import OutboxMessage
from tests.certificates.pdf import pdf_text
from tests.support.api import assert_error

SP = ZoneInfo("America/Sao_Paulo")


def _sp(*args: int) -> datetime:
    return datetime(*args, tzinfo=SP)


@pytest.mark.domain
@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (_sp(2026, 3, 7, 8), _sp(2026, 3, 7, 11), "3.00"),
        (_sp(2026, 3, 7, 8), _sp(2026, 3, 7, 8, 20), "0.33"),
        (_sp(2026, 3, 7, 6), _sp(2026, 3, 7, 22), "12.00"),  # 16 h in one day: 12
        (_sp(2026, 3, 7, 8), _sp(2026, 3, 8, 18), "24.00"),  # Saturday 16 h -> 12, Sunday 18 h -> 12
        (_sp(2026, 3, 7, 22), _sp(2026, 3, 8, 2), "4.00"),  # across midnight, both days under the cap
        (_sp(2026, 3, 7, 22), _sp(2026, 3, 8, 2).astimezone(ZoneInfo("UTC")), "4.00"),  # any zone in, same hours
    ],
)
def test_hours_are_the_duration_capped_at_12_a_local_day(start, end, hours):
    assert duration_hours(start=start, end=end) == Decimal(hours)


@pytest.mark.domain
def test_the_check_symbol_catches_any_one_mistyped_symbol_and_swapped_neighbours():
    code = codes.code_new()
    assert len(code) == 27 and codes.code_normalise(codes.code_display(code).lower()) == code
    for position in range(len(code)):
        for symbol in codes.ALPHABET:
            if symbol != code[position]:
                with pytest.raises(codes.MistypedCode):
                    codes.code_normalise(code[:position] + symbol + code[position + 1 :])
    swaps = [code[:i] + code[i + 1] + code[i] + code[i + 2 :] for i in range(len(code) - 1) if code[i] != code[i + 1]]
    caught = 0
    for swapped in swaps:
        try:
            codes.code_normalise(swapped)
        except codes.MistypedCode:
            caught += 1
    assert caught >= len(swaps) - 2  # Luhn misses only a few symbol pairs (e.g. 0 and Z)


@pytest.mark.django_db
def test_an_adjustment_is_recorded_and_shows_in_the_certificate_and_the_stats(
    api_client, attended, volunteer, organiser
):
    event = attended.event
    url = f"/api/v1/events/{event.pk}/participants/{attended.pk}/hours"
    assert api_client.get("/api/v1/users/me/stats", user=volunteer).json()["hours_volunteered"] == "3.00"
    first = api_client.get(f"/api/v1/events/{event.pk}/certificate.pdf", user=volunteer)
    assert "3 horas" in pdf_text(first.content)

    response = api_client.put(url, {"hours": "4.5", "reason": "ficou para a triagem dos recicláveis"}, user=organiser)
    assert response.status_code == 200, response.content
    row = response.json()
    assert row["hours"] == "4.50" and row["certificate"]["status"] == "revoked"
    (adjustment,) = row["adjustments"]
    assert (adjustment["hours_from"], adjustment["hours_to"], adjustment["adjusted_by"]["id"]) == (
        "3.00", "4.50", organiser.pk,
    )  # fmt: skip
    assert adjustment["reason"] == "ficou para a triagem dos recicláveis" and adjustment["adjusted_at"]
    stored = HoursAdjustment.objects.get()
    assert (stored.adjusted_by, stored.hours_from, stored.hours_to) == (organiser, Decimal("3.00"), Decimal("4.50"))

    assert api_client.get("/api/v1/users/me/stats", user=volunteer).json()["hours_volunteered"] == "4.50"
    second = api_client.get(f"/api/v1/events/{event.pk}/certificate.pdf", user=volunteer)
    assert "4,5 horas" in pdf_text(second.content)
    # The first certificate stated 3 hours: it now reads as revoked (replaced), the new one as valid.
    old, new = Certificate.objects.order_by("id")
    assert old.revocation == Certificate.Revocation.REPLACED and new.revoked_at is None and new.hours == Decimal("4.5")
    listed = api_client.get(f"/api/v1/events/{event.pk}/hours", user=organiser).json()["items"]
    assert [(r["participation_id"], r["hours"]) for r in listed] == [(attended.pk, "4.50")]


@pytest.mark.django_db
def test_adjustments_follow_the_rules(api_client, attended, attend, volunteer, organiser, user_factory, frozen_clock):
    event = attended.event
    url = f"/api/v1/events/{event.pk}/participants/{attended.pk}/hours"
    body = {"hours": "2", "reason": "saiu mais cedo"}
    assert_error(api_client.put(url, body, user=volunteer), 403)
    assert_error(api_client.put(url, body, user=user_factory()), 403)
    assert_error(api_client.put(url, {"hours": "13", "reason": "muito"}, user=organiser), 422)  # over 12 in one day
    assert_error(api_client.put(url, {"hours": "2"}, user=organiser), 422)  # a reason is required
    absent = attend(event, user_factory())
    no_show = f"/api/v1/events/{event.pk}/participants/{absent.pk}/hours"
    assert assert_error(api_client.put(no_show, body, user=organiser), 409)["code"] == "not_checked_in"
    other = attend(event, user_factory(), checked_in=True)
    revoke = f"/api/v1/events/{event.pk}/participants/{other.pk}/certificate/revoke"
    assert api_client.post(revoke, {"reason": "fraude"}, user=organiser).status_code == 200
    revoked_url = f"/api/v1/events/{event.pk}/participants/{other.pk}/hours"
    assert assert_error(api_client.put(revoked_url, body, user=organiser), 409)["code"] == "certificate_revoked"
    frozen_clock.set(event.end_date + timedelta(days=30, minutes=1))
    assert assert_error(api_client.put(url, body, user=organiser), 409)["code"] == "adjustment_window_closed"
    assert not HoursAdjustment.objects.exists()


@pytest.mark.domain
@pytest.mark.django_db
def test_without_a_check_in_there_are_no_hours(api_client, past_event, attend, volunteer):
    attend(past_event(), volunteer)
    assert Decimal(api_client.get("/api/v1/users/me/stats", user=volunteer).json()["hours_volunteered"]) == 0
    listed = api_client.get("/api/v1/users/me/certificates", user=volunteer).json()
    assert listed["items"] == []


@pytest.mark.django_db
def test_the_organisers_list_costs_the_same_queries_for_any_number_of_participants(
    api_client, attended, attend, organiser, user_factory
):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get(f"/api/v1/events/{attended.event_id}/hours", user=organiser)
        assert response.status_code == 200
        return len(captured)

    api_client.get(f"/api/v1/events/{attended.event_id}/hours", user=organiser)  # warm the token's user lookup
    few = queries()
    for _ in range(8):
        attend(attended.event, user_factory(), checked_in=True)
    listed = api_client.get(f"/api/v1/events/{attended.event_id}/hours", user=organiser).json()
    assert len(listed["items"]) == 9 and all(row["hours"] == "3.00" for row in listed["items"])
    assert queries() == few


@pytest.mark.django_db
def test_badges_count_the_adjusted_hours(api_client, attended, volunteer, organiser):
    url = f"/api/v1/events/{attended.event_id}/participants/{attended.pk}/hours"
    assert {b.badge.slug for b in badges.badges_award(user_id=volunteer.pk)} == {"primeiro-mutirao"}  # 3 hours
    response = api_client.put(url, {"hours": "10", "reason": "montou e desmontou a estrutura"}, user=organiser)
    assert response.status_code == 200, response.content
    # The adjustment asks for the badge job; the job reads the stats the adjustment already stored.
    assert OutboxMessage.objects.filter(actor_name=registry.CHECK_AND_AWARD_BADGES, kwargs__user_id=volunteer.pk)
    awarded = badges.badges_award(user_id=volunteer.pk, recompute=False)
    assert {b.badge.slug for b in awarded} == {"dez-horas-de-dedicacao"}
