"""Entry module for `dramatiq` worker processes: Django first, then the broker and the actors."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutiroes.config.settings")
django.setup()

import mutiroes.actors  # noqa: E402, F401
from mutiroes.actors.consul import ConsulRegistration  # noqa: E402
from mutiroes.actors.ledger import install_run_ledger  # noqa: E402
from mutiroes.actors.metrics import install_worker_metrics  # noqa: E402
from mutiroes.actors.relay import OutboxRelay, install_outbox_completion  # noqa: E402
from mutiroes.infra.broker import get_broker  # noqa: E402

get_broker().add_middleware(OutboxRelay())
get_broker().add_middleware(ConsulRegistration())
install_run_ledger(get_broker())
install_worker_metrics(get_broker())
install_outbox_completion(get_broker())
broker = get_broker()
