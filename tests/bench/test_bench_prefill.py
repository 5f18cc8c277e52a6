"""Window pre-fill: records in the relator's format that the real relator rebuilds and relates against."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from benchmarks import prefill
from stream.core.relate import RelateConfig, RelateInput, Relator

POOL = [
    ["region:KR", "region:KP", "topic:politics/diplomacy", "entity:person/kim-jong-un", "entity:org/un"],
    ["region:US", "topic:economy/markets", "entity:org/federal-reserve", "entity:person/jerome-powell"],
    ["region:JP", "topic:economy", "entity:org/bank-of-japan"],
]
END = datetime(2025, 3, 1, tzinfo=UTC).timestamp()


def test_synthesize_spreads_articles_over_the_span_and_groups_them_in_stories():
    state = prefill.synthesize(500, POOL, end_epoch=END, span_s=86400, seed=2)
    assert len(state.articles) == 500
    times = [r["t"] for r in state.articles.values()]
    assert END - 86400 <= min(times) and max(times) < END
    sizes = sum(story["n"] for story in state.stories.values())
    assert sizes == 500  # every article is in exactly one story
    for record in state.articles.values():
        assert record["st"] in state.stories
        assert len(record["g"]) == len(set(record["g"]))
        assert record["w"] > 0
    for story in state.stories.values():
        assert len(story["tt"]) <= prefill.STORY_TOP_TAGS


def test_entity_tags_get_a_long_tail():
    kept = prefill.synthesize(300, POOL, end_epoch=END, span_s=3600, keep_entity=1.0)
    varied = prefill.synthesize(300, POOL, end_epoch=END, span_s=3600, keep_entity=0.0)
    def distinct(state):
        return {t for r in state.articles.values() for t in r["g"]}
    assert distinct(kept) <= {t for tags in POOL for t in tags}
    assert any("/bench-" in tag for tag in distinct(varied))
    assert all(not t.startswith("entity:") or "/bench-" in t for t in distinct(varied))


def test_the_relator_rebuilds_from_the_state_and_relates_against_it():
    state = prefill.synthesize(400, POOL, end_epoch=END, span_s=6 * 86400, seed=5, keep_entity=0.0)
    relator = Relator(RelateConfig(), articles=dict(state.articles), stories=dict(state.stories))
    assert len(relator) == 400
    # A probe carrying the newest held article's tags (its rare tail names among them) finds it.
    newest_id, newest = max(state.articles.items(), key=lambda kv: kv[1]["t"])
    result = relator.relate(
        RelateInput(id="probe", title="Probe", published_at=datetime.fromtimestamp(END + 60, UTC),
                    tags=newest["g"], simhash=12345, fingerprint="f" * 32)
    )
    assert newest_id in [link.id for link in result.related]


def test_changelog_records_are_json_keyed_per_table():
    state = prefill.synthesize(20, POOL, end_epoch=END, span_s=3600)
    records = list(prefill.changelog_records(state, "app"))
    topics = {topic for topic, _, _ in records}
    assert topics == {"app-relate-articles-changelog", "app-relate-stories-changelog"}
    assert len(records) == len(state.articles) + len(state.stories)
    topic, key, value = records[0]
    assert orjson.loads(key) in state.articles
    assert orjson.loads(value) == state.articles[orjson.loads(key)]
