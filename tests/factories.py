"""factory_boy factories for the domain. They write rows directly (no services), with sane, valid defaults.

user = UserFactory(birth_date=date(2010, 5, 1))         # the profile comes from the post_save signal
event = EventFactory(max_participants=5, organizer=user) # published, public, starts in a week
ParticipationFactory(event=event, status="waitlisted")
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from factory.django import DjangoModelFactory

from mutiroes.accounts.models import User
from mutiroes.core import clock
from mutiroes.events.models import Category, Event, Participation

DEFAULT_PASSWORD = "mutirao-na-praia-2024"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    class Params:
        staff = factory.Trait(is_staff=True)

    username = factory.Sequence(lambda n: f"voluntaria{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    first_name = "Ana"
    last_name = factory.Sequence(lambda n: f"Souza {n}")
    # Verified unless a test says otherwise (email_verified_at=None): most tests are about something else.
    email_verified_at = factory.LazyFunction(clock.now)

    @classmethod
    def _adjust_kwargs(cls, **kwargs: Any) -> dict[str, Any]:
        # `UserFactory(password="...")` takes a raw password; every user can log in with DEFAULT_PASSWORD otherwise.
        kwargs["password"] = _hashed(kwargs.pop("password", None) or DEFAULT_PASSWORD)
        return kwargs

    @factory.post_generation
    def birth_date(obj: User, create: bool, extracted: date | None, **kwargs: Any) -> None:  # noqa: N805 - factory_boy passes the object built
        """`UserFactory(birth_date=...)` sets the profile's birth date (the age rules read it there)."""
        if extracted is None:
            return
        obj.profile.birth_date = extracted
        if create:
            obj.profile.save(update_fields=["birth_date"])


_hashes: dict[tuple[str, tuple[str, ...]], str] = {}


def _hashed(raw: str) -> str:
    """Hash once per password and hasher setting: even MD5 adds up over thousands of users."""
    key = (raw, tuple(settings.PASSWORD_HASHERS))
    if key not in _hashes:
        _hashes[key] = make_password(raw)
    return _hashes[key]


class CategoryFactory(DjangoModelFactory):
    """The seeded "limpeza" category by default (migration events/0002); get_or_create on the slug.

    Transactional tests flush the seeded rows away, so the row may have to be created again.
    """

    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = "limpeza"
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())
    description = factory.LazyAttribute(lambda o: f"Mutirões de {o.name.lower()}.")


def _next_week() -> Any:
    # Whole minutes: what a person types, and it keeps ordering by start_date stable between rows.
    return (clock.now() + timedelta(days=7)).replace(second=0, microsecond=0)


class EventFactory(DjangoModelFactory):
    """Published, public, starting in a week for three hours, 20 places, in Fortaleza."""

    class Meta:
        model = Event

    class Params:
        draft = factory.Trait(status=Event.Status.DRAFT)

    title = factory.Sequence(lambda n: f"Mutirão de limpeza da praia {n}")
    description = "Coleta de resíduos na faixa de areia, com separação de recicláveis."
    category = factory.SubFactory(CategoryFactory)
    organizer = factory.SubFactory(UserFactory)
    address = "Av. Beira Mar, 3000 - Meireles"
    city = "Fortaleza"
    state = "CE"
    latitude = -3.7250
    longitude = -38.4960
    start_date = factory.LazyFunction(_next_week)
    end_date = factory.LazyAttribute(lambda o: o.start_date + timedelta(hours=3))
    registration_deadline = None
    max_participants = 20
    min_age = None
    max_age = None
    requires_approval = False
    is_public = True
    status = Event.Status.PUBLISHED
    tools_needed = ""
    tools_provided = "Luvas e sacos"
    what_to_bring = "Água e protetor solar"


class ParticipationFactory(DjangoModelFactory):
    """A confirmed participation; pass status= for the others. Does not check capacity (services do)."""

    class Meta:
        model = Participation
        skip_postgeneration_save = True

    event = factory.SubFactory(EventFactory)
    user = factory.SubFactory(UserFactory)
    status = Participation.Status.CONFIRMED
    registered_at = factory.LazyFunction(clock.now)

    @factory.post_generation
    def stored_count(obj, create, extracted, **kwargs):  # noqa: N805 - factory_boy passes the object built
        # Rows made here skip the services, which keep the event's participants_count: recount as they would.
        if create:
            from mutiroes.events.services import events_recount

            events_recount(event_ids=[obj.event_id])


def make_participants(event: Any, count: int, *, prefix: str) -> list[int]:
    """`count` users confirmed in `event`, in two INSERTs (no signals: no profile, default notification settings)."""
    users = User.objects.bulk_create(
        [User(username=f"{prefix}{i}", email=f"{prefix}{i}@example.org", password="!") for i in range(count)],
        batch_size=1000,
    )
    now = clock.now()
    Participation.objects.bulk_create(
        [
            Participation(event=event, user=user, status=Participation.Status.CONFIRMED, registered_at=now)
            for user in users
        ],
        batch_size=1000,
    )
    return [user.pk for user in users]
