"""Content vectors of the relate stage: what an article says, beside the tags it carries.

An article's vector is the sublinear term frequency (1 + ln tf) of its word tokens (lowercased,
function words dropped), L2-normalised; IDF is applied at scoring time from the live stories'
centroids (``Relator._term_df``), so it follows the window. A story's centroid is the running mean
of its articles' vectors, kept to its ``story_terms`` heaviest terms with weights quantised to
small integers (Python caches them: a centroid costs one tuple, no float objects).
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

_STOPWORDS_FILE = Path(__file__).parents[1] / "normalize" / "data" / "stopwords_en.txt"
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_QUANT = 250  # a centroid weight in (0, 1] is stored as an int in 1..250


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    lines = _STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def content_vector(text: str, max_chars: int, usage: dict[str, float] | None = None, keep: int = 0) -> dict[str, float]:
    """Unit-length sublinear-TF vector of ``text``'s first ``max_chars`` characters (the lead carries
    what the story is about; the tail of a long page adds cost, not signal). With ``keep``, only the
    ``keep`` terms heaviest by TF times their ``usage`` factor (see usage_factors) are kept."""
    stop = _stopwords()
    counts = Counter(_WORD.findall(text[:max_chars].lower()))  # counted in C; filtered per distinct word
    log = math.log
    weights = {term: 1.0 + log(n) for term, n in counts.items() if len(term) > 1 and term not in stop}
    if not weights:
        return {}
    if keep and len(weights) > keep:
        factor = (usage or {}).get
        top = heapq.nlargest(keep, [(w * factor(term, 1.0), term, w) for term, w in weights.items()])
        weights = {term: w for _key, term, w in top}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {term: w / norm for term, w in weights.items()}


@lru_cache(maxsize=4)
def usage_factors(common: float, rare: float) -> dict[str, float]:
    """How much a word's content IDF counts given its use in English at large (wordfreq's Zipf scale,
    ~7.7 for "the"): 0 at Zipf >= ``common``, 1 at <= ``rare`` (the words missing from the dict, most
    of them), linear between. A near-empty window cannot tell that "president" or "penalty" is said
    of many events; general usage can. Built once (~29,000 words above Zipf 3)."""
    from wordfreq import get_frequency_dict  # its word lists load on first use

    floor = 10.0 ** (rare - 9.0)  # Zipf = log10(frequency per billion words)
    out: dict[str, float] = {}
    for word, frequency in get_frequency_dict("en").items():
        if frequency > floor:
            share = (common - (math.log10(frequency) + 9.0)) / (common - rare)
            out[word] = 0.0 if share < 0.0 else share
    return out


def centroid_terms(centroid: tuple[Any, ...]) -> dict[str, float]:
    """The flat stored centroid ``(term, q, term, q, ...)`` as term -> weight."""
    return {term: q / _QUANT for term, q in zip(centroid[::2], centroid[1::2])}


def flat_centroid(weights: dict[str, float], keep: int) -> tuple[Any, ...]:
    """The ``keep`` heaviest terms of ``weights`` (re-normalised to a top weight of 1), flat and quantised."""
    if not weights:
        return ()
    top = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:keep]
    scale = _QUANT / top[0][1]
    out: list[Any] = []
    for term, w in top:
        q = int(round(w * scale))
        if q > 0:
            out += (term, q)
    return tuple(out)


def mean_centroid(parts: list[tuple[dict[str, float], int]]) -> dict[str, float]:
    """Mean of unit-length vectors weighted by article counts (``(weights, count)`` each), unit length."""
    acc: dict[str, float] = {}
    for weights, count in parts:
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for term, w in weights.items():
            acc[term] = acc.get(term, 0.0) + count * w / norm
    norm = math.sqrt(sum(w * w for w in acc.values())) or 1.0
    return {term: w / norm for term, w in acc.items()}
