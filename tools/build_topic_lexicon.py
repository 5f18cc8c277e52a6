"""Derive economy sub-topic terms from Reuters-21578 TRAIN documents.

    python tools/build_topic_lexicon.py [--data ../shared/eval-data]

For each economy sub-topic, its Reuters TOPICS categories give positive documents (TRAIN split,
TOPICS="YES" only; TEST stays held out); every other such TRAIN document is the contrast. A word
qualifies when at least MIN_DF positive documents contain it and it is at least MIN_RATIO times
more frequent (document frequency, smoothed) there than in the contrast; its weight is the log
ratio, scaled into [0.5, 2.0]. Only words written in lower case count (no names); numbers, stop words, wire jargon, place
names and words the hand lexicon gives to a topic outside economy ("ministers", "war") are skipped.
Writes ``data/topic_lexicon_reuters.tsv``, read next to the hand-curated ``topic_lexicon.tsv``.
"""

from __future__ import annotations

import argparse
import math
import re
from collections import Counter
from pathlib import Path

from stream.core.tag.resources import DATA, load_resources

SUBTOPIC_CATEGORIES = {
    "economy/trade": {"trade"},
    "economy/monetary-policy": {"interest", "money-supply"},
    "economy/markets": {"money-fx"},
    "economy/energy": {"crude", "nat-gas", "gas", "fuel", "heat", "propane", "jet", "naphtha", "pet-chem"},
    "economy/commodities": {
        "grain", "wheat", "corn", "barley", "oat", "rice", "sorghum", "rye", "sugar", "coffee", "cocoa", "tea",
        "oilseed", "soybean", "soy-meal", "soy-oil", "veg-oil", "palm-oil", "rapeseed", "sunseed", "cotton",
        "rubber", "livestock", "carcass", "hog", "gold", "silver", "copper", "tin", "zinc", "alum", "lead",
        "nickel", "platinum", "iron-steel", "orange", "potato", "meal-feed", "wool",
    },
    "economy/business": {"acq", "earn"},
}
MIN_DF = 25
MIN_RATIO = 6.0
MAX_TERMS = 40
# Wire-service jargon and function words say nothing about a sub-topic.
SKIP = set(
    "the a an and or of to in on at for by with from as is are was were be been it its this that these those "
    "he she they we i you his her their our said says say would will could should may might can also not no "
    "but if than then there which who whom whose what when where while about after before over under into "
    "mln bln dlrs dlr pct cts shr reuter reuters vs avg shrs net qtr qtly year years last week month months "
    "new one two three four five six seven eight nine ten billion million mth mths jan feb mar apr may jun "
    "jul aug sep sept oct nov dec january february march april june july august september october november "
    "december monday tuesday wednesday thursday friday saturday sunday told added today yesterday "
    "tomorrow reporters saying must try stop add near far around compares provided includes excludes".split()
)
_WORD = re.compile(r"(?<![A-Za-z])[a-z][a-z\-]{2,}(?![A-Za-z])")


def _other_topic_terms() -> tuple[set[str], tuple[str, ...]]:
    """Hand-lexicon words of the topics outside economy: (whole words, prefixes)."""
    whole, prefixes = set(), []
    for line in (DATA / "topic_lexicon.tsv").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        topic, _, terms = line.split("\t")
        if topic.split("/")[0] == "economy":
            continue
        for term in terms.split("|"):
            if term.endswith("*"):
                prefixes.append(term[:-1])
            else:
                whole.add(term)
    return whole, tuple(prefixes)


def _claimed(word: str, other: tuple[set[str], tuple[str, ...]]) -> bool:
    """A word the hand lexicon gives to another topic ("ministers", "war") is no economy evidence."""
    return word in other[0] or word.startswith(other[1])


def main() -> None:
    from stream.eval.corpora import iter_reuters

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/eval-data"))
    args = parser.parse_args()
    res = load_resources()
    places = res.place_terms
    other_topics = _other_topic_terms()

    docs = []
    for doc in iter_reuters(args.data / "reuters21578"):
        if doc.split == "TRAIN" and doc.topics_attr == "YES" and doc.topics:
            # Words as written in lower case in the (mixed-case) body: names ("Miyazawa") stay out.
            words = set(_WORD.findall(doc.body)) - SKIP
            docs.append((set(doc.topics), {w for w in words if w not in places and not _claimed(w, other_topics)}))
    lines = []
    for subtopic, categories in SUBTOPIC_CATEGORIES.items():
        pos = [w for cats, w in docs if cats & categories]
        neg = [w for cats, w in docs if not cats & categories]
        df_pos, df_neg = Counter(), Counter()
        for words in pos:
            df_pos.update(words)
        for words in neg:
            df_neg.update(words)
        scored = []
        for word, n in df_pos.items():
            if n < MIN_DF:
                continue
            ratio = ((n + 1) / (len(pos) + 2)) / ((df_neg[word] + 1) / (len(neg) + 2))
            if ratio >= MIN_RATIO:
                scored.append((math.log(ratio), word))
        scored.sort(reverse=True)
        top = scored[:MAX_TERMS]
        if not top:
            continue
        hi = top[0][0]
        lo = math.log(MIN_RATIO)
        by_weight: dict[float, list[str]] = {}
        for score, word in top:
            weight = round(0.5 + 1.5 * (score - lo) / max(hi - lo, 1e-9), 1)
            by_weight.setdefault(weight, []).append(word)
        for weight in sorted(by_weight, reverse=True):
            lines.append(f"{subtopic}\t{weight}\t{'|'.join(sorted(by_weight[weight]))}")
        print(f"{subtopic}: {len(pos)} documents, {len(top)} terms: {', '.join(w for _, w in top[:12])} ...")
    with open(DATA / "topic_lexicon_reuters.tsv", "w", encoding="utf-8") as fh:
        fh.write("# generated by python tools/build_topic_lexicon.py from Reuters-21578 TRAIN documents\n")
        fh.write("# (TOPICS categories -> economy sub-topics); weights are scaled log document-frequency ratios.\n")
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
