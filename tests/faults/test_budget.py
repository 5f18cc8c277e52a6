"""A CPU budget instead of a stall (issue 21, deliver 2): through the real worker, one article that
takes more CPU than the budget, between good ones in the same partition, is dead-lettered as
``processing_budget_exceeded`` with its original bytes and the stage it was in; every good article
behind it is enriched and ``/ready`` stays 200 throughout.

The budget is set tiny for the test (0.1 s of CPU): the slow article is a 900 KB body that is linear
to process (tests/faults/test_linear_work.py) but still takes several times that budget.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from stream.broker import create_topics
from stream.contracts import ErrorCode
from stream.core.pipeline import Pipeline
from tests.faults.conftest import OutputReader, input_ids, report
from tests.faults.shapes import SHAPES
from tests.support.articles import make_values
from tests.support.worker import Deployment, publish, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]

BUDGET_S = 0.1
GOOD_BEFORE, GOOD_AFTER = 30, 30


async def test_an_article_over_the_cpu_budget_is_dead_lettered_and_the_partition_moves_on(kafka_bootstrap, tmp_path):
    # One partition: the good articles after the slow one wait behind it, if anything stalls.
    deployment = Deployment(kafka_bootstrap, partitions=1, extra_env={"ARTICLE_STREAM_PROCESSING_BUDGET_SECONDS": str(BUDGET_S)})
    t = deployment.topics
    await create_topics(kafka_bootstrap, {t["raw"]: 1}, configs={"max.message.bytes": str(4 << 20)})
    good = make_values(GOOD_BEFORE + GOOD_AFTER, seed=21)
    slow = SHAPES["single_line"](900_000, random.Random(21))
    offline = Pipeline()
    started = time.process_time()
    assert offline.prepare(slow).enriched is not None  # a good article, only slow: no other reason to refuse it
    slow_cpu = time.process_time() - started
    assert slow_cpu > 2 * BUDGET_S, f"the slow article took only {slow_cpu:.2f} s here"
    values = good[:GOOD_BEFORE] + [slow] + good[GOOD_BEFORE:]
    expected_ids = set(input_ids(good, offline))

    worker = start_worker(deployment, tmp_path)
    not_ready: list[tuple[float, int]] = []
    try:
        await asyncio.to_thread(worker.wait_ready, 120)

        async def watch_ready() -> None:
            while True:
                try:
                    status, _ = await asyncio.to_thread(worker.get, "/ready", 3.0)
                except OSError:
                    status = -1
                if status != 200:
                    not_ready.append((time.monotonic(), status))
                await asyncio.sleep(0.2)

        watcher = asyncio.create_task(watch_ready())
        sent = time.monotonic()
        await publish(kafka_bootstrap, t["raw"], values)
        async with OutputReader(kafka_bootstrap, t["enriched"], t["dlq"]) as reader:
            done = await reader.until(
                lambda tally: len(tally.distinct_ids) >= len(expected_ids) and tally.dead, timeout=120, idle=2.0, worker=worker
            )
            tally = reader.tally
        elapsed = time.monotonic() - sent
        watcher.cancel()
        assert done, f"{len(tally.distinct_ids)} of {len(expected_ids)} enriched, {len(tally.dead)} dead:\n{worker.log_tail()}"

        assert tally.distinct_ids == expected_ids  # every good article, those behind the slow one too
        assert len(tally.dead) == 1
        letter = tally.dead[0]
        assert letter["error_code"] == ErrorCode.processing_budget_exceeded.value
        assert letter["stage"] in ("normalize", "tag")
        assert letter["original_value"].encode() == slow and letter["original_encoding"] == "utf-8"
        assert letter["original_offset"] == GOOD_BEFORE and letter["original_topic"] == t["raw"]
        assert f"{BUDGET_S:g} s of CPU" in letter["reason"]
        assert not not_ready, f"/ready was not 200: {not_ready[:5]}"
        assert worker.proc.poll() is None
        status, _ = await asyncio.to_thread(worker.get, "/ready")
        assert status == 200
        report("cpu budget", budget_s=BUDGET_S, slow_article_cpu_s=round(slow_cpu, 2), stage=letter["stage"],
               enriched=len(tally.distinct_ids), dead_lettered=len(tally.dead), all_out_s=round(elapsed, 1))
    finally:
        worker.stop()


def test_the_dead_letter_code_is_in_the_contract() -> None:
    from stream.contracts.schemas import SCHEMA_DIR, drift

    assert not drift()  # schemas/ regenerated from the models
    schema = (SCHEMA_DIR / "article.deadletter.v1.json").read_text()
    assert '"processing_budget_exceeded"' in schema
