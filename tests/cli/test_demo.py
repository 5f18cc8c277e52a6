"""`article-stream demo --stop-after-samples` (what `make run` runs) prints a result for every sample."""

from __future__ import annotations

import subprocess
import sys

import pytest

from stream.sources import SAMPLES_DIR, iter_inputs
from tests.support.worker import Deployment, free_port

pytestmark = pytest.mark.integration


def test_demo_prints_an_enriched_record_for_each_sample(kafka_bootstrap):
    env = Deployment(kafka_bootstrap).env(free_port())
    result = subprocess.run(
        [sys.executable, "-m", "stream", "demo", "--stop-after-samples", "--json", "--timeout", "150"],
        env=env, capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    samples = list(iter_inputs([SAMPLES_DIR]))
    assert len(lines) == len(samples) >= 5
    assert all('"story_id"' in line and '"tags"' in line for line in lines)
