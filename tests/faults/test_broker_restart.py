"""The broker goes away mid-stream and comes back: the worker says not ready while it is away,
reconnects by itself, and loses nothing. Uses its own broker (the session's one is shared)."""

from __future__ import annotations

import asyncio
import time

import pytest

from stream.broker import BrokerConfig, EmbeddedBroker, create_topics
from tests.faults.conftest import OutputReader, metric, report, wait_status
from tests.support.articles import make_values
from tests.support.worker import Deployment, publish, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

ARTICLES = 3000
OUTAGE_ENV = {
    "ARTICLE_STREAM_PROGRESS_INTERVAL_SECONDS": "1",
    "ARTICLE_STREAM_BROKER_TIMEOUT_SECONDS": "4",
    # Short attempts, many retries: sends during the outage time out, are retried with backoff and
    # succeed once the broker is back (about a minute of retrying before a record is dead-lettered).
    "ARTICLE_STREAM_PRODUCE_TIMEOUT_S": "3",
    "ARTICLE_STREAM_PRODUCE_RETRIES": "12",
    "ARTICLE_STREAM_PRODUCE_BACKOFF_MS": "300",
    "BROKER_SESSION_TIMEOUT": "8",
    "BROKER_HEARTBEAT_INTERVAL": "1",
}


@pytest.fixture
def own_broker(tmp_path):
    broker = EmbeddedBroker(BrokerConfig(data_dir=tmp_path / "kafka"))
    broker.start()
    try:
        yield broker
    finally:
        broker.stop(timeout_s=10)


async def test_worker_rides_out_a_broker_restart(own_broker, tmp_path):
    broker = own_broker
    deployment = Deployment(broker.bootstrap, partitions=2, extra_env=OUTAGE_ENV)
    t = deployment.topics
    await create_topics(broker.bootstrap, {t["raw"]: deployment.partitions})
    values = make_values(ARTICLES, seed=21)
    first, second = values[: ARTICLES // 2], values[ARTICLES // 2 :]
    worker = start_worker(deployment, tmp_path)
    try:
        await asyncio.to_thread(worker.wait_ready, 120)
        await publish(broker.bootstrap, t["raw"], first)
        async with OutputReader(broker.bootstrap, t["enriched"], t["dlq"]) as reader:
            assert await reader.until(lambda tally: len(tally.enriched) >= 300, timeout=120, worker=worker), worker.log_tail()

        # Mid-stream: a controlled broker shutdown (the records the worker already fetched are still
        # being processed and produced into the outage).
        stopped_at = time.monotonic()
        await broker.stop_async(timeout_s=20)
        not_ready_after = await wait_status(worker, 503, timeout=30)
        assert not_ready_after is not None, f"worker still reports ready with the broker down:\n{worker.log_tail()}"
        status, body = await asyncio.to_thread(worker.get, "/ready")
        assert status == 503 and b'"broker_reachable":false' in body.replace(b" ", b"")
        await asyncio.sleep(3)  # stay away a little longer than a heartbeat or two
        assert worker.proc.poll() is None, f"worker died with the broker away:\n{worker.log_tail()}"

        await broker.start_async()
        outage = time.monotonic() - stopped_at
        ready_again = await wait_status(worker, 200, timeout=180)
        assert ready_again is not None, f"worker did not recover by itself:\n{worker.log_tail()}"
        await publish(broker.bootstrap, t["raw"], second)

        async with OutputReader(broker.bootstrap, t["enriched"], t["dlq"]) as reader:
            done = await reader.until(
                lambda tally: len(tally.distinct_ids) + len(tally.dead) >= ARTICLES, timeout=240, idle=2.0, worker=worker
            )
            tally = reader.tally
        assert done, f"{len(tally.distinct_ids)} + {len(tally.dead)} of {ARTICLES}:\n{worker.log_tail()}"
        assert len(tally.distinct_ids) == ARTICLES and not tally.dead
        assert {revision for _, revision in tally.versions} == {1}

        _, body = await asyncio.to_thread(worker.get, "/metrics")
        retries = metric(body, "article_stream_produce_retries_total")
        report(
            "broker restart",
            articles_in=ARTICLES,
            enriched=len(tally.distinct_ids),
            dead_lettered=len(tally.dead),
            duplicate_copies=tally.duplicate_copies,
            not_ready_after_stop_s=round(not_ready_after, 1),
            broker_away_s=round(outage, 1),
            ready_again_after_start_s=round(ready_again, 1),
            produce_retries=retries,
        )
    finally:
        worker.stop()
