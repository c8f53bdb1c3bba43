"""Dramatiq actors: thin interfaces that take ids and call one domain service each.

Importing this package installs the broker from settings first, then declares every actor of the registry.
"""

from mutiroes.infra.broker import get_broker

get_broker()

from mutiroes.jobs.actors import accounts, events, impact, notifications  # noqa: E402

__all__ = ["accounts", "events", "impact", "notifications"]
