"""One Aho-Corasick pass over a text for every lexicon at once (places, entity aliases, topic terms).

Text and terms are folded the same way: lowercased, and every character that is not a letter or
digit becomes a space (length is kept, so offsets map straight back to the original). Each key is
stored with a space on both sides (" north korea "), so it can only match whole words; a term
ending in ``*`` is stored without the trailing space and matches as a word prefix ("elect*" ->
"election", "electoral"). Overlapping matches are resolved leftmost-longest, so a longer phrase
("South China Sea") hides the shorter name inside it ("China").

The automaton is the Rust ``ahocorasick_rs`` one, compact in memory (in a stream, where other work has
evicted it from the CPU caches, ``pyahocorasick``'s node-per-character trie costs a memory read at
nearly every character), and it does the leftmost-longest resolution itself. Two matches side by
side ("north korea south korea") would share the space between them, so the text it reads has every
space doubled and each key carries one space on each side (its inner spaces doubled): one match ends
on the first space of a pair, the next starts on the second. Offsets map back by counting the spaces
before a match.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import unicodedata

import ahocorasick_rs

# Non-alphanumeric ASCII and common typographic punctuation become spaces.
_FOLD = {i: " " for i in range(128) if not chr(i).isalnum()}
_FOLD.update({ord(c): " " for c in "\u2018\u2019\u201c\u201d\u2033\u2032\u2014\u2013\u2026\u00b7\u00a0\u00ab\u00bb"})
_FOLD_TABLE = str.maketrans(_FOLD)


def lower_same_length(text: str) -> str:
    """``text.lower()`` with offsets unchanged (a few characters, e.g. 'İ', grow when lowered)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch.lower()[0] for ch in text)


# ASCII text takes a bytes.translate fast path (several times faster than str.translate).
_ASCII_FOLD = bytes.maketrans(
    bytes(range(256)),
    bytes(c if (48 <= c <= 57 or 97 <= c <= 122 or c == 127) else 32 for c in bytes(range(256)).lower()),
)
_ASCII_CHARS = frozenset(chr(i) for i in range(128))


_NON_ASCII_FOLD: dict[str, str] = {}  # one character -> one ASCII character, filled as met


def _ascii_char(ch: str) -> str:
    """'é' -> 'e', 'İ' -> 'i'; anything that is not a Latin letter or digit -> ' '."""
    out = _NON_ASCII_FOLD.get(ch)
    if out is None:
        base = unicodedata.normalize("NFKD", ch)[:1].lower()
        out = base if base.isascii() and base.isalnum() else (" " if not ch.isalnum() else "\x7f")
        if len(_NON_ASCII_FOLD) < 10_000:
            _NON_ASCII_FOLD[ch] = out
    return out


def fold(text: str) -> str:
    """Lowercase, accents off, punctuation as spaces; same length as ``text``.

    Letters of other scripts become DEL (matching nothing, but still a word character for the
    boundaries). ASCII text takes a bytes.translate fast path; other text first has each distinct
    non-ASCII character replaced (a handful per article) rather than going through str.translate.
    """
    if not text.isascii():
        distinct = set(text).difference(_ASCII_CHARS)
        if len(distinct) <= 32:
            for ch in distinct:
                text = text.replace(ch, _ascii_char(ch))
        else:  # CJK and the like: one pass, not one per distinct character (quadratic at 1 MiB)
            text = text.translate({ord(ch): _ascii_char(ch) for ch in distinct})
    return text.encode("ascii").translate(_ASCII_FOLD).decode("ascii")


class PhraseMatcher:
    """Multi-pattern matcher. ``add(term, payload)``, then ``build()``, then ``scan(text)``."""

    __slots__ = ("_entries", "_automaton", "_values", "_combined")

    def __init__(self) -> None:
        # folded key -> (trailing dots to extend over, whole-word payloads, prefix payloads)
        self._entries: dict[tuple[str, bool], list[Any]] = {}
        self._automaton: ahocorasick_rs.AhoCorasick | None = None
        self._values: list[tuple[int, bool, int, Any]] = []  # per key: (length, prefix, dots, value)
        self._combined: dict[tuple[str, bool], Any] = {}

    def add(self, term: str, payload: Any) -> None:
        term = term.strip()
        prefix = term.endswith("*")
        if prefix:
            term = term[:-1]
        key = " ".join(fold(term).split())
        if not key:
            return
        dots = len(term) - len(term.rstrip("."))
        entry = self._entries.setdefault((key, prefix), [0, []])
        entry[0] = max(entry[0], dots)
        if payload not in entry[1]:
            entry[1].append(payload)

    def build(self, combine: Callable[[tuple[Any, ...]], Any] = tuple) -> None:
        """Compile; ``combine`` turns a key's payloads into the value ``scan`` reports for it."""
        patterns: list[str] = []
        self._values = []
        self._combined = {}
        for (key, prefix), (dots, payloads) in self._entries.items():
            if not prefix and (key, True) in self._entries:
                # "profit" whole and "profit*": the whole-word match wins, so it carries both.
                payloads = payloads + [p for p in self._entries[(key, True)][1] if p not in payloads]
            value = combine(tuple(payloads))
            self._combined[(key, prefix)] = value
            # A prefix key has no space after it. Leftmost-longest over these spaced keys is: by start,
            # the longest key first, a whole word before the same word as a prefix (one more space).
            doubled = key.replace(" ", "  ")
            patterns.append(" " + doubled if prefix else " " + doubled + " ")
            self._values.append((len(key), prefix, dots, value))
        self._automaton = ahocorasick_rs.AhoCorasick(patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)

    def lookup(self, text: str) -> Any:
        """The combined value of the whole-word term spelled ``text`` (case and punctuation folded)."""
        return self._combined.get((" ".join(fold(text).split()), False))

    def scan(self, text: str, folded: str | None = None) -> list[tuple[int, int, Any]]:
        """``(start, end, value)`` for the leftmost-longest whole-word matches, in text order."""
        if self._automaton is None or not text:
            return []
        # Folded text holds no whitespace but " ": with the padding, a space before and after every word.
        doubled = (" " + (folded if folded is not None else fold(text)) + " ").replace(" ", "  ")
        values = self._values
        out = []
        n = len(text)
        count = doubled.count
        spaces = 0  # in doubled[:at]: twice the spaces before the same place of the padded text
        at = 0
        for index, found, _ in self._automaton.find_matches_as_indexes(doubled):
            first = found + 1  # the key's first character, after its leading space
            spaces += count(" ", at, first)
            at = first
            start = first - (spaces >> 1) - 1  # -1: the padding
            length, prefix, dots, payloads = values[index]
            end = start + length
            # Neither extension can hide a later match: those start after a space, these are word
            # characters or dots (folded to spaces) right after this match.
            if prefix:
                while end < n and text[end].isalnum():
                    end += 1
            elif dots:
                k = 0
                while k < dots and end < n and text[end] == ".":
                    end += 1
                    k += 1
            out.append((start, end, payloads))
        return out
