"""Cheap necessary condition for an anchored regex: the lower-cased first characters a match can start with.

The chrome patterns (``data/chrome_patterns.json``) are one alternation matched at the start of every
short line; most lines are prose that fails it, but only after the engine has tried every branch.
``StartFilter`` reads the pattern's parse tree once and collects the strings (up to ``depth``
characters, lower-cased) that every match must begin with, so a line whose beginning is none of them
is skipped without running the regex. It is conservative: whatever the analysis does not
understand (``.``, negated sets, ``\\w``, back-references) ends a prefix there ("anything may
follow"), and a line that starts with non-ASCII text always goes to the regex (case folding outside
ASCII has too many special cases).
"""

from __future__ import annotations

import re
import string
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]

_MAX_SET = 4_000  # beyond this many prefixes, shorten them (still conservative)
_MAX_RANGE = 64
_CATEGORIES = {
    C.CATEGORY_DIGIT: string.digits,
    C.CATEGORY_SPACE: " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f",  # non-ASCII ones: such lines go to the regex anyway
}

# (prefix, open): open = the pattern has matched exactly ``prefix`` so far and continues.
_State = set[tuple[str, bool]]


def _variants(code: int) -> set[str]:
    c = chr(code)
    out = {c.lower(), c.upper().lower()}
    if len(c.casefold()) == 1:
        out.add(c.casefold())
    return out


def _chars(items: list) -> set[str] | None:
    """Characters of an ``IN`` set, or None when the set is too wide to enumerate."""
    out: set[str] = set()
    for op, av in items:
        if op is C.LITERAL:
            out |= _variants(av)
        elif op in (C.RANGE, C.RANGE_UNI_IGNORE):
            lo, hi = av
            if hi - lo > _MAX_RANGE:
                return None
            for code in range(lo, hi + 1):
                out |= _variants(code)
        elif op is C.CATEGORY and av in _CATEGORIES:
            out |= set(_CATEGORIES[av])
        else:  # NEGATE, wide categories
            return None
    return out


def _close(state: _State) -> _State:
    return {(p, False) for p, _ in state}


class _Analysis:
    def __init__(self, depth: int) -> None:
        self.depth = depth

    def sequence(self, items, state: _State) -> _State:
        for op, av in items:
            if not any(is_open for _, is_open in state):
                return state
            state = self.item(op, av, state)
            if len(state) > _MAX_SET:
                state = self.shorten(state)
        return state

    def shorten(self, state: _State) -> _State:
        while len(state) > _MAX_SET:
            longest = max(len(p) for p, _ in state)
            if longest == 0:
                break
            state = {(p[: longest - 1], False) if len(p) == longest else (p, o) for p, o in state}
        return state

    def extend(self, state: _State, chars: set[str]) -> _State:
        out: _State = set()
        for p, is_open in state:
            if not is_open:
                out.add((p, False))
                continue
            for c in chars:
                q = p + c
                out.add((q, len(q) < self.depth))
        return out

    def item(self, op, av, state: _State) -> _State:
        if op is C.LITERAL:
            return self.extend(state, _variants(av))
        if op is C.IN:
            chars = _chars(av)
            return _close(state) if chars is None else self.extend(state, chars)
        if op in (C.AT, C.ASSERT, C.ASSERT_NOT):  # zero width: no character consumed
            return state
        if op is C.BRANCH:
            out: _State = set()
            for alternative in av[1]:
                out |= self.sequence(alternative, state)
            return out
        if op is C.SUBPATTERN:
            return self.sequence(av[-1], state)
        if op is C.ATOMIC_GROUP:
            return self.sequence(av, state)
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, body = av
            out = set()
            current = state
            for count in range(self.depth + 2):
                if count >= low:
                    out |= current
                if count == high or not any(is_open for _, is_open in current):
                    return out
                current = self.sequence(body, current)
            return out | _close(current)
        return _close(state)  # ANY, NOT_LITERAL, GROUPREF, ...: anything may come next


class StartFilter:
    """``may_match(text)`` is False only when ``pattern.match(text)`` certainly fails."""

    def __init__(self, pattern: re.Pattern[str], depth: int = 3) -> None:
        try:
            state = _Analysis(depth).sequence(list(P.parse(pattern.pattern, pattern.flags)), {("", True)})
        except Exception:  # the parser is CPython-internal: if it ever changes, filter nothing
            state = {("", False)}
        self.depth = depth
        self.by_length: dict[int, frozenset[str]] = {}
        for p, _ in state:
            self.by_length.setdefault(len(p), set()).add(p)  # type: ignore[attr-defined]
        self.by_length = {n: frozenset(v) for n, v in sorted(self.by_length.items())}
        self.always = 0 in self.by_length
        self._checks = tuple(self.by_length.items())

    def may_match(self, text: str) -> bool:
        if self.always:
            return True
        head = text[: self.depth]
        if not head.isascii():
            return True
        head = head.lower()
        for n, options in self._checks:
            if head[:n] in options:
                return True
        return False
