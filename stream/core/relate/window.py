"""The articles held in the relate window, as compact parallel arrays in arrival order.

Every article indexed gets the next sequence number (never reused: a revision or a re-indexed
article gets a new one), and lives at position ``seq - base`` of the arrays. Posting lists hold
sequence numbers, so an expired or replaced article is dead wherever it is still posted (its id is
``None``, or its position was compacted away) without touching those lists. The dead prefix is cut
off once it is long: articles arrive in nearly time order, so expiry empties the arrays from the
front, and the few holes (late arrivals, revisions) leave with the prefix.

Per article this is an id reference, three 8-byte numbers and a reference to the article's record
(the durable mapping's value): scoring reads a candidate's tags, title and story id from it - in
the worker a table read costs far more than a list index - and so the record's tag tuple (the
shared tag strings) is held once, by record and index together.
"""

from __future__ import annotations

from array import array
from typing import Any

_MASK64 = (1 << 64) - 1
_DEAD = float("inf")
_COMPACT_MIN = 1024  # dead positions at the front before compaction is worth a copy of the arrays


class ArticleWindow:
    __slots__ = ("base", "ids", "times", "norms", "simhashes", "records", "held", "_dead_prefix")

    def __init__(self) -> None:
        self.base = 0  # sequence number of position 0
        self.ids: list[str | None] = []  # None: no longer held
        self.times = array("d")  # published, epoch seconds; +inf once dead
        self.norms = array("d")  # IDF tag-vector norm when indexed (as stored in the record)
        self.simhashes = array("Q")
        self.records: list[Any] = []  # the article's record (``.tags``, ``.title``, ``.story``); None once dead
        self.held = 0
        self._dead_prefix = 0  # positions at the front known to be dead

    def add(self, article_id: str, t: float, record: Any, simhash: int, norm: float) -> int:
        """Hold an article; returns its sequence number."""
        seq = self.base + len(self.ids)
        self.ids.append(article_id)
        self.times.append(t)
        self.norms.append(norm)
        self.simhashes.append(simhash & _MASK64)  # a 64-bit signature; the mask only guards odd inputs
        self.records.append(record)
        self.held += 1
        return seq

    def alive(self, seq: int) -> bool:
        position = seq - self.base
        return position >= 0 and self.ids[position] is not None

    def remove(self, seq: int) -> None:
        """Mark the article dead (its postings are skipped from now on)."""
        position = seq - self.base
        self.ids[position] = None
        self.times[position] = _DEAD  # so a posting scan's time test drops it without looking at ids
        self.records[position] = None
        self.held -= 1

    def compact(self) -> None:
        """Drop the dead prefix when it is long enough to be worth the copy."""
        ids = self.ids
        dead = self._dead_prefix
        while dead < len(ids) and ids[dead] is None:
            dead += 1
        self._dead_prefix = dead
        if dead < _COMPACT_MIN or dead * 4 < len(ids):
            return
        del ids[:dead]
        del self.times[:dead]
        del self.norms[:dead]
        del self.simhashes[:dead]
        del self.records[:dead]
        self.base += dead
        self._dead_prefix = 0

    def find(self, article_id: str, candidates: list[int]) -> int | None:
        """Sequence number of the live article ``article_id`` among ``candidates`` (sequence numbers)."""
        base, ids = self.base, self.ids
        for seq in reversed(candidates):
            position = seq - base
            if position >= 0 and ids[position] == article_id:
                return seq
        return None
