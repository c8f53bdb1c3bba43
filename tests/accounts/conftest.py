"""Accounts helpers on top of the shared fixtures (tests/conftest.py): past events, attendance, the catalogue."""

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps

from mutiroes.accounts.models import User
from mutiroes.core import clock
from mutiroes.events.models import Event, Participation
from tests import factories

PASSWORD = factories.DEFAULT_PASSWORD


@pytest.fixture
def past_event(db: None, event_factory: Any) -> Callable[..., Event]:
    """A published event that ended yesterday (``hours`` long, 3 by default), unless told otherwise."""

    def make(**fields: Any) -> Event:
        start = fields.pop("start_date", None) or clock.now() - timedelta(days=1, hours=3)
        hours = fields.pop("hours", 3)
        return event_factory(start_date=start, end_date=start + timedelta(hours=hours), **fields)

    return make


@pytest.fixture
def attend(participation_factory: Any) -> Callable[..., Participation]:
    """A participation of ``user`` in ``event``: confirmed, registered before it, checked in if asked."""

    def make(event: Event, user: User, *, checked_in: bool = False, **fields: Any) -> Participation:
        return participation_factory(
            event=event,
            user=user,
            registered_at=fields.pop("registered_at", event.start_date - timedelta(days=2)),
            checked_in_at=event.start_date if checked_in else None,
            **fields,
        )

    return make


@pytest.fixture
def badge_catalogue(db: None) -> None:
    """The seeded badge catalogue, restored in case a transactional test's flush removed it."""
    importlib.import_module("mutiroes.accounts.migrations.0003_seed_badges_backfill_settings").seed_badges(apps, None)
