"""Page-chrome removal for scraped text, line by line (the HTML path feeds its blocks in here too).

Method (nothing here knows one site's exact lines):

1. **Lines.** Scraped text puts one block per line; hard-wrapped prose (all lines of a block of
   similar length, most not ending a sentence) is joined back into paragraphs, and a line that
   starts in lower case continues the line before it.
2. **Known chrome** (``data/chrome_patterns.json``): breadcrumbs, share/print bars, "Published:"
   and "tags" lines, "Related Stories" / "More in X" headers, log-in and comment-policy lines,
   copyright. Their metadata (date, tags, crumbs) is kept for the article fields.
3. **Lone credit lines** (an agency name alone, ``By Jane Doe``), **photo captions** (a line ending
   in a bracketed all-caps credit such as ``[KOREAN CENTRAL NEWS AGENCY]``), the **headline** and
   the **site name** are not body paragraphs either.
4. **Duplicates.** A line of three words or more printed twice is a scraping artefact (sticky photo
   captions, repeated teasers): *every* copy is dropped, so a repeated line is never kept twice and
   never kept once at random.
5. **Scoring.** Each remaining line is *good* (prose: enough words, ends a sentence, a normal share
   of function words), *near* (medium length prose-ish) or *short* (few words, no sentence end).
   Function-word density is used only when the page as a whole looks English.
6. **Link lists.** A run of three or more short, sentence-less lines is a list of headlines
   (``More in North Korea``, ``Related Stories``): dropped, and it splits the page into segments.
7. **Main content.** Good lines form segments separated by link lists, tail markers (comment
   areas) or long runs of non-good lines; the segment with the most good text is the story, other
   segments are kept only when they are substantial (a story interrupted by a related-links box).
   Inside a kept segment, near and short lines between good ones (sub-headings) are kept.
8. **No prose at all** (a one-line flash, a few summary bullets): the lines of three words or more
   that are neither known chrome nor under a list header are the story. Nothing left: the caller
   raises ``NormalizationError``.

Lines are capped at ``MAX_LINES`` and chrome patterns only run on lines of at most 200 characters,
so the work stays linear and bounded on hostile text.

Speed (the stage's budget is tens of µs per article): the lines' words are split, counted and
hashed for the whole page at once (``tokens``; the hashes are kept for SimHash), the ``contains``
phrases are found in one Aho-Corasick pass over the page, and the ``line`` patterns only run on
lines whose first characters can start one of them (``prefixes``).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import accumulate, groupby

import ahocorasick_rs
import numpy as np

from stream.core.dateline import find_dateline
from stream.core.normalize.prefixes import StartFilter
from stream.core.normalize.text import collapse
from stream.core.normalize.tokens import LineTokens, StopwordTable, line_tokens

_TERMINAL = frozenset(".!?\"')]:;…»")
_PROSE_END = frozenset(".!?\"'…")  # not ")" or "]": captions end with a bracketed credit
_DATE_PREFIX = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})(?:[ T](\d{1,2}:\d{2}(?::\d{2})?))?\s+(\S.*)\Z", re.I)
_PUBLISHED = re.compile(
    r"\A(?:published|posted|first published|date)\s*(?:on|at)?\s*:?\s*(?P<date>\S.{0,60}?)\s*"
    r"(?:\|\s*(?:updated|modified)\b.*)?\Z",
    re.I,
)
_UPDATED = re.compile(r"\A(?:updated|last updated|modified)\s*(?:on|at)?\s*:?\s*(?P<date>\S.{0,60})\Z", re.I)
_TAGS = re.compile(r"\A(?:tags?|keywords?|topics?)\s*:?\s+(?P<tags>.{1,300})\Z", re.I)
_CRUMB_SPLIT = re.compile(r"\s*[>›»]\s*|\s+/\s+")
_CAPTION = re.compile(
    r"(?:\[[A-Z0-9][A-Z0-9 .,'&/:-]{1,60}\]|\((?:photo|image|picture|file photo|afp|ap|reuters|getty|yonhap|epa|"
    r"ap photo|reuters photo|yonhap photo)[^)]{0,60}\))\s*\Z",
    re.I,
)
_BYLINE = re.compile(
    r"\A(?i:by|written by|reporter)\s*:?\s+(?P<names>[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}"
    r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}){0,4})"
    r"(?:\s*[,/|-]\s*(?P<rest>.{0,60}))?\Z"
)
_SEPARATORS = re.compile(r"\s+[|·•]\s+|\s*[|·•]\s*(?=[^\d])")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_NAME_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*")


@dataclass(slots=True)
class Line:
    """One block of page text; ``link_ratio`` (HTML only) is the share of its characters in links."""

    text: str
    link_ratio: float = 0.0
    tag: str = ""


@dataclass(slots=True)
class Page:
    """What the cleaner found: the story paragraphs and the metadata printed around them."""

    paragraphs: list[str] = field(default_factory=list)
    title: str | None = None
    date_text: str | None = None  # "05 Dec. 2024, 11:27" from a "Published:" line
    date_prefix: str | None = None  # "2024-12-05" from a scraper's "date 2024-12-05  Title" line
    updated_text: str | None = None
    tags_text: str | None = None  # "Korea North Korea Russia"
    crumbs: list[str] = field(default_factory=list)  # ["Home", "National", "North Korea"]
    credit_lines: list[str] = field(default_factory=list)  # lone agency lines, as printed
    captions: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    masthead: list[str] = field(default_factory=list)  # short lines above the story: the site name is one
    # For the signatures, so the body is not tokenised again: each paragraph's case-folded tokens
    # joined by spaces, and the word hashes of those tokens (see ``tokens``).
    paragraph_keys: list[str] = field(default_factory=list)
    paragraph_hashes: np.ndarray | None = None


@dataclass(slots=True, frozen=True)
class _Patterns:
    line: re.Pattern[str]
    list_header: re.Pattern[str]
    tail: re.Pattern[str]
    contains: re.Pattern[str]
    tail_contains: re.Pattern[str]
    stopwords: frozenset[str]
    stopword_table: StopwordTable
    line_start: StartFilter  # cheap pre-test of ``line``
    contains_phrases: ahocorasick_rs.AhoCorasick  # the ``contains`` phrases, for one pass over a page


def _phrases(phrases: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(p.casefold()) for p in phrases))


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    data = resources.files("stream.core.normalize") / "data"
    chrome = json.loads((data / "chrome_patterns.json").read_text("utf-8"))

    def union(patterns: list[str]) -> re.Pattern[str]:
        return re.compile("(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\Z", re.I)

    stop = frozenset(
        w.strip() for w in (data / "stopwords_en.txt").read_text("utf-8").splitlines() if w.strip() and not w.startswith("#")
    )
    # "line" also holds the header and tail patterns, so one match decides whether a line is chrome at
    # all; the narrower patterns only run on the few lines that are.
    everything = chrome["line"] + chrome["list_headers"] + chrome["tail"]
    return _Patterns(
        union(everything),
        union(chrome["list_headers"]),
        union(chrome["tail"]),
        _phrases(chrome["contains"]),
        _phrases(chrome["tail_contains"]),
        stop,
        StopwordTable(stop),
        StartFilter(union(everything)),
        ahocorasick_rs.AhoCorasick([p.casefold() for p in chrome["contains"]]),
    )


# --------------------------------------------------------------------------------------------
# 1. Lines from scraped text


def _ends_sentence(s: str) -> bool:
    return s[-1] in _TERMINAL


# No news page has this many lines; beyond it, the rest is ignored (bounded work on hostile input).
MAX_LINES = 20_000


def text_lines(text: str) -> list[Line]:
    """Blocks of scraped text: one per line, hard-wrapped paragraphs joined back together."""
    breaks = text.count("\n")
    if breaks < MAX_LINES:
        pieces = text.split("\n\n")
        if breaks == 2 * (len(pieces) - 1):
            # Every line break is part of a blank line (paragraphs separated by "\n\n", as clean
            # articles come): each non-blank piece is a block of one line.
            if "\t" in text or "  " in text:
                return [Line(collapse(p)) for p in pieces if p and not p.isspace()]
            return [Line(p.strip()) for p in pieces if p and not p.isspace()]  # nothing to collapse
    out: list[Line] = []
    block: list[str] = []
    for raw in text.split("\n", MAX_LINES)[:MAX_LINES]:
        if raw and not raw.isspace():
            block.append(raw)
            continue
        if block:
            _flush_block(block, out)
            block = []
    if block:
        _flush_block(block, out)
    return out


_BULLETS = frozenset("-*•–—·>")


def _flush_block(block: list[str], out: list[Line]) -> None:
    """One block of consecutive non-blank lines -> lines of ``out``.

    In a hard-wrapped block (see ``_hard_wrapped``) a line continues the one before unless it is
    indented (a new paragraph or a table row), starts with a bullet, or the line before was short
    and ended a sentence (a paragraph's last line). Elsewhere, a line continues the one before only
    when that one stopped mid-sentence and this one starts in lower case (a wrapped sentence).
    """
    if len(block) == 1:  # the common case on scraped pages: one paragraph, blank lines around it
        out.append(Line(collapse(block[0])))
        return
    stripped = [collapse(raw) for raw in block]
    wrapped = len(block) >= 3 and _hard_wrapped(block, stripped)
    width = max(len(s) for s in stripped)
    for idx, s in enumerate(stripped):
        if idx == 0 or not out:
            out.append(Line(s))
            continue
        prev = out[-1].text
        prev_line = stripped[idx - 1]
        if wrapped:
            starts_paragraph = block[idx][:1] in (" ", "\t") or s[0] in _BULLETS
            ended_paragraph = _ends_sentence(prev_line) and len(prev_line) < 0.7 * width
            join = not starts_paragraph and not ended_paragraph
        else:
            join = (
                len(prev_line) >= 30
                and (prev[-1].isalpha() or prev[-1] == ",")
                and (s[0].islower() or (s[0].isdigit() and prev[-1] != prev[-1].upper()))
            )
        if join:
            out[-1] = Line(prev + " " + s)
        else:
            out.append(Line(s))


def _hard_wrapped(block: list[str], stripped: list[str]) -> bool:
    """Prose broken at a fixed width: lines at most ~110 wide, and many of the unindented following
    lines start mid-sentence (lower case, a digit, punctuation). Headline lists and menus start
    every line with a capital, and scraped pages put whole paragraphs on one long line."""
    width = max(len(s) for s in stripped)
    if width < 40 or width > 110:
        return False
    following = [s for raw, s in zip(block[1:], stripped[1:], strict=True) if raw[:1] not in (" ", "\t")]
    if not following:
        return False
    mid_sentence = sum(1 for s in following if not s[0].isupper() and s[0] not in _BULLETS)
    return mid_sentence >= 0.3 * len(following)


# --------------------------------------------------------------------------------------------
# 2-8. Classification and main content


_CHROME, _SHORT, _NEAR, _GOOD = 0, 1, 2, 3


def _key(s: str) -> str:
    return " ".join(s.casefold().split())


def clean(
    lines: list[Line],
    *,
    title: str | None,
    source: str | None,
    agency_aliases: dict[str, str],
) -> Page:
    """Story paragraphs and the metadata printed around them; see the module docstring."""
    page = Page(title=title)
    lines = _take_date_prefix(lines, page)
    if not lines:
        return page
    return _Cleaner(lines, page, source, agency_aliases).run()


def _take_date_prefix(lines: list[Line], page: Page) -> list[Line]:
    """A scraper's ``date 2024-12-05  Title`` first line gives a date and (unless one was given) the
    title; it is not a story line."""
    first = _DATE_PREFIX.match(lines[0].text) if lines else None
    if not first:
        return lines
    page.date_prefix = first.group(1) + (" " + first.group(2) if first.group(2) else "")
    if not page.title:
        page.title = first.group(3).strip()
    return lines[1:]


def _word_counts(texts: list[str], token_counts: list[int]) -> list[int]:
    """Words per line. Scripts written without spaces (Chinese, Japanese, Thai) have few tokens for
    their length: there, about one word per 2 characters."""
    return [len(t) // 2 if nw and len(t) > 12 * nw else nw for t, nw in zip(texts, token_counts, strict=True)]


class _Cleaner:
    """One page on its way through steps 2-8: its lines, their tokens, and what each line was found
    to be. ``run`` calls the steps in order; each fills in the lists the next one reads."""

    __slots__ = (
        "lines", "texts", "n", "page", "aliases", "pats", "tokens", "keys", "counts", "word_counts",
        "stop_counts", "english", "known_keys", "has_phrase", "any_separator",
        "label", "list_header", "tail", "repeated", "is_list", "headed_list",
    )  # fmt: skip

    def __init__(self, lines: list[Line], page: Page, source: str | None, agency_aliases: dict[str, str]) -> None:
        self.lines = lines
        self.texts = texts = [ln.text for ln in lines]
        self.n = n = len(lines)
        self.page = page
        self.aliases = agency_aliases
        self.pats = pats = _patterns()
        self.tokens = line_tokens(texts, pats.stopword_table)
        # A line's identity for duplicate and title checks: case-folded, spaces collapsed.
        self.keys = self.tokens.keys
        self.counts = Counter(self.keys)
        self.word_counts = _word_counts(texts, self.tokens.token_counts)
        self.stop_counts = self.tokens.stop_counts
        # English-looking page? Then function-word density is a feature; otherwise it would punish prose.
        total_words = sum(self.word_counts)
        self.english = total_words > 0 and sum(self.stop_counts) / total_words > 0.2
        # The headline and the site name, printed again on the page, are chrome.
        self.known_keys = {_key(s) for s in (page.title, source) if s}
        # Lines holding a "contains" phrase, found in one pass over the page (phrases never span lines).
        page_text = "\n".join(self.keys)
        self.has_phrase = _lines_with_phrases(page_text, self.keys, pats.contains_phrases)
        self.any_separator = "|" in page_text or "·" in page_text or "•" in page_text  # menus are rare
        self.label: list[int] = []  # one of _CHROME, _SHORT, _NEAR, _GOOD per line, from run()
        self.list_header = [False] * n
        self.tail = [False] * n
        self.repeated = [False] * n  # chrome only because printed twice: may still be the headline
        self.is_list = [False] * n
        self.headed_list = [False] * n  # under a "Related Stories"-like header: certainly links

    def run(self) -> Page:
        self.label = self._labels()
        self._title_from_page()
        if self.label.count(_GOOD) == self.n:
            # Prose only (most clean articles): no masthead, no link list, one segment of all lines.
            return self._finish(list(range(self.n)))
        self._note_masthead()
        self._mark_link_lists()
        segments = self._segments()
        if not segments:
            return self._finish(self._lines_without_prose())
        keep = self._main_content(segments)
        _keep_dateline_lead(self.lines, self.label, keep)
        return self._finish(keep)

    # 2-5. One label per line -------------------------------------------------------------------

    def _labels(self) -> list[int]:
        """Steps 2-5: a label per line, chrome or else the line's prose score."""
        counts, keys, word_counts, stop_counts, english = self.counts, self.keys, self.word_counts, self.stop_counts, self.english
        labels = []
        for i, ln in enumerate(self.lines):
            s = ln.text
            # Long, unique, ends a sentence: no chrome pattern applies (they stop at 200 characters).
            long_prose = len(s) > 200 and counts[keys[i]] == 1 and s[-1] in _PROSE_END and ln.link_ratio <= 0.5
            if not long_prose and self._is_chrome(i, ln):
                labels.append(_CHROME)
            else:
                labels.append(_score(s, word_counts[i], stop_counts[i], english))
        return labels

    def _is_chrome(self, i: int, ln: Line) -> bool:
        """Steps 2-4: whether the line is page chrome; its metadata, caption or chrome kind is noted."""
        s = ln.text
        k = self.keys[i]
        short = len(s) <= 200  # chrome patterns only run on short lines (bounded work)
        if k in self.known_keys:
            return True
        if self.word_counts[i] >= 3 and self.counts[k] > 1:
            self.repeated[i] = True
            self._caption(s)
            return True
        if (short and _metadata(s, self.page, self.aliases)) or self._caption(s):
            return True
        return (short and self._known_chrome(i, s, k)) or ln.link_ratio > 0.5

    def _caption(self, s: str) -> bool:
        """A photo caption (it ends in a bracketed credit such as ``[YONHAP]``) is kept aside."""
        if s[-1] in ")]" and _CAPTION.search(s):
            self.page.captions.append(s)
            return True
        return False

    def _known_chrome(self, i: int, s: str, k: str) -> bool:
        """A short line matching ``chrome_patterns.json``; tail markers and list headers are noted,
        as they end the story and announce a link list."""
        pats = self.pats
        if pats.line_start.may_match(s) and pats.line.match(s):
            # The narrower patterns only run on the few lines that are chrome at all.
            if pats.tail.match(s):
                self.tail[i] = True
            elif pats.list_header.match(s):
                self.list_header[i] = True
            return True
        if i in self.has_phrase and pats.contains.search(k):
            self.tail[i] = pats.tail_contains.search(k) is not None
            return True
        return self.any_separator and ("|" in s or "·" in s or "•" in s) and _separated_chrome(s, pats.line)

    def _title_from_page(self) -> None:
        """No title given: the first headline-like line before the story; that line is no story line."""
        page = self.page
        if page.title:
            return
        page.title = _find_title(self.lines, self.label, self.repeated)
        if page.title:
            tk = _key(page.title)
            for i, k in enumerate(self.keys):
                if k == tk:
                    self.label[i] = _CHROME

    def _note_masthead(self) -> None:
        """Short lines above the first good line: the site name is often one of them."""
        for i in range(self.n):
            if self.label[i] == _GOOD:
                break
            if self.word_counts[i] <= 8:
                self.page.masthead.append(self.lines[i].text)

    # 6. Link lists -----------------------------------------------------------------------------

    def _mark_link_lists(self) -> None:
        """Runs of >= 3 headline-like lines (short or near, no sentence end, at most 20 words), or any
        such run right after a list header, are lists of links: chrome, and (in ``_segments``) the
        end of a segment."""
        label, word_counts = self.label, self.word_counts
        listy = [
            label[i] in (_SHORT, _NEAR) and text[-1] not in _TERMINAL and word_counts[i] <= 20
            for i, text in enumerate(self.texts)
        ]
        start = 0
        for is_listy, run in groupby(listy):
            end = start + len(list(run))
            after_header = start > 0 and self.list_header[start - 1]
            if is_listy and (end - start >= 3 or after_header):
                for k in range(start, end):
                    self.is_list[k] = True
                    self.headed_list[k] = after_header
                    label[k] = _CHROME
            start = end

    # 7. Main content ---------------------------------------------------------------------------

    def _segments(self) -> list[list[int]]:
        """Runs of lines from a good line on, split at link lists (and their headers), at tail markers
        (nothing after one is story) and after four unexplained non-good lines."""
        n, label, is_list, tail = self.n, self.label, self.is_list, self.tail
        segments: list[list[int]] = []
        current: list[int] = []
        gap = 0
        for i in range(n):
            header_of_list = self.list_header[i] and i + 1 < n and is_list[i + 1]
            if is_list[i] or tail[i] or header_of_list or gap >= 4:
                if current:
                    segments.append(current)
                current = []
                gap = 0
                if tail[i]:
                    break  # comment areas and the like: what follows is no longer the story
                if is_list[i] or header_of_list:
                    continue
            if label[i] == _GOOD:
                current.append(i)
                gap = 0
            elif current:
                current.append(i)
                # Known chrome inside a story ("Related Article", an ad label) does not end it;
                # a run of unexplained short lines does.
                if label[i] != _CHROME:
                    gap += 1
        if current:
            segments.append(current)
        return segments

    def _main_content(self, segments: list[list[int]]) -> list[int]:
        """The lines kept: the segment with the most good text, and the other substantial ones."""
        label, lines, word_counts = self.label, self.lines, self.word_counts
        seg_chars = [sum(len(lines[i].text) for i in seg if label[i] == _GOOD) for seg in segments]
        best_index = max(range(len(segments)), key=seg_chars.__getitem__)
        best = seg_chars[best_index]
        keep: list[int] = []
        for j, seg in enumerate(segments):
            goods = [i for i in seg if label[i] == _GOOD]
            # Other segments: a story interrupted by a related-links box. Substantial ones are kept; a
            # lone paragraph only before the main run (a lead), never after it (footer blurbs).
            substantial = seg_chars[j] >= 0.3 * best and (len(goods) >= 2 or j < best_index)
            if j == best_index or substantial:
                # Up to the segment's last good line; sub-headings between good lines stay.
                last_good = goods[-1]
                keep.extend(
                    i for i in seg if i <= last_good and label[i] != _CHROME and (label[i] != _SHORT or word_counts[i] >= 2)
                )
        keep.sort()
        return keep

    # 8. No prose at all ------------------------------------------------------------------------

    def _lines_without_prose(self) -> list[int]:
        """No prose-like line at all: a short clean article ("Breaking: ...", a few summary bullets).
        Lines of 3+ words that are not known chrome nor under a list header are kept (an unheaded
        "list" without any story around it is the story); the caller raises when even that is empty."""
        label, is_list, headed_list, word_counts = self.label, self.is_list, self.headed_list, self.word_counts
        return [
            i
            for i in range(self.n)
            if (label[i] != _CHROME or (is_list[i] and not headed_list[i])) and word_counts[i] >= 3
        ]

    def _finish(self, keep: list[int]) -> Page:
        _set_paragraphs(self.page, self.lines, keep, self.tokens)
        return self.page


def _keep_dateline_lead(lines: list[Line], label: list[int], keep: list[int]) -> None:
    """A wire story starts at its dateline (``CHICAGO, Feb 26 - Oper shr loss ...``): that lead and
    the story lines from it to the kept run stay, however short (an earnings table's first row)."""
    if not keep:
        return
    for d in range(min(keep[0], 8)):
        if find_dateline(lines[d].text) is not None:
            keep[:0] = [i for i in range(d, keep[0]) if i == d or label[i] != _CHROME]
            return


def _set_paragraphs(page: Page, lines: list[Line], keep: list[int], tokens: LineTokens) -> None:
    page.paragraphs = [lines[i].text for i in keep]
    page.paragraph_keys = [tokens.keys[i] for i in keep]
    page.paragraph_hashes = tokens.body_hashes(keep)


def _lines_with_phrases(joined: str, keys: list[str], phrases: ahocorasick_rs.AhoCorasick) -> set[int]:
    """Indexes of the lines (``keys``, joined by "\n" in ``joined``) that hold one of ``phrases``."""
    found = phrases.find_matches_as_indexes(joined, overlapping=True)
    if not found:
        return set()
    ends = list(accumulate(len(k) + 1 for k in keys))  # offset just past each line's "\n"
    return {bisect_right(ends, start) for _, start, _ in found}


def _separated_chrome(s: str, line_pattern: re.Pattern[str]) -> bool:
    """``World | Business | Markets`` (a menu) or ``Advertisement · Scroll to continue``: every part is
    chrome, or there are three or more parts of at most four words."""
    parts = [p for p in _SEPARATORS.split(s) if p.strip()]
    if len(parts) < 2:
        return False
    if all(line_pattern.match(p.strip()) for p in parts):
        return True
    return len(parts) >= 3 and all(len(p.split()) <= 4 for p in parts)


def _score(s: str, nw: int, n_stop: int, english: bool) -> int:
    """Good (prose), near (prose-ish, medium length) or short, from the words, the sentence end and
    the share of function words."""
    ends = _ends_sentence(s)
    density = n_stop / nw if english and nw else 0.3  # neutral where we cannot judge
    if nw >= 30 and density >= 0.15:
        return _GOOD
    if nw >= 8 and ends and density >= 0.18:
        return _GOOD
    if nw >= 8 and (ends or density >= 0.25):
        return _NEAR
    if nw >= 5 and ends and density >= 0.2:
        return _NEAR
    return _SHORT


# --------------------------------------------------------------------------------------------
# Metadata lines


_METADATA_FIRST_WORDS = frozenset(
    "published posted first date updated last modified tags tag keywords keyword topics topic by written reporter".split()
)


def _metadata(s: str, page: Page, agency_aliases: dict[str, str]) -> bool:
    """Lines that carry article metadata rather than story text: record what they say."""
    # "Published:", "By", "Tags": the line says what it holds. Only such lines are tried as the
    # labelled kinds (publication date, update, tags, byline).
    labelled = s.split(None, 1)[0].rstrip(":").lower() in _METADATA_FIRST_WORDS
    if len(s) > 40 and s[-1] in _TERMINAL and not labelled:
        return False  # prose: too long for a lone credit, unlabelled, and dates/crumbs never end a sentence
    for read in _LABELLED_READERS if labelled else _UNLABELLED_READERS:
        if read(s, page, agency_aliases):
            return True
    return False


def _credit_line(s: str, page: Page, agency_aliases: dict[str, str]) -> bool:
    """An agency name alone (``Yonhap``, ``By AFP``, ``- Reuters -``): a credit, not a byline."""
    if len(s) > 40:
        return False
    bare = s.strip(" -–—/|()[]").strip()
    if bare.startswith(("By ", "by ")) and bare[3:].strip() in agency_aliases:
        bare = bare[3:].strip()
    if bare not in agency_aliases:
        return False
    page.credit_lines.append(bare)
    return True


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _published_line(s: str, page: Page, agency_aliases: dict[str, str]) -> bool:
    """``Published: 05 Dec. 2024, 11:27`` (a label without a date in it is not a date line)."""
    m = _PUBLISHED.match(s)
    if not m or not _has_digit(m.group("date")):
        return False
    if page.date_text is None:
        page.date_text = m.group("date").strip()
    return True


def _updated_line(s: str, page: Page, agency_aliases: dict[str, str]) -> bool:
    """``Updated: 06 Dec. 2024, 10:00``."""
    m = _UPDATED.match(s)
    if not m or not _has_digit(m.group("date")):
        return False
    page.updated_text = page.updated_text or m.group("date").strip()
    return True


def _date_line(s: str, page: Page, agency_aliases: dict[str, str]) -> bool:
    """A date printed alone (``Dec. 5, 2024 10:11 a.m. | Seoul``): every word of its first part is a
    date word, so a sentence that happens to hold a date is not one."""
    if len(s) > 90 or _ends_sentence(s) or not _YEAR.search(s) or len(s.split()) > 14:
        return False
    from stream.core.normalize.dates import parse_date  # local: dates does not need this module

    first_part = _SEPARATORS.split(s)[0]
    if parse_date(first_part)[0] is None or not _mostly_date(first_part):
        return False
    page.date_text = page.date_text or first_part.strip()
    return True


def _tags_line(s: str, page: Page, agency_aliases: dict[str, str]) -> bool:
    """``Tags: Korea North Korea Russia``."""
    m = _TAGS.match(s)
    if not m or _ends_sentence(s):
        return False
    page.tags_text = page.tags_text or m.group("tags").strip()
    return True


def _crumbs_line(s: str, page: Page, agency_aliases: dict[str, str]) -> bool:
    """``Home > National > North Korea``: two or more parts of at most five words."""
    if not (">" in s or "›" in s or "»" in s or " / " in s) or len(s) > 160 or _ends_sentence(s):
        return False
    parts = [p for p in _CRUMB_SPLIT.split(s) if p]
    if len(parts) < 2 or any(len(p.split()) > 5 for p in parts):
        return False
    if not page.crumbs:
        page.crumbs = parts
    return True


def _byline(s: str, page: Page, agency_aliases: dict[str, str]) -> bool:
    """``By Jane Doe and John Roe``: the names are authors, an agency among them is a credit."""
    m = _BYLINE.match(s)
    if not m or len(s.split()) > 14:
        return False
    for name in (x.strip() for x in _NAME_SPLIT.split(m.group("names"))):
        if not name:
            continue
        if name in agency_aliases:
            page.credit_lines.append(name)
        elif name not in page.authors:
            page.authors.append(name)
    return True


# Tried in this order, first match wins; unlabelled lines can only be a credit, a date or crumbs.
_LABELLED_READERS = (_credit_line, _published_line, _updated_line, _date_line, _tags_line, _crumbs_line, _byline)
_UNLABELLED_READERS = (_credit_line, _date_line, _crumbs_line)


_DATE_WORDS = re.compile(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?,?"
    r"|[ap]\.?m\.?|utc|gmt|[a-z]{2,4}t|at|on|\d[\d:.,/+\-]*(?:st|nd|rd|th)?,?|[+-]\d+|gmt[+-]\d+|utc[+-]\d+|\(.*\)",
    re.I,
)


def _mostly_date(text: str) -> bool:
    """A date line, not a sentence that happens to contain a date: every word is a date word."""
    return all(_DATE_WORDS.fullmatch(w) for w in text.split())


def _find_title(lines: list[Line], label: list[int], repeated: list[bool]) -> str | None:
    """An ``<h1>``; else the first headline-like line above the first prose line (a headline is
    often printed again in a "More in ..." list, so a repeated line qualifies)."""
    for ln in lines:
        if ln.tag == "h1":
            return ln.text
    for i, ln in enumerate(lines):
        if label[i] == _GOOD:
            break
        nw = len(ln.text.split())
        if (label[i] in (_SHORT, _NEAR) or repeated[i]) and 4 <= nw <= 30 and not ln.text.endswith((".", "]", ")")):
            return ln.text
    return None
