"""The ceiling's passthrough copies every record unchanged (real broker)."""

from __future__ import annotations

import pytest

from benchmarks.passthrough import passthrough
from benchmarks.workers import count_records, publish
from tests.support.worker import read_values


@pytest.mark.integration
async def test_passthrough_copies_every_record_unchanged(kafka_bootstrap, create_topic):
    source = await create_topic("bench-source", partitions=2)
    sink = await create_topic("bench-sink", partitions=2)
    values = [f'{{"body": "article {i}"}}'.encode() for i in range(40)]
    await publish(kafka_bootstrap, source, values * 3)

    result = await passthrough(kafka_bootstrap, source, sink, expected=120, group=f"{sink}-group", timeout_s=60)

    assert result["copied"] == 120
    assert await count_records(kafka_bootstrap, [sink]) == 120
    copied = await read_values(kafka_bootstrap, sink, 120)
    assert sorted(copied) == sorted(values * 3)
