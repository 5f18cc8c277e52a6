"""The framework ceiling: a stock Faust app copies every record unchanged, through two agents (real broker)."""

from __future__ import annotations

import pytest

from benchmarks.run import framework_ceiling
from benchmarks.workers import Deployment, publish
from tests.support.worker import read_values


async def _copy(kafka_bootstrap, create_topic, tmp_path, name: str, hops: int, **options):
    """30 records published to a fresh source topic and copied by the stock Faust app: its deployment,
    the records and the ceiling's result."""
    deployment = Deployment(kafka_bootstrap, name=name, partitions=2)
    source = await create_topic(f"{deployment.app_id}.source", partitions=2)
    values = [f'{{"body": "article {i}"}}'.encode() for i in range(30)]
    await publish(kafka_bootstrap, source, values)
    result = await framework_ceiling(kafka_bootstrap, deployment, (source, len(values), 1), hops=hops, timeout=120,
                                     log_dir=tmp_path, **options)
    return deployment, values, result


@pytest.mark.integration
async def test_two_agent_faust_copy_delivers_every_record_unchanged(kafka_bootstrap, create_topic, tmp_path):
    deployment, values, result = await _copy(kafka_bootstrap, create_topic, tmp_path, "faust-ceiling", hops=2)

    assert result["complete"] and result["records"] == 30, result
    assert result["cpu_us_per_article"] is not None and "error" not in result
    copied = await read_values(kafka_bootstrap, f"{deployment.app_id}.faust-2", 30)
    assert sorted(copied) == sorted(values)


@pytest.mark.integration
async def test_one_agent_faust_copy_on_uvloop_delivers_every_record(kafka_bootstrap, create_topic, tmp_path):
    deployment, values, result = await _copy(kafka_bootstrap, create_topic, tmp_path, "faust-uvloop", hops=1, uvloop=True)

    assert result["complete"] and result["uvloop"] is True and "error" not in result, result
    assert result["event_loop"].startswith("uvloop"), result  # the loop the app really ran on
    copied = await read_values(kafka_bootstrap, f"{deployment.app_id}.faust-1-uvloop", 30)
    assert sorted(copied) == sorted(values)
