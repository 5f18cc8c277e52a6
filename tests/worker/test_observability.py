"""A real worker's metrics, probes and JSON logs after real traffic."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from stream.metrics import OTHER, STAGES, tag_labels
from tests.support.articles import BAD_VALUES, make_values
from tests.support.worker import Deployment, WorkerProcess, collect, publish, running_worker

pytestmark = pytest.mark.integration


def scrape(worker: WorkerProcess) -> dict[str, list]:
    """Metric samples by name: name -> [(labels, value)]."""
    status, body = worker.get("/metrics")
    assert status == 200
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def total(samples: dict[str, list], name: str, **match: str) -> float:
    return sum(v for labels, v in samples.get(name, []) if all(labels.get(k) == x for k, x in match.items()))


@pytest.fixture
async def json_logging_worker(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap, extra_env={"ARTICLE_STREAM_LOG_FORMAT": "json"})
    async with running_worker(deployment, tmp_path) as worker:
        yield deployment, worker


async def test_ready_reports_each_check(json_logging_worker):
    _, worker = json_logging_worker
    status, body = await asyncio.to_thread(worker.get, "/ready")
    checks = orjson.loads(body)
    assert status == 200
    assert checks["ready"] is True
    assert checks["partitions_assigned"] >= 2  # the raw topic's two partitions (and the internal one)
    assert checks["tables_recovered"] is True and checks["broker_reachable"] is True
    assert checks["stalled_partitions"] == []
    status, body = await asyncio.to_thread(worker.get, "/health")
    assert status == 200 and orjson.loads(body)["status"] == "alive"


async def test_metrics_account_for_traffic_with_bounded_labels(json_logging_worker):
    deployment, worker = json_logging_worker
    good = make_values(12, seed=11)
    bad = [BAD_VALUES["invalid_json"], BAD_VALUES["missing_content"]]
    await publish(deployment.bootstrap, deployment.topics["raw"], good + bad)
    t = deployment.topics
    found = await collect(deployment.bootstrap, [t["enriched"], t["dlq"]], expected=len(good) + len(bad), timeout=90)
    assert len(found[t["enriched"]]) == len(good), worker.log_tail()

    samples = await asyncio.to_thread(scrape, worker)
    assert total(samples, "article_stream_articles_consumed_total") == len(good) + len(bad)
    assert total(samples, "article_stream_articles_enriched_total") == len(good)
    assert total(samples, "article_stream_articles_dead_lettered_total", code="invalid_json") == 1
    assert total(samples, "article_stream_articles_dead_lettered_total", code="missing_content") == 1
    for stage in STAGES:
        assert total(samples, "article_stream_stage_seconds_count", stage=stage) >= len(good), stage
    assert total(samples, "article_stream_end_to_end_latency_seconds_count") == len(good)
    # Published in 2024: every article is older than the first bucket, and none from the future.
    assert total(samples, "article_stream_publish_to_emit_seconds_count") == len(good)
    assert total(samples, "article_stream_publish_to_emit_seconds_bucket", le="60.0") == 0
    # Seconds, not minutes: the whole run took less than the collect timeout.
    e2e_sum = total(samples, "article_stream_end_to_end_latency_seconds_sum")
    assert 0 < e2e_sum / len(good) < 90

    labels = tag_labels()
    topics = {labels["topic"] for labels, _ in samples["article_stream_topic_assignments_total"]}
    assert topics and topics <= labels.top_topics | {OTHER}
    regions = samples["article_stream_region_assignments_total"]
    assert {r["subregion"] for r, _ in regions} <= set(labels.subregion_of.values()) | {OTHER}
    assert total(samples, "article_stream_region_assignments_total", primary="true") > 0
    # Dated over twelve days, so a 7-day window holds some of them, not all.
    held = total(samples, "article_stream_window_articles")
    assert 0 < held <= len(good), "the window the web views read is empty: is it the one the pipeline relates with?"
    assert total(samples, "article_stream_window_tags") > 0
    assert total(samples, "article_stream_broker_reachable") == 1
    assert total(samples, "article_stream_ready") == 1

    # Lag per partition of the raw topic, back to zero once Faust commits (every few seconds).
    deadline = time.monotonic() + 30
    while True:
        samples = await asyncio.to_thread(scrape, worker)
        raw_lag = [(labels, v) for labels, v in samples.get("article_stream_consumer_lag_records", []) if labels["topic"] == t["raw"]]
        if len(raw_lag) == deployment.partitions and all(v == 0 for _, v in raw_lag) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    assert sorted(labels["partition"] for labels, _ in raw_lag) == [str(p) for p in range(deployment.partitions)]
    assert all(v == 0 for _, v in raw_lag), raw_lag


async def test_logs_are_json_lines_with_stage_and_error_code(json_logging_worker):
    deployment, worker = json_logging_worker
    await publish(deployment.bootstrap, deployment.topics["raw"], [BAD_VALUES["not_an_object"]])
    await collect(deployment.bootstrap, [deployment.topics["dlq"]], expected=1, timeout=60)
    entries = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not entries:
        for line in worker.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                entry = orjson.loads(line)
                if entry.get("error_code") == "not_an_object":
                    entries.append(entry)
        await asyncio.sleep(0.5)
    assert entries, worker.log_tail()
    entry = entries[0]
    assert entry["level"] == "WARNING" and entry["logger"] == "article_stream.worker"
    assert entry["stage"] and "not_an_object" in entry["message"]
