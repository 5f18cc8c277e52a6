"""Generated hostile payloads: each kind is a builder ``(rng) -> bytes`` and a hypothesis strategy.

Builders take a ``random.Random`` so the broker test can make 10,000 of them reproducibly and fast,
while the property test draws the same shapes through hypothesis (``st.randoms``).
"""

from __future__ import annotations

import random
import string

import orjson
from hypothesis import strategies as st

MB = 1024 * 1024


def _url(rng: random.Random, kind: str) -> str:
    return f"https://hostile.example.com/{kind}/{rng.getrandbits(64):016x}"


def broken_utf8(rng: random.Random) -> bytes:
    good = orjson.dumps({"url": _url(rng, "utf8"), "title": "Broken", "body": "Some text here."})
    cut = rng.randrange(1, len(good) - 1)
    bad = rng.choice([b"\xff", b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80"])
    return good[:cut] + bad + good[cut:]


def deep_json(rng: random.Random) -> bytes:
    depth = rng.choice([1100, 5000, 50_000])
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    return b'{"title": "deep", "body": "x", "extra": ' + opener * depth + b"1" + closer * depth + b"}"


def huge_json(rng: random.Random) -> bytes:
    shape = rng.choice(["tags", "authors", "title"])
    if shape == "title":
        return orjson.dumps({"url": _url(rng, "huge"), "title": "T" * rng.randrange(5_000, 50_000), "body": "text"})
    return orjson.dumps({"url": _url(rng, "huge"), "title": "Huge", "body": "text", shape: ["x"] * rng.randrange(1_000, 20_000)})


def oversized_body(rng: random.Random) -> bytes:
    """A body of 10 MB: larger than any message the worker accepts."""
    filler = rng.choice(string.ascii_letters).encode()
    return b'{"title": "big", "body": "' + filler * (10 * MB) + b'"}'


def html_bomb(rng: random.Random) -> bytes:
    """Deeply nested or endlessly repeated markup with no story text in it."""
    tag = rng.choice(["div", "b", "span", "table"])
    depth = rng.choice([1_000, 20_000, 100_000])
    closing = f"</{tag}>" * depth if rng.random() < 0.5 else ""  # unclosed tags too
    return orjson.dumps({"url": _url(rng, "bomb"), "title": "Bomb", "html": f"<{tag}>" * depth + closing})


def control_characters(rng: random.Random) -> bytes:
    noise = "".join(chr(rng.choice([0, 1, 7, 8, 11, 12, 27, 127, 0x9B, 0x200B, 0x202E, 0xFEFF])) for _ in range(rng.randrange(1, 400)))
    return orjson.dumps({"url": _url(rng, "ctrl"), "title": noise[:50], "body": noise})


def not_an_article(rng: random.Random) -> bytes:
    return rng.choice([b"", b"null", b"42", b'"a string"', b"[1, 2, 3]", b"{", b"{}", b'{"body": null}', b'{"title": 7, "body": []}'])


def absurd_dates(rng: random.Random) -> bytes:
    """A real article with an absurd date: kept (the date is dropped with a warning), not dead-lettered."""
    date = rng.choice(["99999-99-99", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "-1", "1e308", "2024-02-30T25:61:61Z", "yesterday-ish", "1" * 40])
    body = f"PARIS, Dec. 3 - The city council met on Tuesday about the harbour budget. (item {rng.getrandbits(32)})"
    return orjson.dumps({"url": _url(rng, "date"), "source": "Example News", "title": "Council meets", "body": body, "published_at": date})


# Kinds that must come out as dead letters, and hostile but legitimate kinds that must come out enriched.
REJECTED_KINDS = {
    "broken_utf8": broken_utf8,
    "deep_json": deep_json,
    "huge_json": huge_json,
    "oversized_body": oversized_body,
    "html_bomb": html_bomb,
    "control_characters": control_characters,
    "not_an_article": not_an_article,
}
ACCEPTED_KINDS = {"absurd_dates": absurd_dates}
ALL_KINDS = {**REJECTED_KINDS, **ACCEPTED_KINDS}

# How many of each the volume test makes (the big ones are capped: memory and time, not coverage).
VOLUME_SHARE = {
    "broken_utf8": 0.25,
    "huge_json": 0.10,
    "control_characters": 0.20,
    "not_an_article": 0.20,
    "absurd_dates": 0.20,
}
VOLUME_CAPS = {"oversized_body": 3, "deep_json": 60, "html_bomb": 40}


def strategy(kind: str) -> st.SearchStrategy[bytes]:
    return st.builds(ALL_KINDS[kind], st.randoms(use_true_random=False))


def hostile_payloads() -> st.SearchStrategy[tuple[str, bytes]]:
    """(kind, payload) for any kind except the 10 MB one (too slow for many examples)."""
    kinds = [k for k in ALL_KINDS if k != "oversized_body"]
    return st.sampled_from(kinds).flatmap(lambda kind: st.tuples(st.just(kind), strategy(kind)))


def volume(count: int, seed: int = 1) -> list[tuple[str, bytes]]:
    """``count`` payloads: the capped big kinds, then the rest by share, shuffled."""
    rng = random.Random(seed)
    kinds = [kind for kind, cap in VOLUME_CAPS.items() for _ in range(cap)]
    rest = count - len(kinds)
    for kind, share in VOLUME_SHARE.items():
        kinds += [kind] * int(rest * share)
    kinds += ["broken_utf8"] * (count - len(kinds))
    rng.shuffle(kinds)
    return [(kind, ALL_KINDS[kind](random.Random(rng.getrandbits(64)))) for kind in kinds]
