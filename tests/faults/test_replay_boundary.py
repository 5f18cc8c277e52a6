"""Identical re-sends read by a worker that did not emit their originals, in a consumer generation that
began after they were written (issue 21, deliver 4: the cause of the accounting test's intermittent
re-emits).

The relate agent emits an unchanged article again when its input may be a replay whose output a kill
lost. Which inputs may be replays it judged by the offset alone (below the partition's end as the
generation's first record found it), and that end is too high whenever the generation's first record
comes after new ones were written: a worker that starts on an idle partition, or one the group expels
and takes back (a stall longer than the session timeout, e.g. on a busy machine). Every identical re-send
in that stretch was emitted again. Here both happen: a fresh worker reads the re-sends first thing, and
it is stopped (SIGSTOP) past its session timeout while they flow. Only the input the state was made
from (the same raw position) may be restated, so nothing comes out for them.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import orjson
import pytest

from stream.broker import create_topics
from stream.core.pipeline import Pipeline
from tests.faults.conftest import OutputReader, input_ids, report, wait_status
from tests.support.articles import make_values
from tests.support.worker import Deployment, publish, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

N = 120
STALL_S = 10.0  # longer than the session timeout (stream/config.py, 6 s): the group expels the worker


def _articles(n: int, seed: int, group: str) -> list[bytes]:
    out = []
    for i, value in enumerate(make_values(n, seed=seed)):
        article = orjson.loads(value)
        article["url"] = f"https://replay-boundary.example.com/{group}/{i}"
        article["published_at"] = f"2024-12-{24 + i % 5:02d}T{i % 24:02d}:00:00Z"
        out.append(orjson.dumps(article))
    return out


async def test_identical_resends_are_not_emitted_again_by_a_worker_that_did_not_emit_them(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap, partitions=2)
    t = deployment.topics
    await create_topics(kafka_bootstrap, {t["raw"]: 2})
    originals = _articles(N, 91, "article")
    sentinels = _articles(4, 92, "sentinel")
    offline = Pipeline()
    ids, sentinel_ids = input_ids(originals, offline), input_ids(sentinels, offline)
    assert None not in ids and len(set(ids)) == N
    keys = [i.encode() for i in ids]  # keyed by id, as produce does: a re-send lands after its original

    worker = start_worker(deployment, tmp_path, name="first")
    try:
        await publish(kafka_bootstrap, t["raw"], originals, keys)
        async with OutputReader(kafka_bootstrap, t["enriched"], t["dlq"]) as reader:
            assert await reader.until(lambda tally: tally.distinct_ids >= set(ids), 240, worker=worker), reader.tally.distinct_ids
            worker.stop()  # a clean stop: every output is out and committed
            worker = start_worker(deployment, tmp_path, name="second")  # has emitted nothing itself
            assert await wait_status(worker, 200, timeout=180) is not None, worker.log_tail()
            before = Counter(v["id"] for v in reader.tally.enriched)

            await publish(kafka_bootstrap, t["raw"], originals, keys)  # identical re-sends
            await asyncio.sleep(0.5)
            worker.proc.send_signal(signal.SIGSTOP)
            await asyncio.sleep(STALL_S)
            worker.proc.send_signal(signal.SIGCONT)
            await publish(kafka_bootstrap, t["raw"], sentinels, [i.encode() for i in sentinel_ids])
            assert await reader.until(lambda tally: tally.distinct_ids >= set(sentinel_ids), 240, idle=5.0, worker=worker), (
                worker.log_tail()
            )
            after = Counter(v["id"] for v in reader.tally.enriched)
    finally:
        if worker.proc.poll() is None:
            worker.proc.send_signal(signal.SIGCONT)
        worker.stop()
    re_emitted = {i: after[i] - before[i] for i in ids if after[i] > before[i]}
    report("replay boundary", articles=N, resends=N, re_emitted=len(re_emitted), stall_s=STALL_S)
    assert not re_emitted, f"{len(re_emitted)} of {N} identical re-sends emitted again (e.g. {list(re_emitted)[:3]})"
