"""The records of the two relate mappings in memory, and their JSON form (the tables' changelogs).

JSON form (what a changelog holds; unchanged from earlier versions, so their changelogs and the
benchmark's pre-fill recover as they are):

- article: {"t": epoch seconds, "g": [tags], "s": simhash, "f": fingerprint, "r": revision,
  "st": story id, "ti": title, "w": tag-vector norm, "k": related links (optional), "d": duplicate_of
  (optional), "p": [partition, offset] of the input it was made from (optional: the worker's, see
  ``RevisionLedger.superseded``)}
- story: {"ti": title, "n": size, "t0": first seen, "t1": last seen, "tt": [[tag, count], ...],
  "a": founding article id, "c": [[term, weight], ...] (optional: the content centroid), "sg": [[code, count], ...]
  (optional: the event signature, signature.py)}, or a merged story's {"m": surviving story id, "t1": ...}

In memory an article is an ``ArticleRecord`` and a story a ``StoryRecord`` or ``MergedStory``: named
tuples, a third to a half of a dict with the same keys (a record's published time, though, comes
back as a float even when the JSON held an integer). An article's tags are a tuple of the shared
tag strings - the same tuple is the article's entry in the index, so the tags are held once; a
story's top tags one flat tuple ``(tag, count, tag, count, ...)`` (a list of ``[tag, count]`` lists
costs a list object per pair, ~1 KB per story). A table's codec (``stream.worker.codecs``) converts
on decode (``from_json``) and encode (``to_json``).
"""

from __future__ import annotations

import re
import struct
import sys
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

_intern = sys.intern
_HEX128 = re.compile(r"[0-9a-f]{32}")  # the normalize stage's fingerprint: BLAKE2b-128, lowercase hex


def compact_fingerprint(fingerprint: str) -> int | str:
    """A 128-bit hex fingerprint as an int (48 bytes instead of the string's 81); anything else as it is."""
    return int(fingerprint, 16) if type(fingerprint) is str and _HEX128.fullmatch(fingerprint) else fingerprint


def fingerprint_text(fingerprint: int | str) -> str:
    return f"{fingerprint:032x}" if type(fingerprint) is int else fingerprint


_SCALARS = struct.Struct("<ddQ")  # published, norm, simhash: one 57-byte object instead of three (112 bytes)
_MASK64 = (1 << 64) - 1


class ArticleRecord(NamedTuple):
    """Make one with ``ArticleRecord.of``. Published time, norm and SimHash are read (rarely: the index
    holds its own copies) from one packed field."""

    scalars: bytes  # "t", "w", "s" packed
    tags: tuple[str, ...]  # "g"
    fingerprint: int | str  # "f", as compact_fingerprint makes it
    revision: int  # "r"
    story: str  # "st"
    title: str | None  # "ti"
    # JSON text of [[id, score], ...] ("k"; a list of pairs in records of older versions): one string is
    # a fraction of the memory of a list of pairs, and the links are read only by the HTTP look-ups.
    links: Any = None
    duplicate_of: str | None = None  # "d"
    position: int | None = None  # "p", packed (pack_position): the input the record was made from

    @classmethod
    def of(
        cls, published: float, tags: tuple[str, ...], simhash: int, fingerprint: int | str, revision: int, story: str,
        title: str | None, norm: float, links: Any = None, duplicate_of: str | None = None, position: int | None = None,
    ) -> ArticleRecord:
        # A SimHash is a 64-bit signature; the mask only guards odd inputs (as the index does).
        scalars = _SCALARS.pack(published, norm, simhash & _MASK64)
        return cls(scalars, tags, fingerprint, revision, story, title, links, duplicate_of, position)

    @property
    def published(self) -> float:  # "t", epoch seconds
        return _SCALARS.unpack(self.scalars)[0]

    @property
    def norm(self) -> float:  # "w", the IDF tag-vector norm when indexed
        return _SCALARS.unpack(self.scalars)[1]

    @property
    def simhash(self) -> int:  # "s"
        return _SCALARS.unpack(self.scalars)[2]


_PARTITION_BITS = 20  # Kafka topics have far fewer partitions


def pack_position(position: tuple[int, int] | None) -> int | None:
    """An input's (partition, offset) as one int (a record holds one object, not a tuple of two)."""
    if position is None or not 0 <= position[0] < 1 << _PARTITION_BITS:
        return None
    return position[1] << _PARTITION_BITS | position[0]


def unpack_position(packed: int | None) -> tuple[int, int] | None:
    return None if packed is None else (packed & ((1 << _PARTITION_BITS) - 1), packed >> _PARTITION_BITS)


class StoryRecord(NamedTuple):
    title: str | None  # "ti"
    size: int  # "n"
    first_seen: float  # "t0"
    last_seen: float  # "t1"
    top_tags: tuple[Any, ...]  # "tt": (tag, count, tag, count, ...)
    founder: str | None  # "a": founding article id
    # "c" (optional): content centroid, flat (term, weight 1..250, ...) - see content.py; () for records
    # of older versions and for stories of articles without text.
    centroid: tuple[Any, ...] = ()
    # "sg" (optional): event signature, flat (code, count, ...) - see signature.py; () when none is known.
    signature: tuple[Any, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        """The top tags without their counts, in rank order."""
        return self.top_tags[::2]


class MergedStory(NamedTuple):
    """A story absorbed by a merge: its id resolves to the survivor."""

    merged_into: str  # "m"
    last_seen: float  # "t1"


def pairs(profile: tuple[Any, ...]) -> Iterator[tuple[str, int]]:
    """(tag, count) of a story's flat top-tag tuple, in order."""
    return zip(profile[::2], profile[1::2])


def flat_profile(counted: Any) -> tuple[Any, ...]:
    """The flat tuple of (tag, count) pairs, from pairs (a JSON list of lists, a dict's items, ...)."""
    return tuple([value for pair in counted for value in pair])


def article_to_json(record: ArticleRecord) -> dict[str, Any]:
    published, norm, simhash = _SCALARS.unpack(record.scalars)
    out = {
        "t": published, "g": record.tags, "s": simhash, "f": fingerprint_text(record.fingerprint),
        "r": record.revision, "st": record.story, "ti": record.title, "w": norm,
    }
    if record.links is not None:
        out["k"] = record.links
    if record.duplicate_of is not None:
        out["d"] = record.duplicate_of
    if record.position is not None:
        out["p"] = unpack_position(record.position)
    return out


def article_from_json(record: dict[str, Any], share: Callable[[str], str] = _intern) -> ArticleRecord:
    story = record["st"]
    return ArticleRecord.of(
        record["t"],
        tuple([share(tag) if type(tag) is str else tag for tag in record["g"]]),
        record["s"],
        compact_fingerprint(record.get("f", "")),
        record.get("r", 1),
        share(story) if type(story) is str else story,  # shared by the story's articles
        record.get("ti"),
        record.get("w", 1.0),
        record.get("k"),
        record.get("d"),
        pack_position(record["p"]) if "p" in record else None,
    )


def story_to_json(record: StoryRecord | MergedStory) -> dict[str, Any]:
    if type(record) is MergedStory:
        return {"m": record.merged_into, "t1": record.last_seen}
    out = {"ti": record.title, "n": record.size, "t0": record.first_seen, "t1": record.last_seen,
           "tt": [[tag, count] for tag, count in pairs(record.top_tags)], "a": record.founder}
    if record.centroid:
        out["c"] = [[term, weight] for term, weight in pairs(record.centroid)]
    if record.signature:
        out["sg"] = [[code, count] for code, count in pairs(record.signature)]
    return out


def story_from_json(record: dict[str, Any], share: Callable[[str], str] = _intern) -> StoryRecord | MergedStory:
    if "m" in record:
        return MergedStory(record["m"], record["t1"])
    profile = flat_profile((share(tag) if type(tag) is str else tag, count) for tag, count in record.get("tt") or ())
    centroid = flat_profile((share(term), weight) for term, weight in record.get("c") or ())
    signature = flat_profile(record.get("sg") or ())
    return StoryRecord(record.get("ti"), record["n"], record["t0"], record["t1"], profile, record.get("a"), centroid, signature)


def to_json(record: Any) -> Any:
    """The JSON form of an in-memory record (other values as they are)."""
    kind = type(record)
    if kind is ArticleRecord:
        return article_to_json(record)
    if kind is StoryRecord or kind is MergedStory:
        return story_to_json(record)
    return record


def from_json(record: Any, share: Callable[[str], str] = _intern) -> Any:
    """The in-memory form of a record decoded from JSON (other values as they are). ``share`` returns
    the one copy of a string (tags, story ids)."""
    if type(record) is not dict:
        return record
    if type(record.get("g")) is list and "t" in record and "st" in record:
        return article_from_json(record, share)
    if "t1" in record and ("m" in record or ("n" in record and "t0" in record)):
        return story_from_json(record, share)
    return record
