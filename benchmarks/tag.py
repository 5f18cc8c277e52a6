"""Tag benchmark: ``python -m benchmarks.tag``.

Prints µs per article for the tag stage on Reuters-21578 TRAIN documents and BBC News articles
(when ../shared/eval-data is present) and on the repo's seed story, grouped by size, with the
per-4 KB cost, plus the one-off cost of building the Tagger; and the CPU time per article on the
pipeline benchmark's 3-5 KB corpus (``benchmarks.corpus``, the one ``Pipeline.process`` is timed on).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from benchmarks.timing import per_item_us
from stream.core.normalize import NormalizedArticle
from stream.core.tag import Tagger
from stream.core.tag.resources import load_resources

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "eval-data"
SEED = ROOT / "samples" / "joongang-2024-12-05-nk-russia-treaty.txt"


def seed_article() -> NormalizedArticle:
    raw = SEED.read_text(encoding="utf-8")
    story = raw[raw.index("A new defense treaty"): raw.index("\nYonhap\n")]
    paragraphs = [p.strip() for p in story.split("\n") if p.strip() and p.strip() != "Related Article"]
    return NormalizedArticle(
        id="seed", url=None, source="Korea JoongAng Daily",
        title="North Korea and Russia enact defense treaty following ratification exchange",
        body="\n\n".join(paragraphs), published_at=None, published_at_original=None, language="en",
        credits=["Yonhap"], publisher_tags=["Korea", "North Korea", "Russia"],
    )


def corpus_articles(limit: int) -> list[NormalizedArticle]:
    from stream.eval.corpora import iter_bbc, iter_reuters

    out: list[NormalizedArticle] = []
    if (DATA / "reuters21578").is_dir():
        for doc in iter_reuters(DATA / "reuters21578"):
            if doc.split == "TRAIN" and len(doc.body) > 200:
                out.append(doc.article())
            if len(out) >= limit // 2:
                break
    if (DATA / "bbc-news").is_dir():
        for i, doc in enumerate(iter_bbc(DATA / "bbc-news")):
            if i % 4 == 0:
                out.append(doc.article())
            if len(out) >= limit:
                break
    return out


def bench_corpus_articles(limit: int) -> list[NormalizedArticle]:
    """The pipeline benchmark's 3-5 KB articles (``benchmarks.corpus``), validated and normalized."""
    from benchmarks.corpus import generate
    from stream.config import get_settings
    from stream.core.normalize import normalize
    from stream.core.validate import Rejected, decode_raw

    settings = get_settings()
    out = []
    for value in generate(limit):
        try:
            raw = decode_raw(value, max_message_bytes=settings.max_message_bytes,
                             max_body_bytes=settings.max_body_bytes)
            out.append(normalize(raw, settings.core().normalize))
        except (Rejected, ValueError):
            continue
    return out


def cpu_us_per_article(tagger: Tagger, articles: list[NormalizedArticle], rounds: int) -> list[float]:
    """CPU time (``time.process_time``) per article for each round over ``articles``."""
    out = []
    for _ in range(rounds):
        t0 = time.process_time()
        for article in articles:
            tagger.tag(article)
        out.append((time.process_time() - t0) / len(articles) * 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--bench-corpus", type=int, default=400, metavar="N",
                        help="also time N articles of the pipeline benchmark's 3-5 KB corpus (0: skip)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    load_resources.cache_clear()
    tagger = Tagger()
    print(f"build Tagger (load + compile data files): {(time.perf_counter() - t0) * 1e3:.0f} ms")

    seed = seed_article()
    r = per_item_us(tagger.tag, [seed] * 50, rounds=args.rounds)
    print(f"seed story ({len(seed.body) + len(seed.title)} chars): median {r['median_us']:.0f} µs, best {r['best_us']:.0f} µs")

    if args.bench_corpus:
        bench = bench_corpus_articles(args.bench_corpus)
        for article in bench[:20]:
            tagger.tag(article)  # warm caches, as a running worker has them
        cpu = cpu_us_per_article(tagger, bench, max(3, args.rounds))
        mean = sum(len(a.body) + len(a.title) for a in bench) / len(bench)
        print(f"bench corpus ({len(bench)} articles, mean {mean:.0f} chars): CPU time best {min(cpu):.0f} µs/article "
              f"(rounds: {', '.join(f'{c:.0f}' for c in cpu)})")

    articles = corpus_articles(args.articles)
    if not articles:
        print("(no ../shared/eval-data: corpus figures skipped)")
        return
    chars = [len(a.body) + len(a.title) for a in articles]
    r = per_item_us(tagger.tag, articles, rounds=args.rounds)
    mean_chars = sum(chars) / len(chars)
    print(f"corpus ({len(articles)} Reuters TRAIN + BBC articles, mean {mean_chars:.0f} chars): "
          f"median {r['median_us']:.0f} µs/article, best {r['best_us']:.0f} µs; "
          f"{r['median_us'] / mean_chars * 4096:.0f} µs per 4 KB; {1e6 / r['median_us']:.0f} articles/s")
    # CPU time too: on a shared machine the wall-clock figures above include waiting for a core.
    cpu = cpu_us_per_article(tagger, articles, max(2, args.rounds // 2))
    print(f"  CPU time: best {min(cpu):.0f} µs/article, {min(cpu) / mean_chars * 4096:.0f} µs per 4 KB")
    for low, high in ((0, 1024), (1024, 3072), (3072, 5120), (5120, 10**9)):
        group = [a for a, c in zip(articles, chars) if low <= c < high]
        if len(group) >= 10:
            g = per_item_us(tagger.tag, group, rounds=max(2, args.rounds // 2))
            print(f"  {low:>5}-{min(high, 99999):>5} chars: {len(group):>4} articles, median {g['median_us']:.0f} µs")


if __name__ == "__main__":
    main()
