"""Why-3 (issue 21): a top-level field the contract does not name is kept under ``extra`` and
reaches the enriched article; what is over the bound is named in a warning, never dropped silently."""

from __future__ import annotations

import orjson
import pytest

from stream.contracts import ErrorCode
from stream.contracts.raw import MAX_EXTRA_BYTES, MAX_EXTRA_KEYS
from stream.core.pipeline import Pipeline

BODY = "SEOUL - North Korea and Russia signed a treaty on Thursday, officials in Seoul said."


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


def _enriched(pipeline: Pipeline, record: dict):
    outcome = pipeline.prepare(orjson.dumps({"url": "https://example.com/extra", "title": "Treaty", "body": BODY, **record}))
    assert outcome.enriched is not None, outcome.dead_letter
    return outcome.enriched


def test_unknown_field_is_kept_under_extra(pipeline: Pipeline) -> None:
    article = _enriched(pipeline, {"foo": {"a": 1}, "paywall": True})
    assert article.extra == {"foo": {"a": 1}, "paywall": True}
    assert not any("extra" in w for w in article.warnings)


def test_given_extra_and_unknown_fields_merge_and_the_given_key_wins(pipeline: Pipeline) -> None:
    article = _enriched(pipeline, {"extra": {"foo": "given", "desk": "world"}, "foo": "top-level", "bar": [1, 2]})
    assert article.extra == {"foo": "given", "desk": "world", "bar": [1, 2]}


def test_oversized_unknown_field_is_named_in_a_warning(pipeline: Pipeline) -> None:
    article = _enriched(pipeline, {"small": 1, "huge": "x" * (MAX_EXTRA_BYTES + 10), "after": 2})
    assert article.extra == {"small": 1, "after": 2}
    assert any("huge" in w and "extra fields dropped" in w for w in article.warnings), article.warnings
    assert len(orjson.dumps(article.extra)) <= MAX_EXTRA_BYTES


def test_too_many_unknown_fields_are_refused_like_a_extra_over_its_key_limit(pipeline: Pipeline) -> None:
    record = {f"field{i}": i for i in range(MAX_EXTRA_KEYS + 1)}
    outcome = pipeline.prepare(orjson.dumps({"title": "Many", "body": BODY, **record}))
    assert outcome.dead_letter is not None
    # The rule ``extra`` had before unknown fields joined it (a schema violation, as it was).
    assert outcome.dead_letter.error_code is ErrorCode.schema_violation
    assert f"extra has more than {MAX_EXTRA_KEYS} keys" in outcome.dead_letter.reason


def test_extra_does_not_make_a_revision(pipeline: Pipeline) -> None:
    """Extra metadata is carried, not compared: a re-send that changes only it is unchanged."""
    fresh = Pipeline()
    base = {"url": "https://example.com/extra-rev", "title": "Treaty", "body": BODY}
    first = fresh.process(orjson.dumps({**base, "foo": 1}))
    again = fresh.process(orjson.dumps({**base, "foo": 2}))
    assert first.enriched is not None and first.enriched.extra == {"foo": 1}
    assert again.unchanged
