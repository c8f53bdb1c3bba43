"""Impact tests: events that already took place (reports need a started event) and a movable clock."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from mutiroes.core import clock
from mutiroes.events.models import Event


@pytest.fixture
def held_event(event_factory: Any) -> Callable[..., Event]:
    """An event (shared factory) that started an hour ago unless ``start_date`` is given."""

    def make(**fields: Any) -> Event:
        fields.setdefault("start_date", clock.now() - timedelta(hours=1))
        return event_factory(**fields)

    return make


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> Callable[[datetime], None]:
    """Move the domain clock (mutiroes.core.clock.now) to a fixed instant."""

    def freeze(at: datetime) -> None:
        monkeypatch.setattr(clock, "now", lambda: at)

    return freeze
