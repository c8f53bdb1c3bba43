"""Resources an event needs and participants' pledges: who may write, upserts, surplus, derived totals."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from mutiroes.core.exceptions import Forbidden, InvalidState, NotFound
from mutiroes.events import selectors_community
from mutiroes.events.models import Pledge, Resource
from mutiroes.events.selectors import event_stats
from mutiroes.events.services import participation_leave
from mutiroes.events.services_community import (
    pledge_set,
    pledge_withdraw,
    resource_create,
    resource_delete,
    resource_update,
)

pytestmark = pytest.mark.django_db

GLOVES = {"name": "Luvas", "resource_type": "material", "quantity_needed": Decimal("10"), "unit": "pares"}


@pytest.fixture
def resource(event):
    return resource_create(event_id=event.id, user=event.organizer, data=GLOVES)


def _pledged(resource: Resource) -> Decimal:
    return selectors_community.resource_get(event=resource.event, resource_id=resource.pk).quantity_pledged


@pytest.mark.domain
def test_organizer_creates_updates_and_deletes_resources(event):
    resource = resource_create(event_id=event.id, user=event.organizer, data=GLOVES | {"id": 999, "event_id": 1})
    assert resource.event_id == event.id and resource.pk != 999  # only the resource fields are taken

    resource_update(event_id=event.id, resource_id=resource.pk, user=event.organizer, data={"quantity_needed": 12})
    assert Resource.objects.get(pk=resource.pk).quantity_needed == 12

    resource_delete(event_id=event.id, resource_id=resource.pk, user=event.organizer)
    assert not Resource.objects.filter(pk=resource.pk).exists()


@pytest.mark.domain
def test_other_users_cannot_manage_resources(event, resource, user_factory, participation_factory):
    participant = user_factory()
    participation_factory(event=event, user=participant)
    for user in (user_factory(), participant):
        with pytest.raises(Forbidden):
            resource_create(event_id=event.id, user=user, data=GLOVES)
        with pytest.raises(Forbidden):
            resource_update(event_id=event.id, resource_id=resource.pk, user=user, data={"name": "Pás"})
        with pytest.raises(Forbidden):
            resource_delete(event_id=event.id, resource_id=resource.pk, user=user)
    assert Resource.objects.get(pk=resource.pk).name == "Luvas"


@pytest.mark.domain
def test_resources_of_an_invisible_event_are_not_found(event_factory, user_factory):
    draft = event_factory(status="draft")
    with pytest.raises(NotFound):
        resource_create(event_id=draft.id, user=user_factory(), data=GLOVES)


@pytest.mark.domain
def test_a_resource_of_another_event_is_not_found(event, event_factory):
    elsewhere = event_factory(organizer=event.organizer)
    foreign = resource_create(event_id=elsewhere.id, user=event.organizer, data=GLOVES)
    with pytest.raises(NotFound):
        resource_update(event_id=event.id, resource_id=foreign.pk, user=event.organizer, data={"name": "x"})


@pytest.mark.domain
def test_pledge_is_one_per_user_and_upserts(event, resource, user_factory, participation_factory):
    user = user_factory()
    participation_factory(event=event, user=user)

    assert pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal("2")) is True
    assert pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal("5")) is False

    assert list(Pledge.objects.filter(resource=resource).values_list("quantity", flat=True)) == [Decimal("5")]
    assert _pledged(resource) == Decimal("5")


@pytest.mark.domain
def test_over_pledging_is_allowed(event, resource, user_factory, participation_factory):
    for quantity in ("8", "7"):
        user = user_factory()
        participation_factory(event=event, user=user)
        pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal(quantity))
    assert _pledged(resource) == Decimal("15")  # 5 more than needed: a surplus, not an error


@pytest.mark.domain
def test_pledge_of_zero_or_withdraw_removes_it(event, resource, user_factory, participation_factory):
    user = user_factory()
    participation_factory(event=event, user=user)
    pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal("3"))

    assert pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal("0")) is False
    assert not Pledge.objects.filter(resource=resource).exists()

    pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal("3"))
    pledge_withdraw(event_id=event.id, resource_id=resource.pk, user=user)
    pledge_withdraw(event_id=event.id, resource_id=resource.pk, user=user)  # again: nothing to do, no error
    assert _pledged(resource) == 0


@pytest.mark.domain
@pytest.mark.parametrize("status", ["confirmed", "pending"])
def test_people_holding_a_place_pledge(event, resource, user_factory, participation_factory, status):
    user = user_factory()
    participation_factory(event=event, user=user, status=status)
    pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal("1"))
    assert _pledged(resource) == 1


@pytest.mark.domain
@pytest.mark.parametrize("status", ["waitlisted", "cancelled", "rejected", None])
def test_people_without_a_place_cannot_pledge(event, resource, user_factory, participation_factory, status):
    user = user_factory()
    if status is not None:
        participation_factory(event=event, user=user, status=status)
    with pytest.raises(Forbidden):
        pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal("1"))
    assert not Pledge.objects.exists()


@pytest.mark.domain
def test_organizer_does_not_pledge_to_own_list(event, resource):
    with pytest.raises(Forbidden):
        pledge_set(event_id=event.id, resource_id=resource.pk, user=event.organizer, quantity=Decimal("1"))


@pytest.mark.domain
def test_pledges_of_people_who_left_stop_counting(event, resource, user_factory, participation_factory):
    staying, leaving = user_factory(), user_factory()
    for user in (staying, leaving):
        participation_factory(event=event, user=user)
        pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal("4"))

    participation_leave(event_id=event.id, user=leaving)

    assert _pledged(resource) == Decimal("4")


@pytest.mark.domain
@pytest.mark.parametrize("status", ["cancelled", "completed"])
def test_closed_events_take_no_resource_or_pledge_changes(event, resource, user_factory, participation_factory, status):
    user = user_factory()
    participation_factory(event=event, user=user)
    event.status = status
    event.save()
    with pytest.raises(InvalidState):
        pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal("1"))
    with pytest.raises(InvalidState):
        resource_create(event_id=event.id, user=event.organizer, data=GLOVES)


def test_database_refuses_a_second_pledge_by_the_same_user(resource, user_factory):
    user = user_factory()
    Pledge.objects.create(resource=resource, user=user, quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Pledge.objects.create(resource=resource, user=user, quantity=2)


@pytest.mark.parametrize("field", ["quantity_needed", "pledge"])
def test_database_refuses_zero_or_negative_quantities(resource, user_factory, field):
    for value in (Decimal("0"), Decimal("-1")):
        with pytest.raises(IntegrityError), transaction.atomic():
            if field == "pledge":
                Pledge.objects.create(resource=resource, user=user_factory(), quantity=value)
            else:
                Resource.objects.filter(pk=resource.pk).update(quantity_needed=value)


def test_resource_list_computes_totals_in_one_query(
    event, user_factory, participation_factory, django_assert_num_queries
):
    users = [user_factory() for _ in range(3)]
    for user in users:
        participation_factory(event=event, user=user)
    for n in range(5):
        resource = resource_create(event_id=event.id, user=event.organizer, data=GLOVES | {"name": f"item {n}"})
        for user in users:
            pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal(n + 1))

    with django_assert_num_queries(1):
        rows = list(selectors_community.resource_list(event=event, user=users[0]))

    assert [r.quantity_pledged for r in rows] == [Decimal(3 * (n + 1)) for n in range(5)]
    assert [r.my_pledge for r in rows] == [Decimal(n + 1) for n in range(5)]


@pytest.mark.domain
def test_stats_count_resources_covered_by_pledges(event, user_factory, participation_factory):
    covered = resource_create(event_id=event.id, user=event.organizer, data=GLOVES | {"quantity_needed": 2})
    resource_create(event_id=event.id, user=event.organizer, data=GLOVES | {"quantity_needed": 50})
    user = user_factory()
    participation_factory(event=event, user=user)
    pledge_set(event_id=event.id, resource_id=covered.pk, user=user, quantity=Decimal("3"))

    stats = event_stats(event=event)

    assert (stats["resources_total"], stats["resources_covered"], stats["photos"]) == (2, 1, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_pledges_keep_one_row_per_user_and_count_everyone(
    event_factory, user_factory, participation_factory
):
    event = event_factory()
    resource = resource_create(event_id=event.id, user=event.organizer, data=GLOVES)
    users = [user_factory() for _ in range(4)]
    for user in users:
        participation_factory(event=event, user=user)

    def pledge(args):
        user, quantity = args
        try:
            return pledge_set(event_id=event.id, resource_id=resource.pk, user=user, quantity=Decimal(quantity))
        finally:
            connection.close()

    # Every user sends the same pledge three times at once (a double-clicked button, a retried request).
    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(pledge, [(user, n + 1) for n, user in enumerate(users) for _ in range(3)]))

    assert created.count(True) == 4
    assert Pledge.objects.filter(resource=resource).count() == 4
    assert _pledged(resource) == Decimal(1 + 2 + 3 + 4)
