"""Golden test: the seed page (scraped text and an HTML rendering of the same story)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from stream.config import Settings
from stream.contracts import RawArticle
from stream.core.normalize import normalize

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
SEED_TEXT = SAMPLES / "joongang-2024-12-05-nk-russia-treaty.txt"
SEED_HTML = SAMPLES / "joongang-2024-12-05-nk-russia-treaty.html"
SOURCE = "Korea JoongAng Daily"

# Every line of page chrome on the seed page (as printed there).
CHROME_LINES = [
    "Korea JoongAng Daily",
    "Home > National > North Korea",
    "print dictionary print",
    "Published: 05 Dec. 2024, 11:27",
    "Related Article",
    "Yonhap",
    "tags Korea North Korea Russia",
    "More in North Korea",
    "MDL transmission towers collapse after North cuts wires",
    "South demands release of missionary imprisoned in North for 10 years",
    "U.S. affirms North Korean troops fighting in Ukraine are legitimate targets",
    "North Korea to hold key party meeting as speculation grows on Trump stance",
    "Related Stories",
    "North Korean parliamentary leader meets Russian delegation",
    "North Korea and Russia agree to expand cooperation in economy, science and technology",
    "North Korea and Russia agree to strengthen sports exchanges",
    "North Korea deploys 12,000 soldiers to aid Russia in Ukraine",
    "South Korea criticizes UNSC over North Korea-Russia arms transfers",
    "Log in to Twitter or Facebook account to connect",
    "help-image Social comment?",
    "lock icon",
    "To write comments, please log in to one of the accounts.",
    "Standards Board Policy",
    "North Korea and Russia enact defense treaty following ratification exchange",  # the headline
    "Kumsusan State Guest House",  # only in the (duplicated) photo caption
    "KOREAN CENTRAL NEWS AGENCY",
]


def story_paragraphs() -> list[str]:
    """The real paragraphs, read from the page: from "A new defense treaty..." to "Observers raised..."."""
    lines = [ln.strip() for ln in SEED_TEXT.read_text("utf-8").splitlines()]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("A new defense treaty"))
    end = next(i for i, ln in enumerate(lines) if ln.startswith("Observers raised"))
    return [ln for ln in lines[start : end + 1] if ln and ln != "Related Article"]


@pytest.fixture(scope="module")
def from_text():
    return normalize(RawArticle(body=SEED_TEXT.read_text("utf-8"), source=SOURCE), Settings())


@pytest.fixture(scope="module")
def from_html():
    return normalize(RawArticle(html=SEED_HTML.read_text("utf-8"), source=SOURCE), Settings())


def test_title(from_text):
    assert from_text.title == "North Korea and Russia enact defense treaty following ratification exchange"


def test_date_is_seoul_time_in_utc(from_text):
    assert from_text.published_at == datetime(2024, 12, 5, 2, 27, tzinfo=UTC)
    assert from_text.published_at_original == "05 Dec. 2024, 11:27"


def test_credits_yonhap_then_kcna(from_text):
    assert from_text.credits == ["Yonhap", "KCNA"]


def test_every_story_paragraph_exactly_once_and_in_order(from_text):
    expected = story_paragraphs()
    assert len(expected) == 10
    paragraphs = from_text.body.split("\n\n")
    assert paragraphs == expected
    for para in expected:
        assert from_text.body.count(para) == 1


@pytest.mark.parametrize("chrome", CHROME_LINES)
def test_no_chrome_line(from_text, chrome):
    assert chrome not in from_text.body


def test_metadata(from_text):
    assert from_text.section == "North Korea"
    assert from_text.publisher_tags == ["Korea", "North Korea", "Russia"]
    assert from_text.language == "en"
    assert from_text.source == SOURCE
    assert from_text.dateline is None  # the story has no wire dateline
    assert from_text.warnings == []
    assert len(from_text.fingerprint) == 32 and 0 <= from_text.simhash < 2**64


def test_html_gives_the_same_story(from_text, from_html):
    assert from_html.body == from_text.body
    assert from_html.title == from_text.title
    assert from_html.published_at == from_text.published_at
    assert from_html.credits == from_text.credits
    assert from_html.section == from_text.section
    assert from_html.publisher_tags == from_text.publisher_tags
    assert from_html.fingerprint == from_text.fingerprint


def test_html_without_semantic_hints_still_gives_the_story(from_text):
    """No <article>, itemprop, class or id: the cleaner alone must find the story."""
    import re

    html = SEED_HTML.read_text("utf-8")
    html = re.sub(r'\s(?:class|id|itemprop)="[^"]*"', "", html).replace("<article", "<div").replace("</article>", "</div>")
    article = normalize(RawArticle(html=html, source=SOURCE), Settings())
    assert article.body == from_text.body


def test_title_found_without_the_scraper_prefix_line(from_text):
    """Without the "date ... Title" first line the headline is still found on the page."""
    text = SEED_TEXT.read_text("utf-8").split("\n", 1)[1]
    article = normalize(RawArticle(body=text, source=SOURCE), Settings())
    assert article.title == from_text.title
    assert article.body == from_text.body
    assert article.published_at == from_text.published_at


def test_source_read_from_the_page_when_not_given(from_text):
    """The site name printed above the story names a configured source, whose zone then applies."""
    article = normalize(RawArticle(body=SEED_TEXT.read_text("utf-8")), Settings())
    assert article.source == SOURCE
    assert article.published_at == from_text.published_at
    unknown = normalize(RawArticle(body=SEED_TEXT.read_text("utf-8")), Settings(source_timezones={}))
    assert unknown.source is None
    assert unknown.published_at.hour == 11  # no zone known: the default zone, UTC
