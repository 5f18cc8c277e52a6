"""Tagging quality on subsets of the labelled corpora (skipped when ../shared/eval-data is absent).

Floors here are for subsets of Reuters TRAIN and of BBC News; the acceptance figures come from the
full ``article-stream eval tags`` runs.
"""

from pathlib import Path

import pytest

from stream.eval.tags import eval_regions, eval_topics, format_regions, format_topics

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "eval-data"

pytestmark = pytest.mark.eval


def need(folder: str) -> Path:
    path = DATA / folder
    if not path.is_dir():
        pytest.skip(f"eval data not found: {path}")
    return path


def test_regions_on_reuters_train_subset():
    report = eval_regions(need("reuters21578"), split="TRAIN", limit=2000)
    print(format_regions(report))
    assert report.documents == 2000
    assert report.micro.f1 >= 0.91
    assert report.micro.precision >= 0.90


def test_topics_on_bbc_subset():
    report = eval_topics(need("bbc-news"), limit_per_category=120)
    print(format_topics(report))
    assert report.documents == 600
    assert report.accuracy >= 0.88
    # every folder mostly lands on its own topic
    for folder, row in report.confusion.items():
        assert row.most_common(1)[0][1] >= 0.75 * sum(row.values()), folder
