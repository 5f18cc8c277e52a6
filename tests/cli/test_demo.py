"""`article-stream demo --stop-after-samples` (what `make run` runs): a result for every sample, related
links with their shared tags, the stories with several articles, a summary line; a dead worker or a
busy port is reported at once."""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
import sys
import time

import pytest

from stream.sources import SAMPLES_DIR, iter_inputs
from tests.support.worker import Deployment

pytestmark = pytest.mark.integration

SUMMARY = re.compile(
    r"^summary: (?P<inputs>\d+) inputs in [\d.]+s: (?P<enriched>\d+) enriched, (?P<dead>\d+) dead-lettered, "
    r"(?P<unchanged>\d+) unchanged; (?P<stories>\d+) stories \((?P<multi>\d+) with several articles\), "
    r"(?P<links>\d+) related links; first result after (?P<first>[\d.]+)s",
    re.MULTILINE,
)


def demo_env(kafka_bootstrap: str, **extra: str) -> dict[str, str]:
    env = Deployment(kafka_bootstrap, name="demo").env(0)
    del env["ARTICLE_STREAM_WEB_PORT"]  # the demo picks a free port itself
    env.pop("ARTICLE_STREAM_STORE", None)
    return {**env, **extra}


def test_demo_shows_stories_related_links_and_a_summary(kafka_bootstrap):
    result = subprocess.run(
        [sys.executable, "-m", "stream", "demo", "--stop-after-samples", "--timeout", "150"],
        env=demo_env(kafka_bootstrap), capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    match = SUMMARY.search(out)
    assert match, out[-2000:]
    counts = {k: int(v) if k != "first" else float(v) for k, v in match.groupdict().items()}
    samples = list(iter_inputs([SAMPLES_DIR]))
    assert counts["inputs"] == len(samples) >= 20
    # Every input has exactly one result: emitted, dead-lettered, or recognised as an unchanged re-send.
    assert counts["enriched"] + counts["dead"] + counts["unchanged"] == len(samples)
    assert counts["enriched"] == out.count("    id=")
    assert counts["multi"] >= 3 and counts["links"] >= 3
    assert 0 < counts["first"] < 150
    # Related links are shown with the tags they share; each multi-article story lists its articles.
    related = [line for line in out.splitlines() if line.startswith("    related ")]
    assert 3 <= len(related) <= counts["links"]
    assert all(" shared: " in line and ":" in line.split(" shared: ")[1] for line in related)
    stories = re.findall(r"^  (\d+) articles  ", out, re.MULTILINE)
    assert len(stories) == counts["multi"] and all(int(n) >= 2 for n in stories)
    assert "http://127.0.0.1:" in result.stderr and "of " + str(len(samples)) in result.stderr  # port and progress


def test_demo_json_lines_are_the_records(kafka_bootstrap):
    result = subprocess.run(
        [sys.executable, "-m", "stream", "demo", "--stop-after-samples", "--json", "--timeout", "150", str(SAMPLES_DIR / "pacific-wire-feed-2024-12-to-2025-03.jsonl")],
        env=demo_env(kafka_bootstrap), capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    feed = list(iter_inputs([SAMPLES_DIR / "pacific-wire-feed-2024-12-to-2025-03.jsonl"]))
    assert len(lines) == len(feed) and all(line.startswith("{") and '"story_id"' in line for line in lines)
    assert SUMMARY.search(result.stderr), result.stderr[-2000:]  # the summary stays off stdout


def test_a_busy_named_port_is_refused_at_once(kafka_bootstrap):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "stream", "demo", "--stop-after-samples"],
            env=demo_env(kafka_bootstrap, ARTICLE_STREAM_WEB_PORT=str(port)), capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 2
    assert f"port {port}" in result.stderr and "in use" in result.stderr
    assert time.monotonic() - started < 30


@pytest.mark.skipif(importlib.util.find_spec("rocksdict") is not None, reason="needs a worker that cannot start: rocksdict is installed")
def test_a_worker_that_dies_is_reported_at_once_with_its_log(kafka_bootstrap):
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "stream", "demo", "--stop-after-samples", "--timeout", "150"],
        env=demo_env(kafka_bootstrap, ARTICLE_STREAM_STORE="rocksdb://"),
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 1
    assert "the worker exited with code" in result.stderr
    assert "RocksDB" in result.stderr  # the reason, from the last lines of its log
    assert "timed out" not in result.stderr
    assert time.monotonic() - started < 100
