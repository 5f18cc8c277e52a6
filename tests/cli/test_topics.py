"""article-stream topics create|describe: partitions, retention, compaction, consumer lag."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from stream.broker import create_topics
from stream.cli.topics import _readable_config
from stream.config import Settings
from stream.contracts.topics import service_topics


def test_readable_durations():
    assert _readable_config("retention.ms", "604800000") == "604800000 (7d)"
    assert _readable_config("retention.ms", "5400000") == "5400000 (90m)"
    assert _readable_config("retention.ms", "-1") == "-1"
    assert _readable_config("cleanup.policy", "compact") == "compact"


def _describe(invoke, env, *topics):
    result = invoke(["topics", "describe", "--json", *topics], env=env)
    return result, {d["name"]: d for d in map(orjson.loads, result.stdout.splitlines())}


@pytest.mark.integration
class TestAgainstTheBroker:
    def test_create_gives_each_topic_its_partitions_and_configs(self, invoke, service_env):
        result = invoke(["topics", "create"], env=service_env)
        assert result.exit_code == 0, result.output
        wanted = service_topics(Settings(**{k.removeprefix("ARTICLE_STREAM_").lower(): v for k, v in service_env.items()}))
        assert result.stdout.count("created") == len(wanted)

        result, described = _describe(invoke, service_env)
        assert result.exit_code == 0, result.output
        assert set(described) == set(wanted)
        for name, (partitions, configs) in wanted.items():
            assert len(described[name]["partitions"]) == partitions
            for key, value in configs.items():
                assert described[name]["configs"][key] == value
        assert described[service_env["ARTICLE_STREAM_TOPIC_STORIES"]]["configs"]["cleanup.policy"] == "compact"
        assert described[service_env["ARTICLE_STREAM_TOPIC_RAW"]]["configs"]["cleanup.policy"] == "delete"

        again = invoke(["topics", "create"], env=service_env)
        assert again.exit_code == 0 and again.stdout.count("exists") == len(wanted)
        as_json = invoke(["topics", "create", "--json"], env=service_env)
        assert as_json.exit_code == 0, as_json.output
        records = {r["name"]: r for r in map(orjson.loads, as_json.stdout.splitlines())}
        assert set(records) == set(wanted) and {r["outcome"] for r in records.values()} == {"exists"}
        assert all(records[n]["partitions"] == p and records[n]["configs"] == c and records[n]["drift"] == [] for n, (p, c) in wanted.items())

    def test_partitions_option_and_drift_warning(self, invoke, service_env):
        stories = service_env["ARTICLE_STREAM_TOPIC_STORIES"]
        asyncio.run(create_topics(service_env["ARTICLE_STREAM_BROKER"], {stories: 1}))  # made by hand, not compacted
        result = invoke(["topics", "create", "--partitions", "3"], env=service_env)
        assert result.exit_code == 0, result.output
        assert f"warning: {stories}: cleanup.policy is 'delete', the service wants 'compact'" in result.stderr
        assert f"warning: {stories}: has 1 partitions, the service wants 3" in result.stderr
        _, described = _describe(invoke, service_env, "raw")
        assert len(described[service_env["ARTICLE_STREAM_TOPIC_RAW"]]["partitions"]) == 3

    def test_describe_shows_the_worker_groups_lag(self, invoke, service_env):
        from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
        from aiokafka.structs import OffsetAndMetadata

        bootstrap, raw, group = service_env["ARTICLE_STREAM_BROKER"], service_env["ARTICLE_STREAM_TOPIC_RAW"], service_env["ARTICLE_STREAM_APP_ID"]
        assert invoke(["topics", "create"], env=service_env).exit_code == 0

        async def five_records_two_consumed():
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
            await producer.start()
            try:
                for i in range(5):
                    await producer.send_and_wait(raw, b'{"body": "x"}', partition=0)
            finally:
                await producer.stop()
            consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
            await consumer.start()
            try:
                consumer.assign([TopicPartition(raw, 0)])
                await consumer.commit({TopicPartition(raw, 0): OffsetAndMetadata(2, "")})
            finally:
                await consumer.stop()

        asyncio.run(five_records_two_consumed())
        result, described = _describe(invoke, service_env, "raw")
        assert result.exit_code == 0, result.output
        partitions = {p["partition"]: p for p in described[raw]["partitions"]}
        assert (partitions[0]["end_offset"], partitions[0]["committed"], partitions[0]["lag"]) == (5, 2, 3)
        assert partitions[1]["committed"] is None and partitions[1]["lag"] is None
        assert described[raw]["total_lag"] == 3

        table = invoke(["topics", "describe", "raw"], env=service_env)
        assert f"lag({group})=3" in table.stdout and "cleanup.policy=delete" in table.stdout
        # Not a terminal (like a pipe or a CI log): the topic's line is whole, not wrapped at 80 columns.
        [line] = [line for line in table.stdout.splitlines() if f"lag({group})=3" in line]
        assert line.startswith(raw) and "cleanup.policy=delete" in line and "max.message.bytes=" in line and len(line) > 80

    def test_describe_of_a_missing_topic_is_exit_1(self, invoke, service_env):
        result, described = _describe(invoke, service_env, "raw")
        assert result.exit_code == 1
        assert described[service_env["ARTICLE_STREAM_TOPIC_RAW"]]["exists"] is False
