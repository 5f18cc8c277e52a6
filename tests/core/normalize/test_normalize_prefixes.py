"""The regex start filter never skips a line its pattern would match."""

from __future__ import annotations

import json
import random
import re
from importlib import resources

from stream.core.normalize.boilerplate import _patterns
from stream.core.normalize.prefixes import StartFilter


def test_filter_knows_literal_starts_and_skips_others():
    f = StartFilter(re.compile(r"(?:share|print)\s*:?|\d+ comments?|©.{0,20}", re.I))
    for line in ["Share", "PRINT:", "12 comments", "© 2024 Example"]:
        assert f.may_match(line), line
    for line in ["The council voted", "Officials said", "A share of the market"]:
        assert not f.may_match(line), line


def test_filter_is_conservative_where_it_cannot_tell():
    assert StartFilter(re.compile(r".{0,5}abc")).may_match("zzzz")  # leading wildcard: anything
    assert StartFilter(re.compile(r"[^x]bc")).may_match("qqq")
    f = StartFilter(re.compile(r"kelvin", re.I))
    assert f.may_match("\u212aelvin")  # non-ASCII start: always to the regex
    assert f.may_match("KELVIN")


def test_chrome_filter_never_skips_a_chrome_line():
    pats = _patterns()
    chrome = json.loads((resources.files("stream.core.normalize") / "data" / "chrome_patterns.json").read_text("utf-8"))
    sources = chrome["line"] + chrome["list_headers"] + chrome["tail"]
    words = sorted(set(re.findall(r"[a-z+\-©'()]+", " ".join(sources)))) + ["©", "12", "|", ">", "›", ":", "Home", "X"]
    rng = random.Random(11)
    matched = 0
    for _ in range(30_000):
        line = " ".join(rng.choice(words) for _ in range(rng.randint(1, 5)))
        line = rng.choice([line, line.title(), line.upper()])
        if pats.line.match(line):
            matched += 1
            assert pats.line_start.may_match(line), line
    assert matched > 1000  # the generator does produce chrome lines
