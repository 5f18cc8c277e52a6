from __future__ import annotations

from pathlib import Path

from stream.contracts import RawArticle
from stream.core.normalize import NEAR_DUPLICATE_THRESHOLD, normalize, similarity, simhash_hex
from stream.core.normalize.fingerprint import fingerprint, simhash

SAMPLES = Path(__file__).resolve().parents[3] / "samples"


def seed_body() -> str:
    raw = RawArticle(body=(SAMPLES / "joongang-2024-12-05-nk-russia-treaty.txt").read_text("utf-8"), source="Korea JoongAng Daily")
    return normalize(raw).body


def other_body() -> str:
    return normalize(RawArticle(body=(SAMPLES / "ledger-2025-03-03-japan-rates-wire.txt").read_text("utf-8"))).body


def test_fingerprint_ignores_case_and_whitespace_only():
    assert fingerprint("A  Title", "Body text\n\nmore") == fingerprint("a title", "body   text more")
    assert fingerprint("A title", "Body text") != fingerprint("A title", "Body texts")


def test_simhash_is_deterministic_and_64_bit():
    body = seed_body()
    assert simhash(body) == simhash(body)
    assert 0 < simhash(body) < 2**64
    assert len(simhash_hex(simhash(body))) == 16


def test_same_story_with_a_changed_sentence_is_a_near_duplicate():
    body = seed_body()
    edited = body.replace(
        "state media reported Thursday.", "the North's official news agency said in a report on Thursday morning."
    )
    assert edited != body
    value = similarity(simhash(body), simhash(edited))
    assert NEAR_DUPLICATE_THRESHOLD <= value < 1.0


def test_same_story_with_a_paragraph_dropped_is_a_near_duplicate():
    paragraphs = seed_body().split("\n\n")
    shorter = "\n\n".join(paragraphs[:5] + paragraphs[6:])
    assert similarity(simhash("\n\n".join(paragraphs)), simhash(shorter)) >= NEAR_DUPLICATE_THRESHOLD


def test_unrelated_story_is_not_a_near_duplicate():
    value = similarity(simhash(seed_body()), simhash(other_body()))
    assert value < NEAR_DUPLICATE_THRESHOLD
    assert value < 0.8


def test_similarity_bounds_and_hex_input():
    a = simhash(seed_body())
    assert similarity(a, a) == 1.0
    assert similarity(a, a ^ (2**64 - 1)) == 0.0
    assert similarity(simhash_hex(a), a) == 1.0


def test_html_and_text_of_one_story_are_exact_duplicates():
    text = normalize(RawArticle(body=(SAMPLES / "joongang-2024-12-05-nk-russia-treaty.txt").read_text("utf-8")))
    html = normalize(RawArticle(html=(SAMPLES / "joongang-2024-12-05-nk-russia-treaty.html").read_text("utf-8")))
    assert text.fingerprint == html.fingerprint
    assert text.simhash == html.simhash
