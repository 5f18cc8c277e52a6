"""A downstream topic that refuses records: the record is dead-lettered (produce_failed) instead of
blocking its partition, it shows in the metrics, and when not even the dead letter can be written the
stream stops at that input (nothing lost) and the stall watchdog makes the readiness probe fail."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from stream.broker import create_topics
from tests.faults.conftest import OutputReader, metric, report, wait_status
from tests.support.articles import make_values
from tests.support.worker import Deployment, publish, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

ENRICHED_LIMIT = 20_000  # bytes: the enriched topic's max.message.bytes in the first test


def big_article(i: int) -> bytes:
    paragraphs = [f"Paragraph {n} of a very long report number {i} on the harbour budget and its many critics." for n in range(700)]
    return orjson.dumps(
        {
            "url": f"https://news.example.com/long/{i}",
            "source": "Example News",
            "title": f"A very long report ({i})",
            "body": "\n\n".join(paragraphs),
            "published_at": "2024-12-05T10:00:00Z",
        }
    )


async def test_a_record_the_topic_refuses_is_dead_lettered_not_blocking(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap, partitions=2, extra_env={"ARTICLE_STREAM_PRODUCE_RETRIES": "2", "ARTICLE_STREAM_PRODUCE_BACKOFF_MS": "50"})
    t = deployment.topics
    await create_topics(kafka_bootstrap, {t["raw"]: deployment.partitions})
    await create_topics(kafka_bootstrap, {t["enriched"]: deployment.partitions}, configs={"max.message.bytes": str(ENRICHED_LIMIT)})
    small = make_values(60, seed=31)
    big = [big_article(i) for i in range(3)]
    values = small[:20] + big[:1] + small[20:40] + big[1:] + small[40:]
    worker = start_worker(deployment, tmp_path)
    try:
        await asyncio.to_thread(worker.wait_ready, 120)
        await publish(kafka_bootstrap, t["raw"], values)
        async with OutputReader(kafka_bootstrap, t["enriched"], t["dlq"]) as reader:
            done = await reader.until(
                lambda tally: len(tally.distinct_ids) + len(tally.dead) >= len(values), timeout=120, idle=2.0, worker=worker
            )
            tally = reader.tally
        assert done, worker.log_tail()
        assert len(tally.distinct_ids) == len(small)
        assert len(tally.dead) == len(big)
        for letter in tally.dead:
            assert letter["error_code"] == "produce_failed" and letter["stage"] == "emit"
            assert "MessageSizeTooLarge" in letter["reason"] and letter["original_topic"] == t["enriched"]
            assert len(letter["original_value"]) <= 64 * 1024  # bounded, so the dead letter itself fits
            assert orjson.loads(big[0])["source"] in letter["original_value"] or "Example News" in letter["original_value"]
        _, body = await asyncio.to_thread(worker.get, "/metrics")
        assert metric(body, "article_stream_articles_dead_lettered_total", 'code="produce_failed"') == len(big)
        report("produce failure", articles_in=len(values), enriched=len(tally.distinct_ids), dead_lettered=len(tally.dead))
    finally:
        worker.stop()


async def test_when_not_even_the_dead_letter_fits_the_stream_stops_and_readiness_says_so(kafka_bootstrap, tmp_path):
    deployment = Deployment(
        kafka_bootstrap,
        partitions=1,
        extra_env={
            "ARTICLE_STREAM_PRODUCE_RETRIES": "1",
            "ARTICLE_STREAM_PRODUCE_BACKOFF_MS": "50",
            "ARTICLE_STREAM_STALL_SECONDS": "3",
            "ARTICLE_STREAM_PROGRESS_INTERVAL_SECONDS": "1",
        },
    )
    t = deployment.topics
    await create_topics(kafka_bootstrap, {t["raw"]: 1})
    await create_topics(kafka_bootstrap, {t["dlq"]: 1}, configs={"max.message.bytes": "200"})  # no dead letter fits
    worker = start_worker(deployment, tmp_path)
    try:
        await asyncio.to_thread(worker.wait_ready, 120)
        good = make_values(20, seed=41)
        await publish(kafka_bootstrap, t["raw"], good[:5] + [b'{"title": "no body"}'] + good[5:])
        async with OutputReader(kafka_bootstrap, t["enriched"], t["dlq"]) as reader:
            await reader.until(lambda tally: len(tally.distinct_ids) >= len(good), timeout=60, worker=worker)
        # Later inputs are processed, but the committed offset stays at the input that could not be
        # dead-lettered: a restart would process it again. The watchdog sees the partition stalled.
        stalled_after = await wait_status(worker, 503, timeout=60)
        assert stalled_after is not None, worker.log_tail()
        status, body = await asyncio.to_thread(worker.get, "/ready")
        checks = orjson.loads(body)
        assert status == 503 and checks["stalled_partitions"] == [f"{t['raw']}[0]"], checks
        assert checks["broker_reachable"] and checks["lag"] >= 1
        _, metrics_body = await asyncio.to_thread(worker.get, "/metrics")
        assert metric(metrics_body, "article_stream_consumer_stalled_partitions") >= 1
        assert worker.proc.poll() is None
        report("stall", not_ready_after_s=round(stalled_after, 1), lag=checks["lag"])
    finally:
        worker.stop()
