"""One Aho-Corasick pass over a text for every lexicon at once (places, entity aliases, topic terms).

Text and terms are folded the same way: lowercased, and every character that is not a letter or
digit becomes a space (length is kept, so offsets map straight back to the original). Each key is
stored with a space on both sides (" north korea "), so it can only match whole words; a term
ending in ``*`` is stored without the trailing space and matches as a word prefix ("elect*" ->
"election", "electoral"). Overlapping matches are resolved leftmost-longest, so a longer phrase
("South China Sea") hides the shorter name inside it ("China").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import unicodedata

import ahocorasick

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

    __slots__ = ("_entries", "_automaton", "_combined")

    def __init__(self) -> None:
        # folded key -> (trailing dots to extend over, whole-word payloads, prefix payloads)
        self._entries: dict[tuple[str, bool], list[Any]] = {}
        self._automaton: ahocorasick.Automaton | None = None
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
        automaton = ahocorasick.Automaton()
        self._combined = {}
        for (key, prefix), (dots, payloads) in self._entries.items():
            stored = " " + key if prefix else " " + key + " "
            if not prefix and (key, True) in self._entries:
                # "profit" whole and "profit*": the whole-word match wins, so it carries both.
                payloads = payloads + [p for p in self._entries[(key, True)][1] if p not in payloads]
            value = combine(tuple(payloads))
            self._combined[(key, prefix)] = value
            # Sorted as (start, value): longest first at one start, then whole word before prefix.
            automaton.add_word(stored, (-len(key), prefix, dots, value, len(stored) - 1))
        automaton.make_automaton()
        self._automaton = automaton

    def lookup(self, text: str) -> Any:
        """The combined value of the whole-word term spelled ``text`` (case and punctuation folded)."""
        return self._combined.get((" ".join(fold(text).split()), False))

    def candidates(self, text: str, folded: str | None = None) -> list[tuple[int, tuple]]:
        """Every key found, overlapping ones too, as ``(start, (-key_len, prefix, dots, value, _))``
        in the order ``scan`` resolves them: by start, longest first, whole word before prefix."""
        if self._automaton is None or not text:
            return []
        padded = " " + (folded if folded is not None else fold(text)) + " "
        # The automaton reports matches by end; ``start`` is the key's first character in ``text``
        # (the padding shifts indexes by one, the key's leading space takes that back).
        found = [(end_index - v[4], v) for end_index, v in self._automaton.iter(padded)]
        found.sort()
        return found

    def scan(self, text: str, folded: str | None = None) -> list[tuple[int, int, Any]]:
        """``(start, end, value)`` for the leftmost-longest whole-word matches, in text order."""
        found = self.candidates(text, folded)
        if not found:
            return []
        out = []
        last_end = -1
        n = len(text)
        for start, (neg_len, prefix, dots, payloads, _) in found:
            if start < last_end:
                continue
            end = start - neg_len
            if prefix:
                while end < n and text[end].isalnum():
                    end += 1
            elif dots:
                k = 0
                while k < dots and end < n and text[end] == ".":
                    end += 1
                    k += 1
            out.append((start, end, payloads))
            last_end = end
        return out
