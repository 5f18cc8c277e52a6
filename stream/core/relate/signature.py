"""An article's event signature: the few numbers that tell two events of the same kind apart.

Two events of one kind - two Academy Awards ceremonies, two matches of the same teams, two
earthquakes in one region - share their people, places and words; what differs is *when* and the
event's own numbers. The signature is read from the article's normalized text (and its publication
time when it has one), as at most one code per kind:

- ``YEAR``: the year of publication (exact: ``published_at``);
- ``TEXT_YEAR``: an undated article's latest year named in its text (not a year ahead of ingestion),
  or the year of the first full date it names; a lower bound of when it was written, usually the year;
- ``SCORE``: the first score line of the title and lead ("beat City 3-1", "2-0 win"), as the unordered
  pair (the two sides report it in either order);
- ``ORDINAL``: the ordinal of a recurring event ("the 81st Academy Awards", "66th Cannes Film Festival");
- ``MAGNITUDE``: an earthquake's magnitude, in tenths;
- ``DEATHS``: the first death count of the lead ("killing 12", "three people were killed").

A code is ``kind * _BASE + value``: an article's signature is a tuple of a few ints, and a story keeps
the codes of its articles with counts (``accumulate``), a flat ``(code, count, ...)`` tuple.
``conflicts`` tells whether an article's signature contradicts a story's: such an article is about
another event of the same kind, whatever words and names they share.

Pure functions; the words read around numbers are data (``data/signature_words.json``).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

_WORDS_FILE = Path(__file__).with_name("data") / "signature_words.json"

YEAR, TEXT_YEAR, SCORE, ORDINAL, MAGNITUDE, DEATHS = 1, 2, 3, 4, 5, 6
_BASE = 100_000

# Read the title and the lead for an event's own numbers (its score, magnitude, toll): further down,
# an article recalls other events' numbers. Years are read further: a date may come late.
LEAD_CHARS = 600
YEAR_CHARS = 3000
_MAX_YEAR = 2099
_SCORE_MAX = 200  # basketball reaches three digits; more is no score

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
    "a": 1, "an": 1,
}

# The patterns start with a digit (re scans for it fast); what may not come before a match (a longer
# number, an amount's sign, a word) is checked on the one character before it (_after_boundary).
_YEAR = re.compile(r"((?:19|20)\d\d)(?![\w%]|[.,:/-]\d|[-–]\d)")
_NOT_BEFORE_YEAR = frozenset("$£€#.,:/'’-")
_PREVIOUS_WORD = re.compile(r"([A-Za-z.]+)\W*\Z")
_NEXT_WORD = re.compile(r"[\s-]*([A-Za-z.]+)")
# a written date ending right before a year: "February 22, " or "22 Feb "
_DATE_BEFORE = re.compile(r"(?:\b([A-Za-z]{3,9})\.?\s+\d{1,2}(?:st|nd|rd|th)?,?|\b\d{1,2}(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?)\s+\Z")
# "3-1", "3 - 1", "3–1"; not a part of a longer dash chain (a 4-3-3 formation, a date 2024-12-05), a
# decimal, a time or a fraction
_SCORE = re.compile(r"(\d{1,3}) ?[-–] ?(\d{1,3})(?![\w%]|[.,:/]\d| ?[-–] ?\d)")
_NOT_BEFORE_SCORE = frozenset(".,:/$£€#–-")
_ORDINAL = re.compile(r"(\d{1,3})(?:st|nd|rd|th)\s+(?:[Aa]nnual\s+)?([A-Z][\w'’-]*)")
_MAGNITUDE = re.compile(
    r"\b[Mm]agnitude(?:\s+of)?\s+(\d(?:\.\d)?)\b|\b(\d\.\d)[\s-]+(?:[Mm]agnitude|on the Richter)"
)


def _after_boundary(text: str, start: int, refused: frozenset[str] = frozenset()) -> bool:
    """Whether the match at ``start`` does not continue a word or number (nor follow a ``refused`` character)."""
    if start == 0:
        return True
    before = text[start - 1]
    return not (before.isalnum() or before == "_" or before in refused)


@lru_cache(maxsize=1)
def _words() -> dict[str, frozenset[str]]:
    data = json.loads(_WORDS_FILE.read_text(encoding="utf-8"))
    return {key: frozenset(value) for key, value in data.items() if not key.startswith("_")}


@lru_cache(maxsize=1)
def _deaths() -> re.Pattern[str]:
    verbs = "|".join(sorted(_words()["casualty_verbs"], key=len, reverse=True))
    number = r"(\d{1,5}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
    # "12 people were killed", "three dead", "killing at least 12", "death toll rose to 30"
    return re.compile(
        r"\b" + number + r"(?:\s+[A-Za-z-]+){0,3}?\s+(?:were\s+|was\s+|have\s+been\s+|are\s+)?(?:" + verbs + r")\b"
        r"|\b(?:killing|killed)\s+(?:at\s+least\s+|some\s+|about\s+)?" + number + r"\b"
        r"|\bdeath\s+toll\s+(?:\w+\s+){0,3}?(?:to|of|at|reached|is|was)\s+(?:at\s+least\s+)?" + number + r"\b",
    )  # matched on the lowercased lead


def _code(kind: int, value: int) -> int:
    return kind * _BASE + value


def kind_of(code: int) -> int:
    return code // _BASE


def value_of(code: int) -> int:
    return code % _BASE


def _year_of(epoch: float) -> int:
    return time.gmtime(epoch).tm_year


def _text_years(text: str, latest: int) -> tuple[list[int], int | None]:
    """Years named in ``text`` (up to ``latest``): 4-digit numbers 1900-2099 that are not amounts
    ("about 2000 troops"), clock times ("at 1900 GMT") or parts of longer numbers; and the year of the
    first written full date ("February 22, 2009", "22 Feb 2009"), None when there is none."""
    words = _words()
    counts, clocks = words["count_words"], words["clock_words"]
    out = []
    dated = None
    for match in _YEAR.finditer(text):
        start = match.start()
        year = int(match.group(1))
        if year > latest or not _after_boundary(text, start, _NOT_BEFORE_YEAR):
            continue
        before = _PREVIOUS_WORD.search(text, max(0, start - 20), start)
        if before is not None and before.group(1).lower() in counts and before.end() >= start - 1:
            continue
        after = _NEXT_WORD.match(text, match.end(), min(len(text), match.end() + 12))
        if after is not None and after.group(1).lower().rstrip(".") in clocks:
            continue
        out.append(year)
        if dated is None:
            date = _DATE_BEFORE.search(text, max(0, start - 22), start)
            if date is not None and (date.group(1) or date.group(2)).lower() in _MONTHS:
                dated = year
    return out, dated


def _score(lead: str) -> int | None:
    words = _words()
    units, not_after, not_before = words["range_units"], words["score_not_after"], words["score_not_before"]
    for match in _SCORE.finditer(lead):
        start = match.start()
        if not _after_boundary(lead, start, _NOT_BEFORE_SCORE):
            continue
        a, b = int(match.group(1)), int(match.group(2))
        if a > _SCORE_MAX or b > _SCORE_MAX:
            continue
        after = _NEXT_WORD.match(lead, match.end(), min(len(lead), match.end() + 14))
        if after is not None and after.group(1).lower().rstrip(".") in units:
            continue  # a range ("10-15 years", "5-10 people")
        # a team's record ("improved to 15-2", "a 15-2 record"), a score on the way ("a 2-0 lead at
        # half-time") or a vote ("a 5-4 decision") is not the result of this event
        if after is not None and after.group(1).lower().rstrip(".") in not_after:
            continue
        before = _PREVIOUS_WORD.search(lead, max(0, start - 12), start)
        if before is not None and before.group(1).lower() in not_before:
            continue
        high, low = (a, b) if a >= b else (b, a)
        return high * 1000 + low
    return None


def _ordinal(text: str) -> int | None:
    skip = _words()["ordinal_places"]
    for match in _ORDINAL.finditer(text):
        if not _after_boundary(text, match.start()):
            continue
        n = int(match.group(1))
        if n >= 2 and match.group(2).lower().rstrip(".") not in skip:
            return n
    return None


def _magnitude(lead: str) -> int | None:
    if "agnitude" not in lead and "Richter" not in lead:
        return None
    match = _MAGNITUDE.search(lead)
    if match is None:
        return None
    value = float(match.group(1) or match.group(2))
    return round(value * 10) if 1.0 <= value <= 10.0 else None


def _death_count(lead: str) -> int | None:
    low = lead.lower()
    # most articles name no death: plain substring tests, and the full pattern runs only from ~80
    # characters before the first casualty word
    first = min((i for i in map(low.find, _words()["casualty_stems"]) if i >= 0), default=-1)
    if first < 0:
        return None
    match = _deaths().search(low, max(0, first - 80))
    if match is None:
        return None
    word = next(group for group in match.groups() if group)
    n = int(word) if word.isdigit() else _NUMBER_WORDS.get(word.lower())
    return n if n is not None and 0 < n < _BASE else None


def event_signature(text: str, published: float | None = None, ingested: float | None = None) -> tuple[int, ...]:
    """The signature codes of an article (``text``: title and body, normalized; ``published``: its
    publication time, epoch seconds, when it has one; ``ingested``: the time it is related at - for an
    undated article the relator's clock - after which a named year is a plan, not when it was written)."""
    codes = []
    if published is not None:
        codes.append(_code(YEAR, _year_of(published)))
    else:
        head = text[:YEAR_CHARS]
        latest = _year_of(ingested) + 1 if ingested is not None else _MAX_YEAR
        years, dated = _text_years(head, latest)
        year = dated if dated is not None else max(years) if years else None
        if year is not None:
            codes.append(_code(TEXT_YEAR, year))
    lead = text[:LEAD_CHARS]
    for kind, value in ((SCORE, _score(lead)), (ORDINAL, _ordinal(lead)), (MAGNITUDE, _magnitude(lead)),
                        (DEATHS, _death_count(lead))):
        if value is not None:
            codes.append(_code(kind, value))
    return tuple(codes)


def accumulate(parts: Iterable[tuple[Any, ...]], article: tuple[int, ...] = (), keep: int = 12) -> tuple[Any, ...]:
    """A story's flat ``(code, count, ...)`` signature from story signatures (``parts``, e.g. the
    survivor's and the absorbed ones' of a merge) and an article's codes: the ``keep`` codes most
    counted (ties: the later value, so the newest year stays)."""
    counts: dict[int, int] = {}
    for part in parts:
        for code, count in zip(part[::2], part[1::2]):
            counts[code] = counts.get(code, 0) + count
    for code in article:
        counts[code] = counts.get(code, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], -kv[0]))[:keep]
    return tuple(value for pair in ranked for value in pair)


def _by_kind(story: tuple[Any, ...]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for code in story[::2]:
        out.setdefault(kind_of(code), []).append(value_of(code))
    return out


def conflicts(article: tuple[int, ...], story: tuple[Any, ...], year_slack: int = 1) -> list[int]:
    """The kinds on which ``article``'s codes contradict the ``story``'s flat signature (empty: none).

    - year: an article written more than ``year_slack`` years after every year the story knows (its
      articles' publication years and the years their texts name) is about a later event; a dated
      article more than ``year_slack`` years before the years the story's articles are known to be
      written in (their dates, or a year their texts name: a text is not written before the years it
      names) is about an earlier one. An undated article naming only older years may be a late one
      recalling the past: no conflict.
    - score, ordinal: an article whose value is none of the story's (a 2-1 match report and a 0-0 one,
      the 81st and the 86th Academy Awards).
    - magnitude: more than half a point from every magnitude of the story (first estimates are revised).
    - deaths: a toll under a third of the least the story reported (and 3 or more below): tolls grow as
      an event is reported, they do not shrink.
    """
    if not article or not story:
        return []
    known = _by_kind(story)
    exact = known.get(YEAR, [])
    named = known.get(TEXT_YEAR, [])
    out = []
    for code in article:
        kind, value = kind_of(code), value_of(code)
        if kind == YEAR or kind == TEXT_YEAR:
            clash = _year_conflicts(kind, value, exact, named, year_slack)
        else:
            clash = _value_conflicts(kind, value, known.get(kind))
        if clash:
            out.append(kind)
    return out


def _year_conflicts(kind: int, value: int, exact: list[int], named: list[int], year_slack: int) -> bool:
    years = exact + named
    if not years:
        return False
    if value > max(years) + year_slack and (kind == YEAR or exact):
        return True  # two lower bounds (texts' years) never contradict each other
    if kind != YEAR:
        return False
    if exact:
        return all(abs(value - e) > year_slack for e in exact)
    return value < max(named) - year_slack


def _value_conflicts(kind: int, value: int, values: list[int] | None) -> bool:
    """Score, ordinal, magnitude and death-toll conflicts (see ``conflicts``)."""
    if not values:
        return False
    if kind == SCORE or kind == ORDINAL:
        return value not in values
    if kind == MAGNITUDE:
        return min(abs(value - v) for v in values) > 5
    if kind == DEATHS:
        return value * 3 < min(values) and min(values) - value >= 3
    return False


def agreeing(
    story_scores: dict[str, float], stories: Any, article: tuple[int, ...], penalty: float = math.inf, floor: float = 0.0
) -> dict[str, float]:
    """The candidate stories (story -> score) with each score lowered by ``penalty`` per kind on which the
    article's signature contradicts the story's, and kept while it is at least ``floor``: a conflicting
    signature blocks a join that content and names would otherwise make (``penalty`` inf: always)."""
    if not article:
        return story_scores
    out = {}
    for story, score in story_scores.items():
        record = stories.get(story)
        kinds = conflicts(article, getattr(record, "signature", ()))
        if not kinds:
            out[story] = score
        elif score - penalty * len(kinds) >= floor:
            out[story] = score - penalty * len(kinds)
    return out
