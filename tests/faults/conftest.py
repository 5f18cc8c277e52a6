"""Helpers shared by the fault-injection tests: real workers on a real broker, and the bookkeeping
that proves every input came out (enriched or dead-lettered) and how often."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import orjson
from aiokafka import AIOKafkaConsumer

from tests.support.worker import WorkerProcess


@dataclass
class Tally:
    """What a consumer of the output topics saw."""

    enriched: list[dict] = field(default_factory=list)
    dead: list[dict] = field(default_factory=list)

    @property
    def versions(self) -> Counter:
        """(id, revision) -> how many copies arrived."""
        return Counter((v["id"], v["revision"]) for v in self.enriched)

    @property
    def duplicate_copies(self) -> int:
        """Records an idempotent consumer (keyed by id and revision) drops."""
        return sum(n - 1 for n in self.versions.values())

    @property
    def distinct_ids(self) -> set[str]:
        return {v["id"] for v in self.enriched}


class OutputReader:
    """Reads enriched and dead-letter topics from the beginning, incrementally (no consumer group)."""

    def __init__(self, bootstrap: str, enriched: str, dlq: str) -> None:
        self.bootstrap, self.enriched, self.dlq = bootstrap, enriched, dlq
        self.tally = Tally()
        self._consumer: AIOKafkaConsumer | None = None

    async def __aenter__(self) -> OutputReader:
        self._consumer = AIOKafkaConsumer(
            self.enriched, self.dlq, bootstrap_servers=self.bootstrap, auto_offset_reset="earliest",
            enable_auto_commit=False, group_id=None, metadata_max_age_ms=1000, max_partition_fetch_bytes=16 << 20,
            fetch_max_bytes=64 << 20,
        )  # fmt: skip
        await self._consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._consumer is not None:
            await self._consumer.stop()

    async def poll(self, timeout_ms: int = 500) -> int:
        assert self._consumer is not None
        batch = await self._consumer.getmany(timeout_ms=timeout_ms, max_records=5000)
        n = 0
        for tp, records in batch.items():
            target = self.tally.enriched if tp.topic == self.enriched else self.tally.dead
            for record in records:
                target.append(orjson.loads(record.value))
                n += 1
        return n

    async def until(self, done, timeout: float, idle: float = 0.0, worker: WorkerProcess | None = None) -> bool:
        """Poll until ``done(tally)`` holds (then ``idle`` s more, to catch late extras) or ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self.poll()
            if done(self.tally):
                settle = time.monotonic() + idle
                while time.monotonic() < settle:
                    await self.poll()
                return True
            if worker is not None and worker.proc.poll() is not None:
                raise AssertionError(f"worker exited with {worker.proc.returncode}:\n{worker.log_tail()}")
        return False


def input_ids(values: list[bytes], pipeline) -> list[str]:
    """The article id the pipeline derives for each input (None for rejected ones)."""
    ids = []
    for value in values:
        outcome = pipeline.prepare(value)
        ids.append(outcome.enriched.id if outcome.enriched is not None else None)
    return ids


async def wait_status(worker: WorkerProcess, want: int, timeout: float) -> float | None:
    """Seconds until ``/ready`` answered ``want`` (None if it never did within ``timeout``)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            status, _ = await asyncio.to_thread(worker.get, "/ready", 3.0)
            if status == want:
                return time.monotonic() - started
        except OSError:
            pass
        await asyncio.sleep(0.3)
    return None


def metric(body: bytes, name: str, labels: str | None = None) -> float:
    """Sum of a Prometheus sample (optionally with exactly these labels) in an exposition."""
    total = 0.0
    for line in body.decode().splitlines():
        if line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$", line)
        if match and match.group(1) == name and (labels is None or match.group(2) == "{" + labels + "}"):
            total += float(match.group(3))
    return total


def report(title: str, **figures: object) -> None:
    """Figures for the closing note (visible with ``pytest -s`` and in the captured output of failures)."""
    print(f"\n[faults] {title}: " + ", ".join(f"{k}={v}" for k, v in figures.items()), flush=True)
