"""A second worker joins mid-run and later leaves: it takes a share of the partitions while it is
there, nothing is lost, and afterwards no partition is stuck (the remaining worker is ready with no
lag and no stalled partition)."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from stream.broker import create_topics
from stream.core.pipeline import Pipeline
from tests.faults.conftest import OutputReader, metric, report, wait_status
from tests.support.articles import make_values
from tests.support.worker import Deployment, locate, publish, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

ARTICLES = 4000
ENV = {
    "ARTICLE_STREAM_STALL_SECONDS": "20",
    "ARTICLE_STREAM_PROGRESS_INTERVAL_SECONDS": "1",
    "BROKER_SESSION_TIMEOUT": "8",
    "BROKER_HEARTBEAT_INTERVAL": "1",
    "ARTICLE_STREAM_LOG_LEVEL": "INFO",
}


# Stop 15 saw one stall here (three partitions stuck at 1,613 of 4,000 after the second worker left, the
# tagged partition's records "fetched before the seek" dropped and not fetched again). The mechanism that
# note names is fixed (stream/worker/transport.py, fix 1: a drop past the sought offset seeks back to it);
# the stall was not seen again in 8 runs then nor in 4 more (issue 21), so no xfail: a failure
# here is a finding again.
async def test_worker_joins_and_leaves_without_loss_or_stuck_partitions(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap, partitions=4, extra_env=ENV)
    t = deployment.topics
    await create_topics(kafka_bootstrap, {t["raw"]: deployment.partitions})
    first = start_worker(deployment, tmp_path, name="first")
    second = None
    try:
        await asyncio.to_thread(first.wait_ready, 120)
        values = make_values(ARTICLES, seed=61)
        await publish(kafka_bootstrap, t["raw"], values[: ARTICLES // 2])
        async with OutputReader(kafka_bootstrap, t["enriched"], t["dlq"]) as reader:
            assert await reader.until(lambda tally: len(tally.distinct_ids) >= ARTICLES // 5, timeout=180, worker=first)
            second = start_worker(deployment, tmp_path, name="second")
            joined_in = await wait_status(second, 200, timeout=120)
            assert joined_in is not None, second.log_tail()
            await publish(kafka_bootstrap, t["raw"], values[ARTICLES // 2 :])  # work for both
            # Let it work a while, then it leaves (a graceful stop, as in a scale-down).
            consumed_by_second, second_ready = 0.0, b""
            for _ in range(60):
                await reader.poll(timeout_ms=200)
                try:
                    _, second_metrics = await asyncio.to_thread(second.get, "/metrics")
                except OSError:  # its web server is busy: ask again
                    continue
                # Its share of the work: raw records (enrich) and related articles (relate, if it got that).
                consumed_by_second = metric(second_metrics, "article_stream_articles_consumed_total") + metric(
                    second_metrics, "article_stream_articles_enriched_total"
                )
                if consumed_by_second >= 100:
                    break
                await asyncio.sleep(0.3)
            if consumed_by_second == 0:
                _, second_ready = await asyncio.to_thread(second.get, "/ready")
            second.stop()
            done = await reader.until(
                lambda tally: len(tally.distinct_ids) + len(tally.dead) >= ARTICLES, timeout=240, idle=2.0, worker=first
            )
            tally = reader.tally
        if not done or len(tally.distinct_ids) != ARTICLES:
            lost = await _locate_lost(kafka_bootstrap, deployment, values, tally.distinct_ids)
            raise AssertionError(
                f"{len(tally.distinct_ids)} + {len(tally.dead)} of {ARTICLES}: {first.get('/ready')}; lost (id: raw "
                f"partition, offset; relate input offsets): {lost}\n{first.log_tail()}"
            )
        assert not tally.dead
        assert {revision for _, revision in tally.versions} == {1}

        # No stuck partition: the remaining worker becomes ready with everything committed.
        ready_in = await wait_status(first, 200, timeout=60)
        assert ready_in is not None, first.log_tail()
        checks = {}
        for _ in range(30):
            _, body = await asyncio.to_thread(first.get, "/ready")
            checks = orjson.loads(body)
            if checks["lag"] == 0:
                break
            await asyncio.sleep(1)
        assert checks["lag"] == 0 and checks["stalled_partitions"] == [], checks
        _, first_metrics = await asyncio.to_thread(first.get, "/metrics")
        # A joiner that did nothing is fine only if nothing waited in its partitions.
        if consumed_by_second == 0:
            assert orjson.loads(second_ready)["lag"] == 0, f"the joining worker sat on waiting records: {second_ready!r}"
        report(
            "rebalance",
            articles_in=ARTICLES,
            enriched=len(tally.distinct_ids),
            dead_lettered=len(tally.dead),
            duplicate_copies=tally.duplicate_copies,
            work_done_by_second=int(consumed_by_second),
            rebalances_seen_by_first=int(metric(first_metrics, "article_stream_rebalances_total")),
            second_ready_after_s=round(joined_in, 1),
        )
    finally:
        if second is not None:
            second.stop()
        first.stop()


async def _locate_lost(bootstrap: str, deployment: Deployment, values: list[bytes], seen: set[str]) -> list:
    """Each lost article with where its input was (raw partition, offset) and the offsets of its copies
    in the relate stage's input: enough to find it in the workers' logs."""
    offline = Pipeline()

    def article_id(value: bytes) -> str | None:
        enriched = offline.prepare(value).enriched
        return enriched.id if enriched is not None else None

    lost_ids = {article_id(value) for value in values} - seen - {None}
    raw = await locate(bootstrap, deployment.topics["raw"], lost_ids, article_id)
    tagged = await locate(bootstrap, f"{deployment.app_id}-articles.tagged", lost_ids, lambda v: orjson.loads(v)["id"], every=True)
    return sorted((article_id, raw.get(article_id), tagged.get(article_id, [])) for article_id in lost_ids)
