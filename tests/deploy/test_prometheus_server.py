"""A real Prometheus server (Debian's) scrapes a real worker: the key series arrive with sane values,
and the alert rules of deploy/prometheus load and evaluate on it."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from stream.broker import create_topics
from tests.support.articles import BAD_VALUES, make_values
from tests.support.worker import Deployment, collect, free_port, publish, start_worker

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yml"


class PrometheusServer:
    def __init__(self, proc: subprocess.Popen, port: int, log_path: Path) -> None:
        self.proc, self.port, self.log_path = proc, port, log_path

    def api(self, path: str, **params: str) -> dict:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=5) as response:
            body = json.loads(response.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict]:
        return self.api("query", query=expr)["result"]

    def value(self, expr: str) -> float | None:
        """The single value of an instant query, or None when it has no result yet."""
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, expr: str, accept, timeout: float) -> float | None:
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                value = self.value(expr)
            except OSError:
                value = None
            if value is not None and accept(value):
                return value
            time.sleep(0.5)
        return value

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_prometheus(tmp_path: Path, target: str) -> PrometheusServer:
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: `make test` installs it (Debian package prometheus)"
    shutil.copy(ALERTS, tmp_path / "alerts.yml")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [{"job_name": "article-stream", "static_configs": [{"targets": [target]}]}],
    }
    config_path = tmp_path / "prometheus.yml"
    config_path.write_text(yaml.safe_dump(config))
    port = free_port()
    log_path = tmp_path / "prometheus.log"
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config_path}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--web.enable-lifecycle",
        ],
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return PrometheusServer(proc, port, log_path)


async def test_prometheus_scrapes_the_worker_and_evaluates_the_rules(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap)
    await create_topics(kafka_bootstrap, {deployment.topics["raw"]: deployment.partitions})
    worker = start_worker(deployment, tmp_path)
    prometheus = None
    try:
        await asyncio.to_thread(worker.wait_ready)
        prometheus = start_prometheus(tmp_path, f"127.0.0.1:{worker.web_port}")

        def wait(expr: str, accept, timeout: float = 30.0) -> float | None:
            return prometheus.wait_for(expr, accept, timeout)

        # Scraped before the traffic, so rate() sees the counters rise from zero.
        assert await asyncio.to_thread(wait, "article_stream_articles_enriched_total", lambda v: v == 0) == 0, (
            prometheus.log_path.read_text()[-2000:]
        )
        good = make_values(20, seed=5)
        bad = [BAD_VALUES["invalid_json"], BAD_VALUES["undecodable_bytes"]]
        await publish(deployment.bootstrap, deployment.topics["raw"], good + bad)
        t = deployment.topics
        found = await collect(deployment.bootstrap, [t["enriched"], t["dlq"]], expected=len(good) + len(bad), timeout=90)
        assert len(found[t["enriched"]]) == len(good), worker.log_tail()

        # The target is up and the counters reach what was sent.
        assert wait('up{job="article-stream"}', lambda v: v == 1) == 1, prometheus.log_path.read_text()[-2000:]
        assert wait("article_stream_articles_enriched_total", lambda v: v == len(good)) == len(good)
        assert wait("article_stream_articles_consumed_total", lambda v: v == len(good) + len(bad)) == len(good) + len(bad)
        assert wait("sum(article_stream_articles_dead_lettered_total)", lambda v: v == len(bad)) == len(bad)
        dead = await asyncio.to_thread(prometheus.query, "article_stream_articles_dead_lettered_total > 0")
        codes = {r["metric"]["code"] for r in dead}
        assert codes == {"invalid_json", "undecodable_bytes"}
        assert wait("article_stream_ready", lambda v: v == 1) == 1

        # Latency quantiles from the histograms are positive and bounded by the run's length.
        p99 = wait(
            "histogram_quantile(0.99, sum by (le) (rate(article_stream_end_to_end_latency_seconds_bucket[1m])))",
            lambda v: v == v,  # not NaN: samples arrived
        )
        assert p99 is not None and 0 < p99 <= 90
        stage_query = "histogram_quantile(0.99, sum by (le, stage) (rate(article_stream_stage_seconds_bucket[1m])))"
        assert wait(f"count({stage_query} >= 0)", lambda v: v == 5) == 5  # NaN until a stage has samples
        stage_p99 = await asyncio.to_thread(prometheus.query, stage_query)
        stages = {r["metric"]["stage"]: float(r["value"][1]) for r in stage_p99}
        assert {"validate", "normalize", "tag", "relate", "emit"} <= set(stages)
        assert all(0 < v < 5 for v in stages.values()), stages

        # Lag per partition of the input topic, back to zero; tag counters by bounded label.
        assert wait(f'count(article_stream_consumer_lag_records{{topic="{t["raw"]}"}})', lambda v: v == deployment.partitions)
        assert wait(f'sum(article_stream_consumer_lag_records{{topic="{t["raw"]}"}})', lambda v: v == 0) == 0
        assert wait("sum(article_stream_topic_assignments_total)", lambda v: v >= len(good)) >= len(good)
        assert wait("sum(article_stream_stories_created_total)", lambda v: v >= 1) >= 1

        # The alert rules loaded on the real server and evaluate without errors.
        groups = (await asyncio.to_thread(prometheus.api, "rules"))["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        assert {r["name"] for r in rules} >= {"ArticleStreamWorkerNotReady", "ArticleStreamLagGrowing"}
        deadline = time.monotonic() + 10
        while any(r.get("health") != "ok" for r in rules) and time.monotonic() < deadline:
            await asyncio.sleep(1)
            rules = [rule for group in (await asyncio.to_thread(prometheus.api, "rules"))["groups"] for rule in group["rules"]]
        assert all(r["health"] == "ok" for r in rules), [(r["name"], r.get("lastError")) for r in rules]
        firing = {r["name"] for r in rules if r["state"] == "firing"}
        assert "ArticleStreamWorkerNotReady" not in firing and "ArticleStreamWorkerDown" not in firing
    finally:
        if prometheus is not None:
            prometheus.stop()
        worker.stop()
