"""The value codec of the relate tables: JSON, decoded into the relator's compact in-memory records.

A window holds each tag string (``region:US``, a person's name) in thousands of records. Decoded
naively, every record carries its own copies; freeing them later (when the index shares one copy)
leaves the heap fragmented, and RSS keeps paying for them. So decoding interns the tag strings (and
story ids) and makes the record compact at once (``stream.core.relate.records``: tag tuples, a
story's top tags as one flat tuple): the duplicates never outlive the record being decoded, and
recovery of a 100,000-article window leaves no holes behind. The JSON form is the documented one.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson
from faust.serializers import codecs

from stream.core.relate import records


class RelateRecords(codecs.Codec):
    def _dumps(self, obj: Any) -> bytes:
        return orjson.dumps(records.to_json(obj))

    def _loads(self, s: bytes) -> Any:
        return records.from_json(orjson.loads(s))


class SharedKeys(RelateRecords):
    """Keys of the stories table: the same bytes as the records codec writes (so compaction keeps matching
    keys), decoded string keys interned - a story's key is then the id its articles' records share."""

    def _loads(self, s: bytes) -> Any:
        key = orjson.loads(s)
        return sys.intern(key) if type(key) is str else key


CODEC_NAME = "relate-records"
SHARED_KEYS_CODEC_NAME = "relate-shared-keys"
codecs.register(CODEC_NAME, RelateRecords())
codecs.register(SHARED_KEYS_CODEC_NAME, SharedKeys())
