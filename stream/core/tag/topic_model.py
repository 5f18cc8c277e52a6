"""Topics from a trained linear model over words and word pairs, scored with numpy.

The model is a data file, ``data/topic_model.npz``, written by ``article-stream train topics``
(``stream/train/topics.py``, scikit-learn, not needed at run time):

* ``vocab``: the features, one per line: a word (``striker``) or a word pair (``prime minister``);
* ``idf`` [V], ``weights`` [V, C] (float16), ``bias`` [C]: one-vs-rest logistic regressions over
  L2-normalised ``log(1 + count) * idf`` features of the title (counted twice) and the body;
* ``platt`` [C, 2]: per-topic Platt scaling ``p = 1 / (1 + exp(-(a * z + b)))`` fitted on
  held-out folds, so a score is a probability a consumer can put a threshold on (a topic's
  examples never weigh more than the others in training and calibration: the corpora's
  economy majority is no stream's mix);
* ``floor``: below it the best top-level topic is more often wrong than right on held-out data,
  and the article gets no topic (an honest "unknown") rather than a wrong one;
* ``classes``, ``version``.

Evidence: each topic carries the spans of the terms that contribute most to its score, found in
the title or body; a topic with no positive term present is not emitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from importlib import resources
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
_WORD = re.compile(r"[a-z][a-z0-9]*")
# The topic of a news story is plain from its title and first few paragraphs; a cap bounds the cost.
MAX_BODY_WORDS = 200
_BODY_PREFIX = 1500  # characters that hold MAX_BODY_WORDS words in most bodies (about 1,250 in news)
TITLE_REPEAT = 2
MAX_EVIDENCE = 3


def terms(title_low: str, body_low: str) -> list[str]:
    """Features of a folded title and body (``matcher.fold``): words and adjacent word pairs."""
    out: list[str] = []
    t = _WORD.findall(title_low)
    if t:
        pairs = list(map(" ".join, zip(t, t[1:], strict=False)))
        out = (t + pairs) * TITLE_REPEAT
    b = _WORD.findall(body_low, 0, MAX_BODY_WORDS * 16)[:MAX_BODY_WORDS]  # no need to split the rest
    out += b
    out += map(" ".join, zip(b, b[1:], strict=False))
    return out


@dataclass(slots=True)
class TopicScores:
    probs: np.ndarray  # calibrated probability per class
    index: np.ndarray  # feature indexes present
    values: np.ndarray  # their feature values
    rows: np.ndarray | None = None  # their weight rows [len(index), C], when kept from scoring


class TopicModel:
    def __init__(self, vocab: list[str], idf: np.ndarray, weights: np.ndarray, bias: np.ndarray,
                 platt: np.ndarray, classes: list[str], floor: float, meta: dict | None = None) -> None:
        self.vocab = vocab
        self.index = {t: i for i, t in enumerate(vocab)}
        self._build_key_index()
        self.idf = np.asarray(idf, dtype=np.float32)
        weights = np.asarray(weights, dtype=np.float16)  # as stored
        # Scoring gathers an article's few hundred weight rows from the whole matrix: in a stream, other
        # work has evicted it from the CPU caches, so each row costs a memory read. Held as float16 in
        # rows padded to 32 columns (64 bytes: one cache line a row, not two as float32 rows took) and
        # converted after the gather: the same float32 values as converting the whole matrix.
        width = -(-weights.shape[1] // 32) * 32 if weights.ndim == 2 and weights.shape[1] else 0
        # The buffer starts on a 64-byte boundary, so that no row straddles two cache lines.
        buffer = np.zeros(weights.shape[0] * width + 32, dtype=np.float16)
        skip = (-buffer.ctypes.data % 64) // 2
        self._w16 = buffer[skip:skip + weights.shape[0] * width].reshape(weights.shape[0], width)
        self._w16[:, :weights.shape[1]] = weights
        self.weights = self._w16[:, :weights.shape[1]]  # as stored (a view of the padded rows)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.platt = np.asarray(platt, dtype=np.float32)
        self._platt_a, self._platt_b = self.platt[:, 0].copy(), self.platt[:, 1].copy()  # contiguous, sliced once
        self.classes = list(classes)
        self.class_index = {c: i for i, c in enumerate(self.classes)}
        self.floor = float(floor)
        self.meta = meta or {}

    # -- persistence ----------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path, vocab=np.array("\n".join(self.vocab)), idf=self.idf, weights=self.weights, bias=self.bias,
            platt=self.platt, classes=np.array("\n".join(self.classes)), floor=np.float32(self.floor),
            version=np.int32(FORMAT_VERSION),
        )

    @classmethod
    def load(cls, path) -> TopicModel:
        with np.load(path, allow_pickle=False) as z:
            if int(z["version"]) != FORMAT_VERSION:
                raise ValueError(f"{path}: topic model format {int(z['version'])}, expected {FORMAT_VERSION}")
            return cls(str(z["vocab"]).split("\n"), z["idf"], z["weights"], z["bias"], z["platt"],
                       str(z["classes"]).split("\n"), float(z["floor"]))

    # -- scoring --------------------------------------------------------------------------------

    def decision(self, feats: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(raw scores z [C], feature indexes, feature values) of a list of terms."""
        return self.decision_of_ids([i for i in map(self.index.get, feats) if i is not None])

    def decision_of_ids(self, ids: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if not ids:
            return self.bias.copy(), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        idx, counts = np.unique(np.array(ids, dtype=np.int64), return_counts=True)
        x = np.log1p(counts.astype(np.float32)) * self.idf[idx]
        x /= np.sqrt(float(x @ x))
        return x @ self._rows(idx) + self.bias, idx, x

    def _rows(self, idx: np.ndarray) -> np.ndarray:
        """The float32 weight rows of features ``idx`` [len(idx), C], C-contiguous."""
        return self._w16.take(idx, axis=0)[:, :self.weights.shape[1]].astype(np.float32, order="C")

    def calibrate(self, z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self._platt_a * z + self._platt_b)))

    # -- fast scoring -----------------------------------------------------------------------------
    # An article's features are found without building a string per word: each vocabulary word
    # gets an integer code (0 for any other word); a single word's feature is one array lookup,
    # and a word pair whose words can begin and end a vocabulary pair is the key ``a * n + b``,
    # looked up with one ``searchsorted`` (queries sorted first: far fewer cache misses). Counts,
    # values and scores are then computed exactly as ``decision_of_ids`` does (same sorted
    # indexes, same float32 operations): the probabilities are bit-identical.

    def _build_key_index(self) -> None:
        codes: dict[str, int] = {}
        for term in self.vocab:
            for word in term.split(" "):
                codes.setdefault(word, len(codes) + 1)
        n = len(codes) + 1
        single_id = np.full(n, -1, dtype=np.int64)
        is_head = np.zeros(n, dtype=bool)
        is_tail = np.zeros(n, dtype=bool)
        pair_keys, pair_ids = [], []
        for i, term in enumerate(self.vocab):
            a, _, b = term.partition(" ")
            if b:
                is_head[codes[a]] = is_tail[codes[b]] = True
                pair_keys.append(codes[a] * n + codes[b])
                pair_ids.append(i)
            else:
                single_id[codes[a]] = i
        order = np.argsort(np.array(pair_keys, dtype=np.int64), kind="stable")
        # A sentinel past every real key: a ``searchsorted`` position is always a valid index.
        self._pair_keys = np.append(np.array(pair_keys, dtype=np.int64)[order], np.iinfo(np.int64).max)
        self._pair_ids = np.array(pair_ids, dtype=np.int64)[order]
        self._single_id, self._is_head, self._is_tail = single_id, is_head, is_tail
        self._codes, self._n_codes = codes, n

    def _words(self, title_low: str, body_low: str) -> list[str]:
        """The title's words TITLE_REPEAT times and the body's first MAX_BODY_WORDS, with an empty
        word between the parts so that no pair spans two of them (as ``terms`` builds them)."""
        title = _WORD.findall(title_low)
        # Most bodies give their first MAX_BODY_WORDS words in a short prefix: read only that.
        body = _WORD.findall(body_low, 0, _BODY_PREFIX)
        if len(body) <= MAX_BODY_WORDS and len(body_low) > _BODY_PREFIX:
            body = _WORD.findall(body_low, 0, MAX_BODY_WORDS * 16)
        words = (title + [""]) * TITLE_REPEAT if title else []
        words += body[:MAX_BODY_WORDS]
        return words

    def _feature_array(self, title_low: str, body_low: str) -> np.ndarray:
        """Vocabulary indexes of ``terms(title_low, body_low)`` (a multiset, in no fixed order)."""
        words = self._words(title_low, body_low)
        if not words:
            return np.empty(0, dtype=np.int64)
        c = np.fromiter(map(self._codes.get, words, repeat(0)), dtype=np.int64, count=len(words))
        # Arrays of a few hundred entries: ``take`` and the array methods, in place where the result
        # is new anyway, cost less than fancy indexing and the ``np.`` wrappers' dispatch.
        singles = self._single_id.take(c)
        singles = singles[singles >= 0]
        heads, tails = c[:-1], c[1:]
        maybe_pair = self._is_head.take(heads)
        maybe_pair &= self._is_tail.take(tails)
        keys = heads[maybe_pair]
        keys *= self._n_codes
        keys += tails[maybe_pair]
        keys.sort()
        pos = self._pair_keys.searchsorted(keys)
        return np.concatenate((singles, self._pair_ids.take(pos[self._pair_keys.take(pos) == keys])))

    def feature_ids(self, title_low: str, body_low: str) -> list[int]:
        """Vocabulary indexes of ``terms(title_low, body_low)``."""
        return self._feature_array(title_low, body_low).tolist()

    def score(self, title_low: str, body_low: str) -> TopicScores:
        ids = self._feature_array(title_low, body_low)
        if not len(ids):
            z, idx, x = self.decision_of_ids([])
            return TopicScores(self.calibrate(z), idx, x)
        # ``np.unique(ids, return_counts=True)`` without its overhead: sort, then run starts.
        ids.sort()
        first = np.empty(len(ids), dtype=bool)
        first[0] = True
        np.not_equal(ids[1:], ids[:-1], out=first[1:])
        starts = first.nonzero()[0]
        idx = ids.take(starts)
        # Run lengths; ``np.diff(starts, append=...)`` gives the same at several times the cost.
        counts = np.empty(len(starts), dtype=np.int64)
        np.subtract(starts[1:], starts[:-1], out=counts[:-1])
        counts[-1] = len(ids) - starts[-1]
        x = np.log1p(counts.astype(np.float32))
        x *= self.idf.take(idx)
        x /= np.sqrt(float(x @ x))
        rows = self._rows(idx)
        z = x @ rows
        z += self.bias
        return TopicScores(self.calibrate(z), idx, x, rows)

    def strongest_terms(self, scores: TopicScores, topic: str, k: int = MAX_EVIDENCE) -> list[str]:
        """The ``k`` present terms that add most to ``topic``'s score (positive contributions only)."""
        c = self.class_index[topic]
        weights = scores.rows[:, c] if scores.rows is not None else self._rows(scores.index)[:, c]
        col = scores.values * weights  # each present feature's contribution
        order = (-col).argsort()[:k]
        # Python values for the few top ones: no numpy scalar per comparison.
        out = []
        for contribution, i in zip(col[order].tolist(), scores.index[order].tolist(), strict=True):
            if contribution <= 0:
                break
            out.append(self.vocab[i])
        return out


_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_WORD_CHARS = _LOWER | frozenset("0123456789")


def term_span(term: str, low: str) -> tuple[int, int] | None:
    """Where a feature term occurs in folded text: its words, each not inside a longer word, the
    words of a pair with anything but letters between them (features skip numbers and punctuation).

    ``str.find`` and character tests, not a regex per term: a stream meets more distinct terms than
    any regex cache holds, and compiling one cost more than the search."""
    words = term.split(" ")
    first = words[0]
    i = low.find(first)
    while i >= 0:
        if not i or low[i - 1] not in _WORD_CHARS:
            end = _rest_of_term(words, low, i + len(first))
            if end >= 0:
                return i, end
        i = low.find(first, i + 1)
    return None


def _rest_of_term(words: list[str], low: str, pos: int) -> int:
    """End of the term whose first word ends at ``pos``, or -1. A word starts with a letter, so the
    non-letters between two words are all skipped (a regex's ``[^a-z]+`` has no other way to match)."""
    n = len(low)
    for word in words[1:]:
        start = pos
        while pos < n and low[pos] not in _LOWER:
            pos += 1
        if pos == start or not low.startswith(word, pos):
            return -1
        pos += len(word)
    return pos if pos == n or low[pos] not in _WORD_CHARS else -1


MODEL_FILE = "topic_model.npz"


@lru_cache(maxsize=1)
def load_packaged_model() -> TopicModel | None:
    """The model shipped in ``data/``; None when it has not been built (the word lists then decide)."""
    ref = resources.files("stream.core.tag") / "data" / MODEL_FILE
    if not ref.is_file():
        return None
    with resources.as_file(ref) as path:
        return TopicModel.load(path)
