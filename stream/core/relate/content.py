"""Content vectors of the relate stage: what an article says, beside the tags it carries.

An article's vector is the sublinear term frequency (1 + ln tf) of its word tokens (lowercased,
function words dropped), L2-normalised; IDF is applied at scoring time from the live stories'
centroids (``Relator._term_df``), so it follows the window. A story's centroid is the running mean
of its articles' vectors, kept to its ``story_terms`` heaviest terms with weights quantised to
small integers (Python caches them: a centroid costs one tuple, no float objects).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from itertools import chain, compress, filterfalse, repeat
from operator import add, mul, truediv
from pathlib import Path
from typing import Any

_STOPWORDS_FILE = Path(__file__).parents[1] / "normalize" / "data" / "stopwords_en.txt"
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
# _WORD's matches of two characters or more (the lookahead refuses a one-character word where
# _WORD would match it, and findall then goes on from the next character, as after that match)
_TOKEN = re.compile(r"(?=[^\W_](?:[^\W_]|['’-][^\W_]))" + _WORD.pattern)
# The same for ASCII text, where ``[^\W_]`` is ``[a-z0-9]`` once lowercased: a plain class is
# cheaper for the regex engine than the Unicode category test (most news text is ASCII).
_ASCII_TOKEN = re.compile(r"(?=[a-z0-9](?:[a-z0-9]|['\-][a-z0-9]))[a-z0-9]+(?:['\-][a-z0-9]+)*")
_TF = [0.0, 1.0]
_QUANT = 250  # a centroid weight in (0, 1] is stored as an int in 1..250


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    lines = _STOPWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


def content_vector(text: str, max_chars: int, usage: dict[str, float] | None = None, keep: int = 0) -> dict[str, float]:
    """Unit-length sublinear-TF vector of ``text``'s first ``max_chars`` characters (the lead carries
    what the story is about; the tail of a long page adds cost, not signal). With ``keep``, only the
    ``keep`` terms heaviest by TF times their ``usage`` factor (see usage_factors) are kept."""
    # Per article this runs over ~150 distinct words: the loops are map/filter/sorted in C, not
    # Python-level (the same arithmetic, in the same order, as the plain loops would do).
    lead = text[:max_chars].lower()
    # words of 2+ characters, first-seen order
    counts = Counter((_ASCII_TOKEN if lead.isascii() else _TOKEN).findall(lead))
    terms = list(filterfalse(_stopwords().__contains__, counts))
    if not terms:
        return {}
    tf = _sublinear_tf(max(counts.values()))
    weights = list(map(tf.__getitem__, map(counts.__getitem__, terms)))
    if keep and len(terms) > keep:
        keys = dict(zip(terms, map(mul, weights, map((usage or {}).get, terms, repeat(1.0)))))
        # the heaviest by (TF x usage, term), as heapq.nlargest ranks those distinct pairs: by term,
        # then stably by key (two sorts on plain keys are cheaper than one on tuples)
        terms = sorted(sorted(terms, reverse=True), key=keys.__getitem__, reverse=True)[:keep]
        tf_of = dict(zip(keys, weights)).__getitem__
        weights = list(map(tf_of, terms))
    norm = math.sqrt(sum(map(mul, weights, weights)))
    return dict(zip(terms, map(truediv, weights, repeat(norm))))


def _sublinear_tf(largest: int) -> list[float]:
    """1 + ln(n) for n = 0..largest (index 0 unused), grown and kept between calls."""
    table = _TF
    while len(table) <= largest:
        table.append(1.0 + math.log(len(table)))
    return table


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
    return dict(zip(centroid[::2], map(truediv, centroid[1::2], repeat(_QUANT))))


def flat_centroid(weights: dict[str, float], keep: int) -> tuple[Any, ...]:
    """The ``keep`` heaviest terms of ``weights`` (re-normalised to a top weight of 1), flat and quantised."""
    if not weights:
        return ()
    # heaviest first, ties by term (as sorting (-weight, term) pairs): by term, then stably by weight
    # (two sorts on plain keys are cheaper than one on tuples)
    terms = sorted(sorted(weights), key=weights.__getitem__, reverse=True)[:keep]
    top = list(map(weights.__getitem__, terms))
    scale = _QUANT / top[0]
    quantised = list(map(round, map(mul, top, repeat(scale))))
    return tuple(chain.from_iterable(compress(zip(terms, quantised), map((0).__lt__, quantised))))


def mean_centroid(parts: list[tuple[dict[str, float], int]]) -> dict[str, float]:
    """Mean of unit-length vectors weighted by article counts (``(weights, count)`` each), unit length."""
    acc: dict[str, float] = {}
    for weights, count in parts:
        values = weights.values()
        norm = math.sqrt(sum(map(mul, values, values))) or 1.0
        shares = map(truediv, map(mul, repeat(count), values), repeat(norm))  # count * w / norm
        # each term once per part, so reading acc while it is updated sees the sum before this part
        acc.update(zip(weights, map(add, map(acc.get, weights, repeat(0.0)), shares)))
    values = acc.values()
    norm = math.sqrt(sum(map(mul, values, values))) or 1.0
    return dict(zip(acc, map(truediv, values, repeat(norm))))
