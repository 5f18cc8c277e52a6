"""The worker's garbage collector: long-lived objects out of its walks, and fewer young collections.

CPython's cyclic collector walks every tracked object of the generations it collects. Measured in
the worker's main process draining 1,500 articles (``gc.callbacks`` timing each collection): ~800
young (gen 0) collections of ~0.35 ms each, ~75 gen 1 collections of ~3 ms, and full collections that
walk everything alive - the modules, Faust's services and the relate window (table records,
postings, stories) - together ~0.6 s, ~400 µs per article. Two changes:

- ``gc.freeze`` moves what is alive at that moment to a generation the collector never walks: done
  once the app is built and again each time the window has been rebuilt from its changelogs. Objects
  made later are collected as before; a frozen object that dies is still freed by reference
  counting, only a frozen *cycle* is never freed (it costs at most what was alive at the freeze).
- A young collection every :data:`YOUNG_THRESHOLD` net allocations instead of 700: each one walks
  the young objects *and* every container they sit in, so per article they cost far more than the
  objects they find; garbage cycles wait a little longer to be freed (a few MB at most).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def tune_collector() -> None:
    """Fewer young collections (the older generations keep their ratios to it)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


def load_relate_resources(config) -> None:  # type: ignore[no-untyped-def]
    """Load the word lists relate reads lazily (stop words, wordfreq's English frequencies: ~0.2 s and
    the objects of a large dict) before the freeze, so that they are frozen with the rest and the first
    article does not pay for them. ``config``: the core's ``RelateConfig``."""
    from stream.core.relate.content import content_vector, usage_factors

    usage = usage_factors(config.content_common_zipf, config.content_rare_zipf) if config.content_common_zipf > 0.0 else {}
    content_vector("Warm-up: the relate stage loads its word lists here.", config.content_chars, usage, config.content_terms)


def freeze_long_lived() -> None:
    """Collect the garbage there is now, then exclude every surviving object from later collections."""
    gc.collect()
    gc.freeze()
