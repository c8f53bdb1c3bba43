"""The Dramatiq broker, built once from settings before any actor module is imported.

``BROKER_URL`` picks the transport: ``stub://`` (embedded mode and unit tests: in-process, with a
worker started by the process itself) or ``redis://`` (optionally through Sentinel when
``REDIS_SENTINELS`` is set).
"""

import logging
import threading

import dramatiq
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from mutiroes.resilience.breakers import breaker, guarded
from mutiroes.resilience.retry import retrying

logger = logging.getLogger(__name__)
# Enqueue failures that say the broker is down; a refused message (bad queue name) does not count.
BROKER_DOWN = (RedisConnectionError, RedisTimeoutError, OSError, dramatiq.errors.BrokerConnectionError)
broker_breaker = breaker("broker", failures=BROKER_DOWN)
ENQUEUE_RETRY_BASE_S = 0.5
_lock = threading.Lock()
_broker: dramatiq.Broker | None = None


def _middleware(config: dict) -> list:
    from mutiroes.infra.worker_middleware import DatabaseConnections, LogContext, Tracing

    return [
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        CurrentMessage(),
        # At most 3 attempts in all (1 + 2 retries), exponential backoff between them.
        Retries(max_retries=2, min_backoff=config["min_backoff_ms"], max_backoff=config["max_backoff_ms"]),
        DatabaseConnections(),
        Tracing(),
        LogContext(),
    ]


def _redis_broker(config: dict, middleware: list) -> dramatiq.Broker:
    from mutiroes.infra.redis import redis_client
    from mutiroes.infra.redis_broker import RedisBroker

    client = redis_client(config["url"], purpose="broker")
    return RedisBroker(
        client=client,
        middleware=middleware,
        namespace=config["namespace"],
        # A dead worker's unacked messages are requeued by maintenance once its heartbeat is this old;
        # maintenance must run often enough on idle queues too (dramatiq #527), hence the high chance.
        heartbeat_timeout=config["heartbeat_timeout_ms"],
        maintenance_chance=config["maintenance_chance"],
        dead_message_ttl=config["dead_message_ttl_ms"],
    )


def build_broker(config: dict) -> dramatiq.Broker:
    url: str = config["url"]
    middleware = _middleware(config)
    if url.startswith("stub://"):
        return StubBroker(middleware=middleware)
    if url.startswith(("redis://", "rediss://", "sentinel://")):
        return _redis_broker(config, middleware)
    raise ValueError(f"unsupported BROKER_URL scheme: {url.split(':', 1)[0]}")


def enqueue(message: dramatiq.Message, *, delay_ms: int | None = None, tries: int = 1) -> dramatiq.Message:
    """Enqueue through the broker breaker, which fails fast while the broker is known to be down.

    ``tries`` > 1 retries a broker outage inside the breaker (exponential backoff with jitter) for
    callers with nowhere else to keep the message (the scheduler); the outbox relay uses one try,
    since its rows simply wait for the next pass.
    """
    broker = get_broker()
    broker.declare_queue(message.queue_name)  # the stub broker refuses undeclared queues
    send = (
        retrying(BROKER_DOWN, max_tries=tries, base_s=ENQUEUE_RETRY_BASE_S)(broker.enqueue)
        if tries > 1
        else broker.enqueue
    )
    return guarded(broker_breaker, send, message, delay=delay_ms)


def enqueue_many(messages: list[dramatiq.Message]) -> None:
    """Enqueue a batch (no delay) through the broker breaker: one pipeline on Redis, one by one elsewhere."""
    broker = get_broker()
    for queue_name in {message.queue_name for message in messages}:
        broker.declare_queue(queue_name)
    batch = getattr(broker, "enqueue_many", None)
    if batch is not None:
        guarded(broker_breaker, batch, messages)
        return
    for message in messages:
        guarded(broker_breaker, broker.enqueue, message)


def install_broker(broker: dramatiq.Broker) -> None:
    """Replace the process's broker (system tests switch a test process from the stub to a real Redis)."""
    global _broker
    with _lock:
        _broker = broker
        dramatiq.set_broker(broker)


def get_broker() -> dramatiq.Broker:
    """The process's broker, created from settings on first use and installed as Dramatiq's global."""
    global _broker
    with _lock:
        if _broker is None:
            from django.conf import settings

            _broker = build_broker(settings.DRAMATIQ)
            dramatiq.set_broker(_broker)
            logger.info("dramatiq broker: %s", type(_broker).__name__)
        return _broker
