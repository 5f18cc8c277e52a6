"""The real broker through the Python API: round trips, consumer groups, restart, start failures."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from stream.broker import BrokerConfig, BrokerStartError, EmbeddedBroker, create_topics, probe
from stream.broker.embedded import pid_alive

pytestmark = pytest.mark.integration


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=value)
    finally:
        await producer.stop()


async def _consume(bootstrap: str, topic: str, count: int, group: str | None = None, timeout_s: float = 20.0) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    received: list[bytes] = []
    try:
        async with asyncio.timeout(timeout_s):
            while len(received) < count:
                batches = await consumer.getmany(timeout_ms=500)
                for messages in batches.values():
                    received += [message.value for message in messages]
        if group is not None:
            await consumer.commit()
    finally:
        await consumer.stop()
    return received


async def test_round_trip_through_an_auto_created_topic(kafka_bootstrap):
    topic = "roundtrip-auto"
    await _produce(kafka_bootstrap, topic, [b"hello"])
    assert await _consume(kafka_bootstrap, topic, 1) == [b"hello"]


async def test_consumer_group_commits_and_resumes(kafka_bootstrap, create_topic):
    topic = await create_topic("grouped", partitions=3)
    first = [f"a{i}".encode() for i in range(12)]
    await _produce(kafka_bootstrap, topic, first)
    assert sorted(await _consume(kafka_bootstrap, topic, len(first), group="g-resume")) == sorted(first)

    # Same group again: only what came after the commit is delivered.
    second = [f"b{i}".encode() for i in range(4)]
    await _produce(kafka_bootstrap, topic, second)
    assert sorted(await _consume(kafka_bootstrap, topic, len(second), group="g-resume")) == sorted(second)

    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets("g-resume")
    finally:
        await admin.close()
    assert sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic) == len(first) + len(second)


async def test_create_topic_makes_the_requested_partitions(kafka_bootstrap, create_topic):
    topic = await create_topic("parts", partitions=4)
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    assert sorted(p["partition"] for p in described["partitions"]) == [0, 1, 2, 3]
    assert all(p["leader"] == 1 for p in described["partitions"])
    # Creating it again is not an error.
    await create_topics(kafka_bootstrap, {topic: 4})


def test_restart_on_same_data_dir_keeps_port_and_topic_data(tmp_path):
    broker = EmbeddedBroker(BrokerConfig(data_dir=tmp_path / "broker"))
    try:
        bootstrap = broker.start()
        asyncio.run(_produce(bootstrap, "durable", [b"before-restart"]))
        first_pid = broker.pid
        broker.stop()
        assert not pid_alive(first_pid)

        assert broker.start() == bootstrap
        assert broker.pid != first_pid
        asyncio.run(_produce(bootstrap, "durable", [b"after-restart"]))
        assert asyncio.run(_consume(bootstrap, "durable", 2)) == [b"before-restart", b"after-restart"]
    finally:
        broker.close()
    assert (tmp_path / "broker").is_dir(), "a data dir the caller chose is never deleted"


def test_context_manager_deletes_its_own_temp_data_dir():
    with EmbeddedBroker() as broker:
        data_dir, pid = broker.data_dir, broker.pid
        assert data_dir.is_dir() and pid_alive(pid)
    assert not data_dir.exists()
    assert not pid_alive(pid)


def test_start_failure_reports_the_broker_log(tmp_path):
    # Someone else holds the client port: Kafka cannot bind and exits.
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        broker = EmbeddedBroker(BrokerConfig(data_dir=tmp_path / "d", port=port, start_timeout_s=60))
        with pytest.raises(BrokerStartError) as caught:
            broker.start()
    message = str(caught.value)
    assert "exited" in message
    assert "server.log" in message and "Address already in use" in message
    assert broker.process is None


def test_broker_left_running_is_stopped_when_its_python_process_exits(tmp_path):
    script = (
        "from stream.broker import BrokerConfig, EmbeddedBroker\n"
        f"broker = EmbeddedBroker(BrokerConfig(data_dir={str(tmp_path / 'd')!r}))\n"
        "broker.start()\n"
        "print(broker.pid)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    pid = int(result.stdout.strip())
    assert not pid_alive(pid)


def test_crash_and_suspend_then_recover_on_same_address(tmp_path):
    broker = EmbeddedBroker(BrokerConfig(data_dir=tmp_path / "d"))
    try:
        bootstrap = broker.start()
        asyncio.run(_produce(bootstrap, "crashy", [b"acked-before-crash"]))

        broker.suspend()
        assert not asyncio.run(probe(bootstrap, request_timeout_ms=1000)), "a frozen broker answers no requests"
        broker.resume()
        assert asyncio.run(probe(bootstrap))

        pid = broker.pid
        broker.kill()
        assert not pid_alive(pid)
        assert broker.start() == bootstrap
        # Acked with acks=all on a one-node cluster: survives the crash.
        assert asyncio.run(_consume(bootstrap, "crashy", 1)) == [b"acked-before-crash"]
    finally:
        broker.close()
