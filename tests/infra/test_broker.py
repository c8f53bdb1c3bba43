import pytest
from dramatiq.brokers.stub import StubBroker

from mutiroes.infra.broker import build_broker


def test_the_broker_is_the_stub_or_redis_and_any_other_scheme_is_refused_by_name(settings):
    assert isinstance(build_broker({**settings.DRAMATIQ, "url": "stub://"}), StubBroker)
    with pytest.raises(ValueError, match="unsupported BROKER_URL scheme: amqp"):
        build_broker({**settings.DRAMATIQ, "url": "amqp://guest:guest@127.0.0.1:5672/"})
