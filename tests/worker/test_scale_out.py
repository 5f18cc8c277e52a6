"""Two workers on a two-partition input thread stories as well as one (B-cubed F1 within 0.01)."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from stream.broker import create_topics
from stream.eval.stories import bcubed
from tests.support.articles import make_story_values
from tests.support.worker import Deployment, collect, publish, start_worker

pytestmark = pytest.mark.integration


async def run_deployment(bootstrap: str, log_dir, workers: int, rows: list[tuple[bytes, str]]) -> float:
    deployment = Deployment(bootstrap, partitions=2)
    t = deployment.topics
    await create_topics(bootstrap, {t["raw"]: 2})
    procs = [start_worker(deployment, log_dir, name=f"w{workers}-{i}") for i in range(workers)]
    try:
        for proc in procs:
            await asyncio.to_thread(proc.wait_ready, 120.0)
        values = [value for value, _ in rows]
        await publish(bootstrap, t["raw"], values, keys=[orjson.loads(v)["id"].encode() for v in values])
        found = await collect(bootstrap, [t["enriched"], t["stories"]], expected=len(rows), timeout=180, idle=3.0)
    finally:
        for proc in procs:
            proc.stop()
    enriched = [v for _, v, _ in found[t["enriched"]]]
    assert len(enriched) == len(rows), "\n".join(p.log_tail() for p in procs)
    merged_into = {v["story_id"]: v["merged_into"] for _, v, _ in found[t["stories"]] if v["event"] == "merged"}

    def final(story: str) -> str:
        while story in merged_into:
            story = merged_into[story]
        return story

    gold_by_title = {orjson.loads(value)["title"]: gold for value, gold in rows}
    predicted = {a["id"]: final(a["story_id"]) for a in enriched}
    gold = {a["id"]: gold_by_title[a["title"]] for a in enriched}
    return bcubed(predicted, gold)[2]


# Stop 15's shortfall (0.909, and 0.845 when reproduced): with two enrich workers one partition ran days
# of event time ahead of the other, the relate clock followed it and the slower one's articles fell before
# the window (no story). The clock now waits for the slowest partition (stream/core/relate/sources.py).
@pytest.mark.xfail(
    strict=False,
    reason="issue 16, open: the content model threads this templated data differently in different arrival "
    "orders (stories s and s+5 share a surname token); two partitions interleave differently from run to run "
    "(seen: one worker 0.957, two workers 0.909 or 1.000; offline, 11 of 30 random two-partition "
    "interleavings fall below 1.0). The tag-only relator gave 1.000 / 1.000",
)
async def test_two_workers_thread_stories_as_well_as_one(kafka_bootstrap, tmp_path):
    rows = make_story_values()
    one = await run_deployment(kafka_bootstrap, tmp_path, 1, rows)
    two = await run_deployment(kafka_bootstrap, tmp_path, 2, rows)
    print(f"B-cubed F1: one worker {one:.3f}, two workers {two:.3f}")
    assert one >= 0.8, f"single-worker B-cubed F1 {one:.3f}: the synthetic stories should thread"
    assert abs(one - two) <= 0.01, f"one worker {one:.3f} vs two workers {two:.3f}"
