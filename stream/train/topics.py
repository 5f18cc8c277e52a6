"""Train the topic classifier (``article-stream train topics``); needs the ``train`` extra (scikit-learn).

Sources (``../shared/eval-data``), each mapped onto the taxonomy by ``data/label_map.tsv``:

* ``bbc``: BBC News, one folder per topic;
* ``reuters``: Reuters-21578 ``LEWISSPLIT="TRAIN"`` documents with TOPICS categories (TEST is never read);
* ``weak``: unlabelled news texts labelled by the word lists (``topic_lexicon.tsv``) where they are
  confident: Reuters-21578 TRAIN documents without a TOPICS category, and the story corpora kept for
  fitting (``ecbplus_train``, ``fcc_train``). They teach the topics the labelled corpora cover thinly.

Every text goes through validate and normalize as the product sees it, then through the run-time
featuriser (``topic_model.terms``), so training and scoring read the same words.

Model: one-vs-rest logistic regression (liblinear) per taxonomy topic with enough examples; a
label that names only a top-level topic says nothing about its sub-topics (those examples are left
out of the sub-topic's training rather than counted as negatives). Calibration: Platt scaling on
5-fold out-of-fold scores. Folds are fixed by a hash of the document id, so a retrain from the same
data gives the same model.
"""

from __future__ import annotations

import json
import time
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson

from stream.config import Settings
from stream.core.normalize import normalize
from stream.core.tag.matcher import fold
from stream.core.tag.resources import load_resources
from stream.core.tag.topic_model import TopicModel, terms
from stream.core.validate import Rejected, decode_raw
from stream.eval.corpora import bbc_wire, iter_bbc, iter_reuters, reuters_wire, story_wire

DATA = Path(__file__).parent / "data"
MODEL_PATH = Path(__file__).parents[1] / "core" / "tag" / "data" / "topic_model.npz"
REPORT_PATH = Path(__file__).parents[1] / "core" / "tag" / "data" / "topic_model.json"

FOLDS = 5
MIN_DF = 3
MIN_POSITIVES = 15  # a topic with fewer examples is left to publisher tags
MAX_VOCAB = 40_000  # features kept in the artifact, by the largest weight they carry
C = 8.0  # inverse regularisation (liblinear)
# Example weights: Reuters-21578 is three times BBC's size and all economy; at full weight it makes
# "economy" the answer for any text the model knows little about. A word-list label counts less
# than a hand label, except on the story corpora, the only source for several thin topics.
SOURCE_WEIGHT = {"bbc": 1.0, "reuters": 0.3}
WEAK_WEIGHT = {"reuters": 0.2, "ecbplus_train": 1.0, "fcc_train": 1.0}
WEAK_MIN_SCORE = 0.45  # word-list topics at or above this score become weak labels
WEAK_STORY_CORPORA = ("ecbplus_train", "fcc_train")
FLOOR_BOUNDS = (0.1, 0.5)
# Class-prior correction (logit adjustment), the same in every fit: each top-level topic's bias
# loses LOGIT_ADJUST * log(its share of the weighted training set). Reuters' economy majority
# otherwise makes "economy" the answer for whatever a model knows little of. Platt calibration on
# held-out folds refits each bias, so calibrated models (the packaged one, the k-fold ones) are
# unchanged; it counts for a model fitted without calibration folds (the cross-corpus eval's).
# Measured, trained without BBC text, top-topic accuracy on BBC: none .648, 1.0 .747 (0.5: .770).
# Re-weighting the examples instead cost BBC 5-fold accuracy: capping economy at the second
# topic's total weight .964 -> .945, equal totals for every topic -> .903.
LOGIT_ADJUST = 1.0


@dataclass(slots=True)
class Example:
    id: str
    source: str  # bbc, reuters, weak
    origin: str  # corpus the text came from
    feats: list[str]
    labels: frozenset[str]
    unknown: frozenset[str]  # topics this label says nothing about
    weight: float
    wire: dict = field(default_factory=dict)  # the record as sent, for the product-path eval


def load_label_map(path: Path = DATA / "label_map.tsv") -> dict[tuple[str, str], tuple[str, ...]]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        source, label, topics = line.split("\t")
        out[(source, label)] = () if topics.strip() == "-" else tuple(t.strip() for t in topics.split(","))
    return out


def _expand(topics: Iterable[str], parent_of: dict[str, str | None], children: dict[str, set[str]]) -> tuple[frozenset, frozenset]:
    """(labels with their parents, sub-topics the labels leave open)."""
    labels = set()
    for t in topics:
        labels.add(t)
        if parent_of.get(t):
            labels.add(parent_of[t])
    unknown = set()
    for t in labels:
        if not parent_of.get(t) and not (children.get(t, set()) & labels):
            unknown |= children.get(t, set())
    return frozenset(labels), frozenset(unknown)


def _fold_of(doc_id: str) -> int:
    return zlib.crc32(doc_id.encode()) % FOLDS


class _Prep:
    """validate -> normalize -> features, as the product reads a record."""

    def __init__(self) -> None:
        self.settings = Settings()

    def __call__(self, record: dict):
        try:
            raw = decode_raw(orjson.dumps(record), max_message_bytes=self.settings.max_message_bytes,
                             max_body_bytes=self.settings.max_body_bytes)
            article = normalize(raw, self.settings.core().normalize)
        except (Rejected, ValueError):
            return None
        return article


def build_examples(data: Path, sources: Iterable[str] = ("bbc", "reuters", "weak"), log=print) -> list[Example]:
    """Training examples, in a fixed order: BBC categories, Reuters TRAIN topics, then weak labels
    (the word lists' confident topics) on unlabelled Reuters TRAIN and the story corpora."""
    res = load_resources()
    mapping = _checked_label_map(res)
    examples = _Examples(res)
    sources = set(sources)
    if "bbc" in sources:
        for doc in iter_bbc(data / "bbc-news"):
            examples.add(bbc_wire(doc), "bbc", "bbc", mapping[("bbc", doc.category)], SOURCE_WEIGHT["bbc"])
    unlabelled = _reuters_train(data, mapping, examples, labelled="reuters" in sources)
    if "weak" in sources:
        _add_weak(examples, unlabelled + _story_records(data))
    log(f"examples: {len(examples.items)} ({dict(Counter(e.source for e in examples.items))})")
    return examples.items


def _checked_label_map(res) -> dict[tuple[str, str], tuple[str, ...]]:
    mapping = load_label_map()
    for topics in mapping.values():
        for t in topics:
            if t not in res.topics:
                raise ValueError(f"label_map.tsv: unknown topic {t!r}")
    return mapping


class _Examples:
    """Collects examples: each record prepared as the worker would, its topics expanded to their parents."""

    def __init__(self, res) -> None:
        self.parent_of = {t.id: t.parent for t in res.topics.values()}
        self.children: dict[str, set[str]] = defaultdict(set)
        for t in res.topics.values():
            if t.parent:
                self.children[t.parent].add(t.id)
        self.prep = _Prep()
        self.items: list[Example] = []

    def add(self, record: dict, source: str, origin: str, topics: Iterable[str], weight: float, article=None) -> None:
        article = article or self.prep(record)
        if article is None:
            return
        labels, unknown = _expand(topics, self.parent_of, self.children)
        if not labels:
            return
        self.items.append(Example(record["id"], source, origin, terms(fold(article.title or ""), fold(article.body or "")),
                                  labels, unknown, weight, record))


def _reuters_train(data: Path, mapping, examples: _Examples, *, labelled: bool) -> list[tuple[dict, str]]:
    """Adds the TRAIN documents whose TOPICS map to ours (when ``labelled``); returns those without
    TOPICS, the weak labels' pool."""
    unlabelled: list[tuple[dict, str]] = []
    for doc in iter_reuters(data / "reuters21578"):
        if doc.split != "TRAIN" or not doc.body.strip():
            continue
        if not doc.topics:
            unlabelled.append((reuters_wire(doc), "reuters"))
            continue
        topics = [t for cat in doc.topics for t in mapping.get(("reuters", cat), ())]
        if labelled and topics:
            examples.add(reuters_wire(doc), "reuters", "reuters", topics, SOURCE_WEIGHT["reuters"])
    return unlabelled


def _story_records(data: Path) -> list[tuple[dict, str]]:
    records = []
    for name in WEAK_STORY_CORPORA:
        path = data / "stories" / f"{name}.jsonl"
        if path.is_file():
            records.extend((story_wire(json.loads(line), name), name) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return records


def _add_weak(examples: _Examples, pool: list[tuple[dict, str]]) -> None:
    from stream.core.tag import Tagger

    lexicon = Tagger(topic_model=None)
    parent_of = examples.parent_of
    for record, origin in pool:
        article = examples.prep(record)
        if article is None:
            continue
        tagging = lexicon.tag(article)
        # Confident top-level topics, and the sub-topics the word lists chose under them.
        tops = {t.id for t in tagging.topics if not parent_of.get(t.id) and t.score >= WEAK_MIN_SCORE}
        if tops:
            topics = [t.id for t in tagging.topics if t.id in tops or parent_of.get(t.id) in tops]
            examples.add(record, "weak", origin, topics, WEAK_WEIGHT[origin], article)


# ------------------------------------------------------------------------------------------- fit


def _vectorize(examples: list[Example], vocab: dict[str, int] | None = None):
    from scipy.sparse import csr_matrix

    if vocab is None:
        df = Counter()
        for e in examples:
            df.update(set(e.feats))
        vocab = {t: i for i, t in enumerate(sorted(t for t, n in df.items() if n >= MIN_DF))}
        idf = np.zeros(len(vocab), dtype=np.float32)
        n = len(examples)
        for t, i in vocab.items():
            idf[i] = np.log((1 + n) / (1 + df[t])) + 1.0
    else:
        idf = None
    rows, cols, vals = [], [], []
    for r, e in enumerate(examples):
        c = Counter(i for i in map(vocab.get, e.feats) if i is not None)
        rows.extend([r] * len(c))
        cols.extend(c.keys())
        vals.extend(c.values())
    X = csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(examples), len(vocab)))
    X.sum_duplicates()
    X.sort_indices()
    return X, vocab, idf


def _tfidf(X, idf):
    from sklearn.preprocessing import normalize as l2

    X = X.copy()
    X.data = np.log1p(X.data)
    X = X.multiply(idf).tocsr()
    return l2(X)


def _classes(examples: list[Example], topics_order: list[str]) -> list[str]:
    pos = Counter(t for e in examples for t in e.labels)
    return [t for t in topics_order if pos[t] >= MIN_POSITIVES]


def _top_topics(e: Example, parent_of: dict[str, str | None]) -> list[str]:
    return sorted(t for t in e.labels if not parent_of.get(t))


def priors(examples: list[Example], w: np.ndarray, parent_of: dict[str, str | None]) -> dict[str, float]:
    """Share of the weighted training set each top-level topic holds (a multi-topic example's
    weight split evenly)."""
    total: Counter = Counter()
    for e, x in zip(examples, w, strict=True):
        tops = _top_topics(e, parent_of)
        for t in tops:
            total[t] += x / len(tops)
    s = sum(total.values())
    return {t: v / s for t, v in total.items()}


def fit(examples: list[Example], classes: list[str]) -> tuple[dict[str, int], np.ndarray, np.ndarray, np.ndarray]:
    """(vocab, idf, weights [V, C], bias [C]) of one-vs-rest logistic regressions."""
    from sklearn.linear_model import LogisticRegression

    parent_of = {t.id: t.parent for t in load_resources().topics.values()}
    counts, vocab, idf = _vectorize(examples)
    X = _tfidf(counts, idf)
    W = np.zeros((len(vocab), len(classes)), dtype=np.float64)
    b = np.zeros(len(classes))
    base_w = np.array([e.weight for e in examples])
    for j, c in enumerate(classes):
        y = np.array([c in e.labels for e in examples])
        w = base_w * np.array([c not in e.unknown for e in examples])
        if y[w > 0].all() or not y[w > 0].any():
            b[j] = 10.0 if y[w > 0].all() else -10.0
            continue
        w = balanced(w, y)
        clf = LogisticRegression(C=C, solver="liblinear", max_iter=200, random_state=0)
        clf.fit(X, y, sample_weight=w)
        W[:, j] = clf.coef_[0]
        b[j] = clf.intercept_[0]
    prior = priors(examples, base_w, parent_of)
    for j, c in enumerate(classes):
        if LOGIT_ADJUST and c in prior:
            b[j] -= LOGIT_ADJUST * np.log(prior[c])
    # Keep the features that carry weight: |w| * idf, the most a feature can move a score.
    strength = np.abs(W).max(axis=1) * idf
    keep = np.sort(np.argsort(-strength)[:MAX_VOCAB])
    terms_by_index = sorted(vocab, key=vocab.get)
    kept_vocab = {terms_by_index[i]: k for k, i in enumerate(keep)}
    return kept_vocab, idf[keep], W[keep].astype(np.float16), b.astype(np.float32)


def balanced(w: np.ndarray, y: np.ndarray) -> np.ndarray:
    """A topic's examples weigh at most as much as the others.

    The corpora's mix is no stream's mix (Reuters-21578 alone makes most examples economy): left
    as is, "economy" is the answer for whatever text the model knows little about. Rare topics
    are not weighted up: that trades their precision away (measured: 5-fold precision of the thin
    topics fell to 0.02-0.3 and BBC top-topic accuracy from 0.971 to 0.932)."""
    pos, neg = w[y].sum(), w[~y].sum()
    return np.where(y, w * (neg / pos), w) if pos > neg else w


def _platt(z: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    mask = w > 0
    if y[mask].all() or not y[mask].any():
        return 1.0, 0.0
    lr = LogisticRegression(C=1e4, solver="lbfgs")
    lr.fit(z[mask, None], y[mask], sample_weight=balanced(w[mask], y[mask]))
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _model(parts, classes: list[str], platt: np.ndarray, floor: float, meta: dict | None = None) -> TopicModel:
    vocab, idf, W, b = parts
    return TopicModel(sorted(vocab, key=vocab.get), idf, W, b, platt, classes, floor, meta)


@dataclass
class TrainResult:
    model: TopicModel
    fold_models: list[TopicModel]  # fold k: trained without the examples of fold k
    folds: dict[str, int]  # example id -> fold
    oof_probs: dict[str, np.ndarray]  # example id -> calibrated held-out probabilities
    examples: list[Example]
    classes: list[str]
    report: dict


def _raw_scores(model_parts, classes, examples: list[Example]) -> np.ndarray:
    m = _model(model_parts, classes, np.tile([1.0, 0.0], (len(classes), 1)), 0.0)
    return np.array([m.decision(e.feats)[0] for e in examples])


def choose_floor(probs: np.ndarray, correct: np.ndarray) -> float:
    """The probability under which the best top-level topic is right less than half the time
    (held-out, labelled examples): below it, "unknown" is the honest answer."""
    floor = FLOOR_BOUNDS[0]
    for t in np.arange(FLOOR_BOUNDS[0], FLOOR_BOUNDS[1] + 1e-9, 0.05):
        band = (probs >= t - 0.05) & (probs < t)
        if band.sum() >= 10 and correct[band].mean() < 0.5:
            floor = float(t)
    return round(floor, 2)


def train(examples: list[Example], with_folds: bool = True, log=print) -> TrainResult:
    res = load_resources()
    parent_of = {t.id: t.parent for t in res.topics.values()}
    classes = _classes(examples, list(res.topics))
    top_classes = [i for i, c in enumerate(classes) if not parent_of.get(c)]
    y = np.array([[c in e.labels for c in classes] for e in examples])
    w = np.array([[e.weight * (c not in e.unknown) for c in classes] for e in examples])
    fold = np.array([_fold_of(e.id) for e in examples])
    z_oof = np.zeros((len(examples), len(classes)))
    fold_parts = []
    t0 = time.perf_counter()
    for k in range(FOLDS if with_folds else 0):
        train_idx = np.flatnonzero(fold != k)
        test_idx = np.flatnonzero(fold == k)
        parts = fit([examples[i] for i in train_idx], classes)
        z_oof[test_idx] = _raw_scores(parts, classes, [examples[i] for i in test_idx])
        fold_parts.append(parts)
        log(f"  fold {k + 1}/{FOLDS} fitted ({time.perf_counter() - t0:.0f}s)")
    full = fit(examples, classes)
    log(f"  full model fitted ({time.perf_counter() - t0:.0f}s)")
    if not with_folds:
        platt = np.tile([1.0, 0.0], (len(classes), 1))
        model = _model(full, classes, platt, FLOOR_BOUNDS[0])
        return TrainResult(model, [], {}, {}, examples, classes, {})

    def calibrate(mask: np.ndarray) -> np.ndarray:
        return np.array([_platt(z_oof[mask, j], y[mask, j], w[mask, j]) for j in range(len(classes))])

    platt_all = calibrate(np.ones(len(examples), dtype=bool))
    probs_oof = np.zeros_like(z_oof)
    fold_platt = []
    for k in range(FOLDS):
        pk = calibrate(fold != k)  # fold k's calibration never sees fold k's labels
        fold_platt.append(pk)
        m = fold == k
        probs_oof[m] = 1.0 / (1.0 + np.exp(-(pk[:, 0] * z_oof[m] + pk[:, 1])))
    labelled = np.array([e.source != "weak" for e in examples])
    has_top = y[:, top_classes].any(axis=1)
    best = np.array(top_classes)[probs_oof[:, top_classes].argmax(axis=1)]
    best_p = probs_oof[np.arange(len(examples)), best]
    correct = y[np.arange(len(examples)), best]
    sel = labelled & has_top
    floor = choose_floor(best_p[sel], correct[sel])
    fold_models = [_model(fold_parts[k], classes, fold_platt[k], floor) for k in range(FOLDS)]
    model = _model(full, classes, platt_all, floor)
    report = _report(examples, classes, y, w, probs_oof, best, best_p, correct, floor, parent_of)
    return TrainResult(model, fold_models, {e.id: int(f) for e, f in zip(examples, fold, strict=True)},
                       {e.id: probs_oof[i] for i, e in enumerate(examples)}, examples, classes, report)


def _report(examples, classes, y, w, probs, best, best_p, correct, floor, parent_of) -> dict:
    by_source: dict[str, dict] = {}
    for src in sorted({e.source for e in examples}):
        m = np.array([e.source == src for e in examples])
        by_source[src] = {
            "examples": int(m.sum()),
            "origins": dict(Counter(e.origin for e in examples if e.source == src)),
            "labels": {c: int(y[m, j].sum()) for j, c in enumerate(classes) if y[m, j].any()},
            "top_topic_accuracy_5fold": round(float(correct[m].mean()), 4),
            "unknown_share": round(float((best_p[m] < floor).mean()), 4),
        }
    per_class = {}
    for j, c in enumerate(classes):
        m = w[:, j] > 0
        pred = probs[m, j] >= 0.5
        gold = y[m, j]
        tp = int((pred & gold).sum())
        per_class[c] = {"support": int(gold.sum()), "precision": round(tp / max(1, int(pred.sum())), 4),
                        "recall": round(tp / max(1, int(gold.sum())), 4)}
    return {"floor": floor, "classes": classes, "sources": by_source, "per_class_5fold": per_class}


def write(result: TrainResult, model_path: Path = MODEL_PATH, report_path: Path = REPORT_PATH) -> None:
    result.model.save(model_path)
    report_path.write_text(json.dumps(result.report, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def format_report(report: dict) -> str:
    lines = [f"calibrated floor (best top-level topic below it: no topic): {report['floor']:.2f}",
             "source      examples  5-fold top-topic acc  unknown  labels"]
    for src, r in report["sources"].items():
        top = ", ".join(f"{k}={v}" for k, v in sorted(r["labels"].items(), key=lambda kv: -kv[1])[:8])
        lines.append(f"{src:<10} {r['examples']:>9}  {r['top_topic_accuracy_5fold']:>20.3f}  {r['unknown_share']:>7.3f}  {top}")
        lines.append(f"{'':<10} from {r['origins']}")
    lines.append("topic (5-fold, p >= 0.5)                  support  precision  recall")
    for c, r in report["per_class_5fold"].items():
        lines.append(f"  {c:<40} {r['support']:>7}  {r['precision']:>9.3f}  {r['recall']:>6.3f}")
    return "\n".join(lines)
