"""Documented limits (issue 21, deliver 7 and why-5), as a publisher and an operator meet them:

- a record over the topic's size limit: ``produce`` says the broker refused it (no stack trace),
  sends the others, and exits 2;
- the worker without a reachable broker prints one line and exits 2, like every other command.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import orjson
import pytest

from stream.broker import create_topics
from tests.support.articles import make_values
from tests.support.worker import collect, free_port

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLE_STREAM_")}
    return subprocess.run([sys.executable, "-m", "stream", *args], env={**clean, **env}, capture_output=True,
                          text=True, timeout=timeout)


def test_produce_says_the_broker_refused_a_record_over_the_topic_limit(kafka_bootstrap, tmp_path):
    topic = f"limits-{uuid.uuid4().hex[:6]}.raw"
    limit = 300_000  # a topic made with a smaller max.message.bytes than the worker's own topics
    asyncio.run(create_topics(kafka_bootstrap, {topic: 1}, configs={"max.message.bytes": str(limit)}))
    small = make_values(2, seed=71)
    big = orjson.dumps({"url": "https://example.com/big", "title": "Big",
                        "body": "Officials met in Seoul on Tuesday. " * 17_000})  # 600 KB: valid, under 1 MiB
    assert limit < len(big) < 1024 * 1024
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([small[0], big, small[1]]) + b"\n")

    result = _run(["produce", "--quiet", "--topic", topic, str(path)], {"ARTICLE_STREAM_BROKER": kafka_bootstrap})
    assert result.returncode == 2, result.stderr
    assert f"{path}:2: not sent: the broker refuses the record: {len(big):,} bytes" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert f"sent to {topic}: 2" in result.stdout and "delivery failed: 1" in result.stdout
    sent = asyncio.run(collect(kafka_bootstrap, [topic], expected=2, timeout=15, idle=1.0))[topic]
    assert sorted(v["title"] for _, v, _ in sent) == sorted(orjson.loads(s)["title"] for s in small)


def test_worker_without_a_broker_prints_one_line_and_exits_2():
    """Why-5: it printed a 92-line traceback and exited 1."""
    port = free_port()  # nothing listens there
    result = _run(["worker"], {"ARTICLE_STREAM_BROKER": f"127.0.0.1:{port}"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert f"cannot reach the Kafka broker at 127.0.0.1:{port}" in lines[0]
    assert not result.stdout.strip()


def test_a_refusal_the_check_could_not_foresee_is_still_named_as_the_brokers():
    """Without permission to read the topic's configuration, the broker's own answer is reported."""
    from aiokafka.errors import MessageSizeTooLargeError

    from stream.cli.produce import refusal

    text = refusal(MessageSizeTooLargeError(), 2_000_000, "articles.raw")
    assert text.startswith("the broker refused the record: 2,000,000 bytes is more than topic articles.raw accepts")
