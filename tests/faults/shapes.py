"""Adversarial input shapes for the linear-work property test: each is ``(size, rng) -> bytes``, a
raw article whose body (or html) is about ``size`` bytes of one pathological shape.

The shapes come from issue 21: repeated hyphenated or capitalised tokens, long runs of punctuation,
quotes, brackets or whitespace, mixed scripts, deep or unclosed HTML, huge attribute values, and a
single line of 1 MiB. ``rng`` varies the details (which token, which bracket) without changing the
shape, so a hypothesis-drawn seed and the size sweep stay comparable.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import orjson

KIB = 1024


def _repeat(unit: str, size: int, tail: str = "") -> str:
    """``unit`` repeated to about ``size`` UTF-8 bytes."""
    n = max(1, size // max(1, len(unit.encode())))
    return unit * n + tail


def _fit(text: str, size: int) -> str:
    """At most ``size`` UTF-8 bytes of ``text`` (the body limit is in bytes)."""
    data = text.encode()
    return text if len(data) <= size else data[:size].decode("utf-8", errors="ignore")


def _article(size: int, body: str | None = None, html: str | None = None, title: str = "Shape") -> bytes:
    record: dict[str, str] = {"url": "https://adversarial.example.com/shape", "title": title}
    if body is not None:
        record["body"] = _fit(body, size)
    if html is not None:
        record["html"] = _fit(html, size)
    return orjson.dumps(record)


def _names(rng: random.Random, n: int) -> list[str]:
    consonants, vowels = "bcdfghjklmnprstvz", "aeiou"
    return ["".join(rng.choice(consonants if k % 2 == 0 else vowels) for k in range(rng.randrange(4, 8))).capitalize()
            for _ in range(n)]


def hyphenated(size: int, rng: random.Random) -> bytes:
    first, second = rng.choice([("Korea", "Russia"), ("North", "South"), ("Kim", "Jong")])
    return _article(size, _repeat(f"{first}-{second}-", size, "x"))


def hyphenated_spaced(size: int, rng: random.Random) -> bytes:
    return _article(size, _repeat(rng.choice(["Korea-Russia ", "Jong-un Kim-", "Al-Assad bin-"]), size, "x"))


def capitalised(size: int, rng: random.Random) -> bytes:
    words = _names(rng, 50)
    return _article(size, _repeat(" ".join(words) + " ", size))


def capitalised_distinct(size: int, rng: random.Random) -> bytes:
    """Many different two-word names, each a sentence of its own: a long list of people."""
    n = size // 30
    names = _names(rng, 2 * 200)
    body = " ".join(f"Mr. {names[i % 200]} {names[200 + (i * 7) % 200]}{i} said so." for i in range(n))
    return _article(size, body)


def title_names(size: int, rng: random.Random) -> bytes:
    """A headline-case title naming thousands of people, over a long body."""
    names = _names(rng, 400)
    title = " ".join(f"Minister {names[i % 400]} {names[(i * 7 + 1) % 400]}{i} Says" for i in range(size // 60))
    body = " ".join(f"Officials {names[(i * 3) % 400]} met {names[(i * 11) % 400]}{i}." for i in range(size // 40))
    return _article(size, body, title=title[:1900])


def capitalised_no_space(size: int, rng: random.Random) -> bytes:
    return _article(size, _repeat("".join(_names(rng, 8)), size))


def punctuation(size: int, rng: random.Random) -> bytes:
    return _article(size, _repeat(rng.choice([".", "!?", "-", "…", ",;:", "*", "_", "/", "..."]), size, " end"))


def quotes(size: int, rng: random.Random) -> bytes:
    return _article(size, _repeat(rng.choice(['"', "'", "“”", "‘’", "«»", '"a" ']), size, " end"))


def brackets(size: int, rng: random.Random) -> bytes:
    unit = rng.choice(["(", "[", "{", "<", "(a", "([{", ")("])
    return _article(size, _repeat(unit, size, " end"))


def whitespace(size: int, rng: random.Random) -> bytes:
    unit = rng.choice([" ", "\n", "\t", " \n", "\r\n", "\u00a0", "\u2028", "\n\n \t"])
    return _article(size, "Lead words here." + _repeat(unit, size, "Closing words."))


def whitespace_words(size: int, rng: random.Random) -> bytes:
    return _article(size, _repeat("word" + " " * rng.randrange(50, 200), size) + "\n" * 2000 + "end")


def mixed_scripts(size: int, rng: random.Random) -> bytes:
    pieces = ["北朝鮮とロシアの首脳会談", "한국과 러시아", "كوريا الشمالية وروسيا", "צפון קוריאה", "🇰🇷🇷🇺🔥👍🏽",
              "e\u0301\u0302\u0303", "\u200f\u202e", "Korea 韓国 كوريا"]
    rng.shuffle(pieces)
    return _article(size, _repeat(" ".join(pieces) + " ", size))


def scripts_distinct(size: int, rng: random.Random) -> bytes:
    """Thousands of different characters (CJK ideographs, Hangul, Arabic, emoji), in words."""
    ranges = [(0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x0600, 0x06FF), (0x1F300, 0x1F6FF), (0x0590, 0x05FF)]
    words, total = [], 0
    while total < size:
        lo, hi = rng.choice(ranges)
        words.append("".join(chr(rng.randrange(lo, hi)) for _ in range(rng.randrange(2, 6))) + " ")
        total += len(words[-1].encode())
    return _article(size, "".join(words))


def combining_marks(size: int, rng: random.Random) -> bytes:
    return _article(size, "A" + _repeat(rng.choice(["\u0301", "\u0300\u0301\u0302", "\u20dd"]), size))


def html_deep(size: int, rng: random.Random) -> bytes:
    tag = rng.choice(["div", "p", "b", "span", "table", "li"])
    unit = f"<{tag}>"
    depth = size // (2 * len(unit) + 1)
    return _article(size, html=unit * depth + "text " + f"</{tag}>" * depth)


def html_unclosed(size: int, rng: random.Random) -> bytes:
    tag = rng.choice(["p", "div", "b", "a", "td"])
    return _article(size, html=_repeat(f"<{tag}>Korea and Russia met. ", size))


def html_attribute(size: int, rng: random.Random) -> bytes:
    attr = rng.choice(["href", "class", "title", "style", "data-x"])
    value = _repeat(rng.choice(["x", "Korea-Russia-", "a b ", "&amp;"]), size)
    closed = rng.random() < 0.5
    tail = '">Story text about Korea.</a><p>Korea and Russia met in Seoul.</p>' if closed else ""
    return _article(size, html=f'<a {attr}="{value}{tail}')


def html_text_run(size: int, rng: random.Random) -> bytes:
    return _article(size, html="<p>" + _repeat(rng.choice(["Korea-Russia-", "Word ", "&nbsp;", "&#x41;"]), size) + "</p>")


def one_word(size: int, rng: random.Random) -> bytes:
    """One lowercase word of the whole size (the issue's "1 M a")."""
    return _article(size, _repeat(rng.choice(["a", "x", "ab", "é"]), size))


def single_line(size: int, rng: random.Random) -> bytes:
    sentence = rng.choice([
        "President Kim Jong-un met Vladimir Putin in Moscow on Tuesday, the Kremlin said. ",
        "The Ministry of Foreign Affairs of the Republic of Korea said talks would go on. ",
    ])
    return _article(size, _repeat(sentence, size))


SHAPES: dict[str, Callable[[int, random.Random], bytes]] = {
    "hyphenated": hyphenated,
    "hyphenated_spaced": hyphenated_spaced,
    "capitalised": capitalised,
    "capitalised_distinct": capitalised_distinct,
    "capitalised_no_space": capitalised_no_space,
    "title_names": title_names,
    "punctuation": punctuation,
    "quotes": quotes,
    "brackets": brackets,
    "whitespace": whitespace,
    "whitespace_words": whitespace_words,
    "mixed_scripts": mixed_scripts,
    "scripts_distinct": scripts_distinct,
    "combining_marks": combining_marks,
    "html_deep": html_deep,
    "html_unclosed": html_unclosed,
    "html_attribute": html_attribute,
    "html_text_run": html_text_run,
    "single_line": single_line,
    "one_word": one_word,
}
