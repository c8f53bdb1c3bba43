"""Impact tests: events that already took place (reports need a started event) and a movable clock."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from mutiroes.core import clock
from mutiroes.events.models import Event
from mutiroes.impact import selectors
from mutiroes.impact.models import ImpactFactorSet


@pytest.fixture
def held_event(event_factory: Any) -> Callable[..., Event]:
    """An event (shared factory) that started an hour ago unless ``start_date`` is given."""

    def make(**fields: Any) -> Event:
        fields.setdefault("start_date", clock.now() - timedelta(hours=1))
        return event_factory(**fields)

    return make


@pytest.fixture
def active_factors(seeded: None) -> ImpactFactorSet:
    """The seeded factor set (written again if a transactional test flushed it)."""
    factor_set = selectors.factor_set_active()
    assert factor_set is not None
    return factor_set
