"""Validate stage: raw bytes -> RawArticle, or a ``Rejected`` with a machine-readable code.

Cheap checks run before expensive ones (size before decoding, decoding before parsing), so hostile
input costs little. An unparseable date is not a reason to reject: normalize keeps the article and
records a warning.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from stream.contracts import ErrorCode, RawArticle


class Rejected(Exception):
    """An input the pipeline cannot process; it goes to the dead-letter topic with ``code``."""

    def __init__(self, code: ErrorCode, reason: str, stage: str = "validate") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.stage = stage


_TOO_LONG = {"string_too_long", "too_long"}


def _describe(err: ValidationError, limit: int = 3) -> str:
    parts = []
    for e in err.errors(include_url=False)[:limit]:
        where = ".".join(str(p) for p in e["loc"]) or "article"
        parts.append(f"{where}: {e['msg']}")
    more = err.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def parse_object(value: bytes, *, max_message_bytes: int) -> dict[str, Any]:
    """Bytes -> JSON object, or Rejected (size, encoding, syntax, type)."""
    if len(value) > max_message_bytes:
        raise Rejected(ErrorCode.field_too_large, f"message of {len(value)} bytes exceeds {max_message_bytes}")
    try:
        # orjson checks UTF-8 itself: parsing the bytes saves decoding them into a str first. It
        # caps nesting depth, so deep JSON is rejected, not a crash.
        obj = orjson.loads(value)
    except orjson.JSONDecodeError:
        # Rare: decode, then parse the text, only to say which of the two is wrong.
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Rejected(ErrorCode.undecodable_bytes, f"not UTF-8: {exc.reason} at byte {exc.start}") from None
        try:
            obj = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise Rejected(ErrorCode.invalid_json, f"invalid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise Rejected(ErrorCode.not_an_object, f"JSON value is {type(obj).__name__}, expected an object")
    return obj


def validate_object(obj: dict[str, Any], *, max_body_bytes: int) -> RawArticle:
    """JSON object -> RawArticle, or Rejected (content size, missing content, schema)."""
    for name in ("body", "html"):
        content = obj.get(name)
        # len() of a str counts characters; a character is at most 4 UTF-8 bytes, so this is exact
        # enough to refuse before encoding and never refuses an article under the limit.
        if isinstance(content, str) and len(content) > max_body_bytes and len(content.encode()) > max_body_bytes:
            raise Rejected(ErrorCode.body_too_large, f"{name} exceeds {max_body_bytes} bytes")
    try:
        return RawArticle.model_validate(obj)
    except ValidationError as exc:
        kinds = {e["type"] for e in exc.errors(include_url=False)}
        if kinds & _TOO_LONG:
            raise Rejected(ErrorCode.field_too_large, _describe(exc)) from None
        if any("missing content" in e["msg"] for e in exc.errors(include_url=False)):
            raise Rejected(ErrorCode.missing_content, "neither body nor html is given") from None
        raise Rejected(ErrorCode.schema_violation, _describe(exc)) from None


def decode_raw(value: bytes, *, max_message_bytes: int, max_body_bytes: int) -> RawArticle:
    return validate_object(parse_object(value, max_message_bytes=max_message_bytes), max_body_bytes=max_body_bytes)
