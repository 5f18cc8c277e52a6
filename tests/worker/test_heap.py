"""The worker's collector settings (stream/worker/heap.py): what is alive at the freeze is never walked
again, garbage made before it is collected first, and young collections are rarer."""

from __future__ import annotations

import gc
import weakref

from stream.worker import heap


class Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the collector frees it


def test_freeze_collects_garbage_first_then_excludes_the_survivors() -> None:
    thresholds = gc.get_threshold()
    try:
        garbage = Node()
        gone = weakref.ref(garbage)
        del garbage
        kept = [Node() for _ in range(100)]
        before = gc.get_freeze_count()
        heap.freeze_long_lived()
        assert gone() is None  # the cycle was collected, not frozen
        assert gc.get_freeze_count() >= before + len(kept)
        assert not any(gc.is_tracked(k) and k in gc.get_objects(0) for k in kept[:3])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_young_collections_are_rarer() -> None:
    thresholds = gc.get_threshold()
    try:
        heap.tune_collector()
        assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, thresholds[1], thresholds[2])
        assert heap.YOUNG_THRESHOLD > thresholds[0]
    finally:
        gc.set_threshold(*thresholds)
