"""The enrich child's JSON is the tagged record's value: no second serialization in the parent."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from benchmarks import corpus
from stream.budget import BudgetedPrepare
from stream.contracts import EnrichedArticle
from stream.core.pipeline import Origin


async def test_prepare_json_hands_back_the_bytes_the_article_was_read_from():
    values = corpus.generate(5, start=datetime(2026, 11, 27, tzinfo=UTC))
    budgeted = BudgetedPrepare(30.0)
    budgeted.start()
    try:
        for i, value in enumerate(values):
            outcome, data = await budgeted.prepare_json(value, Origin("raw", 0, i, None, None))
            assert outcome.enriched is not None and data is not None
            # The same article as the parent's model, and the bytes the serializer would write for it.
            assert EnrichedArticle.model_validate_json(data) == outcome.enriched
            assert data == outcome.enriched.__pydantic_serializer__.to_json(outcome.enriched)
            assert orjson.loads(data)["id"] == outcome.enriched.id
        outcome, data = await budgeted.prepare_json(b"{not json", Origin("raw", 0, 99, None, None))
        assert outcome.dead_letter is not None and data is None  # a dead letter has no tagged record
    finally:
        budgeted.stop()
