"""The bulk tokeniser agrees with Python's own per-line ``casefold().split()`` and stopword counting."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.normalize.boilerplate import _patterns, clean, text_lines
from stream.core.normalize.credits import aliases
from stream.core.normalize.fingerprint import fingerprint, fingerprint_of_keys, simhash, simhash_of_hashes
from stream.core.normalize.tokens import StopwordTable, line_tokens, text_hashes

STOPWORDS = _patterns().stopwords
TABLE = _patterns().stopword_table

# Characters that exercise every branch: ASCII and non-ASCII whitespace, case folding that changes
# length (ß, ﬁ), Greek sigma, control bytes, line breaks inside a line.
ALPHABET = list("abc XYZ\t\n\r\x0b\x1c\x01\x85\xa0\u2003\u3000éßİΣς-.,'") + ["the", "The", "of", "ﬁ", "  "]


def _expected(texts: list[str]):
    tokens = [t.casefold().split() for t in texts]
    return (
        [" ".join(t) for t in tokens],
        [len(t) for t in tokens],
        [sum(w in STOPWORDS for w in t) for t in tokens],
        [w for t in tokens for w in t],
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(ALPHABET), max_size=25).map("".join), min_size=1, max_size=8))
def test_line_tokens_match_per_line_python(texts):
    keys, counts, stops, words = _expected(texts)
    result = line_tokens(texts, TABLE)
    assert result.keys == keys
    assert result.token_counts == counts
    assert result.stop_counts == stops
    assert result.hashes.tolist() == [int(text_hashes(w)[0]) for w in words]


def test_collapsed_lines_take_the_fast_path_with_the_same_result():
    texts = ["The council voted on Monday.", "It said so", "A line of the page"]
    result = line_tokens(texts, TABLE)
    keys, counts, stops, _ = _expected(texts)
    assert (result.keys, result.token_counts, result.stop_counts) == (keys, counts, stops)
    assert result.keys[0] is not texts[0]  # folded copies, not the originals


def test_body_hashes_are_the_hashes_of_the_joined_kept_lines():
    rng = random.Random(3)
    texts = [" ".join(rng.choice(["alpha", "Beta", "the", "gamma,", "délta"]) for _ in range(rng.randint(1, 9))) for _ in range(12)]
    result = line_tokens(texts, TABLE)
    for keep in ([], [0], [1, 2, 5], list(range(12))):
        body = "\n\n".join(texts[i] for i in keep)
        assert result.body_hashes(keep).tolist() == text_hashes(body).tolist()


def test_word_hash_ignores_position_and_surrounding_space():
    a = text_hashes("market")[0]
    assert text_hashes("  the market\tfell")[1] == a
    assert text_hashes("MARKET")[0] == a  # case-folded
    assert text_hashes("markets")[0] != a
    assert text_hashes("")[:].size == 0


def test_word_hashes_of_a_vocabulary_are_distinct():
    rng = random.Random(1)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(1, 12))) for _ in range(50_000)}
    words |= {w + "s" for w in list(words)[:5000]} | {w.upper() + "é" for w in list(words)[:5000]}
    hashes = text_hashes(" ".join(sorted(words)))
    assert len(np.unique(hashes)) == len(words)


def test_long_text_beyond_the_cached_powers_hashes_words_the_same():
    filler = "x" * 70_000
    assert text_hashes(filler + " market")[1] == text_hashes("market")[0]


def _reference_hash(word: str) -> int:
    """A word's hash by its definition: splitmix64(sum(VALUE[byte_i] * BASE**i) mod 2**64)."""
    from stream.core.normalize import tokens

    total, power = 0, 1
    for byte in word.casefold().encode():
        total = (total + int(tokens._VALUE[byte]) * power) % (1 << 64)
        power = power * tokens._BASE % (1 << 64)
    return int(tokens.splitmix64(np.array([total], dtype=np.uint64))[0])


def test_a_long_text_is_hashed_in_chunks_with_the_same_word_hashes():
    """Texts beyond the cached powers are hashed chunk by chunk (issue 21: linear work); every word
    keeps its hash, also one longer than a chunk and the words around chunk boundaries."""
    rng = random.Random(7)
    words = ["".join(rng.choice("abcdéß") for _ in range(rng.randint(1, 9))) for _ in range(40_000)]
    long_word = "".join(rng.choice("xyz") for _ in range(150_001))
    text = " ".join(words[:20_000]) + "\n " + long_word + "  " + "\t".join(words[20_000:]) + " " + long_word[:70_000]
    hashes = text_hashes(text)
    tokens = text.casefold().split()
    assert len(hashes) == len(tokens) and len(text.encode()) > 5 * (1 << 16)
    distinct = {w: int(text_hashes(w)[0]) for w in set(tokens) if len(w) < 1000}
    assert [int(h) for h, w in zip(hashes, tokens) if w in distinct] == [distinct[w] for w in tokens if w in distinct]
    assert int(hashes[20_000]) == _reference_hash(long_word)
    assert int(hashes[-1]) == _reference_hash(long_word[:70_000]) != int(hashes[20_000])
    assert all(int(text_hashes(w)[0]) == _reference_hash(w) for w in words[:50])


def test_stopword_table_membership():
    table = StopwordTable(frozenset({"the", "of", "and"}))
    hashes = text_hashes("The cat of the hat and OF theirs")
    assert table.contains(hashes).tolist() == [True, False, True, True, False, True, True, False]


def test_simhash_of_text_equals_simhash_from_cleaner_hashes():
    text = "\n\n".join(
        [
            "The regional council voted on Monday to extend the night bus network, officials said.",
            "Straße works will close the ﬁrst lane of the bridge for two weeks from Tuesday, the city said.",
            "Council members said the extra routes would cost about two million dollars a year.",
        ]
    )
    page = clean(text_lines(text), title=None, source=None, agency_aliases=aliases())
    assert page.paragraphs and page.paragraph_hashes is not None
    body = "\n\n".join(page.paragraphs)
    assert simhash_of_hashes(page.paragraph_hashes) == simhash(body)
    assert page.paragraph_keys == [" ".join(p.casefold().split()) for p in page.paragraphs]
    assert fingerprint_of_keys("A Title", page.paragraph_keys) == fingerprint("A Title", body)
