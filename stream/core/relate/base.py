"""Shared pieces of the relate stage: its input and result, posting-list helpers, time and link encoding."""

from __future__ import annotations

import fnmatch
import math
import re
import time
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from stream.contracts import RelatedLink, StoryUpdate

_NON_ANCHORS_FILE = Path(__file__).with_name("data") / "non_anchor_entities.txt"
_BUCKET_SECONDS = 3600  # expiry granularity: an article leaves the window within the hour
_DAY = 86400.0
_MAX_MERGE_HOPS = 32  # merged-story chains are short; bound the walk anyway
_LN2 = math.log(2.0)
_SEQ = "I"  # array type of sequence numbers in posting lists and expiry buckets

# A query: (tag id or None when unseen, tag, idf) per distinct tag of the article.
Query = list[tuple[int | None, str, float]]
# Scored candidates, best first: (score, sequence number, shares an anchor tag, its tags).
Scored = list[tuple[float, int, bool, set[str]]]


def _seq_array(seqs: Any) -> array:
    return array(_SEQ, seqs)


# A tag's postings (sequence numbers, or story ids): None for none, the one posting itself while it
# is the only one (most tags of a window: no container for them), else a container of several.
def _posted(postings: Any, value: Any, several: Any) -> Any:
    """The postings with ``value`` added; ``several`` makes the container of the first two."""
    if postings is None:
        return value
    if type(postings) is type(value):
        return several((postings, value))
    postings.append(value)
    return postings


def _each(postings: Any, one: type) -> Any:
    """The postings as a sequence; ``one`` is the type of a single posting."""
    if postings is None:
        return ()
    return (postings,) if type(postings) is one else postings


@dataclass(slots=True)
class RelateInput:
    """What the relate stage needs of an article."""

    id: str
    title: str
    published_at: datetime | None  # aware UTC; None -> use ``now``
    tags: list[str]
    simhash: int
    fingerprint: str
    text: str = ""  # title and body; empty: stories are threaded by tags alone (as before content)


@dataclass(slots=True)
class RelateResult:
    related: list[RelatedLink]
    story_id: str | None  # None: not threaded (an article before the window)
    duplicate_of: str | None
    duplicate_similarity: float | None
    story_updates: list[StoryUpdate] = field(default_factory=list)
    revision: int = 1
    unchanged: bool = False  # same id re-sent with the same content: nothing to emit
    note: str | None = None  # why the article was not related (it lies before the window)
    # With ``unchanged``: whether the input is the one the stored state was made from (the same input
    # position, i.e. a replay of it), or another one (an identical re-send); None if a position is unknown.
    same_input: bool | None = None


@lru_cache(maxsize=1)
def non_anchor_tags() -> tuple[frozenset[str], re.Pattern[str] | None]:
    """Entity tags of news agencies and outlets (exact tags, and one pattern for the shell-style
    lines): credited on unrelated stories, they are evidence of none."""
    exact: set[str] = set()
    patterns: list[str] = []
    for line in _NON_ANCHORS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "*" in line:
            patterns.append(fnmatch.translate("entity:" + line))
        else:
            exact.add("entity:" + line)
    return frozenset(exact), (re.compile("|".join(patterns)) if patterns else None)


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:  # the contract says aware UTC; be lenient with naive values
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _iso(epoch: float) -> str:
    """UTC ISO-8601 to the second with a ``Z`` (as ``iso_utc``), without building a datetime."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _encode_links(links: list[RelatedLink]) -> str:
    return orjson.dumps([[link.id, link.score] for link in links]).decode()


def _decode_links(stored: Any) -> list[Any]:
    """Stored related links: JSON text, or a list of pairs as records of older versions hold them."""
    if isinstance(stored, str):
        return orjson.loads(stored)
    return list(stored or ())


