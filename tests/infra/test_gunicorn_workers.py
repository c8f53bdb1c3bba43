"""`mutiroes serve`'s default worker count: 2 per usable core plus 1, shared by the replicas on the host."""

import os

import pytest

from mutiroes.cli import default_workers


@pytest.mark.parametrize(
    ("cores", "replicas", "expected"),
    [(2, None, 5), (2, "3", 2), (8, "3", 6), (1, "4", 2), (4, "1", 9)],
)
def test_the_rule_divides_two_workers_a_core_among_the_replicas(monkeypatch, cores, replicas, expected):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.delenv("API_WORKERS", raising=False)
    if replicas is None:
        monkeypatch.delenv("API_REPLICAS_PER_HOST", raising=False)
    else:
        monkeypatch.setenv("API_REPLICAS_PER_HOST", replicas)
    assert default_workers() == expected


def test_api_workers_overrides_the_rule(monkeypatch):
    monkeypatch.setenv("API_WORKERS", "7")
    assert default_workers() == 7
