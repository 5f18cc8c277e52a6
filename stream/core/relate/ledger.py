"""The revision ledger: each article id's latest revision, content fingerprint and story, kept far
longer than the related-story window.

The window forgets an article a week (of ``published_at``) after the newest one seen, so without a
ledger an identical re-send of an older article would look new: emitted again with revision 1 and
counted into a second story. The ledger answers "seen before, and was it the same content?" for
``ledger_days`` (400 by default, the story memory), whatever the window holds.

Each entry is a 4-item list ``[revision, fingerprint as hex text, story_id or None, seen epoch]``, in the
worker followed by the input position ``partition, offset`` of the last input applied to the id (see
``superseded``):
JSON as it is (a 128-bit integer is not: JSON encoders stop at 64 bits) (the worker keeps the mapping in a changelog-backed Faust table) and small (one short list per
id). Entries expire by event time, in day buckets like the window: ``ledger_days`` after they were
last *seen*, on the stream's clock (the relator's event-time clock), not after their
article's ``published_at``. An article is remembered for the horizon however old it is when it
arrives: keyed by ``published_at``, a re-sent archive article (older than the horizon behind the
newest article) was forgotten at the clock's next step and its identical re-send emitted again.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

_DAY = 86_400.0


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    revision: int
    fingerprint: str  # the content's fingerprint, as ledger_fingerprint writes it
    story_id: str | None
    seen: float  # epoch seconds on the stream's event clock when the entry was last written
    position: tuple[int, int] | None = None  # (partition, offset) of the input last applied; None offline


def ledger_fingerprint(fingerprint: int | str) -> str:
    """The ledger's text form of a compact fingerprint (an integer, or text as the record keeps it)."""
    return fingerprint if type(fingerprint) is str else format(fingerprint, "x")


class RevisionLedger:
    def __init__(self, entries: MutableMapping[str, Any] | None, horizon_days: float) -> None:
        self.entries: MutableMapping[str, Any] = entries if entries is not None else {}
        self._horizon = horizon_days * _DAY
        self._buckets: dict[int, list[str]] = {}
        self._heap: list[int] = []
        self._clock = float("-inf")  # the newest clock expire was given: never moves back
        self.rebuild()

    def rebuild(self) -> None:
        """Re-derive the expiry buckets from the entries (after a table recovery)."""
        self._buckets.clear()
        self._heap.clear()
        for article_id, value in self.entries.items():
            seen = float(value[3])
            self._clock = max(self._clock, seen)  # no entry is stamped before the clock of its time
            self._schedule(article_id, seen)

    def same_content(self, entry: LedgerEntry, fingerprint: int | str) -> bool:
        return entry.fingerprint == ledger_fingerprint(fingerprint)

    def get(self, article_id: str) -> LedgerEntry | None:
        value = self.entries.get(article_id)
        if value is None:
            return None
        position = (int(value[4]), int(value[5])) if len(value) >= 6 else None
        return LedgerEntry(int(value[0]), value[1], value[2], float(value[3]), position)

    def superseded(self, article_id: str, position: tuple[int, int]) -> bool:
        """Whether the input at ``position`` (partition, offset) is a replay of one older than the input
        last applied to the id. An id's inputs come through one partition in offset order (the relate
        input is keyed by id), so a lower offset was read before the state was made and is already in
        it. The input *at* the stored offset is the one that made the state: not superseded, it is
        answered as an identical re-send (and restated by the worker when replayed). Another partition
        (a re-partitioned topic) cannot be compared: not superseded."""
        value = self.entries.get(article_id)
        if value is None or len(value) < 6:
            return False
        return int(value[4]) == position[0] and position[1] < int(value[5])

    def remember(
        self, article_id: str, revision: int, fingerprint: int | str, story_id: str | None, published: float,
        position: tuple[int, int] | None = None,
    ) -> None:
        """Record an id's latest revision, stamped with the clock (or ``published``, its event time, if
        later): an article older than the horizon is kept as long as a new one. Only ``expire`` moves
        the clock (the relator's, which one outlier date does not move). ``position``: the input's
        (partition, offset), in the worker."""
        seen = max(self._clock, published)
        entry = [revision, ledger_fingerprint(fingerprint), story_id, seen]
        if position is not None:
            entry += position
        self.entries[article_id] = entry
        self._schedule(article_id, seen)

    def expire(self, clock: float) -> None:
        """Forget the ids last seen more than the horizon before ``clock`` (the stream's event time)."""
        before, self._clock = self._clock, max(self._clock, clock)
        clock = self._clock
        if before > -math.inf and clock - before > self._horizon:
            # A leap longer than the horizon: the stream began on articles far older than the rest (a
            # backfill whose first article is an archive one). What was written before was seen at the
            # stream's start, not a horizon ago: re-stamped at the new clock rather than forgotten.
            for article_id, value in list(self.entries.items()):
                if float(value[3]) <= before:
                    self.entries[article_id] = [*value[:3], clock, *value[4:]]
            self.rebuild()
            return
        cutoff = clock - self._horizon
        heap = self._heap
        while heap and (heap[0] + 1) * _DAY <= cutoff:
            for article_id in self._buckets.pop(heapq.heappop(heap), ()):
                value = self.entries.get(article_id)
                # Written again since (a revision): in a younger bucket, keep it.
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
