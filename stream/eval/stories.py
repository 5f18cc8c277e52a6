"""Story detection quality on story-labelled corpora (``../shared/eval-data/stories/*.jsonl``).

Each corpus is streamed in time order through the pipeline core (normalize -> tag -> relate, the
same code the worker runs) and scored against the gold ``story`` labels:

- B-cubed precision / recall / F1 of ``story_id`` (Bagga & Baldwin 1998): per article, the share
  of its predicted story that is in its gold story (precision) and the share of its gold story that
  landed in its predicted story (recall), averaged over articles.
- related precision@1: among articles that have an earlier article of the same gold story within
  the window, the share whose top ``related`` link points into that gold story.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stream.contracts import RawArticle
from stream.core.relate import RelateConfig, RelateInput, Relator

CORPORA = {"gvc": "gvc.jsonl", "np4e": "np4e.jsonl"}


@dataclass(slots=True)
class Prepared:
    """An article after normalize + tag: what the relate stage is fed."""

    item: RelateInput | None  # None: the pipeline rejected the article (it would be dead-lettered)
    gold: str
    raw_id: str = ""


@dataclass(slots=True)
class StoryScores:
    corpus: str
    articles: int
    gold_stories: int
    predicted_stories: int
    precision: float
    recall: float
    f1: float
    related_p_at_1: float
    related_eligible: int
    duplicates: int
    relate_us_per_article: float
    pipeline: str  # which normalize/tag implementation produced the tags
    rejected: int = 0  # articles the pipeline rejected (scored as stories of their own)
    notes: list[str] = field(default_factory=list)


def read_corpus(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def bcubed(predicted: dict[str, str], gold: dict[str, str]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering ``predicted`` (item -> cluster) against ``gold``."""
    items = list(gold)
    if not items:
        return 0.0, 0.0, 0.0
    predicted_members: dict[str, set[str]] = defaultdict(set)
    gold_members: dict[str, set[str]] = defaultdict(set)
    for item in items:
        predicted_members[predicted[item]].add(item)
        gold_members[gold[item]].add(item)
    precision = recall = 0.0
    for item in items:
        mine = predicted_members[predicted[item]]
        truth = gold_members[gold[item]]
        overlap = len(mine & truth)
        precision += overlap / len(mine)
        recall += overlap / len(truth)
    precision /= len(items)
    recall /= len(items)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


# -- the pipeline core up to tagging ---------------------------------------------------------------
def _pipeline_preparer() -> tuple[Callable[[RawArticle], tuple[str, str, datetime | None, list[str], int, str]], str]:
    """normalize + tag exactly as the worker runs them."""
    from stream.config import get_settings
    from stream.core.normalize import normalize
    from stream.core.tag import Tagger

    settings = get_settings()
    tagger = Tagger()

    def prepare(raw: RawArticle) -> tuple[str, str, datetime | None, list[str], int, str]:
        article = normalize(raw, settings)
        return article.id, article.title, article.published_at, list(tagger.tag(article).tags), article.simhash, article.fingerprint

    return prepare, "normalize + Tagger"


# -- the evaluation ---------------------------------------------------------------------------------
def prepare_corpus(rows: Iterable[dict[str, Any]]) -> tuple[list[Prepared], str]:
    prepare, pipeline = _pipeline_preparer()
    out = []
    for row in rows:
        raw = RawArticle(id=row["id"], title=row.get("title"), body=row["text"], published_at=row.get("date"), url=row.get("url"))
        try:
            article_id, title, published, tags, signature, digest = prepare(raw)
        except ValueError:  # normalize found no story text: the worker dead-letters it
            out.append(Prepared(item=None, gold=row["story"], raw_id=row["id"]))
            continue
        item = RelateInput(
            id=article_id, title=title, published_at=published, tags=tags, simhash=signature, fingerprint=digest
        )
        out.append(Prepared(item=item, gold=row["story"], raw_id=row["id"]))
    earliest = datetime.min.replace(tzinfo=UTC)
    out.sort(key=lambda p: (p.item.published_at or earliest, p.item.id) if p.item else (earliest, p.raw_id))
    return out, pipeline


def score_stream(
    prepared: list[Prepared], config: RelateConfig | None = None, *, corpus: str = "", pipeline: str = ""
) -> StoryScores:
    """Stream prepared articles (in the given order) through a fresh Relator and score the result."""
    config = config or RelateConfig()
    relator = Relator(config)
    window = config.window_days * 86400.0
    predicted: dict[str, str] = {}
    # A rejected article counts as a story of its own: the stream lost it.
    rejected = {f"rejected:{p.raw_id}": p.gold for p in prepared if p.item is None}
    gold = {p.item.id: p.gold for p in prepared if p.item is not None}
    seen: list[tuple[float, str]] = []  # (published epoch, gold story) of articles already streamed
    eligible = hits = duplicates = 0
    elapsed = 0.0
    for p in prepared:
        item = p.item
        if item is None:
            continue
        t = item.published_at.timestamp() if item.published_at else None
        has_earlier = t is not None and any(g == p.gold and abs(t - s) <= window for s, g in seen)
        t0 = time.perf_counter()
        result = relator.relate(item, now=item.published_at)
        elapsed += time.perf_counter() - t0
        predicted[item.id] = result.story_id or f"unthreaded:{item.id}"
        duplicates += result.duplicate_of is not None
        if has_earlier:
            eligible += 1
            if result.related and gold.get(result.related[0].id) == p.gold:
                hits += 1
        if t is not None:
            seen.append((t, p.gold))
    # Merges re-point stories after the fact: score each article's final story.
    final = {article_id: relator.resolve_story(story) for article_id, story in predicted.items()}
    final.update({key: key for key in rejected})
    gold.update(rejected)
    precision, recall, f1 = bcubed(final, gold)
    return StoryScores(
        corpus=corpus,
        articles=len(prepared),
        gold_stories=len(set(gold.values())),
        predicted_stories=len(set(final.values())),
        precision=precision,
        recall=recall,
        f1=f1,
        related_p_at_1=hits / eligible if eligible else 0.0,
        related_eligible=eligible,
        duplicates=duplicates,
        relate_us_per_article=elapsed / max(len(prepared), 1) * 1e6,
        pipeline=pipeline,
        rejected=len(rejected),
    )


def evaluate(data: Path, corpora: Iterable[str], config: RelateConfig | None = None) -> list[StoryScores]:
    """Score each named corpus found under ``data/stories``; raises FileNotFoundError when none is."""
    results = []
    for name in corpora:
        path = data / "stories" / CORPORA[name]
        if not path.exists():
            raise FileNotFoundError(path)
        prepared, pipeline = prepare_corpus(read_corpus(path))
        results.append(score_stream(prepared, config, corpus=name, pipeline=pipeline))
    return results


def corpus_names(choice: str) -> Iterator[str]:
    if choice == "all":
        yield from CORPORA
    elif choice in CORPORA:
        yield choice
    else:
        raise ValueError(f"unknown corpus {choice!r}: one of {', '.join(CORPORA)} or all")


def format_scores(results: list[StoryScores]) -> str:
    lines = [
        f"{'corpus':<6} {'articles':>8} {'gold':>5} {'pred':>5} {'B3 P':>6} {'B3 R':>6} {'B3 F1':>6} "
        f"{'rel P@1':>7} {'(n)':>5} {'dups':>4} {'rej':>4} {'µs/art':>7}"
    ]
    for s in results:
        lines.append(
            f"{s.corpus:<6} {s.articles:>8} {s.gold_stories:>5} {s.predicted_stories:>5} {s.precision:>6.3f} "
            f"{s.recall:>6.3f} {s.f1:>6.3f} {s.related_p_at_1:>7.3f} {s.related_eligible:>5} {s.duplicates:>4} "
            f"{s.rejected:>4} {s.relate_us_per_article:>7.0f}"
        )
    pipelines = sorted({s.pipeline for s in results})
    lines.append(f"pipeline: {'; '.join(pipelines)} (rej = rejected by the pipeline, scored as singletons)")
    return "\n".join(lines)
