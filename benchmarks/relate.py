"""Relate stage benchmark: ``python -m benchmarks.relate [--held 100000] [--probe 2000] [--heap]``.

Fills a window with synthetic articles whose tags follow Zipf-like distributions per kind (a few
regions and topics on most articles, a long tail of people, places and organisations), then times
``relate`` per article (CPU time) on a further stream and reports the RSS the held window costs per
article; ``--heap`` also traces the Python heap of the window, split into the in-memory index and
the records of the two mappings (tracemalloc makes the fill several times slower).
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from stream.core.relate import RelateConfig, RelateInput, Relator

# kind -> (vocabulary size, Zipf exponent, tags per article (min, max))
TAG_KINDS = {
    "region": (200, 1.3, (1, 3)),
    "topic": (120, 1.1, (1, 3)),
    "entity:person": (200_000, 1.05, (1, 5)),
    "entity:org": (50_000, 1.05, (0, 3)),
    "place": (20_000, 1.1, (0, 2)),
}


def _rss_bytes() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


class SyntheticStream:
    def __init__(self, seed: int = 7, per_day: int = 14_000) -> None:
        self.rng = random.Random(seed)
        self.per_day = per_day
        self.start = datetime(2024, 1, 1, tzinfo=UTC)
        self.count = 0
        self.kinds = []
        for kind, (size, exponent, span) in TAG_KINDS.items():
            weights = [1.0 / (rank**exponent) for rank in range(1, size + 1)]
            self.kinds.append((kind, size, list(accumulate(weights)), span))

    def next(self) -> RelateInput:
        rng = self.rng
        tags: list[str] = []
        for kind, size, cumulative, (low, high) in self.kinds:
            picks = rng.choices(range(size), cum_weights=cumulative, k=rng.randint(low, high))
            tags.extend(f"{kind}:{kind[:1]}{rank}" for rank in set(picks))
        i = self.count
        self.count += 1
        # Mostly in order, some late by up to 6 hours.
        seconds = i * 86400 / self.per_day - rng.random() * 6 * 3600 * (rng.random() < 0.1)
        return RelateInput(
            id=f"article-{i:08d}-{rng.getrandbits(32):08x}",
            title=f"Synthetic headline number {i} about {tags[0] if tags else 'nothing'}",
            published_at=self.start + timedelta(seconds=seconds),
            tags=tags,
            simhash=rng.getrandbits(64),
            fingerprint=f"{rng.getrandbits(128):032x}",
        )


def _heap_per_article(relator: Relator, traced_before: int) -> tuple[float, float]:
    """(Python heap of the whole window, of the in-memory index alone) per held article, by tracemalloc.

    The index alone is what a second relator allocates when it rebuilds over the same mappings (it
    shares their records); the rest of the window's heap is the records (the worker's table values)."""
    held = max(len(relator), 1)
    whole = tracemalloc.get_traced_memory()[0] - traced_before
    before_index = tracemalloc.get_traced_memory()[0]
    twin = Relator(relator.config, articles=relator.articles, stories=relator.stories)
    gc.collect()
    index = tracemalloc.get_traced_memory()[0] - before_index
    del twin
    return whole / held, index / held


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held", type=int, default=100_000, help="articles pre-filled into the window")
    parser.add_argument("--probe", type=int, default=2_000, help="articles timed after the fill")
    parser.add_argument("--heap", action="store_true", help="also trace the Python heap (slow: tracemalloc)")
    args = parser.parse_args(argv)

    # All held articles fit the default 7-day window: 100,000 over ~7 days at 14,000 a day.
    stream = SyntheticStream(per_day=max(args.held // 7, 1))
    if args.heap:  # from before the articles are made (the records keep their strings), after the generator's tables
        tracemalloc.start()
    traced_before = tracemalloc.get_traced_memory()[0] if args.heap else 0
    fill = [stream.next() for _ in range(args.held)]
    gc.collect()
    before = _rss_bytes()
    relator = Relator(RelateConfig())
    cpu = time.process_time()
    for item in fill:
        relator.relate(item)
    fill_us = (time.process_time() - cpu) / max(args.held, 1) * 1e6
    del fill
    gc.collect()
    held = len(relator)
    rss_per_article = (_rss_bytes() - before) / max(held, 1)
    heap = _heap_per_article(relator, traced_before) if args.heap else None
    if args.heap:
        tracemalloc.stop()
    probe = [stream.next() for _ in range(args.probe)]

    # Time relate on fresh articles: each pass streams a new batch (a re-sent id would take the
    # unchanged short-cut), all within the window that was filled. CPU time, best of the passes:
    # the machine is shared, and other processes only ever make a pass slower.
    passes = []
    for _ in range(4):
        batch = [stream.next() for _ in range(args.probe)]
        cpu = time.process_time()
        for item in batch:
            relator.relate(item)
        passes.append((time.process_time() - cpu) / len(batch) * 1e6)
    timed = passes[1:]  # the first pass warms caches up
    related = sum(len(relator.relate(item).related) for item in probe[:200]) / 200
    print(f"held articles:       {held:,}")
    print(f"stories:             {len(relator.stories):,}")
    print(f"relate:              {min(timed):.1f} µs/article CPU best, {statistics.median(timed):.1f} median "
          f"({args.probe} fresh articles x {len(timed)} passes); fill {fill_us:.1f} µs/article")
    print(f"related per article: {related:.1f}")
    print(f"RSS per held article: {rss_per_article:,.0f} bytes (window + stories + indexes"
          f"{'; inflated by tracemalloc' if args.heap else ''})")
    if heap is not None:
        whole, index = heap
        print(f"heap per held article: {whole:,.0f} bytes (tracemalloc): index {index:,.0f}, "
              f"records (articles + stories tables) {whole - index:,.0f}")


if __name__ == "__main__":
    main()
