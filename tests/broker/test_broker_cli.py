"""`article-stream broker start|stop|status` as a user runs it: separate processes, a real broker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from stream.broker.embedded import pid_alive

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(tmp_path):
    env = {**os.environ, "ARTICLE_STREAM_BROKER_STATE": str(tmp_path / "state")}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "stream", "broker", *args], env=env, capture_output=True, text=True, timeout=180
        )

    yield run
    run("stop")  # never leave a broker behind, whatever the test did


def _state(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "state" / "state.json").read_text())


def test_start_reuse_status_stop(cli, tmp_path):
    first = cli("start")
    assert first.returncode == 0, first.stderr
    address = first.stdout.strip()
    assert first.stdout == address + "\n", "stdout carries only the bootstrap address"
    host, port = address.split(":")
    assert host == "127.0.0.1" and int(port) > 0
    state = _state(tmp_path)
    pid, data_dir = state["pid"], Path(state["data_dir"])
    assert pid_alive(pid) and data_dir.is_dir()

    second = cli("start")
    assert second.returncode == 0 and second.stdout.strip() == address
    assert "reusing" in second.stderr
    assert _state(tmp_path)["pid"] == pid

    running = cli("status")
    assert running.returncode == 0
    assert running.stdout.split() == ["running", address]

    stopped = cli("stop")
    assert stopped.returncode == 0
    assert not pid_alive(pid)
    assert not data_dir.exists(), "the default fresh data dir is removed on stop"

    after = cli("status")
    assert after.returncode == 1
    assert after.stdout.strip() == "stopped"


def test_status_without_any_state_is_stopped(cli):
    result = cli("status")
    assert (result.returncode, result.stdout.strip()) == (1, "stopped")


async def _send(bootstrap: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait("kept", value)
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, count: int) -> list[bytes]:
    consumer = AIOKafkaConsumer("kept", bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    values: list[bytes] = []
    try:
        async with asyncio.timeout(20):
            while len(values) < count:
                batches = await consumer.getmany(timeout_ms=500)
                values += [message.value for messages in batches.values() for message in messages]
    finally:
        await consumer.stop()
    return values


def test_data_dir_survives_stop_and_start(cli, tmp_path):
    data_dir = tmp_path / "kafka-data"
    address = cli("start", "--data-dir", str(data_dir)).stdout.strip()
    asyncio.run(_send(address, b"persisted"))
    assert cli("stop").returncode == 0
    assert data_dir.is_dir()

    again = cli("start", "--data-dir", str(data_dir))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == address, "a restart on the same data dir keeps its port"
    assert asyncio.run(_read_all(address, 1)) == [b"persisted"]
