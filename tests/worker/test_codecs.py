"""The relate tables' value codec: JSON round trip, tag strings shared across decoded records."""

import orjson

from stream.core.relate.records import ArticleRecord, MergedStory, StoryRecord
from stream.worker.codecs import RelateRecords, SharedKeys

codec = RelateRecords()


ARTICLE = {"t": 1.5, "g": ["region:US", "entity:person/jane-doe"], "s": 7, "f": "fp", "r": 1, "st": "s-1",
           "ti": "A title", "w": 1.25, "k": "[[\"a\",0.5]]"}


def test_round_trip_keeps_values() -> None:
    story = {"ti": "x", "n": 2, "t0": 1.0, "t1": 2.5, "tt": [["place:us/ohio/dayton", 2], ["topic:crime", 1]], "a": "a1"}
    decoded = codec._loads(codec._dumps(ARTICLE))
    assert isinstance(decoded, ArticleRecord)  # compact in memory
    assert decoded.tags == ("region:US", "entity:person/jane-doe") and decoded.links == ARTICLE["k"]
    assert orjson.loads(codec._dumps(decoded)) == ARTICLE  # ... and the same JSON again
    decoded_story = codec._loads(codec._dumps(story))
    assert isinstance(decoded_story, StoryRecord)
    assert decoded_story.top_tags == ("place:us/ohio/dayton", 2, "topic:crime", 1)  # one flat tuple
    assert orjson.loads(codec._dumps(decoded_story)) == story
    merged = {"m": "s-a1", "t1": 3.0}
    assert codec._loads(codec._dumps(merged)) == MergedStory("s-a1", 3.0)
    assert orjson.loads(codec._dumps(codec._loads(codec._dumps(merged)))) == merged


def test_optional_article_fields_stay_absent() -> None:
    plain = {key: value for key, value in ARTICLE.items() if key != "k"}
    assert orjson.loads(codec._dumps(codec._loads(orjson.dumps(plain)))) == plain
    copy = {**plain, "d": "original"}
    assert codec._loads(orjson.dumps(copy)).duplicate_of == "original"


def test_changelog_json_of_earlier_versions_decodes() -> None:
    # As the benchmark pre-fill and earlier versions write them (plain JSON, lists of pairs).
    written = orjson.dumps({"ti": "x", "n": 1, "t0": 1.0, "t1": 1.0, "tt": [["topic:crime", 1]], "a": "a1"})
    assert codec._loads(written).top_tags == ("topic:crime", 1)
    older = {**ARTICLE, "k": [["a", 0.5]]}  # related links as a list of pairs
    assert codec._loads(orjson.dumps(older)).links == [["a", 0.5]]


def test_decoded_records_share_their_tag_strings() -> None:
    # Built at run time so the literals are not the interned objects already.
    tag = "".join(["entity:person/", "jane", "-doe"])
    story = "".join(["s-", "a1"])
    first = codec._loads(codec._dumps({**ARTICLE, "g": [tag, "region:US"], "st": story}))
    second = codec._loads(codec._dumps({**ARTICLE, "g": ["region:US", tag], "st": "".join(["s-", "a1"])}))
    assert first.tags[0] is second.tags[1]
    assert first.tags[1] is second.tags[0]
    assert first.story is second.story  # the story's articles share its id
    story = {"ti": "x", "n": 1, "t0": 1.0, "t1": 1.0, "a": "a1"}
    a = codec._loads(codec._dumps({**story, "tt": [[tag, 1]]}))
    b = codec._loads(codec._dumps({**story, "tt": [["".join(["entity:person/", "jane", "-doe"]), 3]]}))
    assert a.top_tags[0] is b.top_tags[0]


def test_non_record_values_pass_through() -> None:
    assert codec._loads(codec._dumps(None)) is None
    assert codec._loads(codec._dumps([1, 2])) == [1, 2]
    assert codec._loads(codec._dumps({"g": None, "tt": None})) == {"g": None, "tt": None}


def test_story_keys_are_written_as_the_records_codec_writes_them_and_decoded_shared() -> None:
    keys = SharedKeys()
    for key in ("s-a1", "s-é-2"):
        assert keys._dumps(key) == codec._dumps(key)  # compaction keeps matching the keys already written
    written = keys._dumps("".join(["s-", "a1"]))
    assert keys._loads(written) == "s-a1" and keys._loads(written) is keys._loads(bytes(written))
