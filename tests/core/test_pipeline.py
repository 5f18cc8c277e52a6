"""The pipeline core end to end, without Kafka: accounting, idempotency, the seed page."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream.config import Settings
from stream.contracts import EnrichedArticle
from stream.core.pipeline import Origin, Pipeline
from stream.sources import iter_inputs

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline(Settings(max_body_bytes=20_000, max_message_bytes=60_000).core())


GOOD = {
    "title": "North Korea and Russia enact defense treaty",
    "body": "PYONGYANG, Dec. 5 (Yonhap) -- A new defense treaty signed by the leaders of North Korea and Russia came into force.",
    "url": "https://example.com/a?utm_source=x",
    "published_at": "2024-12-05 11:27",
    "source": "Example",
    "tags": ["North Korea"],
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
# Mutations of a good article: each field replaced by a random JSON value, fields dropped, extra keys.
mutated_articles = st.fixed_dictionaries(
    {},
    optional={k: st.one_of(st.just(v), json_values) for k, v in GOOD.items()}
    | {"html": st.one_of(st.text(max_size=200), json_values), "authors": json_values, "extra": json_values},
)
payloads = st.one_of(
    st.binary(max_size=300),
    json_values.map(orjson.dumps),
    mutated_articles.map(orjson.dumps),
    st.builds(lambda b, i: b[:i] + b"\xff" + b[i:], mutated_articles.map(orjson.dumps), st.integers(0, 50)),
    st.text(max_size=100).map(lambda s: orjson.dumps({"body": s, "title": s})),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(value=payloads)
def test_every_input_ends_enriched_or_dead_lettered_exactly_once(pipeline, value):
    outcome = pipeline.process(value, Origin(topic="articles.raw", partition=0, offset=1))
    ends = [outcome.enriched is not None, outcome.dead_letter is not None, outcome.unchanged]
    assert sum(ends) == 1
    if outcome.dead_letter is not None:
        letter = outcome.dead_letter
        assert letter.reason and letter.error_code
        restored = letter.original_value.encode() if letter.original_encoding == "utf-8" else __import__("base64").b64decode(letter.original_value)
        assert restored == value
    if outcome.enriched is not None:
        EnrichedArticle.model_validate(outcome.enriched.model_dump(mode="json"))


def test_identical_resend_is_unchanged_and_changed_resend_is_a_revision():
    pipeline = Pipeline(Settings().core())
    value = orjson.dumps(GOOD)
    first = pipeline.process(value)
    again = pipeline.process(value)
    changed = pipeline.process(orjson.dumps({**GOOD, "body": GOOD["body"] + " Officials confirmed it on Thursday."}))
    assert first.enriched is not None and first.enriched.revision == 1
    assert again.unchanged and again.enriched is None
    assert changed.enriched is not None
    assert changed.enriched.id == first.enriched.id
    assert changed.enriched.revision == 2


def test_seed_page_through_the_whole_core():
    pipeline = Pipeline(Settings().core())
    [(where, value)] = [item for item in iter_inputs([SAMPLES]) if item[0].endswith("joongang-2024-12-05-nk-russia-treaty.txt")]
    outcome = pipeline.process(value)
    article = outcome.enriched
    assert article is not None, outcome.dead_letter
    assert article.title == "North Korea and Russia enact defense treaty following ratification exchange"
    assert article.published_at == "2024-12-05T02:27:00Z"
    assert "Yonhap" in article.credits
    assert {"region:KP", "region:RU"} <= set(article.tags)
    assert article.story_id


def test_unchanged_outcome_restates_the_article_as_emitted():
    pipeline = Pipeline(Settings().core())
    first = pipeline.process(orjson.dumps(GOOD))
    again = pipeline.process(orjson.dumps(GOOD))
    assert again.unchanged and again.restated is not None
    assert (again.restated.id, again.restated.revision, again.restated.story_id) == (
        first.enriched.id, first.enriched.revision, first.enriched.story_id,
    )
