"""Event rules: creation checks, publishing, age limits from the birth date, registration deadline, deletion."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from mutiroes.core import clock
from mutiroes.core.exceptions import InvalidState, ValidationFailed
from mutiroes.events.models import Category, Event, Participation
from mutiroes.events.services import (
    event_cancel,
    event_create,
    event_delete,
    event_publish,
    event_update,
    participation_join,
)

pytestmark = [pytest.mark.domain, pytest.mark.django_db]


def _set_birth_date(user, born: date | None):
    user.profile.birth_date = born
    user.profile.save()
    return user


def _event_data(**overrides):
    category, _ = Category.objects.get_or_create(slug="plantio", defaults={"name": "Plantio"})
    start = clock.now() + timedelta(days=10)
    data = {
        "title": "Plantio no parque",
        "description": "Mudas nativas",
        "category_id": category.pk,
        "address": "Parque do Ibirapuera",
        "city": "São Paulo",
        "state": "SP",
        "latitude": -23.5874,
        "longitude": -46.6576,
        "start_date": start,
        "end_date": start + timedelta(hours=3),
        "max_participants": 20,
        "status": "draft",
    }
    return data | overrides


# --- creation -------------------------------------------------------------------------------------


def test_create_stores_the_event_for_its_organizer(user_factory):
    organizer = user_factory()
    event = event_create(organizer=organizer, data=_event_data(status="published"))
    row = Event.objects.get(pk=event.pk)
    assert (row.organizer_id, row.status, row.title) == (organizer.pk, "published", "Plantio no parque")
    assert row.check_in_code


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end_date_offset": timedelta(0)}, "end_date"),
        ({"end_date_offset": timedelta(hours=-1)}, "end_date"),
        ({"deadline_offset": timedelta(minutes=1)}, "registration_deadline"),
        ({"min_age": 18, "max_age": 16}, "max_age"),
        ({"category_id": 99_999_999}, "category_id"),
    ],
)
def test_create_rejects_inconsistent_events(user_factory, overrides, field):
    overrides = dict(overrides)
    data = _event_data()
    if "end_date_offset" in overrides:
        data["end_date"] = data["start_date"] + overrides.pop("end_date_offset")
    if "deadline_offset" in overrides:
        data["registration_deadline"] = data["start_date"] + overrides.pop("deadline_offset")
    data |= overrides
    with pytest.raises(ValidationFailed) as excinfo:
        event_create(organizer=user_factory(), data=data)
    assert field in excinfo.value.details
    assert not Event.objects.exists()


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_create_only_as_draft_or_published(user_factory, status):
    with pytest.raises(ValidationFailed):
        event_create(organizer=user_factory(), data=_event_data(status=status))
    assert not Event.objects.exists()


def test_cannot_create_a_published_event_in_the_past(user_factory):
    start = clock.now() - timedelta(hours=1)
    with pytest.raises(ValidationFailed):
        event_create(
            organizer=user_factory(),
            data=_event_data(status="published", start_date=start, end_date=start + timedelta(hours=3)),
        )
    assert not Event.objects.exists()


def test_update_rejects_end_before_start(event_factory):
    event = event_factory(status="published")
    with pytest.raises(ValidationFailed):
        event_update(event_id=event.id, user=event.organizer, data={"end_date": event.start_date})
    before = event.end_date
    event.refresh_from_db()
    assert event.end_date == before


def test_cancelled_event_cannot_be_edited(event_factory):
    event = event_factory(status="cancelled", title="Antes")
    with pytest.raises(InvalidState):
        event_update(event_id=event.id, user=event.organizer, data={"title": "Depois"})
    event.refresh_from_db()
    assert event.title == "Antes"


# --- publishing, cancelling, deleting ---------------------------------------------------------------


def test_publish_a_draft_in_the_past_is_refused(event_factory, frozen_clock):
    event = event_factory(status="draft")
    frozen_clock.set(event.start_date + timedelta(minutes=1))
    with pytest.raises(InvalidState):
        event_publish(event_id=event.id, user=event.organizer)
    event.refresh_from_db()
    assert event.status == "draft"


def test_cancelled_event_cannot_be_published(event_factory):
    event = event_factory(status="cancelled")
    with pytest.raises(InvalidState):
        event_publish(event_id=event.id, user=event.organizer)
    event.refresh_from_db()
    assert event.status == "cancelled"


def test_cancel_reports_everyone_to_notify(event_factory, user_factory):
    event = event_factory(status="published", max_participants=1)
    holder, waiting, leaver = user_factory(), user_factory(), user_factory()
    participation_join(event_id=event.id, user=leaver)
    from mutiroes.events.services import participation_leave

    participation_leave(event_id=event.id, user=leaver)
    participation_join(event_id=event.id, user=holder)
    participation_join(event_id=event.id, user=waiting)

    result = event_cancel(event_id=event.id, user=event.organizer)
    notified = result[1]

    assert sorted(notified) == sorted([holder.pk, waiting.pk])
    event.refresh_from_db()
    assert event.status == "cancelled"


def test_delete_draft(event_factory):
    event = event_factory(status="draft")
    event_delete(event_id=event.id, user=event.organizer)
    assert not Event.objects.filter(pk=event.pk).exists()


def test_delete_published_event_without_participants(event_factory):
    event = event_factory(status="published")
    event_delete(event_id=event.id, user=event.organizer)
    assert not Event.objects.filter(pk=event.pk).exists()


def test_published_event_with_participants_cannot_be_deleted(event_factory, user_factory):
    event = event_factory(status="published")
    participation_join(event_id=event.id, user=user_factory())
    with pytest.raises(InvalidState):
        event_delete(event_id=event.id, user=event.organizer)
    assert Event.objects.filter(pk=event.pk).exists()
    assert Participation.objects.filter(event=event).count() == 1


def test_published_event_everyone_left_can_be_deleted(event_factory, user_factory):
    from mutiroes.events.services import participation_leave

    event = event_factory(status="published")
    volunteer = user_factory()
    participation_join(event_id=event.id, user=volunteer)
    participation_leave(event_id=event.id, user=volunteer)

    event_delete(event_id=event.id, user=event.organizer)

    assert not Event.objects.filter(pk=event.pk).exists()


def test_a_published_event_cannot_move_into_the_past(event_factory):
    event = event_factory(status="published")
    yesterday = clock.now() - timedelta(days=1)

    with pytest.raises(ValidationFailed):
        event_update(
            event_id=event.id,
            user=event.organizer,
            data={"start_date": yesterday, "end_date": yesterday + timedelta(hours=2)},
        )

    event.refresh_from_db()
    assert event.start_date > clock.now()


# --- age limits -------------------------------------------------------------------------------------


@pytest.fixture
def teen_event(event_factory):
    # Local noon on a day <= 28 of a month a few weeks ahead: "the same day N years earlier" always exists,
    # and the event's day is the same in UTC and in São Paulo, whenever the test runs.
    day = (clock.now() + timedelta(days=30)).date().replace(day=10)
    start = datetime.combine(day, time(12, 0), tzinfo=ZoneInfo("America/Sao_Paulo"))
    return event_factory(
        status="published", min_age=16, max_age=60, start_date=start, end_date=start + timedelta(hours=2)
    )


def _years_before(day: date, years: int, days: int = 0) -> date:
    return date(day.year - years, day.month, min(day.day, 28)) + timedelta(days=days)


@pytest.mark.parametrize(
    ("years", "days", "allowed"),
    [
        (16, 0, True),  # turns 16 on the event day
        (16, 1, False),  # turns 16 the day after the event
        (15, 0, False),
        (30, 0, True),
        (60, 0, True),
        (61, 0, False),  # turns 61 on the event day: too old
        (61, 1, True),  # still 60 on the event day
    ],
)
def test_age_limits_are_checked_from_birth_date_on_the_event_day(teen_event, user_factory, years, days, allowed):
    event_day = teen_event.start_date.astimezone(ZoneInfo("America/Sao_Paulo")).date()
    user = _set_birth_date(user_factory(), _years_before(event_day, years, days))
    if allowed:
        participation, _ = participation_join(event_id=teen_event.id, user=user)
        assert Participation.objects.get(pk=participation.pk).status == "confirmed"
    else:
        with pytest.raises(InvalidState) as excinfo:
            participation_join(event_id=teen_event.id, user=user)
        assert excinfo.value.code == "age_not_allowed"
        assert not Participation.objects.filter(event=teen_event, user=user).exists()


def test_age_limited_event_needs_a_birth_date(teen_event, user_factory):
    user = _set_birth_date(user_factory(), None)
    with pytest.raises(InvalidState) as excinfo:
        participation_join(event_id=teen_event.id, user=user)
    assert excinfo.value.code == "birth_date_required"
    assert not Participation.objects.filter(event=teen_event).exists()


def test_event_without_age_limits_needs_no_birth_date(event_factory, user_factory):
    event = event_factory(status="published", min_age=None, max_age=None)
    user = _set_birth_date(user_factory(), None)
    participation, _ = participation_join(event_id=event.id, user=user)
    assert Participation.objects.get(pk=participation.pk).status == "confirmed"


def test_only_min_age(event_factory, user_factory):
    event = event_factory(status="published", min_age=18, max_age=None)
    old = _set_birth_date(user_factory(), date(1930, 1, 1))
    young = _set_birth_date(user_factory(), clock.now().date() - timedelta(days=365 * 10))
    participation_join(event_id=event.id, user=old)
    with pytest.raises(InvalidState):
        participation_join(event_id=event.id, user=young)
    assert list(Participation.objects.filter(event=event).values_list("user_id", flat=True)) == [old.pk]


# --- registration deadline ----------------------------------------------------------------------------


@pytest.fixture
def deadline_event(event_factory):
    start = clock.now() + timedelta(days=5)
    return event_factory(
        status="published",
        start_date=start,
        end_date=start + timedelta(hours=3),
        registration_deadline=start - timedelta(days=1),
    )


def test_join_before_the_deadline(deadline_event, user_factory, frozen_clock):
    frozen_clock.set(deadline_event.registration_deadline)
    participation, _ = participation_join(event_id=deadline_event.id, user=user_factory())
    assert Participation.objects.get(pk=participation.pk).status == "confirmed"


def test_join_after_the_deadline_is_refused(deadline_event, user_factory, frozen_clock):
    frozen_clock.set(deadline_event.registration_deadline + timedelta(seconds=1))
    with pytest.raises(InvalidState) as excinfo:
        participation_join(event_id=deadline_event.id, user=user_factory())
    assert excinfo.value.code == "registration_closed"
    assert not Participation.objects.filter(event=deadline_event).exists()


def test_without_a_deadline_registration_closes_at_the_start(event_factory, user_factory, frozen_clock):
    start = clock.now() + timedelta(days=2)
    event = event_factory(status="published", start_date=start, end_date=start + timedelta(hours=2))
    frozen_clock.set(start + timedelta(minutes=5))
    with pytest.raises(InvalidState) as excinfo:
        participation_join(event_id=event.id, user=user_factory())
    assert excinfo.value.code == "registration_closed"


def test_rejoin_after_the_deadline_is_refused(deadline_event, user_factory, frozen_clock):
    from mutiroes.events.services import participation_leave

    user = user_factory()
    participation_join(event_id=deadline_event.id, user=user)
    participation_leave(event_id=deadline_event.id, user=user)
    frozen_clock.set(deadline_event.registration_deadline + timedelta(hours=1))
    with pytest.raises(InvalidState):
        participation_join(event_id=deadline_event.id, user=user)
    assert Participation.objects.get(event=deadline_event, user=user).status == "cancelled"


def test_age_uses_the_local_date_of_the_event(event_factory, user_factory):
    # 22:30 in São Paulo is already the next day in UTC; the volunteer turns 16 only on that next day.
    sao_paulo = ZoneInfo("America/Sao_Paulo")
    local_day = (clock.now() + timedelta(days=40)).astimezone(sao_paulo).date().replace(day=10)
    start = datetime.combine(local_day, time(22, 30), tzinfo=sao_paulo)
    event = event_factory(
        status="published", min_age=16, max_age=None, start_date=start, end_date=start + timedelta(hours=1)
    )
    turning_16_next_day = local_day.replace(year=local_day.year - 16) + timedelta(days=1)
    user = _set_birth_date(user_factory(), turning_16_next_day)
    with pytest.raises(InvalidState) as excinfo:
        participation_join(event_id=event.id, user=user)
    assert excinfo.value.code == "age_not_allowed"
    assert not Participation.objects.filter(event=event).exists()
