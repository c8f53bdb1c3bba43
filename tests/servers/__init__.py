"""Real servers for tests: a private PostgreSQL cluster, redis-server and Sentinels, an SMTP sink.

Each is a small class with start / stop / kill (and pause / resume for processes) so fault tests can take
a dependency down and bring it back on the same address. Fixtures wrapping them live in tests/conftest.py.
"""

from tests.servers.postgres import PostgresCluster, PostgresUnavailable
from tests.servers.redis import RedisSentinel, RedisServer, start_sentinels
from tests.servers.smtp import ReceivedMessage, SmtpSink

__all__ = [
    "PostgresCluster",
    "PostgresUnavailable",
    "ReceivedMessage",
    "RedisSentinel",
    "RedisServer",
    "SmtpSink",
    "start_sentinels",
]
