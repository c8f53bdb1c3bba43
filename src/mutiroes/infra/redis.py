"""Redis clients: direct by URL, or the current master through Sentinel.

redis-py retries on its own (10 times by default in redis-py 8); we set its retry explicitly so
there is one retrying layer per hop and a Sentinel failover is absorbed by a short, bounded retry.
"""

import logging

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

logger = logging.getLogger(__name__)


def _retry() -> Retry:
    from django.conf import settings

    return Retry(ExponentialWithJitterBackoff(base=0.1, cap=1.0), retries=settings.REDIS_RETRIES)


def redis_client(url: str, *, purpose: str) -> redis.Redis:
    from django.conf import settings

    options = {
        "socket_connect_timeout": settings.REDIS_SOCKET_TIMEOUT_S,
        "socket_timeout": settings.REDIS_SOCKET_TIMEOUT_S,
        "retry": _retry(),
        "retry_on_error": [redis.ConnectionError, redis.TimeoutError],
        "health_check_interval": 15,
    }
    if settings.REDIS_SENTINELS:
        sentinel = Sentinel(
            settings.REDIS_SENTINELS,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT_S,
            sentinel_kwargs={"socket_timeout": settings.REDIS_SOCKET_TIMEOUT_S},
        )
        logger.info(
            "redis for %s through sentinels %s, master %s",
            purpose,
            settings.REDIS_SENTINELS,
            settings.REDIS_SENTINEL_MASTER,
        )
        return sentinel.master_for(settings.REDIS_SENTINEL_MASTER, **options)
    return redis.Redis.from_url(url, **options)
