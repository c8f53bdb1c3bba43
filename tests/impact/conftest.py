"""Impact tests: events that already took place (reports need a started event) and a movable clock."""

import importlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps

from mutiroes.core import clock
from mutiroes.events.models import Event
from mutiroes.impact import selectors
from mutiroes.impact.models import ImpactFactorSet

SEED_MIGRATION = "mutiroes.impact.migrations.0002_seed_factor_set_epa_2019"


@pytest.fixture
def held_event(event_factory: Any) -> Callable[..., Event]:
    """An event (shared factory) that started an hour ago unless ``start_date`` is given."""

    def make(**fields: Any) -> Event:
        fields.setdefault("start_date", clock.now() - timedelta(hours=1))
        return event_factory(**fields)

    return make


@pytest.fixture
def active_factors(db: None) -> ImpactFactorSet:
    """The seeded factor set; transactional tests flush seeded rows, so it is re-seeded by the migration's code."""
    if selectors.factor_set_active() is None:
        importlib.import_module(SEED_MIGRATION).seed(apps, None)
    factor_set = selectors.factor_set_active()
    assert factor_set is not None
    return factor_set
