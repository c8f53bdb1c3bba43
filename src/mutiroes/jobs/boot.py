"""Entry module for `dramatiq` worker processes: Django first, then the broker, the actors and the worker's
middleware (``mutiroes.jobs.worker``)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutiroes.config.settings")
django.setup()

import mutiroes.jobs.actors  # noqa: E402, F401
from mutiroes.infra.broker import get_broker  # noqa: E402
from mutiroes.jobs.worker import assemble  # noqa: E402

broker = assemble(get_broker())
