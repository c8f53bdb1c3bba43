"""The rows the data migrations seed: the categories, the badge catalogue and the active impact factor set.

A transactional test ends by flushing every table, seeded rows included; pytest-django runs those tests after
the others, so it is they that may find the rows gone. A test that needs them asks for the `seeded` fixture
(tests/conftest.py), which writes them again with the migrations' own code (each seed is idempotent).
"""

from __future__ import annotations

import importlib

from django.apps import apps

SEEDS = (
    ("mutiroes.events.migrations.0002_seed_categories", "seed"),
    ("mutiroes.accounts.migrations.0003_seed_badges_backfill_settings", "seed_badges"),
    ("mutiroes.impact.migrations.0002_seed_factor_set_epa_2019", "seed"),
)


def reseed() -> None:
    for module, function in SEEDS:
        getattr(importlib.import_module(module), function)(apps, None)
