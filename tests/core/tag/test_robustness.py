"""Odd inputs: the tagger must answer, quickly and without raising."""

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.core.tag.helpers import make_article


def test_empty_article(tagger):
    tagging = tagger.tag(make_article("", ""))
    assert (tagging.topics, tagging.regions, tagging.entities, tagging.tags) == ([], [], [], [])


def test_all_capitals_and_no_spaces(tagger):
    tagging = tagger.tag(make_article("A" * 20_000, "JAPAN RAISES RATES " * 50))
    assert "region:JP" in tagging.tags


def test_other_scripts_keep_offsets(tagger):
    body = "서울 (Yonhap) -- İstanbul’da Türkiye and Россия met in Zürich.\n\nNorth Korea — again."
    article = make_article(body, "Ünal’s visit")
    tagging = tagger.tag(article)
    assert {"region:TR", "region:CH", "region:KP"} <= set(tagging.tags)
    for item in tagging.regions + tagging.entities + tagging.topics:
        for ev in item.evidence:
            assert getattr(article, ev.field)[ev.start:ev.end] == ev.text


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400), st.text(max_size=60))
def test_any_text(tagger, body, title):
    article = make_article(body, title)
    tagging = tagger.tag(article)
    assert tagging.tags == sorted(set(tagging.tags))
    for item in tagging.regions + tagging.entities + tagging.topics:
        assert 0.0 <= item.score <= 1.0
        for ev in item.evidence:
            assert getattr(article, ev.field)[ev.start:ev.end] == ev.text
