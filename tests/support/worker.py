"""Run real worker processes against the session's broker, and talk to them through Kafka."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from benchmarks.workers import Deployment as BenchDeployment
from benchmarks.workers import Worker as WorkerProcess
from benchmarks.workers import free_port, start_worker  # noqa: F401  (re-exported for the tests)


@dataclass
class Deployment(BenchDeployment):
    """One app id and its topics (``<app id>.raw`` …): what a set of workers share."""

    name: str = "test"


@asynccontextmanager
async def running_worker(deployment: Deployment, log_dir: Path, name: str = "worker") -> AsyncIterator[WorkerProcess]:
    """Create the input topic, start a worker, wait until it is ready; stop it on exit."""
    from stream.broker import create_topics

    await create_topics(deployment.bootstrap, {deployment.topics["raw"]: deployment.partitions})
    worker = start_worker(deployment, log_dir, name)
    try:
        await asyncio.to_thread(worker.wait_ready)
        yield worker
    finally:
        worker.stop()


async def publish(bootstrap: str, topic: str, values: list[bytes], keys: list[bytes | None] | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, max_request_size=16 << 20)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=(keys[i] if keys else None)) for i, value in enumerate(values)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def collect(bootstrap: str, topics: list[str], expected: int, timeout: float = 120.0, idle: float = 0.0) -> dict[str, list]:
    """Read from the beginning of ``topics`` until ``expected`` records arrived (then ``idle`` more
    seconds, to catch extras) or ``timeout`` passed. Returns topic -> list of (key, value dict, headers)."""
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False,
        group_id=None, metadata_max_age_ms=1000,
    )
    await consumer.start()
    found: dict[str, list] = {t: [] for t in topics}
    try:
        deadline = time.monotonic() + timeout
        settle_until = None
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for r in records:
                    found[tp.topic].append((r.key, orjson.loads(r.value), dict(r.headers)))
            total = sum(len(v) for v in found.values())
            if total >= expected:
                if settle_until is None:
                    settle_until = time.monotonic() + idle
                if time.monotonic() >= settle_until:
                    break
    finally:
        await consumer.stop()
    return found


async def read_values(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    """The values of the first ``expected`` records of ``topic``; fails if the topic runs dry first."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None)
    await consumer.start()
    try:
        values: list[bytes] = []
        while len(values) < expected:
            batch = await consumer.getmany(timeout_ms=2000)
            assert batch, f"{topic} ran dry after {len(values)} of {expected} records"
            values.extend(r.value for records in batch.values() for r in records)
    finally:
        await consumer.stop()
    return values


async def locate(
    bootstrap: str, topic: str, wanted: set[str], id_of: Callable[[bytes], str | None], every: bool = False
) -> dict[str, Any]:
    """Where (partition, offset) in ``topic`` the records whose ``id_of(value)`` is in ``wanted`` are
    (the last one, or with ``every`` a list of all): to read a loss off the worker's logs."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
        max_partition_fetch_bytes=16 << 20,
    )  # fmt: skip
    await consumer.start()
    found: dict[str, Any] = {}
    try:
        ends = await consumer.end_offsets(list(consumer.assignment()))
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                for record in records:
                    found_id = id_of(record.value)
                    if found_id in wanted:
                        if every:
                            found.setdefault(found_id, []).append((tp.partition, record.offset))
                        else:
                            found[found_id] = (tp.partition, record.offset)
    finally:
        await consumer.stop()
    return found
