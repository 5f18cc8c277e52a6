"""Shared fixtures. The real Kafka broker is started lazily: only a test that asks for
``kafka_bootstrap`` (directly or through another fixture) starts it, once per session.

Set ``ARTICLE_STREAM_TEST_BROKER=host:port`` to run the integration tests against a broker you run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable, Iterator, Mapping

import pytest

from stream.broker import BrokerConfig, EmbeddedBroker, create_topics

TEST_BROKER_ENV = "ARTICLE_STREAM_TEST_BROKER"


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker | None]:
    """The session's embedded broker, or None when ``$ARTICLE_STREAM_TEST_BROKER`` points elsewhere.

    Do not stop or restart it from a test: other tests share it. A test that needs to restart a
    broker makes its own ``EmbeddedBroker``.
    """
    if os.environ.get(TEST_BROKER_ENV):
        yield None
        return
    broker = EmbeddedBroker(BrokerConfig(data_dir=tmp_path_factory.mktemp("kafka")))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: EmbeddedBroker | None) -> str:
    """``"127.0.0.1:PORT"`` of a real Kafka broker shared by the whole test session."""
    if kafka_broker is None:
        return os.environ[TEST_BROKER_ENV]
    return kafka_broker.bootstrap


CreateTopic = Callable[..., Awaitable[str]]


@pytest.fixture
def create_topic(kafka_bootstrap: str) -> CreateTopic:
    """``await create_topic(partitions=3)`` -> a new topic with a unique name, ready for producers.

    Optional ``name`` (a unique suffix is appended so reruns never collide) and ``configs``
    (topic settings such as ``{"cleanup.policy": "compact"}``).
    """

    async def _create(name: str = "test", partitions: int = 1, configs: Mapping[str, str] | None = None) -> str:
        topic = f"{name}-{uuid.uuid4().hex[:10]}"
        await create_topics(kafka_bootstrap, {topic: partitions}, configs=configs)
        return topic

    return _create
