"""Poison input at volume: 10,000 hostile payloads (tests/faults/hostile.py) interleaved with good
articles. The worker never crashes, its memory stays bounded, every rejected payload is dead-lettered
with the code and reason the pipeline gives it, and everything else is enriched."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer

from stream.broker import create_topics
from stream.core.pipeline import Pipeline
from tests.faults.conftest import OutputReader, metric, report
from tests.faults.hostile import volume
from tests.support.articles import make_values
from tests.support.worker import Deployment, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

BAD = 10_000
GOOD = 1_000
MEMORY_LIMIT_MB = 1024  # peak resident memory of the worker process


async def publish_positions(bootstrap: str, topic: str, values: list[bytes]) -> list[tuple[int, int]]:
    """Publish and return each record's (partition, offset)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=16 << 20, linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(topic, value) for value in values]
        return [(meta.partition, meta.offset) for meta in await asyncio.gather(*futures)]
    finally:
        await producer.stop()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def test_ten_thousand_poison_payloads_are_dead_lettered_with_their_reason(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap, partitions=2)
    t = deployment.topics
    # The raw topic takes the 10 MB payloads, as a publisher's misconfigured topic would.
    await create_topics(kafka_bootstrap, {t["raw"]: deployment.partitions}, configs={"max.message.bytes": str(12 << 20)})
    hostile = volume(BAD, seed=5)
    good = make_values(GOOD, seed=51)
    payloads: list[tuple[str, bytes]] = []
    for i, item in enumerate(hostile):
        payloads.append(item)
        if i % (BAD // GOOD) == 0 and good:
            payloads.append(("good", good.pop()))

    # What the pipeline itself says about each payload: the stream must agree.
    offline = Pipeline()
    expected = [offline.prepare(value) for _, value in payloads]
    rejected_codes = [o.dead_letter.error_code.value if o.dead_letter else None for o in expected]
    expected_ids = {o.enriched.id for o in expected if o.enriched is not None}
    assert all(code for (kind, _), code in zip(payloads, rejected_codes) if kind not in ("good", "absurd_dates"))

    worker = start_worker(deployment, tmp_path)
    peak = 0.0
    try:
        await asyncio.to_thread(worker.wait_ready, 120)
        positions = await publish_positions(kafka_bootstrap, t["raw"], [value for _, value in payloads])
        expected_dead = {pos: code for pos, code in zip(positions, rejected_codes) if code}
        total = len(expected_dead) + len(expected_ids)
        async with OutputReader(kafka_bootstrap, t["enriched"], t["dlq"]) as reader:

            def finished(tally) -> bool:
                nonlocal peak
                peak = max(peak, rss_mb(worker.proc.pid))
                return len(tally.distinct_ids) + len(tally.dead) >= total

            done = await reader.until(finished, timeout=420, idle=2.0, worker=worker)
            tally = reader.tally
        assert done, f"{len(tally.distinct_ids)} + {len(tally.dead)} of {total}:\n{worker.log_tail()}"
        assert worker.proc.poll() is None  # never crashed

        # Each rejected payload was dead-lettered once, with the pipeline's code and a reason.
        seen = {(d["original_partition"], d["original_offset"]): d for d in tally.dead}
        assert len(seen) == len(tally.dead) == len(expected_dead)
        assert {pos: d["error_code"] for pos, d in seen.items()} == expected_dead
        assert all(d["reason"] and d["original_topic"] == t["raw"] for d in tally.dead)
        # Hostile but legitimate ones (absurd dates) and the good articles were all enriched.
        assert tally.distinct_ids == expected_ids
        assert peak < MEMORY_LIMIT_MB, f"worker peaked at {peak:.0f} MB"

        _, body = await asyncio.to_thread(worker.get, "/metrics")
        assert metric(body, "article_stream_articles_dead_lettered_total") == len(expected_dead)
        kinds = Counter(kind for kind, _ in payloads)
        report(
            "poison",
            payloads_in=len(payloads),
            hostile=BAD,
            good=kinds["good"],
            enriched=len(tally.distinct_ids),
            dead_lettered=len(tally.dead),
            codes=dict(Counter(d["error_code"] for d in tally.dead)),
            shrunk_dead_letters=sum(1 for d in tally.dead if "cut to" in d["reason"]),
            peak_rss_mb=round(peak),
        )
    finally:
        worker.stop()
