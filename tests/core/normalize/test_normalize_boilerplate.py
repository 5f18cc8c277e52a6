"""The text cleaner on layouts other than the seed's, and its parts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from stream.contracts import RawArticle
from stream.core.normalize import normalize
from stream.core.normalize.boilerplate import clean, text_lines
from stream.core.normalize.credits import aliases

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
LEDGER = SAMPLES / "ledger-2025-03-03-japan-rates-wire.txt"

PROSE = [
    "The regional council voted on Monday to extend the night bus network to three more districts, officials said.",
    "The decision follows months of complaints from shift workers who said the last trains left them stranded.",
    "Council members said the extra routes would cost about two million dollars a year and start in the spring.",
]


def test_other_site_layout_keeps_story_and_drops_chrome():
    article = normalize(RawArticle(body=LEDGER.read_text("utf-8")))
    paragraphs = article.body.split("\n\n")
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("TOKYO, March 3 (Reuters) - The Bank of Japan kept")
    assert paragraphs[-1].startswith("Some analysts said the bank could move again")
    for chrome in [
        "Skip to main content", "The Harbor Ledger", "Menu", "World | Business", "Subscribe now", "By Mariko Tanaka",
        "Share", "LinkedIn", "Advertisement", "Read more", "Yen slips as traders", "Tokyo stocks edge higher",
        "Reporting by", "Our Standards", "Most Popular", "Oil prices rise", "Sign up", "cookies", "©", "Privacy Policy",
        "Bank of Japan holds rates steady, signals patience on further hikes",
    ]:
        assert chrome not in article.body, chrome
    assert article.title == "Bank of Japan holds rates steady, signals patience on further hikes"
    assert article.authors == ["Mariko Tanaka", "Daniel Reeve"]
    assert article.published_at == datetime(2025, 3, 3, 0, 14, tzinfo=UTC)
    assert article.dateline == "TOKYO"
    assert article.credits == ["Reuters"]
    assert article.section == "Asia"


def test_hard_wrapped_prose_is_joined_into_paragraphs():
    wrapped = (
        "The regional council voted on Monday to extend the night bus\n"
        "network to three more districts, officials said after a long\n"
        "meeting that ran late into the evening.\n"
        "    The decision follows months of complaints from shift workers\n"
        "who said the last trains left them stranded far from home.\n"
    )
    lines = [ln.text for ln in text_lines(wrapped)]
    assert lines == [
        "The regional council voted on Monday to extend the night bus network to three more districts, "
        "officials said after a long meeting that ran late into the evening.",
        "The decision follows months of complaints from shift workers who said the last trains left them stranded far from home.",
    ]


def test_headline_list_is_not_mistaken_for_wrapped_prose():
    headlines = "Most Popular\nOil prices rise as supply worries return\nFive things to watch in markets this week\nCarmakers brace for new tariff round\n"
    assert len(text_lines(headlines)) == 4


def test_link_list_in_the_middle_does_not_cut_the_story():
    text = "\n\n".join(
        [PROSE[0], "See also", "Mayor unveils new cycling lanes", "Rents rise again in the city centre",
         "Airport expansion faces fresh delay", PROSE[1], PROSE[2]]
    )
    page = clean(text_lines(text), title=None, source=None, agency_aliases=aliases())
    assert page.paragraphs == PROSE


def test_repeated_line_is_dropped_in_every_copy():
    caption = "Commuters wait for a night bus at the central station on Monday evening in the rain"
    text = "\n\n".join([caption, caption, *PROSE])
    page = clean(text_lines(text), title=None, source=None, agency_aliases=aliases())
    assert page.paragraphs == PROSE


def test_comment_area_ends_the_story():
    text = "\n\n".join([*PROSE, "Comments (12)", "This is a long reader comment that says the council should have done this years ago, frankly."])
    page = clean(text_lines(text), title=None, source=None, agency_aliases=aliases())
    assert page.paragraphs == PROSE


def test_subheading_inside_the_story_is_kept():
    text = "\n\n".join([PROSE[0], PROSE[1], "What happens next", PROSE[2]])
    page = clean(text_lines(text), title=None, source=None, agency_aliases=aliases())
    assert page.paragraphs == [PROSE[0], PROSE[1], "What happens next", PROSE[2]]


def test_metadata_lines_are_read_and_removed():
    text = "\n".join(["News / Local / Transport", "By Ana Silva", "Updated: 2025-01-02 10:00", *PROSE, "Tags: transport, buses", "AFP"])
    page = clean(text_lines(text), title=None, source=None, agency_aliases=aliases())
    assert page.paragraphs == PROSE
    assert page.crumbs == ["News", "Local", "Transport"]
    assert page.authors == ["Ana Silva"]
    assert page.updated_text == "2025-01-02 10:00"
    assert page.tags_text == "transport, buses"
    assert page.credit_lines == ["AFP"]


def test_non_english_prose_is_kept():
    german = [
        "Der Stadtrat hat am Montag beschlossen, das Nachtbusnetz auf drei weitere Bezirke auszuweiten, teilten Beamte mit.",
        "Die Entscheidung folgt auf monatelange Beschwerden von Schichtarbeitern, die nachts keine Verbindung mehr hatten.",
    ]
    text = "\n\n".join(["Startseite > Lokales > Verkehr", *german, "Mehr zum Thema", "Teilen"])
    article = normalize(RawArticle(body=text))
    assert article.body.split("\n\n") == german
    assert article.language == "de"


def test_windows_line_ends_keep_the_block_structure():
    unix = "\n".join(["Home > Local", "", *PROSE])
    windows = unix.replace("\n", "\r\n")
    assert normalize(RawArticle(body=windows)).body == normalize(RawArticle(body=unix)).body
    assert normalize(RawArticle(body=unix)).body.split("\n\n") == PROSE


def test_paragraphs_separated_by_blank_lines_split_like_the_general_path():
    # "\n\n" everywhere takes the fast path; "\n \n" (a blank line holding a space) the general one.
    paragraphs = [*PROSE, "  Indented   paragraph with  spaces.", "lower case start", "- a bullet"]
    fast = [line.text for line in text_lines("\n\n".join(paragraphs))]
    general = [line.text for line in text_lines("\n \n".join(paragraphs))]
    assert fast == general
    assert fast[3] == "Indented paragraph with spaces."
    assert len(fast) == len(paragraphs)
