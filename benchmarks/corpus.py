"""Realistic benchmark articles: 3-5 KB bodies of real news text, as raw ``RawArticle`` JSON bytes.

Text comes from the shared corpora when ``../shared/eval-data`` is present (Reuters-21578 TRAIN
documents only, BBC News, the GVC and NP4E story corpora), else from the repo's ``samples/``. Real
text gives the tagger real work and real tag distributions. A document shorter than the target size
is continued with paragraphs of other documents of the same group (same BBC category, same Reuters
topic, same story), the way a longer report on the same subject reads; that keeps the tags coherent.

Each article gets a distinct id, URL and ``published_at`` (one every ``spacing_s`` seconds from
``start``), so none of them is an exact duplicate of another and they all land in one window.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from stream.contracts.topics import iso_utc
from stream.sources import SAMPLES_DIR, iter_inputs

EVAL_DATA = Path(__file__).resolve().parents[2] / "shared" / "eval-data"
MIN_BODY_BYTES = 3_000
MAX_BODY_BYTES = 5_000


@dataclass(slots=True)
class Document:
    """One source text: a title, its paragraphs, who published it and which group it belongs to."""

    title: str
    paragraphs: list[str]
    source: str
    group: str  # documents of one group may continue each other


def _paragraphs(text: str) -> list[str]:
    parts = [" ".join(p.split()) for p in text.replace("\r\n", "\n").split("\n\n")]
    return [p for p in parts if p]


def reuters_documents(root: Path) -> Iterator[Document]:
    """Reuters-21578 documents with ``LEWISSPLIT="TRAIN"`` only (TEST is held out)."""
    from stream.eval.corpora import iter_reuters

    for doc in iter_reuters(root):
        if doc.split != "TRAIN" or len(doc.body) < 300 or not doc.title.strip():
            continue
        article = doc.article()
        paragraphs = _paragraphs(article.body)
        if article.dateline and paragraphs:  # a wire's lead starts with its dateline
            paragraphs[0] = f"{article.dateline} - {paragraphs[0]}"
        group = f"reuters:{doc.topics[0] if doc.topics else 'none'}"
        yield Document(article.title, paragraphs, "Reuters", group)


def bbc_documents(root: Path) -> Iterator[Document]:
    from stream.eval.corpora import iter_bbc

    for doc in iter_bbc(root):
        yield Document(doc.title, _paragraphs(doc.body), "BBC News", f"bbc:{doc.category}")


def story_documents(path: Path, source: str) -> Iterator[Document]:
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        record = orjson.loads(line)
        paragraphs = _paragraphs(record.get("text") or "")
        title = (record.get("title") or (paragraphs[0][:90] if paragraphs else "")).strip()
        if paragraphs and title:
            yield Document(title, paragraphs, source, f"{source}:{record.get('story')}")


def sample_documents(samples: Path = SAMPLES_DIR) -> list[Document]:
    """The repo's bundled samples, cleaned by the real normalizer (they hold page chrome and HTML)."""
    from stream.config import Settings
    from stream.core.normalize import normalize
    from stream.core.validate import decode_raw

    settings = Settings()
    out = []
    for _where, value in iter_inputs([samples]):
        try:
            article = normalize(decode_raw(value, max_message_bytes=1 << 24, max_body_bytes=1 << 24), settings)
        except Exception:  # a sample the normalizer rejects adds nothing to a benchmark corpus
            continue
        out.append(Document(article.title, _paragraphs(article.body), article.source or "samples", "samples"))
    return out


def load_documents(eval_data: Path | None = EVAL_DATA, samples: Path = SAMPLES_DIR) -> tuple[list[Document], str]:
    """Every usable document and a short description of where they came from."""
    docs: list[Document] = []
    used = []
    if eval_data is not None and eval_data.is_dir():
        loaders = [
            ("reuters-train", eval_data / "reuters21578", reuters_documents),
            ("bbc", eval_data / "bbc-news", bbc_documents),
            ("gvc", eval_data / "stories" / "gvc.jsonl", lambda p: story_documents(p, "GVC")),
            ("np4e", eval_data / "stories" / "np4e.jsonl", lambda p: story_documents(p, "NP4E")),
        ]
        for name, path, loader in loaders:
            if path.exists():
                found = list(loader(path))
                docs.extend(found)
                used.append(f"{name}:{len(found)}")
    if not docs:
        docs = sample_documents(samples)
        used.append(f"samples:{len(docs)}")
    return docs, " ".join(used)


def compose_body(base: Document, companions: Sequence[Document], target: int, rng: random.Random) -> str:
    """``base``'s paragraphs, continued with companions' until ``target`` bytes, never over ``MAX_BODY_BYTES``."""
    out: list[str] = []
    size = 0
    pool = [base, *rng.sample(list(companions), len(companions))] if companions else [base]
    rounds = 0
    while size < target and rounds < 64:
        for doc in pool:
            for paragraph in doc.paragraphs:
                cost = len(paragraph.encode()) + 2
                if size + cost > MAX_BODY_BYTES:
                    if size >= MIN_BODY_BYTES:
                        return "\n\n".join(out)
                    paragraph = paragraph.encode()[: MAX_BODY_BYTES - size - 2].decode(errors="ignore")
                    cost = len(paragraph.encode()) + 2
                out.append(paragraph)
                size += cost
                if size >= target:
                    return "\n\n".join(out)
        rounds += 1  # a tiny corpus (the samples) repeats itself
    return "\n\n".join(out)


def generate(
    n: int,
    *,
    seed: int = 20241205,
    start: datetime | None = None,
    spacing_s: float = 1.0,
    prefix: str = "bench",
    documents: Sequence[Document] | None = None,
) -> list[bytes]:
    """``n`` raw articles as JSON bytes, each with a 3-5 KB body."""
    docs = list(documents) if documents is not None else load_documents()[0]
    if not docs:
        raise RuntimeError("no documents to build benchmark articles from")
    rng = random.Random(seed)
    by_group: dict[str, list[Document]] = defaultdict(list)
    for doc in docs:
        by_group[doc.group].append(doc)
    order = list(range(len(docs)))
    rng.shuffle(order)
    start = start or datetime.now(UTC).replace(microsecond=0)
    out = []
    for i in range(n):
        base = docs[order[i % len(order)]]
        group = [d for d in rng.sample(by_group[base.group], min(6, len(by_group[base.group]))) if d is not base]
        if not group:  # a group of one: continue with any documents
            group = rng.sample(docs, min(4, len(docs)))
        body = compose_body(base, group, rng.randint(MIN_BODY_BYTES, MAX_BODY_BYTES - 500), rng)
        title = base.title if i < len(order) else f"{base.title} ({i // len(order) + 1})"
        slug = f"{prefix}-{i:07d}"
        record = {
            "id": slug,
            "url": f"https://news.example.com/{base.group.replace(':', '/')}/{slug}",
            "source": base.source,
            "title": title,
            "body": body,
            "published_at": iso_utc(start + timedelta(seconds=i * spacing_s)),
            "language": "en",
        }
        out.append(orjson.dumps(record))
    return out
