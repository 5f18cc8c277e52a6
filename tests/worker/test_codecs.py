"""The relate tables' value codec: JSON round trip, tag strings shared across decoded records."""

from stream.worker.codecs import RelateRecords

codec = RelateRecords()


def test_round_trip_keeps_values() -> None:
    record = {"t": 1.5, "g": ["region:US", "entity:person/jane-doe"], "st": "s-1", "k": "[[\"a\",0.5]]"}
    story = {"ti": "x", "n": 2, "tt": [["place:us/ohio/dayton", 2], ["topic:crime", 1]]}
    assert codec._loads(codec._dumps(record)) == record
    assert codec._loads(codec._dumps(story)) == story


def test_decoded_records_share_their_tag_strings() -> None:
    # Built at run time so the literals are not the interned objects already.
    tag = "".join(["entity:person/", "jane", "-doe"])
    first = codec._loads(codec._dumps({"g": [tag, "region:US"]}))
    second = codec._loads(codec._dumps({"g": ["region:US", tag]}))
    assert first["g"][0] is second["g"][1]
    assert first["g"][1] is second["g"][0]
    a = codec._loads(codec._dumps({"tt": [[tag, 1]]}))
    b = codec._loads(codec._dumps({"tt": [[tag, 3]]}))
    assert a["tt"][0][0] is b["tt"][0][0]


def test_non_record_values_pass_through() -> None:
    assert codec._loads(codec._dumps(None)) is None
    assert codec._loads(codec._dumps([1, 2])) == [1, 2]
    assert codec._loads(codec._dumps({"g": None, "tt": None})) == {"g": None, "tt": None}
