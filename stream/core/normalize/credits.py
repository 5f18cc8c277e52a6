"""News-agency credits: which agencies the story names as its source (``data/agencies.json``).

Credited: a lone agency line (``Yonhap`` at the end of the page, ``By Reuters``), the agency of a
wire dateline (``PYONGYANG, Dec. 5 (Yonhap) --``), and agencies the text cites as its source:
``according to the Korean Central News Agency (KCNA)``, ``KCNA said``, ``Xinhua reported``,
``told Reuters``, ``citing AFP``. A mere mention (``a Reuters office``) is not a credit; neither
is a photo credit in a caption. Order: lone lines and dateline first, then citations in text order.
"""

from __future__ import annotations

import json
import re

from functools import lru_cache

import ahocorasick_rs
from importlib import resources


@lru_cache(maxsize=1)
def aliases() -> dict[str, str]:
    """Alias as printed -> canonical agency name."""
    path = resources.files("stream.core.normalize") / "data" / "agencies.json"
    data = json.loads(path.read_text("utf-8"))["agencies"]
    return {alias: name for name, names in data.items() for alias in [name, *names]}


@lru_cache(maxsize=1)
def _automaton() -> tuple[ahocorasick_rs.AhoCorasick, list[str]]:
    names = list(aliases())
    return ahocorasick_rs.AhoCorasick(names, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest), names


# Context around an agency name that makes it a cited source. Checked only at the (rare) places an
# agency name occurs, found with one Aho-Corasick pass instead of a regex alternation over the body.
_CUE_BEFORE = re.compile(
    r"(?:according\s+to|citing|cited\s+by|quoted\s+by|reported\s+by|told|via|"
    r"in\s+a\s+(?:report|dispatch|statement)\s+(?:by|from|carried\s+by))\s+"
    r"(?:the\s+)?(?:(?:state|official|state-run|state-owned|semi-official)\s+(?:media\s+)?){0,2}\Z",
    re.I,
)
_VERB_AFTER = re.compile(
    r"\A(?:\s*\([A-Z]{2,6}\))?(?:\s+news\s+agency)?\s+(?:(?:also|later|earlier|separately)\s+)?"
    r"(?:reported|said|says|reports|quoted|cited|added|stated|announced|carried)\b"
)


def _is_word_char(c: str) -> bool:
    return c.isalnum() or c in "-_"


def find_credits(body: str, lone_lines: list[str], dateline_agency: str | None) -> list[str]:
    table = aliases()
    out: list[str] = []

    def add(alias: str | None) -> None:
        if not alias:
            return
        name = table.get(alias.strip()) or table.get(alias.strip().title())
        if name and name not in out:
            out.append(name)

    for line in lone_lines:
        add(line)
    add(dateline_agency)
    # Leftmost-longest, non-overlapping alias matches ("Yonhap News Agency", not "Yonhap"), on word
    # boundaries. The Rust automaton scans a page in a few µs (pyahocorasick took ~5x longer).
    automaton, names = _automaton()
    spans: list[tuple[int, int, str]] = []
    for index, start, stop in automaton.find_matches_as_indexes(body):
        if start > 0 and _is_word_char(body[start - 1]):
            continue
        if stop < len(body) and _is_word_char(body[stop]):
            continue
        spans.append((start, stop, names[index]))
    for start, stop, alias in spans:
        if _CUE_BEFORE.search(body[max(0, start - 80) : start]) or _VERB_AFTER.match(body[stop : stop + 60]):
            add(alias)
    return out
