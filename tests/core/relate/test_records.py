"""Compact in-memory records of the relate mappings and their JSON (changelog) form."""

from __future__ import annotations

import json

from stream.core.relate.records import (
    ArticleRecord,
    MergedStory,
    StoryRecord,
    compact_fingerprint,
    fingerprint_text,
    flat_profile,
    from_json,
    pairs,
    to_json,
)

HEX = "0f" * 16


def test_hex_fingerprints_are_held_as_ints_and_written_back_as_the_same_text() -> None:
    assert compact_fingerprint(HEX) == int(HEX, 16)
    assert fingerprint_text(compact_fingerprint(HEX)) == HEX
    assert fingerprint_text(compact_fingerprint("0" * 32)) == "0" * 32  # leading zeros kept
    for other in ("fp-a", "", HEX.upper(), HEX + "0"):  # not the canonical form: kept as text
        assert compact_fingerprint(other) == other


def test_article_json_round_trip() -> None:
    written = {"t": 1.5, "g": ["region:US", "topic:crime"], "s": 3, "f": HEX, "r": 2, "st": "s-a", "ti": "T", "w": 0.5}
    record = from_json(json.loads(json.dumps(written)))
    assert isinstance(record, ArticleRecord)
    assert record.tags == ("region:US", "topic:crime") and record.fingerprint == int(HEX, 16)
    assert json.loads(json.dumps(to_json(record))) == written  # no "k" or "d" when there are none
    linked = {**written, "k": '[["b", 0.5]]', "d": "b"}
    assert json.loads(json.dumps(to_json(from_json(dict(linked))))) == linked


def test_story_json_round_trip_and_flat_profile() -> None:
    written = {"ti": "T", "n": 3, "t0": 1.0, "t1": 2.0, "tt": [["entity:person/a", 2], ["place:x", 1]], "a": "a1"}
    record = from_json(json.loads(json.dumps(written)))
    assert isinstance(record, StoryRecord)
    assert record.top_tags == ("entity:person/a", 2, "place:x", 1)
    assert list(pairs(record.top_tags)) == [("entity:person/a", 2), ("place:x", 1)]
    assert flat_profile(pairs(record.top_tags)) == record.top_tags
    assert json.loads(json.dumps(to_json(record))) == written
    merged = from_json({"m": "s-b", "t1": 4.0})
    assert merged == MergedStory("s-b", 4.0) and to_json(merged) == {"m": "s-b", "t1": 4.0}


def test_other_values_pass_through() -> None:
    for value in (None, [1, 2], {"g": None}, {"x": 1}):
        assert from_json(value) == value and to_json(value) == value
