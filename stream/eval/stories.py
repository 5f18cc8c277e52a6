"""Story detection quality on story-labelled corpora (every ``DATA/stories/*.jsonl``).

Each row is fed as a publisher would send it: a ``RawArticle`` JSON's bytes through the pipeline
core (validate -> normalize -> tag -> relate, ``Pipeline.prepare`` + ``Pipeline.link``, which is
``Pipeline.process``), with a simulated ingestion clock (``now``) one minute per article, after
every date of the data: the corpora are a backfill. Order: undated rows first in file order, then
the dated ones by date (stable) - the order the TF-IDF reference (``shared/tools/story_baseline.py``)
streams them in. The interleaved stream holds every file at once: undated rows of all files
round-robin in proportion, then all dated rows by date; its gold stories are prefixed by file, so a
story that swallows articles of two files counts against precision.

Scored per stream:

- B-cubed precision / recall / F1 (Bagga & Baldwin 1998) of two readings of the story: ``story_id``
  as emitted on ``articles.enriched`` (what a consumer sees then), and after the ``merged`` story
  updates are resolved (what the story becomes).
- related precision@1: among dated articles with an earlier dated article of the same gold story
  within the window, the share whose top ``related`` link points into that gold story.
- stories predicted (each reading) and gold.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from stream.contracts import EnrichedArticle

INTERLEAVED = "interleaved"
# The simulated ingestion clock: after every date of the corpora, one article a minute.
INGEST_START = datetime(2026, 1, 1, tzinfo=UTC)
INGEST_STEP = timedelta(minutes=1)


@dataclass(slots=True)
class Row:
    """One labelled article, after the stateless half of the pipeline."""

    key: str  # corpus-unique key (the raw id, prefixed by the file in the interleaved stream)
    gold: str
    dated: bool
    value: bytes  # the RawArticle JSON as a publisher sends it
    prepared: EnrichedArticle | None = None  # None: dead-lettered by prepare


@dataclass(slots=True)
class Reading:
    precision: float
    recall: float
    f1: float
    predicted_stories: int


@dataclass(slots=True)
class StoryScores:
    corpus: str
    articles: int
    gold_stories: int
    emitted: Reading
    resolved: Reading
    related_p_at_1: float
    related_eligible: int
    duplicates: int
    relate_us_per_article: float
    rejected: int = 0  # articles the pipeline dead-lettered (scored as stories of their own)
    notes: list[str] = field(default_factory=list)

    # The resolved reading under its old names (callers of the first version of this module).
    @property
    def f1(self) -> float:
        return self.resolved.f1

    @property
    def precision(self) -> float:
        return self.resolved.precision

    @property
    def recall(self) -> float:
        return self.resolved.recall

    @property
    def predicted_stories(self) -> int:
        return self.resolved.predicted_stories


def read_corpus(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def discover(data: Path) -> dict[str, Path]:
    """Every story corpus under ``data/stories``: name (file stem) -> path."""
    folder = data / "stories"
    return {path.stem: path for path in sorted(folder.glob("*.jsonl"))} if folder.is_dir() else {}


def bcubed(predicted: dict[str, Any], gold: dict[str, Any]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 of a clustering ``predicted`` (item -> cluster) against ``gold``."""
    items = list(gold)
    if not items:
        return 0.0, 0.0, 0.0
    predicted_members: dict[Any, set[str]] = defaultdict(set)
    gold_members: dict[Any, set[str]] = defaultdict(set)
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


def raw_bytes(row: dict[str, Any]) -> bytes:
    """The row as a publisher's RawArticle JSON."""
    raw = {"id": row["id"], "title": row.get("title"), "body": row["text"], "published_at": row.get("date"), "url": row.get("url")}
    return json.dumps({k: v for k, v in raw.items() if v is not None}).encode("utf-8")


def load_rows(path: Path, pipeline: Any) -> list[Row]:
    """A corpus's rows in stream order, each through ``pipeline.prepare`` once."""
    rows = [Row(key=r["id"], gold=r["story"], dated=bool(r.get("date")), value=raw_bytes(r)) for r in read_corpus(path)]
    for row in rows:
        row.prepared = pipeline.prepare(row.value).enriched
    return stream_order(rows, [json.loads(r.value).get("published_at") or "" for r in rows])


def stream_order(rows: list[Row], dates: list[str]) -> list[Row]:
    """Undated rows first (in the given order), then dated ones by date, stable."""
    undated = [row for row, date in zip(rows, dates, strict=True) if not date]
    dated = sorted(((date, i, row) for i, (row, date) in enumerate(zip(rows, dates, strict=True)) if date), key=lambda x: (x[0], x[1]))
    return undated + [row for _d, _i, row in dated]


def interleave(streams: dict[str, list[Row]]) -> list[Row]:
    """All corpora at once: undated rows round-robin in proportion to each file's share, then every
    dated row by its published date (as normalized). Keys and gold stories are prefixed by file."""
    undated: list[tuple[float, int, Row]] = []
    dated: list[tuple[str, int, Row]] = []
    for n, (name, rows) in enumerate(sorted(streams.items())):
        own = [r for r in rows if not r.dated]
        for i, row in enumerate(own):
            undated.append(((i + 0.5) / len(own), n, _prefixed(name, row)))
        for i, row in enumerate(r for r in rows if r.dated):
            published = row.prepared.published_at if row.prepared is not None and row.prepared.published_at else ""
            dated.append((published, n * 100_000 + i, _prefixed(name, row)))
    undated.sort(key=lambda x: (x[0], x[1]))
    dated.sort(key=lambda x: (x[0], x[1]))
    return [row for *_k, row in undated] + [row for *_k, row in dated]


def _prefixed(name: str, row: Row) -> Row:
    return Row(key=f"{name}/{row.key}", gold=f"{name}/{row.gold}", dated=row.dated, value=row.value, prepared=row.prepared)


def score_stream(rows: list[Row], corpus: str, pipeline_factory: Any) -> StoryScores:
    """Link the prepared rows, in order, through a fresh pipeline (fresh relate state) and score them."""
    pipeline = pipeline_factory()
    window = pipeline.relator.config.window_days * 86400.0
    emitted: dict[str, str] = {}
    gold: dict[str, str] = {}
    merged_into: dict[str, str] = {}
    by_article: dict[str, str] = {}  # emitted article id -> row key (ids may repeat across files)
    seen: dict[str, list[float]] = defaultdict(list)  # gold story -> published epochs of dated articles streamed
    eligible = hits = duplicates = rejected = 0
    elapsed = 0.0
    now = INGEST_START
    for row in rows:
        now += INGEST_STEP
        gold[row.key] = row.gold
        if row.prepared is None:
            emitted[row.key] = f"rejected:{row.key}"
            rejected += 1
            continue
        t0 = time.perf_counter()
        outcome = pipeline.link(row.prepared, now=now)
        elapsed += time.perf_counter() - t0
        article = outcome.enriched or outcome.restated
        assert article is not None
        # No story: the article lies before the window (the stream lost its thread): a story of its own.
        emitted[row.key] = article.story_id or f"unthreaded:{row.key}"
        by_article[article.id] = row.key
        for update in outcome.story_updates:
            if update.merged_into:
                merged_into[update.story_id] = update.merged_into
        duplicates += article.duplicate_of is not None
        if row.dated and row.prepared.published_at:
            t = datetime.fromisoformat(row.prepared.published_at).timestamp()
            if any(abs(t - s) <= window for s in seen[row.gold]):
                eligible += 1
                top = article.related[0].id if article.related else None
                hits += top is not None and gold.get(by_article.get(top, "")) == row.gold
            seen[row.gold].append(t)

    def resolve(story: str) -> str:
        for _ in range(64):
            if story not in merged_into:
                break
            story = merged_into[story]
        return story

    resolved = {key: resolve(story) for key, story in emitted.items()}
    return StoryScores(
        corpus=corpus,
        articles=len(rows),
        gold_stories=len(set(gold.values())),
        emitted=_reading(emitted, gold),
        resolved=_reading(resolved, gold),
        related_p_at_1=hits / eligible if eligible else float("nan"),
        related_eligible=eligible,
        duplicates=duplicates,
        relate_us_per_article=elapsed / max(len(rows), 1) * 1e6,
        rejected=rejected,
    )


def _reading(predicted: dict[str, str], gold: dict[str, str]) -> Reading:
    precision, recall, f1 = bcubed(predicted, gold)
    return Reading(precision, recall, f1, len(set(predicted.values())))


def _default_pipeline() -> Any:
    from stream.core.pipeline import Pipeline

    return Pipeline()


def evaluate(
    data: Path, corpora: Iterable[str] | None = None, *, interleaved: bool = True, pipeline_factory: Any = None
) -> list[StoryScores]:
    """Score each named corpus (default: every ``*.jsonl`` under ``data/stories``), then the
    interleaved stream of all of them. Raises FileNotFoundError when a named corpus is missing."""
    factory = pipeline_factory or _default_pipeline
    found = discover(data)
    names = list(found) if corpora is None else list(corpora)
    if not names:
        raise FileNotFoundError(data / "stories")
    for name in names:
        if name not in found:
            raise FileNotFoundError(data / "stories" / f"{name}.jsonl")
    preparer = factory()  # the stateless half, shared: tagging each row once serves every stream
    streams = {name: load_rows(found[name], preparer) for name in names}
    results = [score_stream(rows, name, factory) for name, rows in streams.items()]
    if interleaved and len(streams) > 1:
        results.append(score_stream(interleave(streams), INTERLEAVED, factory))
    return results


def format_scores(results: list[StoryScores]) -> str:
    lines = [
        f"{'corpus':<14} {'arts':>5} {'gold':>5} | {'emitted: P':>10} {'R':>6} {'F1':>6} {'pred':>5} | "
        f"{'resolved: P':>11} {'R':>6} {'F1':>6} {'pred':>5} | {'rel P@1':>7} {'(n)':>5} {'dups':>4} {'rej':>4} {'µs/art':>7}"
    ]
    for s in results:
        e, r = s.emitted, s.resolved
        p_at_1 = "    -  " if s.related_eligible == 0 else f"{s.related_p_at_1:>7.3f}"
        lines.append(
            f"{s.corpus:<14} {s.articles:>5} {s.gold_stories:>5} | {e.precision:>10.3f} {e.recall:>6.3f} {e.f1:>6.3f} "
            f"{e.predicted_stories:>5} | {r.precision:>11.3f} {r.recall:>6.3f} {r.f1:>6.3f} {r.predicted_stories:>5} | "
            f"{p_at_1} {s.related_eligible:>5} {s.duplicates:>4} {s.rejected:>4} {s.relate_us_per_article:>7.0f}"
        )
    lines.append("B3 = B-cubed; rel P@1 over dated articles with an earlier same-story article in the window; "
                 "rej = dead-lettered (scored as singletons); µs/art = link (relate) time per article")
    return "\n".join(lines)
