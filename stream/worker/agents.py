"""The agents, one per stage: ``enrich`` (stateless, scales with partitions) and ``relate`` (window state)."""

from __future__ import annotations

import logging
from typing import Any

import faust
import orjson

from stream.contracts import DeadLetter, EnrichedArticle, ErrorCode, StoryEvent, StoryUpdate
from stream.contracts.topics import headers_for
from stream.core.pipeline import Origin, Outcome, dead_letter_for
from stream.worker.app import (
    app,
    articles_table,
    dlq_topic,
    enriched_topic,
    metrics,
    pipeline,
    raw_topic,
    relator,
    stories_topic,
    tagged_topic,
)

log = logging.getLogger("article_stream.worker")


def _json(model: Any) -> bytes:
    return orjson.dumps(model.model_dump(mode="json"))


def _origin(event: faust.EventT) -> Origin:
    msg = event.message
    stamp = int(msg.timestamp * 1000) if msg.timestamp else None
    return Origin(msg.topic, msg.partition, msg.offset, stamp, event.key)


def _observe(outcome: Outcome) -> None:
    for stage, seconds in outcome.timings.items():
        metrics.stage_seconds.labels(stage).observe(seconds)


async def send_dead_letter(letter: DeadLetter) -> None:
    metrics.dead_lettered.labels(letter.error_code.value).inc()
    log.warning("dead letter %s at %s: %s", letter.error_code.value, letter.stage, letter.reason)
    await dlq_topic.send(key=letter.original_key, value=_json(letter), headers=headers_for(DeadLetter))


@articles_table.on_recover
async def rebuild_window() -> None:
    """Tables recovered from their changelogs: re-derive the in-memory index from them."""
    relator.rebuild()
    log.info("related-story window rebuilt: %d articles", len(articles_table))


@app.agent(raw_topic)
async def enrich(stream: faust.StreamT) -> None:
    async for event in stream.events():
        metrics.consumed.inc()
        outcome = pipeline.prepare(event.value or b"", _origin(event))
        _observe(outcome)
        if outcome.dead_letter is not None:
            await send_dead_letter(outcome.dead_letter)
            continue
        article = outcome.enriched
        assert article is not None
        await tagged_topic.send(key=article.id.encode(), value=_json(article))


@app.agent(tagged_topic)
async def relate(stream: faust.StreamT) -> None:
    async for event in stream.events():
        try:
            outcome = pipeline.link(EnrichedArticle.model_validate_json(event.value))
        except Exception as exc:  # keep the stream moving; the record goes to the DLQ with the reason
            log.exception("relate failed")
            reason = f"{type(exc).__name__}: {exc}"[:1000]
            await send_dead_letter(dead_letter_for(event.value, ErrorCode.processing_error, reason, "relate", _origin(event)))
            continue
        _observe(outcome)
        if outcome.unchanged:
            metrics.unchanged.inc()
            continue
        article = outcome.enriched
        assert article is not None
        await enriched_topic.send(
            key=article.id.encode(),
            value=_json(article),
            headers=headers_for(EnrichedArticle, event_id=f"{article.id}:{article.revision}", time=article.processed_at),
        )
        metrics.enriched.inc()
        metrics.related_links.inc(len(article.related))
        if article.duplicate_of:
            metrics.duplicates.inc()
        for update in outcome.story_updates:
            await stories_topic.send(key=update.story_id.encode(), value=_json(update), headers=headers_for(StoryUpdate))
            if update.event is StoryEvent.created:
                metrics.stories_created.inc()
            elif update.event is StoryEvent.merged:
                metrics.stories_merged.inc()
