"""Who sees and who manages an event: drafts and private events are the organiser's (and staff's) alone."""

from datetime import timedelta

import pytest
from django.forms.models import model_to_dict

from mutiroes.core.exceptions import Forbidden, NotFound
from mutiroes.events import selectors
from mutiroes.events.models import Event, Participation
from mutiroes.events.services import (
    event_cancel,
    event_delete,
    event_publish,
    event_update,
    participation_join,
    participation_set_status,
)

pytestmark = [pytest.mark.domain, pytest.mark.django_db]

ALL = selectors.EventFilters()


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("id", flat=True))


@pytest.fixture
def world(event_factory, user_factory):
    """One organiser with a published, a draft and a private event; plus a stranger and a staff member."""
    organizer = user_factory()
    stranger = user_factory()
    staff = user_factory(is_staff=True)
    published = event_factory(organizer=organizer, status="published", title="Praia limpa publicada")
    draft = event_factory(organizer=organizer, status="draft", title="Praia limpa rascunho")
    private = event_factory(organizer=organizer, status="published", is_public=False, title="Praia limpa privada")
    return {
        "organizer": organizer,
        "stranger": stranger,
        "staff": staff,
        "published": published,
        "draft": draft,
        "private": private,
    }


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
@pytest.mark.parametrize("which", ["draft", "private"])
def test_drafts_and_private_events_are_not_found_for_others(world, who, which):
    viewer = None if who == "anonymous" else world[who]
    with pytest.raises(NotFound):
        selectors.event_get_visible(event_id=world[which].id, user=viewer)


@pytest.mark.parametrize("who", ["organizer", "staff"])
@pytest.mark.parametrize("which", ["draft", "private", "published"])
def test_organizer_and_staff_see_every_own_event(world, who, which):
    event = selectors.event_get_visible(event_id=world[which].id, user=world[who])
    assert event.pk == world[which].pk


@pytest.mark.parametrize("who", ["stranger", "anonymous"])
def test_lists_show_others_only_published_public_events(world, who):
    viewer = None if who == "anonymous" else world[who]
    hidden = {world["draft"].id, world["private"].id}
    filters = [
        ALL,
        selectors.EventFilters(q="praia"),
        selectors.EventFilters(city=world["draft"].city),
        selectors.EventFilters(status="draft"),
        selectors.EventFilters(status="published"),
        selectors.EventFilters(category=world["draft"].category_id),
        selectors.EventFilters(near=(world["draft"].latitude, world["draft"].longitude), radius_km=50),
        selectors.EventFilters(starts_after=world["draft"].start_date - timedelta(days=1)),
    ]
    for f in filters:
        listed = _ids(selectors.event_list(filters=f, user=viewer))
        assert not listed & hidden, f
    assert world["published"].id in _ids(selectors.event_list(filters=ALL, user=viewer))


def test_organizer_lists_own_drafts_and_private_events(world):
    organizer = world["organizer"]
    assert _ids(selectors.event_list(filters=selectors.EventFilters(status="draft"), user=organizer)) == {
        world["draft"].id
    }
    assert world["private"].id in _ids(selectors.event_list(filters=ALL, user=organizer))


def test_draft_list_never_shows_other_organizers_drafts_even_to_staff(world):
    drafts = selectors.event_list(filters=selectors.EventFilters(status="draft"), user=world["staff"])
    assert world["draft"].id not in _ids(drafts)


def test_private_event_visible_to_its_participants(world, participation_factory):
    participation_factory(event=world["private"], user=world["stranger"], status="confirmed")
    event = selectors.event_get_visible(event_id=world["private"].id, user=world["stranger"])
    assert event.pk == world["private"].pk


def _snapshot(event: Event) -> dict:
    event.refresh_from_db()
    return model_to_dict(event, exclude=["cover_image"])


MANAGE_CALLS = {
    "update": lambda e, u: event_update(event_id=e.id, user=u, data={"title": "Sequestrado", "max_participants": 99}),
    "publish": lambda e, u: event_publish(event_id=e.id, user=u),
    "cancel": lambda e, u: event_cancel(event_id=e.id, user=u),
    "delete": lambda e, u: event_delete(event_id=e.id, user=u),
}


@pytest.mark.parametrize("action", sorted(MANAGE_CALLS))
def test_stranger_cannot_manage_a_published_event(world, action):
    event = world["published"]
    before = _snapshot(event)
    with pytest.raises(Forbidden):
        MANAGE_CALLS[action](event, world["stranger"])
    assert _snapshot(event) == before


@pytest.mark.parametrize("action", sorted(MANAGE_CALLS))
@pytest.mark.parametrize("which", ["draft", "private"])
def test_stranger_managing_a_hidden_event_gets_not_found(world, action, which):
    event = world[which]
    before = _snapshot(event)
    with pytest.raises(NotFound):
        MANAGE_CALLS[action](event, world["stranger"])
    assert _snapshot(event) == before


def test_participant_cannot_manage_the_event(world, user_factory):
    event = world["published"]
    participant = user_factory()
    participation_join(event_id=event.id, user=participant)
    before = _snapshot(event)
    for action in MANAGE_CALLS.values():
        with pytest.raises(Forbidden):
            action(event, participant)
    assert _snapshot(event) == before


def test_stranger_cannot_approve_or_reject_participants(world, user_factory):
    event = world["published"]
    event.requires_approval = True
    event.save()
    row, _ = participation_join(event_id=event.id, user=user_factory())
    for status in ("confirmed", "rejected"):
        with pytest.raises(Forbidden):
            participation_set_status(event_id=event.id, participation_id=row.pk, user=world["stranger"], status=status)
    assert Participation.objects.get(pk=row.pk).status == "pending"


def test_organizer_manages_own_event(world, user_factory):
    organizer = world["organizer"]
    draft = world["draft"]
    updated, _ = event_update(event_id=draft.id, user=organizer, data={"title": "Novo título"})
    event_publish(event_id=draft.id, user=organizer)
    draft.refresh_from_db()
    assert (draft.title, draft.status) == ("Novo título", "published")
    event_cancel(event_id=draft.id, user=organizer)
    draft.refresh_from_db()
    assert draft.status == "cancelled"
    assert draft.cancelled_at is not None


def test_staff_manages_any_event(world):
    staff = world["staff"]
    event = world["published"]
    event_update(event_id=event.id, user=staff, data={"title": "Moderado"})
    event_cancel(event_id=event.id, user=staff)
    event.refresh_from_db()
    assert (event.title, event.status) == ("Moderado", "cancelled")
    event_delete(event_id=world["draft"].id, user=staff)
    assert not Event.objects.filter(pk=world["draft"].id).exists()


@pytest.mark.parametrize("status", [None, *Participation.Status.values])
@pytest.mark.parametrize("which", ["published", "draft", "private"])
def test_one_event_check_agrees_with_the_lists_filter(world, participation_factory, status, which):
    # The join decides visibility on its locked row (event_is_visible); it must say what event_visible_q says.
    event = world[which]
    if status is not None:
        participation_factory(event=event, user=world["stranger"], status=status)
    for who in ("stranger", "organizer", "staff", None):
        user = world[who] if who else None
        mine = Participation.objects.filter(event=event, user=user).first() if user else None
        expected = Event.objects.filter(selectors.event_visible_q(user), pk=event.pk).exists()
        assert selectors.event_is_visible(event=event, user=user, participation=mine) is expected, (who, status)


def test_a_private_event_is_joined_again_only_by_an_active_participant(world, participation_factory):
    cancelled = participation_factory(event=world["private"], user=world["stranger"], status="cancelled")
    with pytest.raises(NotFound):
        participation_join(event_id=world["private"].id, user=world["stranger"])
    cancelled.status = "confirmed"
    cancelled.save()
    participation, joined = participation_join(event_id=world["private"].id, user=world["stranger"])
    assert (participation.pk, joined) == (cancelled.pk, False)
