"""Tag items assembled without validation must be the very models validation would build."""

import pytest

from stream.contracts import EnrichedArticle, Evidence, TagItem
from stream.core.tag.items import tag_item
from tests.core.tag.helpers import make_article

EVIDENCE = [("North Korea", "title", 0, 11), ("Pyongyang", "body", 40, 49)]


def validated(**kw) -> TagItem:
    if "evidence" in kw:
        kw["evidence"] = [{"text": t, "field": f, "start": s, "end": e} for t, f, s, e in kw["evidence"]]
    return TagItem(**kw)


@pytest.mark.parametrize("kw", [
    dict(id="KP", tag="region:KP", label="North Korea", score=0.8, kind="country", primary=True, evidence=EVIDENCE),
    dict(id="eastern-asia", tag="region:eastern-asia", label="Eastern Asia", score=0.5, kind="subregion",
         primary=False),
    dict(id="politics", tag="topic:politics", label="Politics", score=0.61, kind="top", evidence=EVIDENCE[:1]),
    dict(id="person/kim", tag="entity:person/kim", label="Kim", score=0.4, kind="person", evidence=[]),
])
def test_fast_item_equals_the_validated_model(kw):
    fast = tag_item(kw["id"], kw["tag"], kw["label"], kw["score"], kw["kind"], kw.get("primary"),
                    kw.get("evidence"))
    slow = validated(**kw)
    assert fast == slow
    assert fast.model_fields_set == slow.model_fields_set
    assert fast.model_dump() == slow.model_dump()
    assert fast.model_dump(exclude_unset=True) == slow.model_dump(exclude_unset=True)
    assert fast.model_dump_json() == slow.model_dump_json()
    assert all(isinstance(e, Evidence) for e in fast.evidence)
    assert fast.evidence is not slow.evidence


def test_fast_items_pass_into_the_enriched_article(tagger):
    tagging = tagger.tag(make_article("Officials in Pyongyang met Russian envoys on Monday, Yonhap said.",
                                      "North Korea and Russia sign treaty"))
    assert tagging.regions and tagging.topics
    article = EnrichedArticle(id="a", title="t", body="b", fingerprint="f", simhash="0", processed_at="now",
                              topics=tagging.topics, regions=tagging.regions, entities=tagging.entities)
    again = EnrichedArticle.model_validate_json(article.model_dump_json())
    assert again.regions == tagging.regions
    assert again.topics == tagging.topics
