"""Every class of bad input maps to its error code; good input passes with lenient coercions."""

import pytest

from stream.contracts import ErrorCode
from stream.core.validate import Rejected, decode_raw

LIMITS = {"max_message_bytes": 4 << 20, "max_body_bytes": 1 << 20}


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (b"\xff\xfe\x00", ErrorCode.undecodable_bytes),
        (b'{"body": "caf\xe9"}', ErrorCode.undecodable_bytes),
        (b"", ErrorCode.invalid_json),
        (b"{", ErrorCode.invalid_json),
        (b"[" * 5000 + b"]" * 5000, ErrorCode.invalid_json),
        (b"[1, 2]", ErrorCode.not_an_object),
        (b'"text"', ErrorCode.not_an_object),
        (b"null", ErrorCode.not_an_object),
        (b'{"title": "no content"}', ErrorCode.missing_content),
        (b'{"body": "   ", "html": ""}', ErrorCode.missing_content),
        (b'{"body": 42}', ErrorCode.schema_violation),
        (b'{"body": "x", "authors": {"a": 1}}', ErrorCode.schema_violation),
        (b'{"body": "x", "title": "' + b"t" * 3000 + b'"}', ErrorCode.field_too_large),
        (b'{"body": "x", "tags": [' + b",".join([b'"t"'] * 500) + b"]}", ErrorCode.field_too_large),
        (b'{"body": "' + b"b" * ((1 << 20) + 1) + b'"}', ErrorCode.body_too_large),
        (b'{"html": "' + b"<p>" * ((1 << 20) // 3 + 1) + b'"}', ErrorCode.body_too_large),
    ],
)
def test_bad_input_codes(value, code):
    with pytest.raises(Rejected) as err:
        decode_raw(value, **LIMITS)
    assert err.value.code is code
    assert err.value.reason


def test_message_size_is_checked_before_decoding():
    with pytest.raises(Rejected) as err:
        decode_raw(b"\xff" * 100, max_message_bytes=10, max_body_bytes=10)
    assert err.value.code is ErrorCode.field_too_large


def test_good_input_is_coerced_leniently():
    raw = decode_raw(b'{"body": "x", "authors": "A. Writer, B. Writer", "tags": "Korea; Russia", "unknown": 1}', **LIMITS)
    assert raw.authors == ["A. Writer", "B. Writer"]
    assert raw.tags == ["Korea", "Russia"]


def test_unparseable_date_is_not_a_rejection():
    raw = decode_raw(b'{"body": "x", "published_at": "the day after tomorrow-ish"}', **LIMITS)
    assert raw.published_at == "the day after tomorrow-ish"


def test_reasons_say_where_the_bytes_or_the_json_go_wrong():
    with pytest.raises(Rejected) as err:
        decode_raw('{"body": "café'.encode() + b"\xff" + b'"}', **LIMITS)
    assert err.value.code is ErrorCode.undecodable_bytes
    assert err.value.reason == "not UTF-8: invalid start byte at byte 15"
    with pytest.raises(Rejected) as err:
        decode_raw('{"body": "café", }'.encode(), **LIMITS)
    assert err.value.code is ErrorCode.invalid_json
    assert err.value.reason.startswith("invalid JSON: ")


def test_non_ascii_body_is_parsed_from_bytes_unchanged():
    raw = decode_raw('{"body": "Seoul — café ☕ 😀", "title": "Ünïcode"}'.encode(), **LIMITS)
    assert raw.body == "Seoul — café ☕ 😀"
    assert raw.title == "Ünïcode"
