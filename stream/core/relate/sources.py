"""The event time every input source has reached: a watermark that holds the window's clock back for
the slowest source.

The relate stage reads one stream merged from several enrich workers, each working through its own
input partitions at its own pace. On a backfill (days of news published at once) one partition can be
days of event time ahead of another when the merged stream reaches relate. Moved by the fastest, the
clock would close the window on the articles the slower partitions have yet to deliver, and every one
of them would arrive "before the window": related to nothing, in no story. So the clock moves no
further than the newest dated article of the slowest active source.

A source that has sent no dated article among the last ``idle_after`` dated articles of all is idle
(an empty partition, or one whose articles are all undated) and holds nothing back, so a silent
source cannot freeze the window. Articles without a source (``process``, offline) are not counted: with
one source or none the limit is that source's own newest date, which never holds the clock below the
relator's own rule.
"""

from __future__ import annotations

from collections.abc import Hashable


class SourceClock:
    def __init__(self, idle_after: int) -> None:
        self.idle_after = idle_after
        self._newest: dict[Hashable, tuple[float, int]] = {}  # source -> (newest event time, count when last heard)
        self._count = 0  # dated articles seen from any source

    def see(self, source: Hashable, t: float) -> None:
        """A dated article from ``source`` with event time ``t``."""
        self._count += 1
        known = self._newest.get(source)
        self._newest[source] = (t if known is None or t > known[0] else known[0], self._count)

    def limit(self) -> float | None:
        """The newest event time every active source has reached, or None (no source seen)."""
        oldest = self._count - self.idle_after
        active = [newest for newest, heard in self._newest.values() if heard > oldest]
        return min(active) if active else None

    def clear(self) -> None:
        self._newest.clear()
        self._count = 0
