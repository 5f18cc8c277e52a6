"""The service's topics are created by the contracts' own code (not the development broker's helper),
on a real broker: partitions, configs, leaders, idempotence and refusals."""

from __future__ import annotations

import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from stream.config import Settings
from stream.contracts.topics import TopicCreationError, create_service_topics, ensure_service_topics, service_topics

pytestmark = pytest.mark.integration


def _settings() -> Settings:
    suffix = uuid.uuid4().hex[:8]
    return Settings(
        topic_raw=f"raw-{suffix}", topic_enriched=f"enriched-{suffix}", topic_stories=f"stories-{suffix}", topic_dlq=f"dlq-{suffix}",
        partitions=3,
    )


async def _describe(bootstrap: str, names: list[str]) -> tuple[dict, dict]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = {t["topic"]: t for t in await admin.describe_topics(names)}
        configs: dict[str, dict[str, str]] = {}
        for response in await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in names]):
            for resource in response.resources:
                configs[resource[3]] = {entry[0]: entry[1] for entry in resource[4]}
    finally:
        await admin.close()
    return described, configs


async def test_ensure_service_topics_creates_the_four_topics_with_their_configs(kafka_bootstrap):
    settings = _settings()
    await ensure_service_topics(kafka_bootstrap, settings, security={})
    wanted = service_topics(settings)
    described, configs = await _describe(kafka_bootstrap, list(wanted))
    for name, (partitions, topic_configs) in wanted.items():
        assert described[name]["error_code"] == 0
        assert len(described[name]["partitions"]) == partitions == 3
        assert all(p["leader"] >= 0 for p in described[name]["partitions"])  # ready for producers on return
        for key, value in topic_configs.items():
            assert configs[name][key] == value
    assert configs[settings.topic_stories]["cleanup.policy"] == "compact"


async def test_creating_again_leaves_the_topics_as_they_are(kafka_bootstrap):
    settings = _settings()
    wanted = service_topics(settings)
    client = {"bootstrap_servers": kafka_bootstrap}
    assert set((await create_service_topics(client, wanted, replication=1)).values()) == {"created"}
    # A second run (a restarted worker, `topics create` twice) asks for more partitions: nothing changes.
    more = {name: (5, configs) for name, (_, configs) in wanted.items()}
    assert set((await create_service_topics(client, more, replication=1)).values()) == {"exists"}
    described, _ = await _describe(kafka_bootstrap, list(wanted))
    assert {len(t["partitions"]) for t in described.values()} == {3}


async def test_a_refused_topic_raises_with_the_kafka_error(kafka_bootstrap):
    name = f"refused-{uuid.uuid4().hex[:8]}"
    # One broker cannot hold three replicas.
    with pytest.raises(TopicCreationError, match=rf"{name}.*Kafka error"):
        await create_service_topics({"bootstrap_servers": kafka_bootstrap}, {name: (1, {})}, replication=3, timeout_s=10)
