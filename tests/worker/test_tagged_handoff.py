"""The relate agent skips re-validating only the exact tagged bytes this process produced (no broker)."""

from __future__ import annotations

import orjson
import pytest
from pydantic import ValidationError

from stream.contracts import EnrichedArticle
from stream.worker.agents import TaggedHandoff, _json


def article(article_id: str = "pub:example:1", title: str = "A title") -> EnrichedArticle:
    return EnrichedArticle(id=article_id, title=title, body="Body text.", fingerprint="f" * 32, simhash="0" * 16,
                           processed_at="2026-11-27T00:00:00Z")


def test_the_produced_record_is_handed_over_once_and_equals_its_validation():
    handoff, model = TaggedHandoff(), article()
    key, value = model.id.encode(), _json(model)
    handoff.put(key, value, model)
    assert handoff.validated(key, value) is model
    assert model == EnrichedArticle.model_validate_json(value)
    again = handoff.validated(key, value)  # a replay of the same record: validated from its bytes
    assert again is not model and again == model
    assert (handoff.hits, handoff.misses) == (1, 1)


def test_altered_bytes_are_validated_and_an_invalid_record_still_fails():
    handoff, model = TaggedHandoff(), article()
    key, value = model.id.encode(), _json(model)
    handoff.put(key, value, model)
    tampered = orjson.loads(value)
    tampered["revision"] = 0  # out of range: validation must reject it
    with pytest.raises(ValidationError):
        handoff.validated(key, orjson.dumps(tampered))
    handoff.put(key, value, model)
    retitled = orjson.loads(value)
    retitled["title"] = "Another title"
    assert handoff.validated(key, orjson.dumps(retitled)).title == "Another title"


def test_held_articles_are_bounded_oldest_first():
    handoff = TaggedHandoff(capacity=2)
    models = [article(f"pub:example:{i}") for i in range(3)]
    for m in models:
        handoff.put(m.id.encode(), _json(m), m)
    assert handoff.take(models[0].id.encode(), _json(models[0])) is None  # evicted
    assert handoff.take(models[2].id.encode(), _json(models[2])) is models[2]
    assert handoff.take(None, _json(models[1])) is None  # a record without a key is never matched
