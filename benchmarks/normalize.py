"""Normalize benchmark: ``python -m benchmarks.normalize [--similarity]``.

Prints µs per article for plain-text and HTML inputs (the repo's samples, plus Reuters-21578 TRAIN
bodies when ../shared/eval-data is present), the cost of the sub-steps, and with ``--similarity``
the SimHash similarity of near-duplicates (one sentence changed, one paragraph dropped, chrome
differs) against unrelated article pairs.
"""

from __future__ import annotations

import argparse
import html as html_lib
import json
import random
import re
import statistics
from pathlib import Path

from benchmarks.timing import per_item_us
from stream.config import Settings
from stream.contracts import RawArticle
from stream.core.normalize import boilerplate, credits, language, normalize, similarity
from stream.core.normalize.fingerprint import NEAR_DUPLICATE_THRESHOLD, simhash
from stream.core.normalize.text import repair
from stream.core.normalize.tokens import line_tokens

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
REUTERS = ROOT.parent / "shared" / "eval-data" / "reuters21578"
_REUTERS_DOC = re.compile(r"<REUTERS[^>]*LEWISSPLIT=\"TRAIN\"[^>]*>(.*?)</REUTERS>", re.S)
_TAG = re.compile(r"<(TITLE|BODY)>(.*?)</\1>", re.S)


def reuters_train(limit: int = 400) -> list[RawArticle]:
    """Bodies of Reuters-21578 TRAIN documents (only TRAIN: TEST is held out)."""
    out: list[RawArticle] = []
    for path in sorted(REUTERS.glob("reut2-*.sgm")):
        text = path.read_bytes().decode("latin-1")
        for doc in _REUTERS_DOC.findall(text):
            fields = dict(_TAG.findall(doc))
            body = html_lib.unescape(fields.get("BODY", "")).replace("\x03", "").strip()
            if len(body) > 800:
                out.append(RawArticle(title=html_lib.unescape(fields.get("TITLE", "")).strip() or None, body=body, source="Reuters"))
            if len(out) >= limit:
                return out
    return out


SEED_NAME = "joongang-2024-12-05-nk-russia-treaty"


def sample_inputs() -> tuple[list[RawArticle], list[RawArticle]]:
    """Plain-text and HTML samples from samples/; the seed page comes first in each list."""
    text: list[RawArticle] = []
    html: list[RawArticle] = []
    for path in sorted(SAMPLES.iterdir(), key=lambda p: (p.stem != SEED_NAME, p.name)):
        if path.suffix == ".txt":
            text.append(RawArticle(body=path.read_text("utf-8"), source="Korea JoongAng Daily"))
        elif path.suffix == ".html":
            html.append(RawArticle(html=path.read_text("utf-8"), source="Korea JoongAng Daily"))
        elif path.suffix == ".json":
            text.append(RawArticle.model_validate(json.loads(path.read_text("utf-8"))))
    return text, html


def bench(settings: Settings) -> None:
    text, html = sample_inputs()
    reuters = reuters_train() if REUTERS.exists() else []

    def run(items: list[RawArticle]) -> dict[str, float]:
        return per_item_us(lambda raw: normalize(raw, settings), items, rounds=5)

    def show(name: str, items: list[RawArticle]) -> None:
        if not items:
            print(f"{name:<42} (no inputs)")
            return
        size = statistics.mean(len(r.body or r.html or "") for r in items)
        r = run(items * max(1, 200 // len(items)))  # enough work per pass to time
        r["items"] = len(items)
        print(f"{name:<42} {r['median_us']:9.1f} µs median {r['best_us']:9.1f} µs best  ({r['items']} items, mean {size / 1024:.1f} KB)")

    print("normalize, per article:")
    show("plain text: samples (scraped + clean JSON)", text)
    show("plain text: seed page only", text[:1] if text else [])
    show("plain text: Reuters-21578 TRAIN bodies", reuters)
    show("HTML: seed page", html)

    if text:
        body = text[0].body or ""
        lines = boilerplate.text_lines(repair(body))
        aliases = credits.aliases()
        clean_body = normalize(text[0], settings).body
        texts = [line.text for line in lines]
        table = boilerplate._patterns().stopword_table
        steps = {
            "repair (unicode)": (lambda _: repair(body)),
            "text_lines + clean": (lambda _: boilerplate.clean(boilerplate.text_lines(repair(body)), title=None, source=None, agency_aliases=aliases)),
            "clean only": (lambda _: boilerplate.clean(lines, title=None, source=None, agency_aliases=aliases)),
            "  of which line_tokens (split, hash)": (lambda _: line_tokens(texts, table)),
            "language (CLD2)": (lambda _: language.detect("", clean_body)),
            "simhash (from text)": (lambda _: simhash(clean_body)),
            "credits": (lambda _: credits.find_credits(clean_body, [], None)),
        }
        if html:
            from stream.core.normalize.html import parse_html

            page_html = html[0].html or ""
            steps["HTML: parse_html (selectolax + walk)"] = lambda _: parse_html(page_html)
        print("\nsub-steps on the seed page:")
        for name, fn in steps.items():
            r = per_item_us(fn, [None] * 200, rounds=5)
            print(f"  {name:<40} {r['median_us']:9.1f} µs")


def similarity_report() -> None:
    rng = random.Random(7)
    docs = [r.body or "" for r in (reuters_train(300) if REUTERS.exists() else [])]
    docs += [normalize(r).body for r in sample_inputs()[0]]
    docs = [d for d in docs if len(d.split()) >= 80]
    if len(docs) < 3:
        print("not enough documents")
        return

    def sentences(text: str) -> list[str]:
        return re.split(r"(?<=[.!?])\s+", text)

    def change_sentence(text: str) -> str:
        s = sentences(text)
        i = rng.randrange(len(s))
        s[i] = "Officials declined to comment further on the matter when reached by telephone on Friday."
        return " ".join(s)

    def drop_paragraph(text: str) -> str:
        paras = text.split("\n\n") if "\n\n" in text else sentences(text)
        if len(paras) > 3:
            del paras[rng.randrange(1, len(paras))]
        return "\n\n".join(paras)

    def add_chrome(text: str) -> str:
        return text + "\n\nRead more\nCopyright 2024"

    near = {"one sentence changed": change_sentence, "one paragraph/sentence dropped": drop_paragraph, "trailing text added": add_chrome}
    print(f"SimHash similarity over {len(docs)} documents (threshold {NEAR_DUPLICATE_THRESHOLD}):")
    for name, fn in near.items():
        values = sorted(similarity(simhash(d), simhash(fn(d))) for d in docs)
        below = sum(v < NEAR_DUPLICATE_THRESHOLD for v in values)
        p5 = values[len(values) // 20]
        print(
            f"  near-dup {name:<32} p5 {p5:.3f} median {statistics.median(values):.3f}"
            f"  below threshold {below}/{len(values)}"
        )
    pairs = [(rng.randrange(len(docs)), rng.randrange(len(docs))) for _ in range(3000)]
    values = sorted(similarity(simhash(docs[a]), simhash(docs[b])) for a, b in pairs if a != b and docs[a] != docs[b])
    above = sum(v >= NEAR_DUPLICATE_THRESHOLD for v in values)
    p999 = values[int(len(values) * 0.999)]
    print(
        f"  unrelated pairs{'':<27} p99.9 {p999:.3f} median {statistics.median(values):.3f}"
        f"  at/above threshold {above}/{len(values)} (the corpus holds a few re-sent stories)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--similarity", action="store_true", help="also measure near-duplicate similarity")
    args = parser.parse_args()
    bench(Settings())
    if args.similarity:
        print()
        similarity_report()


if __name__ == "__main__":
    main()
