"""The revision ledger: each article id's latest revision, content fingerprint and story, kept far
longer than the related-story window.

The window forgets an article a week (of ``published_at``) after the newest one seen, so without a
ledger an identical re-send of an older article would look new: emitted again with revision 1 and
counted into a second story. The ledger answers "seen before, and was it the same content?" for
``ledger_days`` (400 by default, the story memory), whatever the window holds.

Each entry is a 4-item list ``[revision, fingerprint as hex text, story_id or None, published epoch]``:
JSON as it is (a 128-bit integer is not: JSON encoders stop at 64 bits) (the worker keeps the mapping in a changelog-backed Faust table) and small (one short list per
id). Entries expire by event time: ``ledger_days`` after their ``published_at`` behind the newest
article seen, in day buckets, like the window.
"""

from __future__ import annotations

import heapq
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    revision: int
    fingerprint: str  # the content's fingerprint, as ledger_fingerprint writes it
    story_id: str | None
    published: float  # epoch seconds of the article's event time


def ledger_fingerprint(fingerprint: int | str) -> str:
    """The ledger's text form of a compact fingerprint (an integer, or text as the record keeps it)."""
    return fingerprint if type(fingerprint) is str else format(fingerprint, "x")


class RevisionLedger:
    def __init__(self, entries: MutableMapping[str, Any] | None, horizon_days: float) -> None:
        self.entries: MutableMapping[str, Any] = entries if entries is not None else {}
        self._horizon = horizon_days * _DAY
        self._buckets: dict[int, list[str]] = {}
        self._heap: list[int] = []
        self.rebuild()

    def rebuild(self) -> None:
        """Re-derive the expiry buckets from the entries (after a table recovery)."""
        self._buckets.clear()
        self._heap.clear()
        for article_id, value in self.entries.items():
            self._schedule(article_id, float(value[3]))

    def same_content(self, entry: LedgerEntry, fingerprint: int | str) -> bool:
        return entry.fingerprint == ledger_fingerprint(fingerprint)

    def get(self, article_id: str) -> LedgerEntry | None:
        value = self.entries.get(article_id)
        if value is None:
            return None
        revision, fingerprint, story_id, published = value
        return LedgerEntry(int(revision), fingerprint, story_id, float(published))

    def remember(self, article_id: str, revision: int, fingerprint: int | str, story_id: str | None, published: float) -> None:
        self.entries[article_id] = [revision, ledger_fingerprint(fingerprint), story_id, published]
        self._schedule(article_id, published)

    def expire(self, clock: float) -> None:
        """Forget the ids whose article lies more than the horizon before ``clock``."""
        cutoff = clock - self._horizon
        heap = self._heap
        while heap and (heap[0] + 1) * _DAY <= cutoff:
            for article_id in self._buckets.pop(heapq.heappop(heap), ()):
                value = self.entries.get(article_id)
                # A later revision may have re-dated the entry into a younger bucket: keep it then.
                if value is not None and float(value[3]) < cutoff:
                    del self.entries[article_id]

    def __len__(self) -> int:
        return len(self.entries)

    def _schedule(self, article_id: str, published: float) -> None:
        bucket = int(published // _DAY)
        ids = self._buckets.get(bucket)
        if ids is None:
            self._buckets[bucket] = [article_id]
            heapq.heappush(self._heap, bucket)
        else:
            ids.append(article_id)
