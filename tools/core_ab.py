"""CPU cost of the offline core (``Pipeline.process``) of two source trees, in one process, interleaved.

On a shared machine, timings of two runs made one after the other differ by more than a refactor
changes. Here both trees' ``stream`` packages are loaded side by side (each copy keeps its own module
globals), and every article of the bench corpus is processed by A and then B (B then A on odd
passes), so that load, frequency changes and cache pressure hit both alike. Reported per side: the
best pass's CPU µs per article and articles per CPU-second, and that pass's CPU µs per stage
(validate, normalize, tag, relate, timed by wrappers around the stage calls), plus B's total over A's,
for the best passes and as the mean of each pass's ratio.

    .venv/bin/python tools/core_ab.py A_TREE B_TREE [--n 1500] [--passes 4]

A tree is a checkout's root (the directory holding ``stream/``), e.g. one made by
``git archive <commit> | tar -x -C /tmp/a``. The corpus is the digest's (``benchmarks.corpus``, seed
and start time as ``tools/process_digest.py``; 30 more articles warm each side up first), built by
this checkout. Each pass starts a fresh ``Pipeline`` (empty window and tagger memories).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

STAGES = ("validate", "normalize", "tag", "relate")
_WARM = 30  # articles processed before timing, other than the timed ones


def _load(tree: Path):
    """``stream.core.pipeline`` of ``tree``: a fresh copy of the package, whatever was imported before."""
    for name in [m for m in sys.modules if m == "stream" or m.startswith("stream.")]:
        del sys.modules[name]
    sys.path.insert(0, str(tree))
    try:
        module = importlib.import_module("stream.core.pipeline")
    finally:
        sys.path.remove(str(tree))
    if not Path(module.__file__).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"{tree}: imported {module.__file__} instead")
    return module


def _instrument(module, acc: dict[str, float]):
    """Wrap the stage calls of one copy: CPU seconds per stage into ``acc``."""
    cpu = time.process_time

    def timed(name, f):
        def wrapper(*args, **kwargs):
            t0 = cpu()
            try:
                return f(*args, **kwargs)
            finally:
                acc[name] = acc.get(name, 0.0) + cpu() - t0
        return wrapper

    module.decode_raw = timed("validate", module.decode_raw)
    module.normalize = timed("normalize", module.normalize)
    module.Pipeline.link = timed("relate", module.Pipeline.link)
    return timed


def compare(a: Path, b: Path, n: int, passes: int) -> dict:
    from benchmarks.corpus import generate

    start = datetime(2024, 12, 1, tzinfo=UTC)
    records = generate(n + _WARM, start=start, spacing_s=60.0, prefix="digest")
    warm_records, records = records[n:], records[:n]
    sides = {}
    for label, tree in (("A", a), ("B", b)):
        module = _load(tree)
        acc: dict[str, float] = {}
        timed = _instrument(module, acc)
        warm = module.Pipeline()
        for value in warm_records:  # lazy loads (word lists, the topic model, wordfreq), on other articles
            warm.process(value, now=start)
        sides[label] = (module, timed, acc)
    cpu = time.process_time
    best: dict[str, dict[str, float]] = {}
    ratios = []
    for k in range(passes):
        pipelines = {}
        for label, (module, timed, acc) in sides.items():
            acc.clear()
            # A fresh pipeline per pass: an empty window, and a tagger whose per-stream memories start
            # empty (a pass must not find what the previous pass remembered of the same articles).
            pipelines[label] = pipeline = module.Pipeline()
            pipeline.tagger.tag = timed("tag", pipeline.tagger.tag)
        total = {"A": 0.0, "B": 0.0}
        order = ("A", "B") if k % 2 == 0 else ("B", "A")
        for i, value in enumerate(records):
            now = start + timedelta(seconds=60 * i + 30)
            for label in order:
                t0 = cpu()
                pipelines[label].process(value, now=now)
                total[label] += cpu() - t0
        ratios.append(total["B"] / total["A"])
        for label in ("A", "B"):
            if label not in best or total[label] < best[label]["total"]:
                best[label] = {"total": total[label], **sides[label][2]}
        print(f"pass {k}: A {total['A'] / n * 1e6:.0f} µs  B {total['B'] / n * 1e6:.0f} µs  "
              f"B/A {total['B'] / total['A']:.3f}", file=sys.stderr, flush=True)
    out: dict = {"articles": n, "passes": passes}
    for label, tree in (("A", a), ("B", b)):
        side = best[label]
        out[label] = {"tree": str(tree), "cpu_us_per_article": round(side["total"] / n * 1e6),
                      "articles_per_cpu_s": round(n / side["total"]),
                      **{f"{s}_us": round(side.get(s, 0.0) / n * 1e6) for s in STAGES}}
    out["B_over_A"] = round(best["B"]["total"] / best["A"]["total"], 3)
    # The side that runs second in a pass tends to gain a little (shared code warm in the caches): the
    # mean of the passes' ratios, over as many passes of each order, is the steadier figure.
    out["B_over_A_per_pass"] = [round(r, 3) for r in ratios]
    out["B_over_A_mean"] = round(sum(ratios) / len(ratios), 3)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", type=Path, help="tree A (the baseline)")
    parser.add_argument("b", type=Path, help="tree B")
    parser.add_argument("--n", type=int, default=1500, help="articles (default 1500)")
    parser.add_argument("--passes", type=int, default=4,
                        help="passes, alternating which side runs first; the best one is reported (default 4)")
    args = parser.parse_args(argv)
    print(json.dumps(compare(args.a, args.b, args.n, args.passes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
