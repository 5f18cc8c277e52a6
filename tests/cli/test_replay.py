"""article-stream replay: offset and time ranges, dry run, keys and headers kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from stream.broker import create_topics
from stream.cli.replay import parse_moment
from tests.support.worker import collect

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def test_parse_moment_accepts_iso_and_durations_ago():
    assert parse_moment("2h", now=NOW) == NOW - timedelta(hours=2)
    assert parse_moment("7d", now=NOW) == NOW - timedelta(days=7)
    assert parse_moment("2024-12-05T09:00Z") == datetime(2024, 12, 5, 9, 0, tzinfo=UTC)
    assert parse_moment("2024-12-05T18:00+09:00") == datetime(2024, 12, 5, 9, 0, tzinfo=UTC)
    assert parse_moment("2024-12-05") == datetime(2024, 12, 5, tzinfo=UTC)  # zone-less is UTC
    with pytest.raises(ValueError):
        parse_moment("yesterday")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from-offset", "1", "--since", "1h"], "not both"),
        (["--from-offset", "5", "--to-offset", "2"], "before --from-offset"),
        (["--since", "1h", "--until", "2h"], "before --since"),
        (["--since", "soon"], "not a time"),
        ([], "no range given"),
    ],
)
def test_bad_ranges_are_usage_errors(invoke, args, message):
    result = invoke(["replay", "--broker", "127.0.0.1:9", *args])
    assert result.exit_code == 2 and message in result.stderr


# Partition -> record timestamps (hours after BASE), one record each.
BASE = datetime(2024, 12, 5, tzinfo=UTC)
LAYOUT = {0: [0, 1, 2, 3, 4], 1: [0, 2, 4]}


@pytest.mark.integration
class TestAgainstTheBroker:
    @pytest.fixture
    def source(self, service_env):
        from aiokafka import AIOKafkaProducer

        bootstrap = service_env["ARTICLE_STREAM_BROKER"]
        raw, target = service_env["ARTICLE_STREAM_TOPIC_RAW"], service_env["ARTICLE_STREAM_TOPIC_ENRICHED"]

        async def fill():
            await create_topics(bootstrap, {raw: 2, target: 2})
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
            await producer.start()
            try:
                for partition, hours in LAYOUT.items():
                    for offset, hour in enumerate(hours):
                        stamp = int((BASE + timedelta(hours=hour)).timestamp() * 1000)
                        await producer.send_and_wait(
                            raw, f'{{"body": "p{partition} o{offset}"}}'.encode(), key=f"k{partition}-{offset}".encode(),
                            partition=partition, timestamp_ms=stamp, headers=[("ce_id", f"id-{partition}-{offset}".encode())],
                        )
            finally:
                await producer.stop()

        asyncio.run(fill())
        return service_env, raw, target

    def _records(self, env, topic, expected):
        return asyncio.run(collect(env["ARTICLE_STREAM_BROKER"], [topic], expected=expected, timeout=10, idle=1.5))[topic]

    def test_dry_run_counts_and_sends_nothing(self, invoke, source):
        env, raw, target = source
        result = invoke(["replay", "--dry-run", "--to-topic", target], env=env)
        assert result.exit_code == 0, result.output
        assert "would replay 8 records" in result.stdout
        result = invoke(["replay", "--dry-run", "--from-offset", "1", "--to-offset", "3", "--to-topic", target], env=env)
        assert "would replay 4 records" in result.stdout  # offsets 1 and 2 of both partitions
        assert self._records(env, target, expected=1) == []

    def test_offset_range_keeps_keys_and_headers(self, invoke, source):
        env, raw, target = source
        result = invoke(["replay", "--from-offset", "1", "--to-offset", "3", "--partition", "0", "--to-topic", target], env=env)
        assert result.exit_code == 0, result.output
        assert "replayed 2 records" in result.stdout
        records = self._records(env, target, expected=2)
        assert sorted(k for k, _, _ in records) == [b"k0-1", b"k0-2"]
        assert sorted(h["ce_id"] for _, _, h in records) == [b"id-0-1", b"id-0-2"]
        assert sorted(v["body"] for _, v, _ in records) == ["p0 o1", "p0 o2"]

    def test_time_range_uses_record_timestamps(self, invoke, source):
        env, raw, target = source
        since, until = (BASE + timedelta(hours=1)).isoformat(), (BASE + timedelta(hours=4)).isoformat()
        # [1h, 4h): partition 0 hours 1, 2, 3; partition 1 hour 2.
        result = invoke(["replay", "--since", since, "--until", until, "--to-topic", target], env=env)
        assert result.exit_code == 0, result.output
        records = self._records(env, target, expected=4)
        assert sorted(k.decode() for k, _, _ in records) == ["k0-1", "k0-2", "k0-3", "k1-1"]

    def test_replay_into_itself_terminates(self, invoke, source):
        env, raw, _ = source
        result = invoke(["replay", "--yes"], env=env)
        assert result.exit_code == 0, result.output
        assert "replayed 8 records" in result.stdout
        assert len(self._records(env, raw, expected=16)) == 16

    def test_unknown_partition_is_exit_2(self, invoke, source):
        env, _, _ = source
        result = invoke(["replay", "--dry-run", "--partition", "7"], env=env)
        assert result.exit_code == 2 and "no partition 7" in result.stderr


@pytest.mark.integration
def test_missing_target_topic_is_exit_2(invoke, service_env):
    asyncio.run(create_topics(service_env["ARTICLE_STREAM_BROKER"], {service_env["ARTICLE_STREAM_TOPIC_RAW"]: 1}))
    result = invoke(["replay", "--yes", "--to-topic", "nowhere-to-go"], env=service_env)
    assert result.exit_code == 2 and "does not exist" in result.stderr
