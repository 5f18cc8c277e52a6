"""Worker SIGKILLed three times while 10,000 articles stream through, restarted each time.

The guarantee is at-least-once with idempotent output: after a crash Faust reprocesses from the last
committed offset, and the relate stage re-emits an article its recovered table already holds (it
cannot know whether the first emission reached the broker) with the same id and revision. So a
consumer that keys on (id, revision) sees every input article exactly once; the raw stream may carry
a few identical copies, which this test counts and checks are identical in id and revision.
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest

from stream.broker import create_topics
from stream.core.pipeline import Pipeline
from tests.faults.conftest import OutputReader, report, wait_status
from tests.support.articles import make_values
from tests.support.worker import Deployment, publish, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

ARTICLES = 10_000
KILLS = 3
# A killed member holds the group until its session times out (Faust reads these from the env).
FAST_FAILOVER = {"BROKER_SESSION_TIMEOUT": "8", "BROKER_HEARTBEAT_INTERVAL": "1"}


def related_share(records: list[dict]) -> float:
    return sum(1 for r in records if r["related"]) / max(len(records), 1)


async def test_every_article_survives_three_worker_kills(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap, partitions=2, extra_env=FAST_FAILOVER)
    t = deployment.topics
    await create_topics(kafka_bootstrap, {t["raw"]: deployment.partitions})
    values = make_values(ARTICLES, seed=11)
    await publish(kafka_bootstrap, t["raw"], values)

    worker = start_worker(deployment, tmp_path, name="w0")
    recoveries: list[float] = []
    kill_points: list[int] = []
    started = time.monotonic()
    try:
        await asyncio.to_thread(worker.wait_ready, 120)
        async with OutputReader(kafka_bootstrap, t["enriched"], t["dlq"]) as reader:
            for n in range(1, KILLS + 1):
                threshold = ARTICLES * n // (KILLS + 1)
                reached = await reader.until(lambda tally: len(tally.distinct_ids) >= threshold, timeout=240, worker=worker)
                assert reached, f"no progress to {threshold} before kill {n}:\n{worker.log_tail()}"
                kill_points.append(len(reader.tally.enriched))
                worker.proc.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                worker.proc.wait(10)
                worker = start_worker(deployment, tmp_path, name=f"w{n}")
                recovered = await wait_status(worker, 200, timeout=180)
                assert recovered is not None, f"worker not ready after kill {n}:\n{worker.log_tail()}"
                recoveries.append(round(time.monotonic() - killed_at, 1))

            done = await reader.until(
                lambda tally: len(tally.distinct_ids) + len(tally.dead) >= ARTICLES, timeout=300, idle=3.0, worker=worker
            )
            tally = reader.tally
            assert done, f"{len(tally.distinct_ids)} enriched + {len(tally.dead)} dead of {ARTICLES}:\n{worker.log_tail()}"

        # Every input came out: 10,000 distinct articles (make_values gives each its own URL, so id).
        assert len(tally.distinct_ids) + len(tally.dead) == ARTICLES
        assert not tally.dead, [d["reason"] for d in tally.dead[:3]]
        # Copies from the replays carry the same id and revision: none is a new revision.
        assert {revision for _, revision in tally.versions} == {1}
        seen_once = len(tally.versions)  # what a consumer deduplicating on (id, revision) keeps
        assert seen_once == ARTICLES

        # The tables came back from their changelogs: the newest article emitted before the last kill
        # (so still inside the related-story window) is served by the restarted worker.
        before_kill = max(tally.enriched[: kill_points[-1]], key=lambda r: r["published_at"])
        status, body = await asyncio.to_thread(worker.get, f"/articles/{before_kill['id']}")
        assert status == 200 and before_kill["id"].encode() in body
        status, _ = await asyncio.to_thread(worker.get, f"/stories/{before_kill['story_id']}")
        assert status == 200

        # Quality after recovery: as many articles find related ones as in an uninterrupted run.
        offline = Pipeline()
        uninterrupted = [o.enriched.model_dump(mode="json") for o in map(offline.process, values) if o.enriched]
        first_copies = list({r["id"]: r for r in reversed(tally.enriched)}.values())  # what a deduplicating consumer keeps
        stream_share, offline_share = related_share(first_copies), related_share(uninterrupted)
        assert stream_share >= offline_share - 0.05, (stream_share, offline_share)

        report(
            "worker kill",
            articles_in=ARTICLES,
            enriched=len(tally.distinct_ids),
            dead_lettered=len(tally.dead),
            records_on_topic=len(tally.enriched),
            duplicate_copies=tally.duplicate_copies,
            seen_by_idempotent_consumer=seen_once,
            kills_at_output=kill_points,
            kill_to_ready_s=recoveries,
            related_share_stream=round(stream_share, 3),
            related_share_uninterrupted=round(offline_share, 3),
            total_s=round(time.monotonic() - started, 1),
        )
    finally:
        worker.stop()
