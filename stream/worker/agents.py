"""The agents, one per stage: ``enrich`` (stateless, scales with partitions) and ``relate`` (window state)."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import faust

from stream.contracts import DeadLetter, EnrichedArticle, ErrorCode, StoryEvent, StoryUpdate
from stream.contracts.topics import headers_for
from stream.config import get_settings
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
from stream.budget import BudgetedPrepare
from stream.worker.emit import Emitter, Outgoing, RetryPolicy, truncated

log = logging.getLogger("article_stream.worker")


def _json(model: Any) -> bytes:
    # pydantic-core writes JSON bytes directly: no intermediate dict (faster than orjson over model_dump).
    return model.__pydantic_serializer__.to_json(model)


def _origin(event: faust.EventT) -> Origin:
    msg = event.message
    stamp = int(msg.timestamp * 1000) if msg.timestamp else None
    return Origin(msg.topic, msg.partition, msg.offset, stamp, event.key)


def _done(event: faust.EventT) -> Callable[[], None]:
    """The emitter's acknowledgement for ``event``: its outputs are delivered, so its offset may be
    committed. Only this marks a record processed (see ``stream.worker.transport``)."""

    def ack() -> None:
        app.consumer.processed(event.message)
        event.ack()

    return ack


# The labelled histogram of each stage, looked up once: ``labels()`` costs a few µs per call.
_stage_histograms: dict[str, Any] = {}


def _stage_histogram(stage: str) -> Any:
    histogram = _stage_histograms.get(stage)
    if histogram is None:
        histogram = _stage_histograms[stage] = metrics.stage_seconds.labels(stage)
    return histogram


def _observe(outcome: Outcome) -> None:
    for stage, seconds in outcome.timings.items():
        _stage_histogram(stage).observe(seconds)


# The raw record's timestamp (ms), carried from enrich to relate for the end-to-end latency.
INGEST_HEADER = "x-article-stream-ingest-ms"
# The raw partition it came from: relate's clock waits for the slowest one (stream/core/relate/sources.py).
SOURCE_HEADER = "x-article-stream-source"


def _ingest_headers(event: faust.EventT) -> dict[str, bytes]:
    stamp = event.message.timestamp
    headers = {SOURCE_HEADER: str(event.message.partition).encode()}
    if stamp:
        headers[INGEST_HEADER] = str(int(stamp * 1000)).encode()
    return headers


def _header(headers: Any, name: str) -> bytes | None:
    """One header's value from Faust's headers (a list of pairs, or a mapping), without copying them."""
    if not headers:
        return None
    if isinstance(headers, Mapping):
        return headers.get(name)
    for key, value in headers:
        if key == name:
            return value
    return None


def _observe_emitted(article: EnrichedArticle, event: faust.EventT, emit_seconds: float) -> None:
    now = time.time()
    _stage_histogram("emit").observe(emit_seconds)
    ingest_ms = _header(event.message.headers, INGEST_HEADER)
    started = int(ingest_ms) / 1000 if ingest_ms else event.message.timestamp
    if started:
        metrics.end_to_end_seconds.observe(max(now - started, 0.0))
    if article.published_at:
        published = datetime.fromisoformat(article.published_at).timestamp()  # reads the "Z" (Python >= 3.11)
        if published <= now:  # a date in the future is a publisher's error, not a latency
            metrics.freshness_seconds.observe(now - published)
    metrics.observe_tags(article.topics, article.regions)
    log.debug("emitted revision %d", article.revision, extra={"article_id": article.id, "stage": "emit", "story_id": article.story_id})


def dead_letter_record(letter: DeadLetter) -> Outgoing:
    metrics.dead_lettered.labels(letter.error_code.value).inc()
    log.warning(
        "dead letter %s at %s: %s", letter.error_code.value, letter.stage, letter.reason,
        extra={"stage": letter.stage, "error_code": letter.error_code.value, "offset": letter.original_offset},
    )
    key = letter.original_key.encode() if letter.original_key is not None else None
    # The input's position names the event, so a dead letter written again after a crash (its input
    # reprocessed) has the same ce_id as the first: consumers deduplicate dead letters as articles.
    event_id = None
    if letter.original_offset is not None:
        event_id = f"{letter.original_topic}:{letter.original_partition}:{letter.original_offset}"
    return Outgoing(dlq_topic, key, _json(letter), headers_for(DeadLetter, event_id=event_id), "dlq")


def _produce_failed(record: Outgoing, error: BaseException) -> Outgoing | None:
    """The dead letter for a record the broker kept refusing (see stream.worker.emit)."""
    if record.kind == "dlq":  # a dead letter too large for the topic: keep a bounded part of its input
        letter = DeadLetter.model_validate_json(record.value)
        value, cut = truncated(letter.original_value.encode())
        if not cut:
            return None
        reason = f"{letter.reason} (original of {len(letter.original_value)} characters cut to {len(value)} bytes)"
        shrunk = letter.model_copy(update={"original_value": value.decode(), "reason": reason})
        return Outgoing(dlq_topic, record.key, _json(shrunk), headers_for(DeadLetter), "dlq")
    value, cut = truncated(record.value)
    reason = f"producing to {record.kind} failed after retries: {type(error).__name__}: {error}"[:900]
    if cut:
        reason += f" (record of {len(record.value)} bytes, kept {len(value)})"
    origin = Origin(topic=record.topic.get_topic_name(), key=record.key)
    return dead_letter_record(dead_letter_for(value, ErrorCode.produce_failed, reason, "emit", origin))


_settings = get_settings()
emitter = Emitter(
    RetryPolicy(_settings.produce_retries, _settings.produce_backoff_ms, _settings.produce_timeout_s),
    _produce_failed,
    on_retry=lambda kind: metrics.produce_retries.labels(kind).inc(),
)

# After a crash (or a rebalance), Faust reprocesses the relate input from the last committed offset,
# and the recovered table may already hold an article whose enriched record never reached the
# broker: relate would call it "unchanged" and it would be lost. So an unchanged article is emitted
# again - same id and revision, so an idempotent consumer sees it once - when its input record is a
# replay (its offset is below the partition's end as first seen in this consumer generation) and this
# process has not emitted it itself. Records after that end are new, e.g. the enrich stage's own
# replays: for those "unchanged" is the truth, since the record that stored the article was either
# committed (so its output was delivered first) or is a replay handled by the rule above.
EMITTED_MEMORY = 200_000
_emitted_here: dict[str, None] = {}
_replay_until: dict[Any, tuple[int, float]] = {}  # tagged partition -> (generation, end offset)


def _is_replay(event: faust.EventT) -> bool:
    """Whether the record may have been processed before (by a crashed process or before a rebalance).

    The boundary is the partition's high-water mark as the first fetch of this consumer generation
    reported it (no broker round trip). It can only be too high, never too low, and too high only
    costs a harmless same-revision re-emit."""
    msg = event.message
    known = _replay_until.get(msg.tp)
    if known is None or known[0] != msg.generation_id:
        try:
            end = app.consumer.highwater(msg.tp)
        except Exception:  # unknown: every unchanged article counts as a possible replay
            end = None
        known = (msg.generation_id, float(end) if end is not None else math.inf)
        _replay_until[msg.tp] = known
    return msg.offset < known[1]


def _remember_emitted(article_id: str) -> None:
    _emitted_here[article_id] = None
    if len(_emitted_here) > EMITTED_MEMORY:  # forgetting only costs a harmless same-revision re-emit
        del _emitted_here[next(iter(_emitted_here))]


class TaggedHandoff:
    """The validated article behind each tagged record this process's enrich agent produced, keyed
    by the record's key and kept with its exact bytes, so the relate agent can skip re-validating it.

    Only a record whose bytes equal what this process serialized from its own validated model is
    taken from here; any other record (from another worker, a replay after a restart, one evicted
    here, or one altered on the topic) is validated in full, so an invalid one is still dead-lettered.
    Bounded: an article is held only while the relate agent is behind the enrich agent."""

    def __init__(self, capacity: int = 128) -> None:
        self.capacity = capacity
        self._held: dict[bytes, tuple[bytes, EnrichedArticle]] = {}
        self.hits = self.misses = 0

    def put(self, key: bytes, value: bytes, article: EnrichedArticle) -> None:
        held = self._held
        held.pop(key, None)  # re-insert at the end: eviction is oldest first
        held[key] = (value, article)
        if len(held) > self.capacity:
            del held[next(iter(held))]

    def take(self, key: bytes | None, value: bytes) -> EnrichedArticle | None:
        entry = self._held.pop(key, None) if key is not None else None
        if entry is not None and entry[0] == value:
            self.hits += 1
            return entry[1]
        self.misses += 1
        return None

    def validated(self, key: bytes | None, value: bytes) -> EnrichedArticle:
        """The article of a tagged record: the one this process serialized, else validated from the bytes."""
        article = self.take(key, value)
        return article if article is not None else EnrichedArticle.model_validate_json(value)


handoff = TaggedHandoff()


@articles_table.on_recover
async def rebuild_window() -> None:
    """Tables recovered from their changelogs: re-derive the in-memory index from them."""
    relator.rebuild()
    log.info("related-story window rebuilt: %d articles", len(articles_table))


# validate, normalize and tag run in a child process under a CPU budget per article (see stream/budget.py).
budgeted = BudgetedPrepare(_settings.processing_budget_seconds)


@app.agent(raw_topic)
async def enrich(stream: faust.StreamT) -> None:
    budgeted.start()  # the child loads its resources while the consumer joins the group
    # noack: the emitter acknowledges each input once its output is delivered (or dead-lettered).
    async for event in stream.noack().events():
        metrics.consumed.inc()
        outcome = await budgeted.prepare(event.value or b"", _origin(event))
        _observe(outcome)
        if outcome.dead_letter is not None:
            await emitter.emit([dead_letter_record(outcome.dead_letter)], _done(event), event.message.tp)
            continue
        article = outcome.enriched
        assert article is not None
        key, value = article.id.encode(), _json(article)
        handoff.put(key, value, article)
        tagged = Outgoing(tagged_topic, key, value, _ingest_headers(event), "tagged")
        await emitter.emit([tagged], _done(event), event.message.tp)


@app.agent(tagged_topic)
async def relate(stream: faust.StreamT) -> None:
    async for event in stream.noack().events():
        replay = _is_replay(event)  # checked on every record: the boundary is set by the first one
        try:
            prepared = handoff.validated(event.key, event.value)
            outcome = pipeline.link(prepared, source=_header(event.message.headers, SOURCE_HEADER))
            if outcome.unchanged and replay and prepared.id not in _emitted_here:
                log.info("replayed input at offset %d: article %s emitted again", event.message.offset, prepared.id)
                outcome = Outcome(enriched=outcome.restated, timings=outcome.timings)  # a replay after a crash: emit it again
        except Exception as exc:  # keep the stream moving; the record goes to the DLQ with the reason
            log.exception("relate failed", extra={"stage": "relate"})
            reason = f"{type(exc).__name__}: {exc}"[:1000]
            letter = dead_letter_for(event.value, ErrorCode.processing_error, reason, "relate", _origin(event))
            await emitter.emit([dead_letter_record(letter)], _done(event), event.message.tp)
            continue
        _observe(outcome)
        if outcome.unchanged:
            metrics.unchanged.inc()
            await emitter.emit([], _done(event), event.message.tp)
            continue
        article = outcome.enriched
        assert article is not None
        _remember_emitted(article.id)
        emit_started = time.perf_counter()
        records = [
            Outgoing(
                enriched_topic,
                article.id.encode(),
                _json(article),
                headers_for(EnrichedArticle, event_id=f"{article.id}:{article.revision}", time=article.processed_at),
                "enriched",
            )
        ]
        records += [
            Outgoing(stories_topic, update.story_id.encode(), _json(update), headers_for(StoryUpdate), "stories")
            for update in outcome.story_updates
        ]
        await emitter.emit(records, _done(event), event.message.tp)
        metrics.enriched.inc()
        metrics.related_links.inc(len(article.related))
        if article.duplicate_of:
            metrics.duplicates.inc()
        for update in outcome.story_updates:
            if update.event is StoryEvent.created:
                metrics.stories_created.inc()
            elif update.event is StoryEvent.merged:
                metrics.stories_merged.inc()
        _observe_emitted(article, event, time.perf_counter() - emit_started)
