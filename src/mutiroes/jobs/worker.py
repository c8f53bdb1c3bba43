"""The worker, assembled once: the same middleware for ``mutiroes worker`` processes (``mutiroes.jobs.boot``) and
for the in-process worker of ``mutiroes dev``.

Besides the broker's own middleware (infra.broker): the outbox relay loop and the breaker report (OutboxRelay),
Consul registration, the run ledger, the metrics and the outbox completion mark.
"""

import dramatiq

from mutiroes.jobs.middleware import add_once
from mutiroes.jobs.middleware.consul import ConsulRegistration
from mutiroes.jobs.middleware.ledger import install_run_ledger
from mutiroes.jobs.middleware.metrics import install_worker_metrics
from mutiroes.jobs.middleware.relay import OutboxRelay, install_outbox_completion

EMBEDDED_THREADS = 2


def assemble(broker: dramatiq.Broker) -> dramatiq.Broker:
    """Install every worker middleware on ``broker`` (once, however often this is called)."""
    add_once(broker, OutboxRelay())
    add_once(broker, ConsulRegistration())
    install_run_ledger(broker)
    install_worker_metrics(broker)
    install_outbox_completion(broker)
    return broker


def start_embedded() -> dramatiq.Worker:
    """``mutiroes dev``'s worker: threads of the server process, consuming the stub broker's queues."""
    import mutiroes.jobs.actors  # noqa: F401 - declares the actors on the broker
    from mutiroes.infra.broker import get_broker

    worker = dramatiq.Worker(assemble(get_broker()), worker_threads=EMBEDDED_THREADS)
    worker.start()  # its worker_boot hooks start the relay loop, the breaker report and the Consul registration
    return worker
