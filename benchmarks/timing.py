"""Shared timing helper for the stage benchmarks (``python -m benchmarks.<stage>``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any


def per_item_us(fn: Callable[[Any], Any], items: Sequence[Any], *, rounds: int = 5, warmup: int = 1) -> dict[str, float]:
    """Microseconds per item of ``fn`` over ``items``: the median and best of ``rounds`` passes."""
    for _ in range(warmup):
        for item in items:
            fn(item)
    passes = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for item in items:
            fn(item)
        passes.append((time.perf_counter() - t0) / len(items) * 1e6)
    return {"median_us": statistics.median(passes), "best_us": min(passes), "items": len(items), "rounds": rounds}
