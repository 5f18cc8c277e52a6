"""Generalization on real wire text: plain Reuters-21578 TRAIN bodies carry no page chrome, so the
cleaner must keep nearly all of their words (tables are the known loss)."""

from __future__ import annotations

import statistics

import pytest

from benchmarks.normalize import REUTERS, reuters_train
from stream.core.normalize import NormalizationError, normalize

pytestmark = pytest.mark.eval


@pytest.fixture(scope="module")
def reuters():
    if not REUTERS.exists():
        pytest.skip(f"eval data absent: {REUTERS}")
    return reuters_train(500)


def test_plain_wire_text_is_kept_nearly_whole(reuters):
    kept = []
    failures = 0
    for raw in reuters:
        try:
            article = normalize(raw)
        except NormalizationError:
            failures += 1
            continue
        kept.append(len(article.body.split()) / len(raw.body.split()))
    assert failures <= len(reuters) * 0.01
    assert statistics.mean(kept) >= 0.95
    assert sum(k < 0.8 for k in kept) <= len(kept) * 0.05


def test_hard_wrapped_wire_text_becomes_paragraphs(reuters):
    article = normalize(reuters[0])
    paragraphs = article.body.split("\n\n")
    assert len(paragraphs) >= 3
    assert all("\n" not in p for p in paragraphs)
    assert statistics.mean(len(p) for p in paragraphs) > 80  # whole paragraphs, not 70-column lines
