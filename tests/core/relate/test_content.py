"""Content vectors and story centroids of the relate stage (content.py), and the state they add."""

from __future__ import annotations

import json
import math
import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.relate import RelateInput, Relator
from stream.core.relate.content import centroid_terms, content_vector, flat_centroid, mean_centroid, usage_factors
from stream.core.relate.records import StoryRecord, from_json, to_json
from tests.core.relate.test_relator import BASE, _as_changelog, _stream


def test_content_vector_is_unit_length_without_function_words() -> None:
    vector = content_vector("The floods in Valencia: the Jucar river burst its banks, and the floods rose.", 1500)
    assert "the" not in vector and "and" not in vector
    assert vector["floods"] > vector["river"]  # twice in the text: sublinear TF, still heavier
    assert math.isclose(sum(w * w for w in vector.values()), 1.0)
    assert content_vector("", 1500) == {}


def test_only_the_lead_is_read_and_keep_prefers_rare_words() -> None:
    text = "alpha " * 10 + "omega"
    assert "omega" not in content_vector(text, 20)
    usage = usage_factors(7.5, 3.0)
    assert usage["president"] < usage.get("pyongyang", 1.0) <= 1.0  # general usage: a common word counts less
    kept = content_vector("president said today Pyongyang Kursk", 1500, usage, keep=2)
    assert set(kept) == {"pyongyang", "kursk"}


def test_centroid_is_bounded_quantised_and_a_weighted_mean() -> None:
    a = {"flood": 0.8, "river": 0.6}
    b = {"flood": 0.6, "dam": 0.8}
    mean = mean_centroid([(a, 3), (b, 1)])
    assert mean["flood"] > mean["river"] > mean["dam"]  # three articles said river, one dam
    flat = flat_centroid(mean, keep=2)
    assert len(flat) == 4 and all(isinstance(q, int) and 1 <= q <= 250 for q in flat[1::2])
    assert set(centroid_terms(flat)) == {"flood", "river"}


def test_story_centroid_round_trips_through_json_and_old_records_read_without_one() -> None:
    record = StoryRecord("T", 2, 1.0, 2.0, ("place:x", 2), "a1", ("flood", 250, "river", 120))
    written = json.loads(json.dumps(to_json(record)))
    assert written["c"] == [["flood", 250], ["river", 120]]
    assert from_json(written) == record
    old = {"ti": "T", "n": 2, "t0": 1.0, "t1": 2.0, "tt": [["place:x", 2]], "a": "a1"}
    assert from_json(old).centroid == () and "c" not in to_json(from_json(old))


def _with_text(items: list[RelateInput], seed: int) -> list[RelateInput]:
    rng = random.Random(seed)
    words = [f"word{i}" for i in range(60)]
    return [replace(item, text=" ".join(rng.sample(words, 12) + [t.split("/")[-1] for t in item.tags])) for item in items]


def test_rebuild_with_content_gives_the_same_results() -> None:
    items = _with_text(_stream(11, 160), 11)
    live = Relator()
    for item in items[:120]:
        live.relate(item)
    assert any(type(r) is StoryRecord and r.centroid for r in live.stories.values())
    recovered = Relator(articles=_as_changelog(live.articles), stories=_as_changelog(live.stories))
    live.rebuild()  # the article index is in arrival order live, in time order rebuilt (as test_relator's)
    assert recovered._term_df == live._term_df and recovered._centroids == live._centroids
    for item in items[120:]:  # one clock for both: story updates carry updated_at = now
        assert live.relate(item, now=BASE) == recovered.relate(item, now=BASE)
    assert dict(live.stories) == dict(recovered.stories)


@given(st.text(alphabet=st.sampled_from(list("abz09AZ_-'’ .\n\té")), max_size=60))
@settings(max_examples=500, deadline=None)
def test_ascii_token_pattern_finds_what_the_unicode_one_finds(text):
    from stream.core.relate.content import _ASCII_TOKEN, _TOKEN

    lead = text.lower()
    if lead.isascii():
        assert _ASCII_TOKEN.findall(lead) == _TOKEN.findall(lead)
