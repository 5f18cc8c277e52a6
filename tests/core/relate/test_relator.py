"""Relate stage: scoring, IDF, window expiry, caps, stories, duplicates, idempotency, rebuild."""

from __future__ import annotations

import copy
import json
import random
from datetime import UTC, datetime, timedelta

import pytest

from stream.contracts import StoryEvent
from stream.core.relate import RelateConfig, RelateInput, Relator, simhash_similarity
from stream.core.relate.records import StoryRecord, from_json, pairs, to_json

BASE = datetime(2024, 12, 1, tzinfo=UTC)


def article(
    id: str, tags: list[str], *, days: float = 0.0, simhash: int | None = None, fingerprint: str | None = None
) -> RelateInput:
    # Distinct random simhashes (seeded by id) keep unrelated test articles far from near-duplicates.
    signature = simhash if simhash is not None else random.Random(id).getrandbits(64)
    return RelateInput(
        id=id,
        title=f"title {id}",
        published_at=BASE + timedelta(days=days),
        tags=tags,
        simhash=signature,
        fingerprint=fingerprint or f"fp-{id}",
    )


def background(relator: Relator, n: int, *, days: float = 0.0, common: tuple[str, ...] = ("region:US",)) -> None:
    """Unrelated articles that carry only ``common`` tags plus one unique tag each."""
    for i in range(n):
        relator.relate(article(f"bg{i}", [*common, f"entity:person/bg-{i}"], days=days))


# -- scoring ---------------------------------------------------------------------------------------
def test_related_scores_are_in_unit_interval_and_explained_by_shared_tags() -> None:
    relator = Relator()
    background(relator, 20)
    relator.relate(article("a", ["region:US", "entity:person/jane-roe", "place:tulsa"]))
    result = relator.relate(article("b", ["region:US", "entity:person/jane-roe", "place:tulsa"], days=0.1))
    assert result.related, "an article sharing a rare person must be related"
    top = result.related[0]
    assert top.id == "a"
    assert 0.0 < top.score <= 1.0
    assert set(top.shared_tags) == {"region:US", "entity:person/jane-roe", "place:tulsa"}
    # the most specific shared tag explains the link first; the ubiquitous one last
    assert top.shared_tags[-1] == "region:US"
    assert all(0.0 <= link.score <= 1.0 for link in result.related)


def test_rare_shared_tag_outweighs_common_shared_tag() -> None:
    relator = Relator()
    background(relator, 30, common=("region:US", "topic:politics"))
    relator.relate(article("common", ["region:US", "topic:politics", "entity:person/x1"]))
    relator.relate(article("rare", ["entity:person/jane-roe", "entity:person/x2"]))
    result = relator.relate(article("new", ["region:US", "topic:politics", "entity:person/jane-roe"], days=0.1))
    scores = {link.id: link.score for link in result.related}
    assert result.related[0].id == "rare"
    assert scores["rare"] > 2 * scores.get("common", 0.0)


def test_idf_weights_specific_tags_more() -> None:
    relator = Relator()
    background(relator, 40)
    held = len(relator)
    us = relator._idf(relator._tag_ids["region:US"], held)
    person = relator._idf(relator._tag_ids["entity:person/bg-3"], held)
    assert person > 2 * us


def test_time_decay_prefers_the_closer_of_two_equal_articles() -> None:
    relator = Relator()
    background(relator, 10)
    relator.relate(article("old", ["entity:person/jane-roe", "place:tulsa"], days=0))
    relator.relate(article("recent", ["entity:person/jane-roe", "place:tulsa"], days=4))
    result = relator.relate(article("new", ["entity:person/jane-roe", "place:tulsa"], days=5))
    assert [link.id for link in result.related[:2]] == ["recent", "old"]
    assert result.related[0].score > result.related[1].score


def test_k_limits_the_related_list() -> None:
    relator = Relator(RelateConfig(k=3))
    for i in range(8):
        relator.relate(article(f"a{i}", ["entity:person/jane-roe", f"entity:person/other-{i}"], days=i * 0.1))
    result = relator.relate(article("new", ["entity:person/jane-roe"], days=1))
    assert len(result.related) == 3


def test_never_related_to_itself_after_revision() -> None:
    relator = Relator()
    relator.relate(article("a", ["entity:person/jane-roe"]))
    revised = relator.relate(article("a", ["entity:person/jane-roe", "place:tulsa"], fingerprint="fp-a2"))
    assert all(link.id != "a" for link in revised.related)
    assert revised.revision == 2


# -- window expiry and caps ------------------------------------------------------------------------
def test_articles_older_than_the_window_are_evicted_from_index_and_mapping() -> None:
    relator = Relator(RelateConfig(window_days=7))
    relator.relate(article("old", ["entity:person/jane-roe"], days=0))
    relator.relate(article("mid", ["entity:person/jane-roe"], days=5))
    assert "old" in relator.articles
    result = relator.relate(article("new", ["entity:person/jane-roe"], days=9))
    assert "old" not in relator.articles and relator.article("old") is None
    assert "mid" in relator.articles
    assert [link.id for link in result.related] == ["mid"]
    assert len(relator) == 2


def test_out_of_order_article_is_related_to_both_sides() -> None:
    relator = Relator()
    relator.relate(article("before", ["entity:person/jane-roe"], days=0))
    relator.relate(article("after", ["entity:person/jane-roe"], days=4))
    late = relator.relate(article("late", ["entity:person/jane-roe"], days=2))
    assert {link.id for link in late.related} == {"before", "after"}
    assert "late" in relator.articles


def test_article_older_than_the_whole_window_is_related_but_not_held() -> None:
    relator = Relator(RelateConfig(window_days=7))
    relator.relate(article("new", ["entity:person/jane-roe"], days=30))
    stale = relator.relate(article("stale", ["entity:person/jane-roe"], days=1))
    assert stale.related == []  # "new" is 29 days away
    assert "stale" not in relator.articles


def test_common_tags_do_not_generate_candidates_but_still_score() -> None:
    config = RelateConfig(common_tag_share=0.05, common_tag_min_df=5)
    relator = Relator(config)
    background(relator, 60)  # region:US is on every article: a common tag
    only_common = relator.relate(article("plain", ["region:US"], days=0.1))
    assert only_common.related == []  # a common tag alone finds nothing
    relator.relate(article("a", ["region:US", "entity:person/jane-roe"], days=0.1))
    with_rare = relator.relate(article("b", ["region:US", "entity:person/jane-roe"], days=0.2))
    assert with_rare.related[0].id == "a"
    assert "region:US" in with_rare.related[0].shared_tags  # it scores once the rare tag found "a"


def test_long_postings_are_capped() -> None:
    relator = Relator(RelateConfig(max_postings=10, common_tag_min_df=10_000))
    for i in range(12):
        relator.relate(article(f"a{i}", ["topic:sport", f"entity:person/p{i}"]))
    assert relator.relate(article("new", ["topic:sport"], days=0.1)).related == []


def test_vocabulary_shrinks_when_tags_leave_the_window() -> None:
    relator = Relator(RelateConfig(window_days=1, story_horizon_days=1))
    for i in range(50):
        relator.relate(article(f"a{i}", [f"entity:person/p{i}"], days=0))
    relator.relate(article("later", ["entity:person/z"], days=10))
    assert len(relator._tag_ids) == 1
    assert set(relator.stories) == {"s-later"}


# -- stories ---------------------------------------------------------------------------------------
def test_story_created_then_joined() -> None:
    relator = Relator()
    background(relator, 10)
    first = relator.relate(article("a", ["entity:person/jane-roe", "place:tulsa", "region:US"]))
    assert first.story_id == "s-a"
    assert [u.event for u in first.story_updates] == [StoryEvent.created]
    second = relator.relate(article("b", ["entity:person/jane-roe", "place:tulsa", "region:US"], days=0.5))
    assert second.story_id == "s-a"
    (update,) = second.story_updates
    assert update.event == StoryEvent.article_added and update.size == 2
    assert update.title == "title a"
    assert "entity:person/jane-roe" in update.top_tags
    assert relator.story("s-a")["size"] == 2


def test_weak_link_starts_a_new_story() -> None:
    relator = Relator()
    background(relator, 30)
    relator.relate(article("a", ["region:US", "entity:person/jane-roe"]))
    other = relator.relate(article("b", ["region:US", "entity:person/john-doe"], days=0.1))
    assert other.story_id == "s-b"


def test_article_linking_two_stories_merges_the_newer_into_the_older() -> None:
    relator = Relator()
    background(relator, 20)
    relator.relate(article("a", ["entity:person/jane-roe", "place:tulsa"], days=0))
    relator.relate(article("b", ["entity:person/john-doe", "place:dayton"], days=1))
    bridge = relator.relate(
        article("c", ["entity:person/jane-roe", "place:tulsa", "entity:person/john-doe", "place:dayton"], days=2)
    )
    assert bridge.story_id == "s-a"
    merged = [u for u in bridge.story_updates if u.event == StoryEvent.merged]
    assert [(u.story_id, u.merged_into) for u in merged] == [("s-b", "s-a")]
    assert relator.resolve_story("s-b") == "s-a"
    assert relator.story("s-b")["story_id"] == "s-a"
    assert relator.story("s-a")["size"] == 3
    assert relator.article("b")["story_id"] == "s-a"


def test_dormant_story_is_joined_after_its_articles_left_the_window() -> None:
    relator = Relator(RelateConfig(window_days=7, story_horizon_days=30))
    background(relator, 10)
    tags = ["entity:person/jane-roe", "place:tulsa", "entity:org/tulsa-police"]
    relator.relate(article("a", tags, days=0))
    relator.relate(article("b", tags, days=1))
    later = relator.relate(article("c", tags, days=10))
    assert "a" not in relator.articles
    assert later.related == []
    assert later.story_id == "s-a"


# -- duplicates ------------------------------------------------------------------------------------
def test_near_duplicate_points_to_first_copy_and_joins_its_story() -> None:
    relator = Relator()
    background(relator, 10)
    signature = 0x0123456789ABCDEF
    relator.relate(article("orig", ["entity:person/jane-roe", "region:US"], simhash=signature))
    relator.relate(article("other", ["entity:person/john-doe", "region:US"], days=0.1))
    copy1 = relator.relate(article("copy1", ["entity:person/jane-roe"], simhash=signature ^ 0b111, days=0.2))
    assert copy1.duplicate_of == "orig"
    assert copy1.duplicate_similarity == pytest.approx(simhash_similarity(signature, signature ^ 0b111))
    assert copy1.story_id == "s-orig"
    # a copy of the copy still points to the first copy
    copy2 = relator.relate(article("copy2", ["entity:person/jane-roe"], simhash=signature ^ 0b1111, days=0.3))
    assert copy2.duplicate_of == "orig"


def test_distant_simhash_is_not_a_duplicate() -> None:
    relator = Relator()
    relator.relate(article("a", ["entity:person/jane-roe"], simhash=0))
    result = relator.relate(article("b", ["entity:person/jane-roe"], simhash=(1 << 64) - 1, days=0.1))
    assert result.duplicate_of is None and result.duplicate_similarity is None


def test_same_fingerprint_under_another_id_is_a_duplicate() -> None:
    relator = Relator()
    relator.relate(article("a", ["entity:person/jane-roe"], fingerprint="same"))
    result = relator.relate(article("b", ["topic:other"], fingerprint="same", days=0.1))
    assert result.duplicate_of == "a" and result.duplicate_similarity == 1.0


# -- idempotency -----------------------------------------------------------------------------------
def test_identical_resend_is_unchanged_and_changes_nothing() -> None:
    relator = Relator()
    relator.relate(article("a", ["entity:person/jane-roe"]))
    relator.relate(article("b", ["entity:person/jane-roe"], days=0.1))
    before = (copy.deepcopy(dict(relator.articles)), copy.deepcopy(dict(relator.stories)))
    again = relator.relate(article("b", ["entity:person/jane-roe"], days=0.1))
    assert again.unchanged and again.revision == 1 and again.story_updates == []
    assert again.story_id == "s-a" and [link.id for link in again.related] == ["a"]
    assert (dict(relator.articles), dict(relator.stories)) == before


def test_changed_content_bumps_revision_and_replaces_index_entry() -> None:
    relator = Relator()
    background(relator, 10)
    relator.relate(article("a", ["entity:person/jane-roe"]))
    revised = relator.relate(article("a", ["entity:person/john-doe"], fingerprint="fp-a-v2"))
    assert not revised.unchanged and revised.revision == 2
    assert revised.story_id == "s-a"
    assert relator.articles["a"].revision == 2
    # the old tags no longer find the article, the new ones do
    assert relator.relate(article("x", ["entity:person/jane-roe"], days=0.1)).related == []
    assert relator.relate(article("y", ["entity:person/john-doe"], days=0.1)).related[0].id == "a"
    assert len(relator) == 13


# -- durable state ---------------------------------------------------------------------------------
def _stream(seed: int, n: int) -> list[RelateInput]:
    rng = random.Random(seed)
    people = [f"entity:person/p{i}" for i in range(40)]
    places = [f"place:city-{i}" for i in range(15)]
    items = []
    for i in range(n):
        tags = ["region:US", rng.choice(["topic:crime", "topic:politics"]), *rng.sample(people, 2), rng.choice(places)]
        items.append(article(f"a{i}", tags, days=i * 0.2 + rng.uniform(-0.5, 0.5)))
    return items


def _as_changelog(mapping) -> dict:
    """The mapping's records as a table's changelog holds them (JSON text), decoded again as plain JSON."""
    return json.loads(json.dumps({key: to_json(record) for key, record in mapping.items()}))


def test_state_is_plain_json() -> None:
    relator = Relator()
    for item in _stream(1, 60):
        relator.relate(item)
    articles, stories = _as_changelog(relator.articles), _as_changelog(relator.stories)
    assert {key: from_json(record) for key, record in articles.items()} == dict(relator.articles)
    assert {key: from_json(record) for key, record in stories.items()} == dict(relator.stories)
    # The JSON form is the documented one: tags a list, a story's top tags a list of [tag, count].
    articles, stories = _as_changelog(relator.articles), _as_changelog(relator.stories)  # from_json made those compact
    assert all(record["g"] == list(relator.articles[key].tags) for key, record in articles.items())
    profile = next(r["tt"] for r in stories.values() if r.get("tt"))
    assert all(isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], int) for pair in profile)


def test_rebuild_from_mappings_gives_the_same_results() -> None:
    items = _stream(7, 200)
    live = Relator()
    for item in items[:150]:
        live.relate(item)
    # A restarted worker: fresh process, state recovered from the (JSON) changelog.
    recovered = Relator(articles=_as_changelog(live.articles), stories=_as_changelog(live.stories))
    live.rebuild()  # rebuilding in place must not change anything either
    for item in items[150:]:
        a = live.relate(item, now=BASE)
        b = recovered.relate(item, now=BASE)
        assert a == b
    assert dict(live.articles) == dict(recovered.articles)
    assert dict(live.stories) == dict(recovered.stories)


def test_lookups_for_http() -> None:
    relator = Relator()
    relator.relate(article("a", ["entity:person/jane-roe"], days=0))
    relator.relate(article("b", ["entity:person/jane-roe"], days=1))
    assert [row["id"] for row in relator.recent_by_tag("entity:person/jane-roe", limit=5)] == ["b", "a"]
    assert relator.recent_by_tag("entity:person/nobody") == []
    assert relator.article("a")["published_at"] == "2024-12-01T00:00:00Z"
    assert relator.story("s-a")["size"] == 2
    assert relator.story("missing") is None


def test_sharing_only_topics_and_regions_never_joins_a_story() -> None:
    relator = Relator()
    background(relator, 5)
    relator.relate(article("a", ["topic:crime", "topic:crime/gun-violence", "region:US-OH"]))
    result = relator.relate(article("b", ["topic:crime", "topic:crime/gun-violence", "region:US-OH"], days=0.1))
    assert result.related and result.related[0].id == "a"  # still related: same kind of news
    assert result.story_id == "s-b"  # but not the same story


def test_a_wire_agency_credit_is_not_an_anchor() -> None:
    relator = Relator()
    background(relator, 5)
    relator.relate(article("a", ["entity:org/reuters", "topic:politics", "entity:person/jane-roe"]))
    result = relator.relate(article("b", ["entity:org/reuters", "topic:politics", "entity:person/john-doe"], days=0.1))
    assert result.story_id == "s-b"
    assert "entity:org/reuters" in result.related[0].shared_tags


def test_story_profile_keeps_its_names_ahead_of_context_tags() -> None:
    config = RelateConfig(story_top_tags=4, story_context_tags=1)
    relator = Relator(config)
    tags = ["region:PE", "region:south-america", "topic:conflict", "entity:person/a", "entity:person/b", "place:lima"]
    relator.relate(article("a", tags))
    kept = [tag for tag, _count in pairs(relator.stories["s-a"].top_tags)]
    assert len(kept) == 4
    assert sum(not tag.startswith(("entity:", "place:")) for tag in kept) == 1
    assert {"entity:person/a", "entity:person/b", "place:lima"} <= set(kept)


@pytest.mark.parametrize(
    ("tag", "anchor"),
    [
        ("entity:org/associated-press", False),  # listed agency
        ("entity:org/abc12-news", False),  # outlet by pattern
        ("entity:org/washington-post", False),
        ("entity:person/john-newsome", True),  # a person whose name contains "news"
        ("entity:org/tulsa-police", True),
        ("place:lima", True),
        ("topic:crime", False),
        ("region:PE", False),
    ],
)
def test_anchor_tags(tag: str, anchor: bool) -> None:
    assert Relator()._is_anchor(tag) is anchor


def test_lookups_serve_stored_related_links_and_live_stories() -> None:
    relator = Relator()
    background(relator, 30)
    first = relator.relate(article("a1", ["entity:person/jane-roe", "place:springfield", "topic:crime"], days=0.0))
    second = relator.relate(article("a2", ["entity:person/jane-roe", "place:springfield", "topic:crime"], days=0.1))
    assert second.related and second.related[0].id == "a1"

    stored = relator.article("a2")
    assert stored is not None
    assert [link["id"] for link in stored["related"]] == [link.id for link in second.related]
    assert "entity:person/jane-roe" in stored["related"][0]["shared_tags"]

    listed = relator.stories_list(limit=5)
    assert listed and listed[0]["story_id"] == second.story_id == first.story_id
    assert len(relator.stories_list(limit=1)) == 1


def test_same_template_about_different_events_is_not_a_duplicate() -> None:
    """Equal SimHash (one template) but different people and places: two stories, no duplicate."""
    relator = Relator()
    background(relator, 30)
    shared = ["topic:crime", "region:US"]
    a = relator.relate(article("t1", [*shared, "entity:person/ann-lee", "place:tulsa"], simhash=12345))
    b = relator.relate(article("t2", [*shared, "entity:person/bo-diaz", "place:omaha"], days=0.1, simhash=12345))
    assert b.duplicate_of is None
    assert b.story_id != a.story_id
    copy = relator.relate(article("t3", [*shared, "entity:person/ann-lee", "place:tulsa"], days=0.2, simhash=12345))
    assert copy.duplicate_of == "t1" and copy.story_id == a.story_id


def test_tag_count_follows_the_window() -> None:
    relator = Relator()
    assert relator.tag_count() == 0
    relator.relate(article("c1", ["entity:person/ann-lee", "region:US"]))
    assert relator.tag_count() == 2


# -- compact state and index -----------------------------------------------------------------------
def test_stored_links_are_one_json_text_and_older_list_records_still_read() -> None:
    relator = Relator()
    background(relator, 10)
    relator.relate(article("a", ["entity:person/jane-roe", "place:tulsa"]))
    result = relator.relate(article("b", ["entity:person/jane-roe", "place:tulsa"], days=0.1))
    stored = relator.articles["b"].links
    assert isinstance(stored, str)
    assert json.loads(stored) == [[link.id, link.score] for link in result.related]
    served = relator.article("b")["related"]
    relator.articles["b"] = relator.articles["b"]._replace(links=json.loads(stored))  # as an older version wrote it
    assert relator.article("b")["related"] == served


def test_recovered_records_share_the_vocabulary_strings() -> None:
    live = Relator()
    for item in _stream(3, 40):
        live.relate(item)
    articles = _as_changelog(live.articles)  # fresh strings, as decoded from a changelog
    stories = _as_changelog(live.stories)
    recovered = Relator(articles=articles, stories=stories)
    record = next(iter(articles.values()))
    for tag in record.tags:
        assert tag is recovered._tag_names[recovered._tag_ids[tag]]
    # ... and the index holds the record itself, not a copy of its tags
    window = recovered._window_index
    assert any(held is record for held in window.records)
    story = next(r for r in stories.values() if type(r) is StoryRecord and r.top_tags)
    assert story.top_tags[0] is recovered._tag_names[recovered._tag_ids[story.top_tags[0]]]
    assert _as_changelog(articles) == _as_changelog(live.articles)  # same values, only shared


def test_index_compaction_keeps_results_equal_to_a_rebuilt_index() -> None:
    """A long stream through a one-day window: the expired prefix of the index is compacted away
    many times, and the live relator still answers exactly as one rebuilt from its mappings."""
    config = RelateConfig(window_days=1.0, story_horizon_days=1.0)
    rng = random.Random(5)
    people = [f"entity:person/p{i}" for i in range(300)]
    live = Relator(config)
    for i in range(6000):
        live.relate(article(f"c{i}", ["region:US", *rng.sample(people, 2)], days=i / 1500))
    assert live._window_index.base > 0  # the dead prefix was cut
    rebuilt = Relator(config, articles=copy.deepcopy(dict(live.articles)), stories=copy.deepcopy(dict(live.stories)))
    assert len(rebuilt) == len(live)
    for i in range(6000, 6050):
        item = article(f"c{i}", ["region:US", *rng.sample(people, 2)], days=i / 1500)
        assert live.relate(item, now=BASE) == rebuilt.relate(item, now=BASE)


def test_link_dates_are_utc_seconds() -> None:
    relator = Relator()
    relator.relate(article("a", ["entity:person/jane-roe"], days=0.5))
    result = relator.relate(article("b", ["entity:person/jane-roe"], days=0.75))
    assert result.related[0].published_at == "2024-12-01T12:00:00Z"


def test_hex_fingerprints_find_exact_duplicates_and_resends() -> None:
    relator = Relator()
    first = "ab" * 16
    relator.relate(article("a", ["entity:person/jane-roe"], fingerprint=first))
    copy_ = relator.relate(article("b", ["topic:other"], fingerprint=first, days=0.1))
    assert copy_.duplicate_of == "a" and copy_.duplicate_similarity == 1.0
    assert relator.relate(article("a", ["entity:person/jane-roe"], fingerprint=first)).unchanged
    assert relator.article("a")["fingerprint"] == first
    revised = relator.relate(article("a", ["entity:person/jane-roe"], fingerprint="cd" * 16))
    assert revised.revision == 2 and not revised.unchanged
