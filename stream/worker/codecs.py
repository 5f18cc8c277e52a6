"""The value codec of the relate tables: JSON, with the tag strings of a record interned on decode.

A window holds each tag string (``region:US``, a person's name) in thousands of records. Decoded
naively, every record carries its own copies; freeing them later (when the index shares one copy)
leaves the heap fragmented, and RSS keeps paying for them. Interning at decode time means the
duplicates never outlive the record being decoded, so recovery of a 100,000-article window does not
leave ~1 KB per article of holes behind.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from faust.serializers import codecs

_intern = sys.intern


class RelateRecords(codecs.Codec):
    def _dumps(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def _loads(self, s: bytes) -> Any:
        record = orjson.loads(s)
        if type(record) is dict:
            tags = record.get("g")
            if tags:
                record["g"] = [_intern(tag) if type(tag) is str else tag for tag in tags]
            for pair in record.get("tt") or ():
                if type(pair) is list and pair and type(pair[0]) is str:
                    pair[0] = _intern(pair[0])
        return record


CODEC_NAME = "relate-records"
codecs.register(CODEC_NAME, RelateRecords())
