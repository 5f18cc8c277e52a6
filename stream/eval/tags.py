"""Quality of the tag stage on labelled corpora.

Regions — Reuters-21578 ``PLACES``:
  * documents: the chosen ``LEWISSPLIT`` (TRAIN for tuning; TEST is held out) with at least one
    PLACES label (documents without one say nothing about regions);
  * text: what a wire reader sees — TITLE, DATELINE place and BODY;
  * gold: PLACES mapped to codes by ``data/reuters_places.tsv``;
  * predicted: the country-level regions (kind country or historic) the tagger marks ``primary``
    (PLACES lists the countries a story is about; counting every country merely mentioned once
    costs ~20 points of precision for ~7 of recall on TRAIN), with today's successor states folded
    into the 1987 state (RU -> SU, CZ -> CS, ...);
  * figures: micro P/R/F1 over all (document, code) pairs, macro P/R/F1 averaged over the codes
    that occur in the gold labels of the split.

Topics — BBC News folders: the tagger's top topic (highest-scored top-level topic) against the
folder (business -> economy, entertainment -> arts-entertainment, politics -> politics,
sport -> sport, tech -> science-technology): accuracy and the confusion matrix.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from stream.core.tag import Tagger
from stream.eval.corpora import iter_bbc, iter_reuters

DATA = Path(__file__).parent / "data"

BBC_TO_TOPIC = {
    "business": "economy",
    "entertainment": "arts-entertainment",
    "politics": "politics",
    "sport": "sport",
    "tech": "science-technology",
}
COUNTRY_KINDS = ("country", "historic")


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


@dataclass
class TopicReport:
    documents: int
    accuracy: float
    confusion: dict[str, Counter]  # gold folder -> Counter(predicted top topic)
    seconds: float = 0.0


def predicted_countries(tagging, folds: dict[str, str]) -> set[str]:
    return {folds.get(r.id, r.id) for r in tagging.regions if r.kind in COUNTRY_KINDS and r.primary}


def eval_regions(root: Path, split: str = "TRAIN", limit: int | None = None, tagger: Tagger | None = None) -> RegionReport:
    tagger = tagger or Tagger()
    places, folds = load_place_table()
    micro = PRF()
    per_code: dict[str, PRF] = defaultdict(PRF)
    n = 0
    t0 = time.perf_counter()
    for doc in iter_reuters(root):
        if doc.split != split.upper() or not doc.places:
            continue
        gold = {places[p] for p in doc.places if p in places}
        pred = predicted_countries(tagger.tag(doc.article()), folds)
        for code in pred & gold:
            micro.tp += 1
            per_code[code].tp += 1
        for code in pred - gold:
            micro.fp += 1
            per_code[code].fp += 1
        for code in gold - pred:
            micro.fn += 1
            per_code[code].fn += 1
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
        per_code=dict(per_code), seconds=time.perf_counter() - t0,
    )


def top_topic(tagging) -> str:
    tops = [t for t in tagging.topics if t.kind == "top"]
    return max(tops, key=lambda t: t.score).id if tops else "none"


def eval_topics(root: Path, limit_per_category: int | None = None, tagger: Tagger | None = None) -> TopicReport:
    tagger = tagger or Tagger()
    confusion: dict[str, Counter] = defaultdict(Counter)
    seen: Counter = Counter()
    correct = n = 0
    t0 = time.perf_counter()
    for doc in iter_bbc(root):
        if limit_per_category and seen[doc.category] >= limit_per_category:
            continue
        seen[doc.category] += 1
        predicted = top_topic(tagger.tag(doc.article()))
        confusion[doc.category][predicted] += 1
        correct += predicted == BBC_TO_TOPIC[doc.category]
        n += 1
    return TopicReport(documents=n, accuracy=correct / n if n else 0.0, confusion=dict(confusion),
                       seconds=time.perf_counter() - t0)


def format_regions(rep: RegionReport, worst: int = 0) -> str:
    m = rep.micro
    lines = [
        f"regions  Reuters-21578 {rep.split}: {rep.documents} documents with PLACES labels ({rep.seconds:.1f}s)",
        f"  micro  P={m.precision:.3f} R={m.recall:.3f} F1={m.f1:.3f}  (tp={m.tp} fp={m.fp} fn={m.fn})",
        f"  macro  P={rep.macro_precision:.3f} R={rep.macro_recall:.3f} F1={rep.macro_f1:.3f}  (over gold codes)",
    ]
    if worst:
        ranked = sorted(rep.per_code.items(), key=lambda kv: -(kv[1].fp + kv[1].fn))[:worst]
        lines.append("  most errors: " + ", ".join(f"{c} fp={s.fp} fn={s.fn}" for c, s in ranked))
    return "\n".join(lines)


def format_topics(rep: TopicReport) -> str:
    columns: list[str] = list(BBC_TO_TOPIC.values())
    extra = sorted({p for row in rep.confusion.values() for p in row} - set(columns))
    columns += extra
    width = 10
    lines = [
        f"topics  BBC News: {rep.documents} documents ({rep.seconds:.1f}s)",
        f"  top-topic accuracy {rep.accuracy:.3f}",
        "  confusion (rows: BBC folder, columns: predicted top topic)",
        "  " + " " * 14 + "".join(c.split("-")[0][:width - 1].rjust(width) for c in columns),
    ]
    for folder in BBC_TO_TOPIC:
        row = rep.confusion.get(folder, Counter())
        lines.append("  " + folder.ljust(14) + "".join(str(row.get(c, 0)).rjust(width) for c in columns))
    return "\n".join(lines)


def run(data: Path, split: str = "train", limit: int | None = None, what: Iterable[str] = ("regions", "topics")) -> str:
    tagger = Tagger()
    out = []
    if "regions" in what:
        out.append(format_regions(eval_regions(Path(data) / "reuters21578", split, limit, tagger), worst=12))
    if "topics" in what:
        out.append(format_topics(eval_topics(Path(data) / "bbc-news", limit, tagger)))
    return "\n".join(out)
