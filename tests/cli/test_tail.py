"""article-stream tail: readable lines or JSON, --max, --filter, --timeout, against the real broker."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from stream.broker import create_topics
from stream.cli.tail import DEAD_LETTER, ENRICHED, STORY, Filter, _one_line, readable, record_kind
from stream.contracts import DeadLetter, EnrichedArticle, StoryUpdate
from stream.contracts.topics import headers_for
from stream.core.pipeline import Pipeline
from tests.support.articles import BAD_VALUES, make_values
from tests.support.worker import publish


@pytest.fixture(scope="module")
def outcomes():
    """Real pipeline output for 12 generated articles and the bad inputs."""
    pipeline = Pipeline()
    results = [pipeline.process(v) for v in make_values(12, seed=3) + list(BAD_VALUES.values())]
    enriched = [o.enriched for o in results if o.enriched]
    dead = [o.dead_letter for o in results if o.dead_letter]
    stories = [u for o in results for u in o.story_updates]
    return enriched, dead, stories


def test_filter_parsing_and_matching():
    record = {"tags": ["region:KP", "topic:politics/diplomacy"], "story_id": "s1", "title": "Treaty Signed", "source": "Yonhap"}
    assert Filter.parse("tag:region:KP")(record)
    assert Filter.parse("tag:topic:politics")(record)  # a parent matches its subtopics
    assert not Filter.parse("tag:topic:polit")(record)  # but not a prefix of a word
    assert not Filter.parse("tag:region:KR")(record)
    assert Filter.parse("story:s1")(record) and not Filter.parse("story:s2")(record)
    assert Filter.parse("title:treaty")(record) and Filter.parse("source:yonhap")(record)
    for bad in ("region:KP", "tag", "tag:", "nope:x"):
        with pytest.raises(ValueError):
            Filter.parse(bad)


def test_readable_lines_per_kind(outcomes):
    enriched, dead, stories = outcomes
    article = enriched[0].model_dump(mode="json")
    line = readable(record_kind(article, {}), article)
    assert article["title"][:40] in line and f"related={len(article['related'])}" in line and f"story={article['story_id']}" in line
    story = stories[0].model_dump(mode="json")
    assert record_kind(story, {}) == STORY and f"size={story['size']}" in readable(STORY, story)
    letter = dead[0].model_dump(mode="json")
    assert record_kind(letter, {}) == DEAD_LETTER and letter["error_code"] in readable(DEAD_LETTER, letter)
    # The ce_type header decides over the shape.
    assert record_kind({}, {"ce_type": b"io.article-stream.article.enriched.v1"}) == ENRICHED


def test_json_output_is_one_line_per_record():
    assert _one_line(b'{\n  "a": 1\n}') == '{"a":1}'
    assert _one_line(b'{"a": 1}') == '{"a": 1}'


def test_bad_filter_is_a_usage_error(invoke):
    result = invoke(["tail", "--broker", "127.0.0.1:9", "--filter", "colour:red"])
    assert result.exit_code == 2 and "bad filter" in result.stderr


@pytest.mark.integration
class TestAgainstTheBroker:
    @pytest.fixture
    def filled(self, service_env, outcomes):
        enriched, dead, stories = outcomes
        bootstrap = service_env["ARTICLE_STREAM_BROKER"]
        topics = {k: service_env[f"ARTICLE_STREAM_TOPIC_{k.upper()}"] for k in ("enriched", "stories", "dlq")}

        async def fill():
            await create_topics(bootstrap, {t: 2 for t in topics.values()})
            for topic, items, model in (
                (topics["enriched"], enriched, EnrichedArticle),
                (topics["stories"], stories, StoryUpdate),
                (topics["dlq"], dead, DeadLetter),
            ):
                from aiokafka import AIOKafkaProducer

                producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
                await producer.start()
                try:
                    for item in items:
                        await producer.send_and_wait(topic, orjson.dumps(item.model_dump(mode="json")), headers=headers_for(model))
                finally:
                    await producer.stop()

        asyncio.run(fill())
        return service_env, outcomes

    def test_max_from_the_beginning(self, invoke, filled):
        env, (enriched, _, _) = filled
        result = invoke(["tail", "enriched", "--from-beginning", "--max", "3", "--timeout", "20"], env=env)
        assert result.exit_code == 0, result.output
        titles = {e.title[:70] for e in enriched}
        shown = [line for line in result.stdout.splitlines() if not line.startswith("    ")]
        assert len(shown) == 3 and all(any(t in line for t in titles) for line in shown)

    def test_json_and_filter(self, invoke, filled):
        env, (enriched, _, _) = filled
        region = enriched[0].regions[0].tag
        expected = sorted(e.id for e in enriched if region in e.tags)
        assert 0 < len(expected) < len(enriched), "the filter must select some, not all"
        result = invoke(["tail", env["ARTICLE_STREAM_TOPIC_ENRICHED"], "--from-beginning", "--json", "--filter", f"tag:{region}", "--timeout", "3"], env=env)
        assert result.exit_code == 0, result.output
        records = [orjson.loads(line) for line in result.stdout.splitlines()]
        assert sorted(r["id"] for r in records) == expected

    def test_dead_letters_and_stories_are_readable(self, invoke, filled):
        env, (_, dead, stories) = filled
        result = invoke(["tail", "dlq", "--from-beginning", "-n", str(len(dead)), "--timeout", "20"], env=env)
        assert result.exit_code == 0, result.output
        assert result.stdout.count("DEAD LETTER") == len(dead)
        result = invoke(["tail", "stories", "--from-beginning", "-n", "1", "--timeout", "20"], env=env)
        assert result.exit_code == 0 and "STORY" in result.stdout

    def test_timeout_without_a_record_is_exit_1(self, invoke, filled):
        env, _ = filled
        # Only new records by default: none come, so it gives up after the timeout.
        for args in (["--max", "1", "--timeout", "1.5"], ["--timeout", "1.5"], ["--from-beginning", "--filter", "title:no such title", "--timeout", "2"]):
            result = invoke(["tail", "enriched", *args], env=env)
            assert result.exit_code == 1, args
            assert "no records in" in result.stderr

    def test_timeout_after_some_records_is_success(self, invoke, filled):
        env, (enriched, _, _) = filled
        # The README's "the first 20, then exit" on a topic with fewer: what there was, exit 0.
        result = invoke(["tail", "enriched", "--from-beginning", "--max", str(len(enriched) + 5), "--timeout", "2"], env=env)
        assert result.exit_code == 0, result.output
        assert f"{len(enriched)} of {len(enriched) + 5}" in result.stderr
        assert len([line for line in result.stdout.splitlines() if not line.startswith("    ")]) == len(enriched)

    def test_new_records_are_followed(self, invoke, filled):
        env, (enriched, _, _) = filled
        topic = env["ARTICLE_STREAM_TOPIC_ENRICHED"]

        async def tail_while_publishing():
            later = orjson.dumps(enriched[0].model_dump(mode="json") | {"id": "late-one"})
            task = asyncio.create_task(asyncio.to_thread(invoke, ["tail", "enriched", "--json", "--max", "1", "--timeout", "30"], env))
            await asyncio.sleep(3)  # the tail has positioned itself at the end by now
            await publish(env["ARTICLE_STREAM_BROKER"], topic, [later])
            return await task

        result = asyncio.run(tail_while_publishing())
        assert result.exit_code == 0, result.output
        assert orjson.loads(result.stdout.strip())["id"] == "late-one"

    def test_missing_topic_is_exit_2(self, invoke, service_env):
        result = invoke(["tail", "no-such-topic-here", "--timeout", "1"], env=service_env)
        assert result.exit_code == 2 and "does not exist" in result.stderr
