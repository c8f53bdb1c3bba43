"""User statistics: attendance, hours, organised events and the per-head share of reported impact."""

from datetime import timedelta
from decimal import Decimal

import pytest

from mutiroes.accounts.models import UserStats
from mutiroes.certificates import stats
from mutiroes.core import clock
from mutiroes.events import selectors as event_selectors
from mutiroes.events.models import Event, Participation
from mutiroes.impact.models import EventReport


def _report(event, **fields):
    values = {
        "participants": 0, "hours": Decimal(0), "trash_kg": Decimal(0), "recyclable_kg": Decimal(0),
        "trees_planted": 0, "area_m2": Decimal(0),
    } | fields  # fmt: skip
    return EventReport.objects.create(event=event, **values)


def _stats(user) -> UserStats:
    stats.user_stats_recompute(user_id=user.pk)
    return UserStats.objects.get(user=user)


@pytest.mark.domain
@pytest.mark.django_db
def test_only_checked_in_confirmed_participations_count_as_attended(user_factory, past_event, attend):
    user = user_factory()
    attend(past_event(), user, checked_in=True)
    attend(past_event(), user)  # registered, never came
    attend(past_event(), user, status=Participation.Status.WAITLISTED)
    attend(past_event(status=Event.Status.CANCELLED), user, checked_in=True)
    attend(past_event(), user, checked_in=True, status=Participation.Status.REJECTED)
    assert _stats(user).events_attended == 1


@pytest.mark.domain
@pytest.mark.django_db
def test_hours_are_the_event_duration_without_a_report(user_factory, past_event, attend):
    user = user_factory()
    attend(past_event(hours=3), user, checked_in=True)
    attend(past_event(start_date=clock.now() - timedelta(days=3), hours=1.5), user, checked_in=True)
    attend(past_event(hours=8), user)  # not attended: no hours
    assert _stats(user).hours_volunteered == Decimal("4.50")


@pytest.mark.domain
@pytest.mark.django_db
def test_reported_volunteer_hours_do_not_change_a_persons_hours(user_factory, past_event, attend):
    event = past_event(hours=3)
    people = [user_factory() for _ in range(2)]
    for person in people:
        attend(event, person, checked_in=True)
    # The report's volunteer-hours feed the impact figures; a person's hours are the certificate's: 3.
    _report(event, participants=4, hours=Decimal("10"))
    assert _stats(people[0]).hours_volunteered == Decimal("3.00")


@pytest.mark.domain
@pytest.mark.django_db
def test_a_report_without_hours_falls_back_to_the_duration(user_factory, past_event, attend):
    user = user_factory()
    event = past_event(hours=2)
    attend(event, user, checked_in=True)
    _report(event, participants=10, hours=Decimal(0), trees_planted=10)
    result = _stats(user)
    assert result.hours_volunteered == Decimal("2.00")
    assert result.trees_planted == Decimal("1.00")


@pytest.mark.domain
@pytest.mark.django_db
def test_impact_is_shared_by_the_larger_of_reported_and_checked_in_heads(user_factory, past_event, attend):
    event = past_event()
    walkers = [user_factory() for _ in range(3)]
    for person in walkers:
        attend(event, person, checked_in=True)
    no_show = user_factory()
    attend(event, no_show)
    # The organiser under-reported the people (1), but 3 checked in: each gets a third.
    report = _report(
        event, participants=1, trash_kg=Decimal("30"), recyclable_kg=Decimal("12"), trees_planted=10,
        area_m2=Decimal("300"),
    )  # fmt: skip
    EventReport.objects.filter(pk=report.pk).update(co2e_kg=Decimal("9"))
    result = _stats(walkers[0])
    assert (result.trash_kg, result.recyclable_kg, result.trees_planted, result.area_m2, result.co2e_kg) == (
        Decimal("10.00"), Decimal("4.00"), Decimal("3.33"), Decimal("100.00"), Decimal("3.00"),
    )  # fmt: skip
    assert _stats(no_show).trash_kg == 0
    # Handing out credit never exceeds the report.
    stats.user_stats_recompute_many(user_ids=[w.pk for w in walkers])
    assert sum(UserStats.objects.filter(user__in=walkers).values_list("trash_kg", flat=True)) == Decimal("30.00")


@pytest.mark.domain
@pytest.mark.django_db
def test_uncomputed_co2e_counts_as_zero(user_factory, past_event, attend):
    user = user_factory()
    event = past_event()
    attend(event, user, checked_in=True)
    _report(event, participants=1, trash_kg=Decimal("5"))
    assert _stats(user).co2e_kg == 0
    assert _stats(user).trash_kg == Decimal("5.00")


@pytest.mark.domain
@pytest.mark.django_db
def test_events_organised_count_only_those_that_took_place(user_factory, past_event):
    organiser = user_factory()
    past_event(organizer=organiser)
    past_event(organizer=organiser, status=Event.Status.COMPLETED)
    past_event(organizer=organiser, status=Event.Status.CANCELLED)
    past_event(organizer=organiser, status=Event.Status.DRAFT)
    past_event(organizer=organiser, start_date=clock.now() + timedelta(days=3))  # not yet happened
    assert _stats(organiser).events_organized == 2


@pytest.mark.domain
@pytest.mark.django_db
def test_recompute_is_idempotent_and_keeps_one_row(user_factory, past_event, attend):
    user = user_factory()
    attend(past_event(), user, checked_in=True)
    first = _stats(user)
    second = _stats(user)
    fields = stats.STATS_FIELDS
    assert [getattr(first, f) for f in fields] == [getattr(second, f) for f in fields]
    assert UserStats.objects.filter(user=user).count() == 1


@pytest.mark.domain
@pytest.mark.django_db
def test_recompute_follows_changes_down_as_well_as_up(user_factory, past_event, attend):
    user = user_factory()
    participation = attend(past_event(), user, checked_in=True)
    assert _stats(user).events_attended == 1
    participation.delete()
    result = _stats(user)
    assert (result.events_attended, result.hours_volunteered) == (0, 0)


@pytest.mark.domain
@pytest.mark.django_db
def test_a_user_with_nothing_gets_a_zero_row(user_factory):
    result = _stats(user_factory())
    assert [getattr(result, f) for f in stats.STATS_FIELDS] == [0] * len(stats.STATS_FIELDS)


@pytest.mark.domain
@pytest.mark.django_db
def test_unknown_users_are_ignored(user_factory):
    assert stats.user_stats_recompute(user_id=10**12) is None
    assert stats.user_stats_recompute_many(user_ids=[]) == {}


@pytest.mark.domain
@pytest.mark.django_db
def test_recompute_is_set_based(user_factory, past_event, attend, django_assert_max_num_queries):
    users = [user_factory() for _ in range(15)]
    for _ in range(6):
        event = past_event()
        _report(event, participants=20, trash_kg=Decimal("40"))
        for user in users:
            attend(event, user, checked_in=True)
    # A fixed number of statements however many users and events.
    with django_assert_max_num_queries(8):
        result = stats.user_stats_recompute_many(user_ids=[u.pk for u in users])
    assert len(result) == 15
    assert UserStats.objects.get(user=users[0]).trash_kg == Decimal("12.00")  # 6 × 40 / 20


@pytest.mark.domain
@pytest.mark.django_db
def test_current_stats_recompute_only_when_stale(user_factory, past_event, attend, frozen_clock):
    user = user_factory()
    now = clock.now()
    frozen_clock.set(now)
    assert stats.user_stats_current(user_id=user.pk).events_attended == 0
    attend(past_event(start_date=now - timedelta(days=2)), user, checked_in=True)
    assert stats.user_stats_current(user_id=user.pk).events_attended == 0  # fresh row: served as is
    frozen_clock.set(now + stats.STATS_MAX_AGE + timedelta(seconds=1))
    assert stats.user_stats_current(user_id=user.pk).events_attended == 1


@pytest.mark.django_db
def test_get_my_stats(user_factory, past_event, attend, api_client):
    user = user_factory()
    attend(past_event(hours=4), user, checked_in=True)
    response = api_client.get("/api/v1/users/me/stats", user=user)
    assert response.status_code == 200
    body = response.json()
    assert body["events_attended"] == 1
    assert Decimal(body["hours_volunteered"]) == Decimal("4")
    assert set(body) == {*stats.STATS_FIELDS, "computed_at"}


@pytest.mark.django_db
def test_my_stats_require_authentication(api_client):
    assert api_client.get("/api/v1/users/me/stats").status_code == 401


@pytest.mark.domain
@pytest.mark.django_db
def test_event_people_are_its_checked_in_participants_and_organiser(user_factory, past_event, attend):
    event = past_event()
    came, did_not = user_factory(), user_factory()
    attend(event, came, checked_in=True)
    attend(event, did_not)
    assert event_selectors.event_people(event_ids=[event.pk]) == sorted([came.pk, event.organizer_id])
