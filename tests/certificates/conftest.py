"""Certificates: ended events with checked-in people, and reading a PDF back (its text, its QR code)."""

from collections.abc import Callable
from typing import Any

import pytest

from mutiroes.events.models import Event, Participation


@pytest.fixture
def organiser(user_factory: Any) -> Any:
    return user_factory(first_name="Beatriz", last_name="Organizadora")


@pytest.fixture
def volunteer(user_factory: Any) -> Any:
    return user_factory(first_name="Joana", last_name="da Silva Pereira")


@pytest.fixture
def attended(past_event: Callable[..., Event], attend: Callable[..., Participation], organiser: Any, volunteer: Any):
    """A 3-hour event that ended yesterday in Recife, with the volunteer checked in."""
    event = past_event(organizer=organiser, title="Limpeza da Praia de Boa Viagem", city="Recife", state="PE")
    return attend(event, volunteer, checked_in=True)
