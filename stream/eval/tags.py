"""Quality of the tag stage on labelled corpora, measured on the product's own path.

Every text is fed as a publisher sends it (``corpora.reuters_wire`` / ``bbc_wire``: title and body,
the Reuters dateline opening the body as on the wire) through ``Pipeline.prepare`` on the JSON
bytes, that is validate -> normalize -> tag, exactly as ``process`` and the worker run it.

Regions — Reuters-21578 ``PLACES``:
  * documents: the chosen ``LEWISSPLIT`` (TRAIN for tuning; TEST is held out) with at least one
    PLACES label (documents without one say nothing about regions); a document the pipeline
    rejects (a title without a body) counts with no regions;
  * gold: PLACES mapped to codes by ``data/reuters_places.tsv``;
  * predicted: the country-level regions (kind country or historic) the tagger marks ``primary``
    (PLACES lists the countries a story is about; counting every country merely mentioned once
    costs ~20 points of precision for ~7 of recall on TRAIN), with today's successor states folded
    into the 1987 state (RU -> SU, CZ -> CS, ...);
  * figures: micro P/R/F1 over all (document, code) pairs, macro P/R/F1 averaged over the codes
    that occur in the gold labels of the split.

Topics — the trained classifier (``stream/train/topics.py``) is never scored on a text it was
trained on: each training corpus is scored k-fold (a text by the fold model trained without it);
BBC News is also scored by a model trained without any BBC text (generalisation, not memory).
Top topic (highest-scored top-level topic) against the BBC folder (business -> economy,
entertainment -> arts-entertainment, politics -> politics, sport -> sport, tech ->
science-technology): accuracy, per-class recall and precision, the confusion matrix, and the share
of articles without a topic (the classifier was unsure). Reuters TRAIN topics: per-topic recall
and precision of the multi-label topics against the mapped TOPICS categories.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from stream.core.pipeline import Pipeline
from stream.core.tag import Tagger
from stream.core.tag.matcher import fold
from stream.eval.corpora import bbc_wire, iter_bbc, iter_reuters, reuters_wire

DATA = Path(__file__).parent / "data"

BBC_TO_TOPIC = {
    "business": "economy",
    "entertainment": "arts-entertainment",
    "politics": "politics",
    "sport": "sport",
    "tech": "science-technology",
}
COUNTRY_KINDS = ("country", "historic")
NO_TOPIC = "none"


def load_place_table() -> tuple[dict[str, str], dict[str, str]]:
    """(Reuters place name -> code, modern code -> 1987 code)."""
    places, folds = {}, {}
    for line in (DATA / "reuters_places.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("place\t"):
            continue
        name, code = line.split("\t")
        if name.startswith("fold:"):
            folds[name[5:]] = code
        else:
            places[name] = code
    return places, folds


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class RegionReport:
    split: str
    documents: int
    micro: PRF
    macro_precision: float
    macro_recall: float
    macro_f1: float
    per_code: dict[str, PRF] = field(default_factory=dict)
    seconds: float = 0.0
    rejected: int = 0  # documents the pipeline dead-lettered (scored with no regions)
    errors: list[RegionError] = field(default_factory=list)  # with ``errors=``: the first documents scored wrong


@dataclass
class RegionError:
    """A document whose primary countries differ from its PLACES: what was added or missed, and
    the spans the tagger had for each (a missed code with no span was never found in the text)."""

    doc_id: str
    title: str
    false_positives: dict[str, list[str]]  # code -> "text (field)" evidence spans
    false_negatives: dict[str, list[str]]  # code -> spans of a region found but not primary; [] = not found
    rejected: bool = False


@dataclass
class TopicReport:
    documents: int
    accuracy: float
    confusion: dict[str, Counter]  # gold folder -> Counter(predicted top topic)
    seconds: float = 0.0
    name: str = "BBC News"
    unknown: int = 0  # articles without a topic
    unsure: int = 0  # ...of which the classifier was unsure (best top-level topic below its floor)

    def per_class(self) -> dict[str, PRF]:
        out: dict[str, PRF] = {}
        for folder, topic in BBC_TO_TOPIC.items():
            row = self.confusion.get(folder, Counter())
            s = out[folder] = PRF()
            s.tp = row.get(topic, 0)
            s.fn = sum(row.values()) - s.tp
            s.fp = sum(r.get(topic, 0) for f, r in self.confusion.items() if f != folder)
        return out


@dataclass
class MultiLabelReport:
    name: str
    documents: int
    per_topic: dict[str, PRF]
    without_topic: int
    seconds: float = 0.0


class _Prepared:
    """``Pipeline.prepare`` on a record's JSON bytes, one pipeline per tagger."""

    def __init__(self) -> None:
        self._pipelines: dict[int, Pipeline] = {}

    def __call__(self, record: dict, tagger: Tagger):
        pipeline = self._pipelines.get(id(tagger))
        if pipeline is None:
            pipeline = self._pipelines[id(tagger)] = Pipeline(tagger=tagger)
        return pipeline.prepare(orjson.dumps(record)).enriched


def predicted_countries(tagging, folds: dict[str, str]) -> set[str]:
    return {folds.get(r.id, r.id) for r in tagging.regions if r.kind in COUNTRY_KINDS and r.primary}


def _spans(enriched, code: str, folds: dict[str, str]) -> list[str]:
    return [f"{e.text} ({e.field})" for r in enriched.regions if folds.get(r.id, r.id) == code
            for e in r.evidence]


def _count(micro: PRF, per_code: dict[str, PRF], pred: set[str], gold: set[str]) -> None:
    for codes, field in ((pred & gold, "tp"), (pred - gold, "fp"), (gold - pred, "fn")):
        for code in codes:
            setattr(micro, field, getattr(micro, field) + 1)
            setattr(per_code[code], field, getattr(per_code[code], field) + 1)


def _region_error(doc, enriched, pred: set[str], gold: set[str], folds: dict[str, str]) -> RegionError:
    return RegionError(
        doc.newid, " ".join(doc.title.split()),
        {c: _spans(enriched, c, folds) for c in sorted(pred - gold)},
        {c: _spans(enriched, c, folds) if enriched is not None else [] for c in sorted(gold - pred)},
        rejected=enriched is None)


def eval_regions(root: Path, split: str = "TRAIN", limit: int | None = None, tagger: Tagger | None = None,
                 errors: int = 0) -> RegionReport:
    """``errors``: keep the first this many documents scored wrong, with their evidence (TRAIN
    only: TEST is held out, measured and never studied)."""
    if errors and split.upper() != "TRAIN":
        raise ValueError("region errors are listed for TRAIN only: TEST is held out")
    tagger = tagger or Tagger()
    prepare = _Prepared()
    places, folds = load_place_table()
    micro = PRF()
    per_code: dict[str, PRF] = defaultdict(PRF)
    wrong: list[RegionError] = []
    n = rejected = 0
    t0 = time.perf_counter()
    for doc in iter_reuters(root):
        if doc.split != split.upper() or not doc.places:
            continue
        gold = {places[p] for p in doc.places if p in places}
        enriched = prepare(reuters_wire(doc), tagger)
        if enriched is None:
            rejected += 1
        pred = predicted_countries(enriched, folds) if enriched is not None else set()
        _count(micro, per_code, pred, gold)
        if len(wrong) < errors and pred != gold:
            wrong.append(_region_error(doc, enriched, pred, gold, folds))
        n += 1
        if limit and n >= limit:
            break
    gold_codes = [c for c, s in per_code.items() if s.tp + s.fn > 0]
    k = len(gold_codes) or 1
    return RegionReport(
        split=split.upper(), documents=n, micro=micro,
        macro_precision=sum(per_code[c].precision for c in gold_codes) / k,
        macro_recall=sum(per_code[c].recall for c in gold_codes) / k,
        macro_f1=sum(per_code[c].f1 for c in gold_codes) / k,
        per_code=dict(per_code), seconds=time.perf_counter() - t0, rejected=rejected, errors=wrong,
    )


def _unsure(tagger: Tagger, enriched) -> bool:
    """No topic because the classifier's best top-level topic is below its floor."""
    model = tagger.topic_model
    if model is None:
        return False
    probs = model.score(fold(enriched.title or ""), fold(enriched.body or "")).probs
    tops = [p for c, p in zip(model.classes, probs, strict=True) if "/" not in c]
    return bool(tops) and max(tops) < model.floor


def top_topic(tagging) -> str:
    tops = [t for t in tagging.topics if t.kind == "top"]
    return max(tops, key=lambda t: t.score).id if tops else NO_TOPIC


def eval_topics(root: Path, limit_per_category: int | None = None, tagger: Tagger | None = None,
                tagger_for: Callable[[str], Tagger | None] | None = None, name: str = "BBC News") -> TopicReport:
    """Top topic of each BBC article through the product path. ``tagger_for(record id)``: the tagger
    to score that article with (a fold model that never saw it); None skips the article."""
    tagger = tagger or (None if tagger_for else Tagger())
    prepare = _Prepared()
    confusion: dict[str, Counter] = defaultdict(Counter)
    seen: Counter = Counter()
    correct = n = unknown = unsure = 0
    t0 = time.perf_counter()
    for doc in iter_bbc(root):
        if limit_per_category and seen[doc.category] >= limit_per_category:
            continue
        record = bbc_wire(doc)
        use = tagger_for(record["id"]) if tagger_for else tagger
        if use is None:
            continue
        seen[doc.category] += 1
        enriched = prepare(record, use)
        predicted = top_topic(enriched) if enriched is not None else NO_TOPIC
        unknown += predicted == NO_TOPIC
        unsure += predicted == NO_TOPIC and enriched is not None and _unsure(use, enriched)
        confusion[doc.category][predicted] += 1
        correct += predicted == BBC_TO_TOPIC[doc.category]
        n += 1
    return TopicReport(documents=n, accuracy=correct / n if n else 0.0, confusion=dict(confusion),
                       seconds=time.perf_counter() - t0, name=name, unknown=unknown, unsure=unsure)


def eval_multilabel(examples, tagger_for: Callable[[str], Tagger | None], name: str) -> MultiLabelReport:
    """Each example's topics through the product path against its mapped labels (topics its label
    says nothing about are not scored)."""
    prepare = _Prepared()
    per_topic: dict[str, PRF] = defaultdict(PRF)
    n = without = 0
    t0 = time.perf_counter()
    for e in examples:
        use = tagger_for(e.id)
        if use is None:
            continue
        enriched = prepare(e.wire, use)
        pred = {t.id for t in enriched.topics} if enriched is not None else set()
        without += not pred
        for t in (pred | e.labels) - e.unknown:
            s = per_topic[t]
            if t in pred and t in e.labels:
                s.tp += 1
            elif t in pred:
                s.fp += 1
            else:
                s.fn += 1
        n += 1
    return MultiLabelReport(name, n, dict(per_topic), without, time.perf_counter() - t0)


def format_regions(rep: RegionReport, worst: int = 0) -> str:
    m = rep.micro
    lines = [
        f"regions  Reuters-21578 {rep.split}, through Pipeline.prepare: {rep.documents} documents with PLACES labels"
        f" ({rep.rejected} rejected by the pipeline; {rep.seconds:.1f}s)",
        f"  micro  P={m.precision:.3f} R={m.recall:.3f} F1={m.f1:.3f}  (tp={m.tp} fp={m.fp} fn={m.fn})",
        f"  macro  P={rep.macro_precision:.3f} R={rep.macro_recall:.3f} F1={rep.macro_f1:.3f}  (over gold codes)",
    ]
    if worst:
        ranked = sorted(rep.per_code.items(), key=lambda kv: -(kv[1].fp + kv[1].fn))[:worst]
        lines.append("  most errors: " + ", ".join(f"{c} fp={s.fp} fn={s.fn}" for c, s in ranked))
    for e in rep.errors:
        lines.append(f"  #{e.doc_id} {e.title[:70]}" + ("  [rejected by the pipeline]" if e.rejected else ""))
        for c, spans in e.false_positives.items():
            lines.append(f"      fp {c}: " + "; ".join(spans))
        for c, spans in e.false_negatives.items():
            lines.append(f"      fn {c}: " + ("; ".join(spans) + " (not primary)" if spans else "not found"))
    return "\n".join(lines)


def format_topics(rep: TopicReport) -> str:
    columns: list[str] = list(BBC_TO_TOPIC.values())
    extra = sorted({p for row in rep.confusion.values() for p in row} - set(columns))
    columns += extra
    width = 10
    share = rep.unknown / rep.documents if rep.documents else 0.0
    lines = [
        f"topics  {rep.name}: {rep.documents} documents ({rep.seconds:.1f}s)",
        f"  top-topic accuracy {rep.accuracy:.3f}; without a topic: {rep.unknown} ({share:.1%}), of which the"
        f" classifier was unsure: {rep.unsure}",
        "  per class        recall  precision",
    ]
    for folder, s in rep.per_class().items():
        lines.append(f"  {folder:<14} {s.recall:>8.3f} {s.precision:>10.3f}")
    lines += [
        "  confusion (rows: BBC folder, columns: predicted top topic)",
        "  " + " " * 14 + "".join(c.split("-")[0][:width - 1].rjust(width) for c in columns),
    ]
    for folder in BBC_TO_TOPIC:
        row = rep.confusion.get(folder, Counter())
        lines.append("  " + folder.ljust(14) + "".join(str(row.get(c, 0)).rjust(width) for c in columns))
    return "\n".join(lines)


def format_multilabel(rep: MultiLabelReport) -> str:
    share = rep.without_topic / rep.documents if rep.documents else 0.0
    lines = [f"topics  {rep.name}: {rep.documents} documents ({rep.seconds:.1f}s); without a topic: "
             f"{rep.without_topic} ({share:.1%})",
             "  topic                                    support   recall  precision"]
    other = []
    for t, s in sorted(rep.per_topic.items(), key=lambda kv: -(kv[1].tp + kv[1].fn)):
        if s.tp + s.fn:
            lines.append(f"  {t:<40} {s.tp + s.fn:>7} {s.recall:>8.3f} {s.precision:>10.3f}")
        else:
            other.append(f"{t} {s.fp}")
    if other:  # the source's categories say nothing of these topics: neither right nor wrong
        lines.append("  also given (outside the source's categories): " + ", ".join(other))
    return "\n".join(lines)


def topic_reports(data: Path, limit: int | None = None, log=print) -> list[str]:
    """k-fold and cross-corpus topic reports; trains the fold models (needs the ``train`` extra)."""
    from stream.train import topics as training

    examples = training.build_examples(data, log=log)
    if limit:
        per: Counter = Counter()
        kept = []
        for e in examples:
            key = (e.source, sorted(e.labels)[0])
            if per[key] < limit:
                per[key] += 1
                kept.append(e)
        examples = kept
    result = training.train(examples, log=log)
    taggers = [Tagger(topic_model=m) for m in result.fold_models]
    by_fold = {i: taggers[k] for i, k in result.folds.items()}
    out = [training.format_report(result.report)]
    bbc_ids = {e.id for e in examples if e.source == "bbc"}
    out.append(format_topics(eval_topics(data / "bbc-news", tagger_for=lambda i: by_fold.get(i) if i in bbc_ids else None,
                                         name=f"BBC News, {training.FOLDS}-fold")))
    reuters = [e for e in examples if e.source == "reuters"]
    out.append(format_multilabel(eval_multilabel(reuters, by_fold.get, f"Reuters-21578 TRAIN TOPICS, {training.FOLDS}-fold")))
    log("  fitting a model without any BBC text (one fit, its own probabilities, no calibration folds)")
    without_bbc = training.train([e for e in examples if e.source != "bbc"], with_folds=False, log=log)
    cross = Tagger(topic_model=without_bbc.model)
    out.append(format_topics(eval_topics(data / "bbc-news", tagger_for=lambda i: cross if i in bbc_ids else None,
                                         name="BBC News, by a model trained without any BBC text")))
    return out


def run(data: Path, split: str = "train", limit: int | None = None, what: Iterable[str] = ("regions", "topics"),
        log=print, errors: int = 0) -> str:
    out = []
    if "regions" in what:
        out.append(format_regions(eval_regions(Path(data) / "reuters21578", split, limit, Tagger(), errors=errors),
                                  worst=12))
    if "topics" in what:
        out.extend(topic_reports(Path(data), limit, log=log))
    return "\n".join(out)
