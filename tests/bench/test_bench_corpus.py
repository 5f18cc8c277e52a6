"""Benchmark articles: sizes, distinct ids and dates, real text, and the samples fallback."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import orjson
import pytest

from benchmarks import corpus
from stream.contracts import RawArticle


def _docs() -> list[corpus.Document]:
    words = "officials said the talks on trade and security would continue next week in the capital".split()
    rng = random.Random(1)
    docs = []
    for i in range(12):
        paragraphs = [" ".join(rng.choices(words, k=rng.randint(20, 60))) + "." for _ in range(rng.randint(1, 4))]
        docs.append(corpus.Document(f"Title {i}", paragraphs, "Test Wire", f"group:{i % 3}"))
    return docs


def test_compose_body_stays_between_the_bounds():
    docs = _docs()
    rng = random.Random(3)
    for target in (corpus.MIN_BODY_BYTES, 4000, corpus.MAX_BODY_BYTES - 500):
        body = corpus.compose_body(docs[0], docs[1:], target, rng)
        size = len(body.encode())
        assert corpus.MIN_BODY_BYTES <= size <= corpus.MAX_BODY_BYTES
        assert body.startswith(docs[0].paragraphs[0])  # the base document leads


def test_generate_gives_valid_distinct_raw_articles():
    start = datetime(2025, 1, 1, tzinfo=UTC)
    values = corpus.generate(30, documents=_docs(), start=start, spacing_s=10, prefix="t")
    articles = [RawArticle.model_validate_json(v) for v in values]
    assert len({a.id for a in articles}) == 30
    assert len({a.url for a in articles}) == 30
    dates = [a.published_at for a in articles]
    assert dates == sorted(dates) and len(set(dates)) == 30
    for article in articles:
        assert corpus.MIN_BODY_BYTES <= len(article.body.encode()) <= corpus.MAX_BODY_BYTES


def test_generate_is_deterministic_for_a_seed():
    start = datetime(2025, 1, 1, tzinfo=UTC)
    first = corpus.generate(5, documents=_docs(), start=start, seed=4)
    again = corpus.generate(5, documents=_docs(), start=start, seed=4)
    other = corpus.generate(5, documents=_docs(), start=start, seed=5)
    assert first == again
    assert first != other


def test_samples_fallback_builds_articles_from_the_bundled_pages():
    docs, used = corpus.load_documents(eval_data=None)
    assert used.startswith("samples:")
    assert docs and all(doc.paragraphs for doc in docs)
    values = corpus.generate(8, documents=docs)
    assert all(len(orjson.loads(v)["body"].encode()) >= corpus.MIN_BODY_BYTES for v in values)


@pytest.mark.eval
def test_shared_corpora_use_reuters_train_only():
    if not corpus.EVAL_DATA.is_dir():
        pytest.skip(f"{corpus.EVAL_DATA} is absent")
    reuters = list(corpus.reuters_documents(corpus.EVAL_DATA / "reuters21578"))
    assert reuters and all(doc.source == "Reuters" for doc in reuters)
    # TRAIN has 9,603 documents in the ModApte split; TEST documents must not leak in.
    from stream.eval.corpora import iter_reuters

    train = sum(1 for doc in iter_reuters(corpus.EVAL_DATA / "reuters21578") if doc.split == "TRAIN")
    assert len(reuters) <= train
