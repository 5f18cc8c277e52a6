"""The golden case: the Korea JoongAng Daily page (story paragraphs taken by hand from the sample)."""

from pathlib import Path

import pytest

from tests.core.tag.helpers import make_article

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "joongang-2024-12-05-nk-russia-treaty.txt"


@pytest.fixture(scope="module")
def seed(tagger):
    raw = SAMPLE.read_text(encoding="utf-8")
    story = raw[raw.index("A new defense treaty"): raw.index("\nYonhap\n")]
    paragraphs = [p.strip() for p in story.split("\n") if p.strip() and p.strip() != "Related Article"]
    article = make_article(
        "\n\n".join(paragraphs),
        title="North Korea and Russia enact defense treaty following ratification exchange",
        credits=["Yonhap"], publisher_tags=["Korea", "North Korea", "Russia"],
    )
    return article, tagger.tag(article)


def test_regions(seed):
    _, tagging = seed
    regions = {r.id: r for r in tagging.regions}
    assert {"KP", "RU", "UA", "KR"} <= set(regions)
    assert regions["KP"].primary and regions["RU"].primary
    assert not regions["UA"].primary
    assert regions["eastern-asia"].kind == "subregion"
    assert {"region:KP", "region:RU", "region:eastern-asia", "region:eastern-europe"} <= set(tagging.tags)


def test_topics(seed):
    _, tagging = seed
    topics = {t.id for t in tagging.topics}
    assert {"politics", "politics/diplomacy", "politics/defence"} <= topics
    assert tagging.topics[0].id == "politics"


def test_entities(seed):
    _, tagging = seed
    ids = {e.id for e in tagging.entities}
    assert {
        "person/kim-jong-un", "person/vladimir-putin", "person/andrei-belousov",
        "org/korean-central-news-agency", "org/yonhap",
    } <= ids
    kcna = next(e for e in tagging.entities if e.id == "org/korean-central-news-agency")
    assert {"Korean Central News Agency", "KCNA"} <= {ev.text for ev in kcna.evidence}


def test_evidence_points_into_the_article(seed):
    article, tagging = seed
    for item in tagging.topics + tagging.regions + tagging.entities:
        assert len(item.evidence) <= 3
        assert 0.0 <= item.score <= 1.0
        for ev in item.evidence:
            if ev.field == "publisher_tags":
                assert article.publisher_tags[ev.start:ev.end] == [ev.text]
            else:
                assert getattr(article, ev.field)[ev.start:ev.end] == ev.text


def test_tags_are_sorted_unique_and_typed(seed):
    _, tagging = seed
    assert tagging.tags == sorted(set(tagging.tags))
    assert all(t.split(":", 1)[0] in {"topic", "region", "entity", "place", "keyphrase"} for t in tagging.tags)
    assert {i.tag for i in tagging.topics + tagging.regions + tagging.entities} <= set(tagging.tags)
