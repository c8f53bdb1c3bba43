"""Last-good copies (resilience/fallback.py): fresh when the source answers, stale and marked when it cannot."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from mutiroes.resilience.fallback import with_last_good


class Store:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.ttls: dict[str, int] = {}

    def get(self, key: str) -> Any:
        return self.values.get(key)

    def set(self, key: str, value: Any, ttl_s: int) -> None:
        self.values[key], self.ttls[key] = value, ttl_s


class Down(Exception):
    pass


def _down() -> Any:
    raise Down("database unavailable")


def test_a_fresh_result_is_served_and_kept_as_the_last_good_copy():
    store = Store()

    served = with_last_good(store, "events", lambda: {"items": [1, 2]}, unavailable=Down, keep_s=3600)

    assert (served.value, served.stale) == ({"items": [1, 2]}, False)
    assert store.values["events"] == {"items": [1, 2]} and store.ttls["events"] == 3600


def test_when_the_source_is_unavailable_the_last_good_copy_is_served_stale(caplog):
    store = Store()
    with_last_good(store, "events", lambda: {"items": [1]}, unavailable=Down)

    with caplog.at_level(logging.WARNING):
        served = with_last_good(store, "events", _down, unavailable=Down)

    assert (served.value, served.stale) == ({"items": [1]}, True)
    assert "last good copy of events" in caplog.text


def test_a_newer_result_replaces_the_last_good_copy():
    store = Store()
    with_last_good(store, "events", lambda: "old", unavailable=Down)
    with_last_good(store, "events", lambda: "new", unavailable=Down)

    assert with_last_good(store, "events", _down, unavailable=Down).value == "new"


def test_an_empty_last_good_copy_is_still_a_copy():
    store = Store()
    with_last_good(store, "events", lambda: [], unavailable=Down)

    served = with_last_good(store, "events", _down, unavailable=Down)

    assert (served.value, served.stale) == ([], True)


def test_without_a_last_good_copy_the_unavailability_is_raised():
    with pytest.raises(Down):
        with_last_good(Store(), "events", _down, unavailable=Down)


def test_other_errors_are_not_hidden_behind_a_stale_copy():
    store = Store()
    with_last_good(store, "events", lambda: "good", unavailable=Down)

    def broken() -> Any:
        raise KeyError("a bug, not an outage")

    with pytest.raises(KeyError):
        with_last_good(store, "events", broken, unavailable=Down)
    assert store.values["events"] == "good"


def test_keys_are_independent():
    store = Store()
    with_last_good(store, "events:page1", lambda: "page 1", unavailable=Down)

    with pytest.raises(Down):
        with_last_good(store, "events:page2", _down, unavailable=Down)
