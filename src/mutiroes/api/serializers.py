"""Output shaping that needs more than one object (user + profile, events + the caller's participation)."""

from typing import Any

from mutiroes.accounts.models import User
from mutiroes.accounts.verification import email_is_verified
from mutiroes.events import selectors as event_selectors
from mutiroes.events.models import Event


def me_out(user: User) -> dict[str, Any]:
    profile = user.profile
    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "date_joined": user.date_joined,
        "birth_date": profile.birth_date,
        "phone": profile.phone,
        "city": profile.city,
        "state": profile.state,
        "bio": profile.bio,
        "interests": profile.interests,
        "is_public": profile.is_public,
        "show_city": profile.show_city,
        "show_stats": profile.show_stats,
        "email_verified": email_is_verified(user),
    }


def public_profile_out(user: User) -> dict[str, Any]:
    profile = user.profile
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "city": profile.city if profile.show_city else None,
        "state": profile.state if profile.show_city else None,
        "bio": profile.bio,
        "interests": profile.interests,
        "date_joined": user.date_joined,
    }


def with_my_participation(events: list[Event], user: User | None) -> list[Event]:
    """Attach the caller's participation to each event, one query for the whole page."""
    mine = event_selectors.participations_of(events=events, user=user)
    for event in events:
        event.my_participation = mine.get(event.pk)
    return events
