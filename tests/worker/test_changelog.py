"""The relate tables' changelog records, which the relate agent sends itself (``RecordTable.send_changelog``
in stream/worker/app.py): one per table write, keyed as Faust's own serialization keys them, decodable
by the relate codec, and enough for a new worker to recover the window from."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from aiokafka import AIOKafkaConsumer

from stream.worker.codecs import RelateRecords
from tests.support.articles import make_values
from tests.support.worker import Deployment, collect, publish, running_worker

pytestmark = pytest.mark.integration

ARTICLES = 6


async def read_raw(bootstrap: str, topic: str, idle: float = 3.0, timeout: float = 30.0) -> list[tuple[bytes, bytes | None]]:
    """Every (key, value) of a one-partition topic, read until it stays quiet for ``idle`` seconds."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None, metadata_max_age_ms=1000)
    await consumer.start()
    found: list[tuple[bytes, bytes | None]] = []
    try:
        deadline, quiet_since = time.monotonic() + timeout, time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < idle:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                found += [(r.key, r.value) for r in records]
                quiet_since = time.monotonic()
    finally:
        await consumer.stop()
    return found


async def test_changelog_records_carry_the_window_a_new_worker_recovers(kafka_bootstrap, tmp_path) -> None:
    deployment = Deployment(kafka_bootstrap, name="changelog")
    t = deployment.topics
    values = make_values(ARTICLES, seed=21)
    async with running_worker(deployment, tmp_path, "first") as worker:
        await publish(kafka_bootstrap, t["raw"], values)
        found = await collect(kafka_bootstrap, [t["enriched"]], expected=ARTICLES, timeout=120)
        articles = [value for _, value, _ in found[t["enriched"]]]
        assert len(articles) == ARTICLES, worker.log_tail()

    codec = RelateRecords()
    ids = {a["id"] for a in articles}
    # Keys as Faust's "json" key serializer writes them (compaction and recovery match on these bytes).
    expected_keys = {json.dumps(article_id).encode() for article_id in ids}
    for table in ("articles", "ledger"):
        records = await read_raw(kafka_bootstrap, f"{deployment.app_id}-relate-{table}-changelog")
        assert {key for key, _ in records} == expected_keys, table
        assert all(value is not None and codec.loads(value) is not None for _, value in records), table
    stories = await read_raw(kafka_bootstrap, f"{deployment.app_id}-relate-stories-changelog")
    assert {json.dumps(a["story_id"]).encode() for a in articles} <= {key for key, _ in stories}

    # A new worker rebuilds its window from those records alone: it holds the articles at once, and
    # the same articles sent again are recognised as unchanged (none is a new article).
    async with running_worker(deployment, tmp_path, "second") as second:
        assert second.metric("article_stream_window_articles") == ARTICLES, second.log_tail()
        await publish(kafka_bootstrap, t["raw"], values)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (second.metric("article_stream_articles_unchanged_total") or 0) < ARTICLES:
            await asyncio.sleep(0.5)
        assert (second.metric("article_stream_articles_unchanged_total") or 0) >= ARTICLES, second.log_tail()
        after = await collect(kafka_bootstrap, [t["enriched"]], expected=ARTICLES, timeout=30, idle=2.0)
        # Nothing new: at most a same-revision re-emit of a replayed input (stream/worker/agents.py, ReplayGuard).
        assert {(v["id"], v["revision"], v["story_id"]) for _, v, _ in after[t["enriched"]]} == {
            (a["id"], 1, a["story_id"]) for a in articles
        }
