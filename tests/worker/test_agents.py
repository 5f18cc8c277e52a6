"""The agents, unit by unit, with Faust's ``agent.test_context()``: no broker. Their services are
built here (the factory's job in the worker): an in-memory relator, the real pipeline core, and an
emitter that records what the agents hand it (the emitter itself: tests/worker/test_emit.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from stream.config import Settings
from stream.contracts import DeadLetter, EnrichedArticle, ErrorCode, StoryUpdate
from stream.core.pipeline import Origin, Outcome, Pipeline
from stream.core.relate import RelateConfig, Relator
from stream.metrics import Metrics
from stream.worker.agents import INGEST_HEADER, register_agents
from stream.worker.app import App, Services, Topics

ARTICLE = {
    "id": "A-1",
    "source": "Harbour Wire",
    "title": "Port workers strike in Rotterdam over wages",
    "body": "ROTTERDAM - Dock workers at the port of Rotterdam walked out on Monday over pay, the union said. "
    "The strike halted container traffic at the largest port in Europe.",
    "published_at": "2026-11-27T09:00:00Z",
}


STAMP = datetime(2026, 11, 27, 10, tzinfo=UTC).timestamp()


class RecordingEmitter:
    """Records each emit call; delivers at once (acknowledges the input)."""

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []

    async def emit(self, records: list[Any], ack: Any, lane: Any = None) -> None:
        self.calls.append(records)
        ack()


class InProcessPrepare:
    """The enrich half in this process (the worker runs it in a child under a CPU budget: tests/faults/test_budget.py)."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.started = False

    def start(self) -> None:
        self.started = True

    async def prepare(self, value: bytes, origin: Origin) -> Outcome:
        return self.pipeline.prepare(value, origin)


@pytest.fixture(scope="module")
def shared_pipeline() -> Pipeline:
    return Pipeline()  # loads the tagger once for the module


@pytest.fixture
def wired(shared_pipeline: Pipeline):
    settings = Settings(broker="127.0.0.1:9", app_id="agents-unit")
    app = App(settings.app_id, broker="kafka://127.0.0.1:9", store="memory://", key_serializer="raw", value_serializer="raw")
    topics = Topics(*(app.topic(f"unit.{kind}") for kind in ("raw", "tagged", "enriched", "stories", "dlq")))
    relator = Relator(RelateConfig())
    pipeline = Pipeline(tagger=shared_pipeline.tagger, relator=relator)
    services = Services(
        settings=settings, metrics=Metrics(), topics=topics, relator=relator, pipeline=pipeline,
        emitter=RecordingEmitter(), prepare=InProcessPrepare(pipeline),
    )  # fmt: skip
    app.services = services
    steps = register_agents(app, services)
    return app, services, steps


def _count(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels or None) or 0.0


def _prepared(services: Services, article: dict) -> EnrichedArticle:
    outcome = services.pipeline.prepare(orjson.dumps(article))
    assert outcome.enriched is not None
    return outcome.enriched


async def test_enrich_hands_a_tagged_record_over_and_dead_letters_bad_input(wired):
    app, services, _ = wired
    enrich = app.agents["stream.worker.agents.enrich"]
    async with enrich.test_context() as agent:
        await agent.put(orjson.dumps(ARTICLE), key=b"k1", timestamp=STAMP)
        await agent.put(b"{not json", key=b"k2")
    assert services.prepare.started
    [tagged], [dead] = services.emitter.calls
    assert tagged.kind == "tagged" and tagged.topic is services.topics.tagged
    article = EnrichedArticle.model_validate_json(tagged.value)
    assert tagged.key == article.id.encode() and article.story_id is None  # related later, by relate
    assert tagged.headers[INGEST_HEADER] == str(int(STAMP * 1000)).encode()  # for relate's end-to-end latency
    assert dead.kind == "dlq" and dead.topic is services.topics.dlq
    letter = DeadLetter.model_validate_json(dead.value)
    assert (letter.error_code, letter.stage, letter.original_value, letter.original_key) == (ErrorCode.invalid_json, "validate", "{not json", "k2")
    metrics = services.metrics
    assert _count(metrics, "article_stream_articles_consumed_total") == 2
    assert _count(metrics, "article_stream_articles_dead_lettered_total", code="invalid_json") == 1
    assert _count(metrics, "article_stream_articles_enriched_total") == 0  # enriched only once related
    assert _count(metrics, "article_stream_stage_seconds_count", stage="tag") == 1


async def test_relate_emits_the_article_and_its_story_then_recognises_the_resend(wired):
    app, services, _ = wired
    relate = app.agents["stream.worker.agents.relate"]
    prepared = _prepared(services, ARTICLE)
    value = prepared.__pydantic_serializer__.to_json(prepared)
    async with relate.test_context() as agent:
        await agent.put(value, key=prepared.id.encode())
        await agent.put(value, key=prepared.id.encode())  # the same article again
    [first, second] = services.emitter.calls
    assert [r.kind for r in first] == ["enriched", "stories"]
    enriched = EnrichedArticle.model_validate_json(first[0].value)
    update = StoryUpdate.model_validate_json(first[1].value)
    assert enriched.id == prepared.id and enriched.story_id == update.story_id and enriched.revision >= 1
    assert first[0].topic is services.topics.enriched and first[1].topic is services.topics.stories
    assert second == []  # unchanged and emitted by this process: nothing again, only acknowledged
    metrics = services.metrics
    assert _count(metrics, "article_stream_articles_enriched_total") == 1
    assert _count(metrics, "article_stream_stories_created_total") == 1
    assert _count(metrics, "article_stream_articles_unchanged_total") == 1
    assert _count(metrics, "article_stream_stage_seconds_count", stage="relate") == 2
    assert _count(metrics, "article_stream_stage_seconds_count", stage="emit") == 1


async def test_relate_dead_letters_a_record_it_cannot_read_and_goes_on(wired):
    app, services, _ = wired
    relate = app.agents["stream.worker.agents.relate"]
    prepared = _prepared(services, {**ARTICLE, "id": "A-2"})
    async with relate.test_context() as agent:
        await agent.put(b'{"id": "broken"}', key=b"broken")
        await agent.put(prepared.__pydantic_serializer__.to_json(prepared), key=prepared.id.encode())
    [[dead], after] = services.emitter.calls
    letter = DeadLetter.model_validate_json(dead.value)
    assert letter.error_code is ErrorCode.processing_error and letter.stage == "relate"
    assert letter.reason.startswith("ValidationError") and letter.original_key == "broken"
    assert [r.kind for r in after] == ["enriched", "stories"]
    assert _count(services.metrics, "article_stream_articles_dead_lettered_total", code="processing_error") == 1
    assert _count(services.metrics, "article_stream_articles_enriched_total") == 1


async def test_a_relate_record_handed_over_by_enrich_is_not_validated_again(wired):
    app, services, steps = wired
    enrich, relate = app.agents["stream.worker.agents.enrich"], app.agents["stream.worker.agents.relate"]
    async with enrich.test_context() as agent:
        await agent.put(orjson.dumps(ARTICLE), key=b"k1")
    [[tagged]] = services.emitter.calls
    async with relate.test_context() as agent:
        await agent.put(tagged.value, key=tagged.key)
    assert (steps.handoff.hits, steps.handoff.misses) == (1, 0)  # found in the hand-over: not validated again
    [_, linked] = services.emitter.calls
    assert EnrichedArticle.model_validate_json(linked[0].value).id == EnrichedArticle.model_validate_json(tagged.value).id


@pytest.mark.parametrize("replayed_by", ["relate", "enrich"])
async def test_relate_replayed_from_before_a_revision_emits_no_new_revision(wired, replayed_by):
    """After a kill the original (raw offset 10) comes again after its revision (raw offset 50) was
    applied: re-read by relate from its committed offset, or re-enriched from the raw topic and so at a
    new tagged offset. The original is acknowledged with nothing emitted; the revision, the input the
    state was made from, is restated once (same id and revision, same ce_id), with no story update."""
    from stream.worker.agents import SOURCE_HEADER, SOURCE_OFFSET_HEADER, ReplayGuard

    app, services, steps = wired
    relate = app.agents["stream.worker.agents.relate"]
    original = _prepared(services, {**ARTICLE, "id": "A-3"})
    revised = _prepared(services, {**ARTICLE, "id": "A-3", "body": ARTICLE["body"] + " Talks resume on Wednesday."})
    assert original.fingerprint != revised.fingerprint
    inputs = [
        (a.__pydantic_serializer__.to_json(a), {SOURCE_HEADER: b"0", SOURCE_OFFSET_HEADER: offset})
        for a, offset in ((original, b"10"), (revised, b"50"))
    ]
    async with relate.test_context() as agent:
        start = agent.sent_offset
        for value, headers in inputs:
            await agent.put(value, key=original.id.encode(), headers=headers)
        steps.replay = ReplayGuard(app)  # a restarted process: it has emitted nothing itself
        if replayed_by == "relate":
            agent.sent_offset = start  # re-read from before both; else re-enriched: tagged again at new offsets
        for value, headers in inputs:
            await agent.put(value, key=original.id.encode(), headers=headers)
    first, second, replayed_original, replayed_revision = services.emitter.calls
    assert [EnrichedArticle.model_validate_json(r.value).revision for r in first + second if r.kind == "enriched"] == [1, 2]
    assert replayed_original == []  # superseded: acknowledged, nothing emitted
    [restated] = replayed_revision  # no story update
    article = EnrichedArticle.model_validate_json(restated.value)
    assert (article.revision, article.fingerprint) == (2, revised.fingerprint)
    assert dict(restated.headers)["ce_id"] == f"{original.id}:2".encode()
    assert services.relator.ledger.get(original.id).revision == 2


async def test_a_restarted_relate_restates_the_input_that_made_the_state_not_an_identical_resend(wired):
    """Issue 21 (accounting under kills): an article (raw offset 10) and an identical re-send of it (raw
    offset 30), then a restarted process reads again from after the article (its output was delivered
    and committed), and another identical re-send comes: nothing is emitted for the re-sends, replayed
    or not. Restarted once more from before the article, only the article, the input the state was
    made from (its output may have been lost to the kill), is emitted again."""
    from stream.worker.agents import SOURCE_HEADER, SOURCE_OFFSET_HEADER, ReplayGuard

    app, services, steps = wired
    relate = app.agents["stream.worker.agents.relate"]
    article = _prepared(services, {**ARTICLE, "id": "A-4"})
    value, key = article.__pydantic_serializer__.to_json(article), article.id.encode()

    def at(offset: int) -> dict[str, bytes]:
        return {SOURCE_HEADER: b"0", SOURCE_OFFSET_HEADER: str(offset).encode()}

    async with relate.test_context() as agent:
        start = agent.sent_offset
        for offset in (10, 30):
            await agent.put(value, key=key, headers=at(offset))
        steps.replay = ReplayGuard(app)  # a restarted process: it has emitted nothing itself
        agent.sent_offset = start + 1  # re-read from its committed offset: the re-send
        # By the offsets every input from here on may be a replay: only the raw positions tell them apart.
        assert steps.replay.is_replay(SimpleNamespace(message=agent.to_message(key, value, offset=start + 1)))
        for offset in (30, 70):
            await agent.put(value, key=key, headers=at(offset))
        steps.replay = ReplayGuard(app)  # restarted again, this time from before the article
        agent.sent_offset = start
        for offset in (10, 30):
            await agent.put(value, key=key, headers=at(offset))
    first, resend, replayed_resend, later_resend, replayed_article, resend_again = services.emitter.calls
    assert [r.kind for r in first] == ["enriched", "stories"]
    assert resend == replayed_resend == later_resend == resend_again == []
    [restated] = replayed_article  # no story update
    assert dict(restated.headers)["ce_id"] == f"{article.id}:1".encode()
    assert EnrichedArticle.model_validate_json(restated.value).revision == 1


async def test_an_output_after_state_waits_for_its_changelog_records():
    """The relate outputs leave only once the table writes of their input are delivered (AfterState)."""
    import asyncio

    from stream.worker.agents import AfterState

    loop = asyncio.get_running_loop()
    sent: list[bytes] = []

    class Topic:
        async def send(self, key, value, headers):
            sent.append(value)
            done = loop.create_future()
            done.set_result("metadata")
            return done

    changelog = loop.create_future()
    record = AfterState(Topic(), b"k", b"v", None, "enriched", after=[changelog])
    delivery = await record.send()
    await asyncio.sleep(0.01)
    assert sent == [] and not delivery.done()  # the state is not out yet: nor is the output
    changelog.set_result("changelog metadata")
    assert await asyncio.wait_for(delivery, 1) == "metadata" and sent == [b"v"]
    assert await (await record.send()) == "metadata" and sent == [b"v", b"v"]  # once out, at once (a retry)
