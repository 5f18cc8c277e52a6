"""The real worker on the real broker: everything published is accounted for, enriched or dead-lettered."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.articles import BAD_VALUES, make_values
from tests.support.worker import Deployment, collect, publish, running_worker

pytestmark = pytest.mark.integration


@pytest.fixture
async def worker_on_fresh_topics(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap)
    async with running_worker(deployment, tmp_path) as worker:
        yield deployment, worker


async def test_good_and_bad_messages_are_all_accounted_for(worker_on_fresh_topics):
    deployment, worker = worker_on_fresh_topics
    good = make_values(40)
    bad = list(BAD_VALUES.values())
    mixed = [v for pair in zip(good, bad + [None] * len(good)) for v in pair if v is not None]
    await publish(deployment.bootstrap, deployment.topics["raw"], mixed)

    t = deployment.topics
    found = await collect(deployment.bootstrap, [t["enriched"], t["dlq"]], expected=len(mixed), timeout=120, idle=2.0)
    enriched, dead = found[t["enriched"]], found[t["dlq"]]
    assert len(enriched) + len(dead) == len(mixed), worker.log_tail()
    assert len(enriched) == len(good)
    assert sorted(v["error_code"] for _, v, _ in dead) == sorted(BAD_VALUES)

    # Dead letters keep the original bytes (base64 when not UTF-8) and where they came from.
    by_code = {v["error_code"]: v for _, v, _ in dead}
    assert by_code["undecodable_bytes"]["original_encoding"] == "base64"
    assert by_code["invalid_json"]["original_value"] == BAD_VALUES["invalid_json"].decode()
    assert all(v["original_topic"] == t["raw"] and v["original_offset"] is not None for _, v, _ in dead)

    # Enriched records: keyed by article id, CloudEvents headers, distinct ids.
    ids = {v["id"] for _, v, _ in enriched}
    assert len(ids) == len(good)
    for key, value, headers in enriched:
        assert key.decode() == value["id"]
        assert headers["ce_type"] == b"io.article-stream.article.enriched.v1"
        assert headers["ce_id"] == f"{value['id']}:{value['revision']}".encode()
        assert value["tags"]
        # Threaded into a story, unless it lies before the related-story window (the generated dates run
        # Dec 1-28 and start again): then it has no story and says why (issue 21).
        before_window = any("before the related-story window" in w for w in value["warnings"])
        assert bool(value["story_id"]) != before_window, value


async def test_resend_is_an_update_not_a_new_article(worker_on_fresh_topics):
    deployment, worker = worker_on_fresh_topics
    t = deployment.topics
    original = make_values(1, seed=99)[0]
    changed = original.replace(b"Officials in", b"Senior officials in")
    key = b"same-article"  # one partition: the two versions arrive in the order they were sent
    await publish(deployment.bootstrap, t["raw"], [original], keys=[key])
    first = await collect(deployment.bootstrap, [t["enriched"]], expected=1, timeout=60)
    await publish(deployment.bootstrap, t["raw"], [original, changed], keys=[key, key])
    found = await collect(deployment.bootstrap, [t["enriched"]], expected=2, timeout=60, idle=3.0)
    records = [v for _, v, _ in found[t["enriched"]]]
    # The identical re-send is recognised and not emitted; the changed one is revision 2 of the same id.
    assert len(records) == 2, worker.log_tail()
    assert records[0]["id"] == records[1]["id"] == first[t["enriched"]][0][1]["id"]
    assert [r["revision"] for r in records] == [1, 2]


async def test_http_endpoints(worker_on_fresh_topics):
    deployment, worker = worker_on_fresh_topics
    await publish(deployment.bootstrap, deployment.topics["raw"], make_values(5, seed=3))
    found = await collect(deployment.bootstrap, [deployment.topics["enriched"]], expected=5, timeout=60)
    article = found[deployment.topics["enriched"]][-1][1]
    status, body = await asyncio.to_thread(worker.get, "/health")
    assert status == 200
    status, body = await asyncio.to_thread(worker.get, "/metrics")
    assert status == 200 and b"article_stream_articles_enriched_total 5.0" in body
    status, body = await asyncio.to_thread(worker.get, f"/articles/{article['id']}")
    assert status == 200 and article["id"].encode() in body
    status, body = await asyncio.to_thread(worker.get, f"/stories/{article['story_id']}")
    assert status == 200
    status, _ = await asyncio.to_thread(worker.get, "/articles/does-not-exist")
    assert status == 404
