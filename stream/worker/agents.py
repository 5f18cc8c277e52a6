"""The agents, one per stage: ``enrich`` (stateless, scales with partitions) and ``relate`` (window state).

Nothing is built at import: :func:`register_agents` registers them on an app, with the services
``stream.worker.app.create_app`` made (or a test's own). Each step of the relate agent is a named
method of :class:`RelateSteps`: replay detection (:class:`ReplayGuard`), the hand-over from enrich
(:class:`TaggedHandoff`), linking, dead letters and the outgoing records (:class:`Records`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import faust

from stream.contracts import DeadLetter, EnrichedArticle, ErrorCode, StoryUpdate
from stream.contracts.topics import headers_for
from stream.core.deadletters import StageError, dead_letter
from stream.core.pipeline import Origin, Outcome
from stream.metrics import Metrics
from stream.worker.emit import Outgoing, truncated
from stream.worker.heap import freeze_long_lived

if TYPE_CHECKING:
    from stream.worker.app import Services, Topics

log = logging.getLogger("article_stream.worker")


def _json(model: Any) -> bytes:
    # pydantic-core writes JSON bytes directly: no intermediate dict (faster than orjson over model_dump).
    return model.__pydantic_serializer__.to_json(model)


def _origin(event: faust.EventT) -> Origin:
    msg = event.message
    stamp = int(msg.timestamp * 1000) if msg.timestamp else None
    return Origin(msg.topic, msg.partition, msg.offset, stamp, event.key)


def _done(app: faust.App, event: faust.EventT) -> Callable[[], None]:
    """The emitter's acknowledgement for ``event``: its outputs are delivered, so its offset may be
    committed. Only this marks a record processed (see ``stream.worker.transport``)."""

    def ack() -> None:
        app.consumer.processed(event.message)
        event.ack()

    return ack


# The raw record's timestamp (ms), carried from enrich to relate for the end-to-end latency.
INGEST_HEADER = "x-article-stream-ingest-ms"
# The raw partition it came from: relate's clock waits for the slowest one (stream/core/relate/sources.py).
SOURCE_HEADER = "x-article-stream-source"


# Its offset there: with the partition, the position relate remembers per id (RevisionLedger.superseded).
SOURCE_OFFSET_HEADER = "x-article-stream-source-offset"


def _ingest_headers(event: faust.EventT) -> dict[str, bytes]:
    stamp = event.message.timestamp
    headers = {SOURCE_HEADER: str(event.message.partition).encode(), SOURCE_OFFSET_HEADER: str(event.message.offset).encode()}
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


def observe_latency(metrics: Metrics, article: EnrichedArticle, event: faust.EventT, emit_seconds: float) -> None:
    """The emit time, the end-to-end latency from the input record, and the publication-to-emit age."""
    now = time.time()
    metrics.observe_stage("emit", emit_seconds)
    ingest_ms = _header(event.message.headers, INGEST_HEADER)
    started = int(ingest_ms) / 1000 if ingest_ms else event.message.timestamp
    if started:
        metrics.end_to_end_seconds.observe(max(now - started, 0.0))
    if article.published_at:
        published = datetime.fromisoformat(article.published_at).timestamp()  # reads the "Z" (Python >= 3.11)
        if published <= now:  # a date in the future is a publisher's error, not a latency
            metrics.freshness_seconds.observe(now - published)
    log.debug("emitted revision %d", article.revision, extra={"article_id": article.id, "stage": "emit", "story_id": article.story_id})


@dataclass
class AfterState(Outgoing):
    """An output sent only once the table writes (changelog records) its input made are delivered.

    Faust produces changelog records apart from the outputs, and a full batch of outputs can leave
    before a lingering batch of changelog records: after a kill in between, the outputs were out and
    the state was not, so the replayed input was applied again - its article added to its story a
    second time. With the state first, a kill loses both or neither. The agent does not wait: the
    output's delivery future is handed to the emitter at once and completes after both."""

    after: list = field(default_factory=list)

    def send(self) -> Awaitable[Awaitable[Any]]:
        pending = [written for written in self.after if not written.done()]
        if not pending:
            return super().send()
        return self._send_after(pending)

    async def _send_after(self, pending: list) -> asyncio.Future:
        delivered = asyncio.get_running_loop().create_future()

        async def chain() -> None:
            await asyncio.wait(pending)  # delivered or failed: the output goes either way (never held forever)
            try:
                result = await (await Outgoing.send(self))
            except asyncio.CancelledError:
                delivered.cancel()  # the emitter tries again (DeliveryCancelled)
                raise
            except Exception as exc:  # handed to the emitter, which retries or dead-letters
                if not delivered.done():
                    delivered.set_exception(exc)
                return
            if not delivered.done():
                delivered.set_result(result)

        task = asyncio.ensure_future(chain())
        _CHAINS.add(task)
        task.add_done_callback(_CHAINS.discard)
        return delivered


_CHAINS: set[asyncio.Task] = set()  # strong references to the running chains


def _raw_position(source: bytes | None, headers: Any) -> tuple[int, int] | None:
    """The raw input's (partition, offset) the tagged record was made from. Relate remembers it per id
    rather than the tagged record's own offset: after a kill the enrich stage replays raw records and
    writes them to the tagged topic again, at new offsets, so only the raw position tells that an
    original re-sent this way is older than the revision already applied (an id's raw records share
    a partition when the producer keys them by id). None without the headers: no replay check."""
    offset = _header(headers, SOURCE_OFFSET_HEADER)
    if source is None or offset is None:
        return None
    try:
        return int(source), int(offset)
    except ValueError:
        return None


class Records:
    """The records the agents send: tagged articles, enriched articles and story updates, dead letters."""

    def __init__(self, topics: Topics, metrics: Metrics) -> None:
        self.topics = topics
        self.metrics = metrics

    def tagged(self, article: EnrichedArticle, key: bytes, value: bytes, event: faust.EventT) -> Outgoing:
        return Outgoing(self.topics.tagged, key, value, _ingest_headers(event), "tagged", direct=True)

    def linked(self, article: EnrichedArticle, story_updates: list[StoryUpdate]) -> list[Outgoing]:
        """The enriched article and its story updates."""
        records = [
            Outgoing(
                self.topics.enriched,
                article.id.encode(),
                _json(article),
                headers_for(EnrichedArticle, event_id=f"{article.id}:{article.revision}", time=article.processed_at),
                "enriched",
                direct=True,
            )
        ]
        records += [
            Outgoing(self.topics.stories, update.story_id.encode(), _json(update), headers_for(StoryUpdate), "stories", direct=True)
            for update in story_updates
        ]
        return records

    def dead_letter(self, letter: DeadLetter) -> Outgoing:
        self.metrics.observe_dead_letter(letter)
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
        return Outgoing(self.topics.dlq, key, _json(letter), headers_for(DeadLetter, event_id=event_id), "dlq", direct=True)

    def produce_failed(self, record: Outgoing, error: BaseException) -> Outgoing | None:
        """The dead letter for a record the broker kept refusing (see stream.worker.emit)."""
        if record.kind == "dlq":  # a dead letter too large for the topic: keep a bounded part of its input
            letter = DeadLetter.model_validate_json(record.value)
            value, cut = truncated(letter.original_value.encode())
            if not cut:
                return None
            reason = f"{letter.reason} (original of {len(letter.original_value)} characters cut to {len(value)} bytes)"
            shrunk = letter.model_copy(update={"original_value": value.decode(), "reason": reason})
            return Outgoing(self.topics.dlq, record.key, _json(shrunk), headers_for(DeadLetter), "dlq")
        value, cut = truncated(record.value)
        reason = f"producing to {record.kind} failed after retries: {type(error).__name__}: {error}"[:900]
        if cut:
            reason += f" (record of {len(record.value)} bytes, kept {len(value)})"
        origin = Origin(topic=record.topic.get_topic_name(), key=record.key)
        return self.dead_letter(dead_letter(StageError(ErrorCode.produce_failed, reason, "emit"), value, "emit", origin))


# After a crash (or a rebalance), Faust reprocesses the relate input from the last committed offset,
# and the recovered table may already hold an article whose enriched record never reached the
# broker: relate would call it "unchanged" and it would be lost. So an unchanged article is emitted
# again - same id and revision, so an idempotent consumer sees it once - when its input is the very
# input the state was made from (the same raw position, which the state keeps per id: the pipeline
# gives ``restated`` only then), it is a replay (its offset is below the partition's end as first
# seen in this consumer generation), and this process has not emitted it itself.
# The raw position is what keeps an identical re-send out: it always comes at a new position, and
# the input that made the state came before it in the same partitions, so that one was either
# committed (its output delivered first) or is replayed ahead of the re-send. The offset boundary
# alone could not tell: a generation whose first record arrives after new records were written (a
# rebalance, or a partition that was idle at assignment) counts them as replays, and identical
# re-sends among them were restated. It only spares copies now: e.g. the enrich stage's own replays
# of raw records whose output was delivered and committed come after the boundary.
class ReplayGuard:
    """Tells the relate agent whether an unchanged article must be emitted again (the rule above)."""

    EMITTED_MEMORY = 200_000

    def __init__(self, app: faust.App) -> None:
        self.app = app
        self._emitted_here: dict[str, None] = {}
        self._replay_until: dict[Any, tuple[int, float]] = {}  # tagged partition -> (generation, end offset)

    def is_replay(self, event: faust.EventT) -> bool:
        """Whether the record may have been processed before (by a crashed process or before a rebalance).

        The boundary is the partition's high-water mark as the first fetch of this consumer generation
        reported it (no broker round trip). It can only be too high, never too low, and too high only
        costs a harmless same-revision re-emit."""
        _replay_until, app = self._replay_until, self.app
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

    def remember_emitted(self, article_id: str) -> None:
        self._emitted_here[article_id] = None
        if len(self._emitted_here) > self.EMITTED_MEMORY:  # forgetting only costs a harmless same-revision re-emit
            del self._emitted_here[next(iter(self._emitted_here))]

    def must_restate(self, outcome: Outcome, replay: bool, article_id: str) -> bool:
        """An unchanged article whose input is a replay, not emitted by this process: emit it again. Only
        the input the state was made from has ``restated`` (not a superseded input, whose revision was
        emitted before that one's, nor an identical re-send at another position; see above); with no
        position known (records without the headers) the boundary alone decides, as it did before."""
        return outcome.unchanged and outcome.restated is not None and replay and article_id not in self._emitted_here


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


async def send_changelog(pending: list, written: list) -> None:
    """Send the changelog records one input's table writes collected (``stream.worker.app.ChangelogRecord``),
    in write order, adding their delivery futures to ``written``."""
    for record in pending:
        written.append(await record.send())


class RelateSteps:
    """The relate agent's work on one tagged record, step by step."""

    def __init__(self, app: faust.App, services: Services, records: Records, handoff: TaggedHandoff) -> None:
        self.app = app
        self.services = services
        self.records = records
        self.handoff = handoff
        self.replay = ReplayGuard(app)

    async def handle(self, event: faust.EventT) -> None:
        replay = self.replay.is_replay(event)  # checked on every record: the boundary is set by the first one
        written: list = []
        pending: list = []
        app = self.app
        app.changelog_written, app.changelog_pending = written, pending  # type: ignore[attr-defined]
        try:
            outcome = self.link(event, replay)
        except Exception as exc:  # keep the stream moving; the record goes to the DLQ with the reason
            app.changelog_written = app.changelog_pending = None  # type: ignore[attr-defined]
            await send_changelog(pending, written)  # the writes made before the failure are state too
            await self.dead_letter(event, exc)
            return
        finally:
            app.changelog_written = app.changelog_pending = None  # type: ignore[attr-defined]
        await send_changelog(pending, written)
        if outcome.unchanged:
            await self.services.emitter.emit([], _done(self.app, event), event.message.tp)
        else:
            await self.emit_linked(event, outcome, written)
        self.services.metrics.observe_outcome(outcome, final=True)

    def link(self, event: faust.EventT, replay: bool) -> Outcome:
        """The article of the record related to the window; an unchanged one restated when it is a replay."""
        prepared = self.handoff.validated(event.key, event.value)
        headers = event.message.headers
        source = _header(headers, SOURCE_HEADER)
        outcome = self.services.pipeline.link(prepared, source=source, position=_raw_position(source, headers))
        if self.replay.must_restate(outcome, replay, prepared.id):
            log.info("replayed input at offset %d: article %s emitted again", event.message.offset, prepared.id)
            outcome = Outcome(enriched=outcome.restated, timings=outcome.timings)  # a replay after a crash: emit it again
        return outcome

    async def dead_letter(self, event: faust.EventT, exc: Exception) -> None:
        log.exception("relate failed", extra={"stage": "relate"})
        letter = dead_letter(exc, event.value, "relate", _origin(event))
        await self.services.emitter.emit([self.records.dead_letter(letter)], _done(self.app, event), event.message.tp)

    async def emit_linked(self, event: faust.EventT, outcome: Outcome, written: list | None = None) -> None:
        article = outcome.enriched
        assert article is not None
        self.replay.remember_emitted(article.id)
        emit_started = time.perf_counter()
        records = self.records.linked(article, outcome.story_updates)
        if written:  # the state this input changed goes out first (AfterState)
            records = [AfterState(r.topic, r.key, r.value, r.headers, r.kind, direct=r.direct, after=written) for r in records]
        await self.services.emitter.emit(records, _done(self.app, event), event.message.tp)
        observe_latency(self.services.metrics, article, event, time.perf_counter() - emit_started)


def register_agents(app: faust.App, services: Services, records: Records | None = None) -> RelateSteps:
    """Register the ``enrich`` and ``relate`` agents (and the window's rebuild on recovery) on ``app``.
    Returns the relate steps, for tests."""
    records = records or Records(services.topics, services.metrics)
    handoff = TaggedHandoff()
    steps = RelateSteps(app, services, records, handoff)
    metrics, emitter, budgeted = services.metrics, services.emitter, services.prepare

    if services.articles_table is not None:

        @services.articles_table.on_recover
        async def rebuild_window() -> None:
            """Tables recovered from their changelogs: re-derive the in-memory index from them."""
            services.relator.rebuild()
            freeze_long_lived()  # the recovered window lives on: no collection walks it again
            log.info("related-story window rebuilt: %d articles", len(services.articles_table))

    # BudgetedPrepare also hands back the child's JSON of the article: the tagged record's bytes.
    prepare_json = getattr(budgeted, "prepare_json", None)

    async def prepared(event: faust.EventT) -> tuple[Outcome, bytes | None]:
        if prepare_json is not None:
            return await prepare_json(event.value or b"", _origin(event))
        return await budgeted.prepare(event.value or b"", _origin(event)), None

    @app.agent(services.topics.raw, name="stream.worker.agents.enrich")
    async def enrich(stream: faust.StreamT) -> None:
        budgeted.start()  # the child loads its resources while the consumer joins the group
        # noack: the emitter acknowledges each input once its output is delivered (or dead-lettered).
        async for event in stream.noack().events():
            metrics.consumed.inc()
            outcome, value = await prepared(event)
            metrics.observe_outcome(outcome, final=False)
            if outcome.dead_letter is not None:
                await emitter.emit([records.dead_letter(outcome.dead_letter)], _done(app, event), event.message.tp)
                continue
            article = outcome.enriched
            assert article is not None
            key = article.id.encode()
            if value is None:
                value = _json(article)
            handoff.put(key, value, article)
            await emitter.emit([records.tagged(article, key, value, event)], _done(app, event), event.message.tp)

    @app.agent(services.topics.tagged, name="stream.worker.agents.relate")
    async def relate(stream: faust.StreamT) -> None:
        async for event in stream.noack().events():
            await steps.handle(event)

    return steps
