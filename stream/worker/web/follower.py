"""Feeds the page's ``Newsroom`` from the topics the worker emits: ``articles.enriched`` and ``stories``.

Each worker follows every partition itself (no consumer group), from the last ``capacity`` records of
each partition on, so every worker serves the same page and the page survives a restart. Records
reach the page a fetch after the emitting worker's produce (``FETCH_WAIT_MS``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from stream.kafka_security import client_kwargs
from stream.worker.web.newsroom import Newsroom

log = logging.getLogger("article_stream.worker")

FETCH_WAIT_MS = 100  # the page's latency budget is seconds: a short long-poll keeps it far inside


async def _partitions(consumer: AIOKafkaConsumer, topic: str, stop: asyncio.Event) -> list[TopicPartition]:
    """The topic's partitions once it exists (the worker creates its topics as it starts)."""
    while not stop.is_set():
        # The consumer's own metadata refreshes only every metadata_max_age_ms: ask now, so the page
        # is filled as the worker starts rather than seconds later.
        refresh = getattr(getattr(consumer, "_client", None), "force_metadata_update", None)
        if refresh is not None:
            await refresh()
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return [TopicPartition(topic, p) for p in sorted(parts)]
        await asyncio.sleep(1.0)
    return []


async def follow(settings: Any, newsroom: Newsroom, stop: asyncio.Event, started: asyncio.Event | None = None) -> None:
    """Follow the two topics into ``newsroom`` until ``stop`` is set; restarts after a broker error."""
    while not stop.is_set():
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka.broker, enable_auto_commit=False, group_id=None,
            fetch_max_wait_ms=FETCH_WAIT_MS, max_partition_fetch_bytes=16 << 20, fetch_max_bytes=64 << 20,
            metadata_max_age_ms=5000, **client_kwargs(settings.kafka),
        )
        try:
            await consumer.start()
            enriched = await _partitions(consumer, settings.topic_enriched, stop)
            stories = await _partitions(consumer, settings.topic_stories, stop)
            if stop.is_set():
                return
            tps = enriched + stories
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            begins = await consumer.beginning_offsets(tps)
            # The tail that fits: per partition, at most the held count (stories: twice as many).
            for tp in tps:
                keep = newsroom.capacity * (2 if tp.topic == settings.topic_stories else 1)
                consumer.seek(tp, max(begins[tp], ends[tp] - keep))
            if started is not None:
                started.set()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=1000)
                for tp, records in batch.items():
                    add = newsroom.add_article if tp.topic == settings.topic_enriched else newsroom.add_story
                    for record in records:
                        try:
                            value = orjson.loads(record.value) if record.value is not None else None
                        except orjson.JSONDecodeError:
                            continue
                        if isinstance(value, dict):
                            add(value)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the page lags; the pipeline is unaffected
            log.warning("page feed: %s: %s; retrying", type(exc).__name__, exc)
            await asyncio.sleep(2.0)
        finally:
            try:
                await consumer.stop()
            except Exception:
                pass
