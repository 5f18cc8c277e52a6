"""normalize() as a whole: ids, language, credits, tags, bad and hostile inputs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from stream.config import Settings
from stream.contracts import RawArticle
from stream.core.normalize import EmptyArticleError, NormalizationError, normalize
from stream.core.normalize.language import detect, publisher_language
from stream.core.normalize.pipeline import split_publisher_tags, _tag_phrases

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
BODY = "The city council approved the new budget on Tuesday after a long debate about transport spending and schools."


def load(name: str) -> RawArticle:
    return RawArticle.model_validate(json.loads((SAMPLES / name).read_text("utf-8")))


def test_clean_json_article():
    article = normalize(load("clean-article-2025-01-14-seoul-subway.json"), Settings())
    assert article.id == "pub:korea-joongang-daily:KJD-2025-0114-0042"
    assert article.url == "https://example-news.com/national/2025/01/14/seoul-subway-fares?a=1&b=2"
    assert article.language == "en"  # the publisher's en-US
    assert article.authors == ["Lee Min-ji"]
    assert article.section == "National"
    assert article.publisher_tags == ["Seoul", "transport"]
    assert len(article.body.split("\n\n")) == 4
    assert article.published_at.isoformat() == "2025-01-14T00:30:00+00:00"  # 09:30 Seoul


def test_wire_story_dateline_and_credits():
    article = normalize(load("wire-2024-12-06-yonhap-seoul-dateline.json"), Settings())
    assert article.dateline == "SEOUL"
    assert article.body.startswith("SEOUL, Dec. 6 (Yonhap) -- North Korea")  # the dateline stays in the body
    assert article.credits == ["Yonhap", "KCNA"]
    assert article.id.startswith("url:") and len(article.id) == 4 + 16
    assert "(END)" not in article.body


def test_id_rules():
    with_id = normalize(RawArticle(id=" 123 ", source="The Paper", title="Budget", body=BODY))
    other_source = normalize(RawArticle(id="123", source="Other Paper", title="Budget", body=BODY))
    assert with_id.id == "pub:the-paper:123"
    assert other_source.id != with_id.id
    by_url = normalize(RawArticle(url="https://x.example/a?utm_source=y", title="Budget", body=BODY))
    same_url = normalize(RawArticle(url="HTTPS://X.EXAMPLE:443/a#top", title="Changed title", body=BODY))
    assert by_url.id == same_url.id and by_url.id.startswith("url:")
    derived = normalize(RawArticle(source="S", title="Budget", body=BODY, published_at="2024-01-01"))
    again = normalize(RawArticle(source="S", title="Budget", body=BODY + " More.", published_at="2024-01-01"))
    other_day = normalize(RawArticle(source="S", title="Budget", body=BODY, published_at="2024-01-02"))
    assert derived.id == again.id and derived.id.startswith("doc:")
    assert other_day.id != derived.id


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (BODY, "en"),
        ("Le conseil municipal a approuvé mardi le nouveau budget après un long débat sur les transports et les écoles.", "fr"),
        ("El ayuntamiento aprobó el martes el nuevo presupuesto tras un largo debate sobre transporte y escuelas.", "es"),
        ("북한과 러시아가 지난 6월 체결한 포괄적 전략적 동반자 관계 조약이 이번 주 발효됐다고 관영 매체가 보도했다.", "ko"),
    ],
)
def test_language_detection(text, code):
    assert detect("", text) == code
    assert normalize(RawArticle(title="x", body=text)).language == code


def test_publisher_language_wins_and_is_normalized():
    assert publisher_language("en-US") == "en"
    assert publisher_language("zh_Hant_TW") == "zh-hant"
    assert publisher_language("not a code!") is None
    assert normalize(RawArticle(title="x", body=BODY, language="de")).language == "de"


def test_split_publisher_tags():
    phrases, longest = _tag_phrases()
    assert split_publisher_tags("Korea North Korea Russia", phrases, longest) == ["Korea", "North Korea", "Russia"]
    assert split_publisher_tags("South Korea United States Nuclear weapons", phrases, longest) == [
        "South Korea", "United States", "Nuclear weapons"
    ]
    assert split_publisher_tags("trade, tariffs; EU", phrases, longest) == ["trade", "tariffs", "EU"]


def test_unicode_is_repaired():
    body = "The minister said the plan was \u2033historic\u2033 and\u00a0would\u00a0start soon, \u00e2\u20ac\u0153officials\u00e2\u20ac\x9d added on Friday afternoon."
    article = normalize(RawArticle(title="Caf\u00c3\u00a9 \u201cplan\u201d", body=body))
    assert '"historic"' in article.body
    assert "\u00a0" not in article.body
    assert '"officials"' in article.body
    assert article.title == 'Café "plan"'


def test_short_clean_article_is_kept():
    article = normalize(RawArticle(title="Breaking", body="Explosion reported near the harbour"))
    assert article.body == "Explosion reported near the harbour"


@pytest.mark.parametrize(
    "raw",
    [
        RawArticle(body="Home > News\n\nShare\nTweet\n\nAdvertisement\n\n© 2024 Someone. All rights reserved."),
        RawArticle(html="<html><body><nav>Home</nav><script>var x = 1;</script><footer>Contact us</footer></body></html>"),
        RawArticle(body="   \n  \u200b\u00a0 \n Yonhap \n"),
    ],
)
def test_nothing_left_raises_a_value_error(raw):
    with pytest.raises(NormalizationError) as info:
        normalize(raw)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, EmptyArticleError)


def test_no_title_anywhere_warns():
    article = normalize(RawArticle(body=BODY))
    assert article.title.startswith("The city council approved")
    assert any("no title" in w for w in article.warnings)


def test_bad_url_is_a_warning():
    article = normalize(RawArticle(url="javascript:alert(1)", title="Budget", body=BODY))
    assert article.url is None
    assert any("URL" in w for w in article.warnings)


def test_hostile_html_is_bounded():
    """Deep nesting and a huge page finish quickly and still yield the text (no recursion error)."""
    deep = "<div>" * 50_000 + "<p>" + BODY + "</p>" + "</div>" * 50_000
    wide = "<html><body>" + ("<p>" + BODY + "</p>") * 20_000 + "</body></html>"
    entities = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><html><body><p>' + BODY + " &b;&b;</p></body></html>"
    for html in (deep, wide, entities):
        t0 = time.perf_counter()
        try:
            article = normalize(RawArticle(title="Budget", html=html))
        except NormalizationError:
            article = None
        assert time.perf_counter() - t0 < 5  # a bound on runaway work (50k nested divs took 13 s unbounded)
        if article is not None:
            assert "aaaaaaaaaa" not in article.body  # no DTD entity expansion
    assert normalize(RawArticle(title="Budget", html=entities)).body.startswith("The city council approved")


def test_bounded_cuts_absurd_nesting_only():
    from stream.core.normalize.html import MAX_PARSE_DEPTH, bounded

    deep = "<div>" * 10_000 + "x" + "</div>" * 10_000
    cut = bounded(deep)
    assert cut.count("<div>") == MAX_PARSE_DEPTH
    flat = "<ul>" + "<li><a href='/'>item</a>" * 3_000 + "</ul>"  # many tags, shallow: untouched
    assert bounded(flat) == flat


def test_hostile_text_is_bounded():
    """A body of 100,000 junk lines after the story: only the first MAX_LINES lines are read."""
    t0 = time.perf_counter()
    article = normalize(RawArticle(title="Budget", body=BODY + "\n" + "Home\n" * 100_000))
    assert time.perf_counter() - t0 < 5  # a bound on runaway work, not a speed test
    assert article.body == BODY


def test_summary_bullets_alone_are_the_story():
    bullets = ["Girl found the gun in a bedroom", "Two people likely to face charges of negligent storage", "Family was visiting from out of town"]
    assert normalize(RawArticle(title="Gun", body="\n\n".join(bullets))).body.split("\n\n") == bullets
    # The same lines under a "Related Stories" header are links, and a page of only links is empty.
    with pytest.raises(NormalizationError):
        normalize(RawArticle(title="Gun", body="\n\n".join(["Related Stories", *bullets])))


def test_html_picks_the_main_article_not_a_teaser_card():
    teaser = '<article class="card"><h2><a href="/x">Other story headline here</a></h2><p>Short teaser text.</p></article>'
    main = "<article class=\"story print-friendly\">" + "".join(f"<p>{p}</p>" for p in [BODY, BODY.replace("budget", "plan")]) + "</article>"
    article = normalize(RawArticle(title="Budget", html=f"<html><body>{teaser}{main}{teaser}</body></html>"))
    assert article.body.split("\n\n") == [BODY, BODY.replace("budget", "plan")]


def test_credits_take_the_longest_alias_on_word_boundaries():
    from stream.core.normalize.credits import find_credits

    body = (
        "SEOUL, Dec. 5 (Yonhap News Agency) -- Officials met, the Korean Central News Agency said. "
        "A Thomson Reuters office nearby was closed, told Reuters a spokesman. APEC leaders, "
        "not the AP, met too; Xinhua reported the talks."
    )
    assert find_credits(body, [], "Yonhap News Agency") == ["Yonhap", "KCNA", "Reuters", "Xinhua"]
    # Inside a longer word ("APEC", "Reutersville") an alias is no credit.
    assert find_credits("APEC said. Reutersville reported.", [], None) == []


# A wire story as a publisher sends it: hard-wrapped, paragraphs indented, the dateline opening the
# lead, an earnings table under it. (Written for this test in the Reuters-21578 wire layout.)
WIRE_TABLE = """SANTA BARBARA, Calif., March 3 - Shr 34 cts vs 1.19 dlrs
    Net 807,000 vs 2,858,000
    Assets 510.2 mln vs 479.7 mln
    Deposits 472.3 mln vs 440.3 mln
    Note: fourth quarter results were not available. The year includes an
extraordinary gain from a tax carry forward of 132,000 dlrs, or five cts
per share, the company said.
 Reuter
"""


def test_a_wire_story_keeps_its_dateline_lead_and_the_dateline_state():
    article = normalize(RawArticle(title="COBANCO INC YEAR NET", body=WIRE_TABLE), Settings())
    assert article.body.startswith("SANTA BARBARA, Calif., March 3 - Shr 34 cts vs 1.19 dlrs")
    assert article.dateline == "SANTA BARBARA, Calif."  # the state tells which Santa Barbara
    assert "extraordinary gain" in article.body


@pytest.mark.parametrize(("text", "place"), [
    ("RALEIGH, N.C., Feb 26 - The state said", "RALEIGH, N.C."),
    ("CHARLESTON, W. Va., Feb 26 - The state said", "CHARLESTON, W. Va."),
    ("OAK BROOK, ILL., Mar 2 - Waste Management said", "OAK BROOK, ILL."),
    ("NEW YORK, MARCH 2 - Shares of Temple Inland rose", "NEW YORK"),
    ("SEOUL, Dec. 6 (Yonhap) -- North Korea said", "SEOUL"),
])
def test_datelines_keep_their_state_or_country(text, place):
    from stream.core.dateline import find_dateline

    assert find_dateline(text).place == place


def test_a_dateline_state_without_a_comma_before_the_date():
    from stream.core.dateline import find_dateline

    assert find_dateline("ANGLETON, Tex. March 3 - Oper shr 26 cts").place == "ANGLETON, Tex."
    assert find_dateline("Oklahoma City, March 3 - Shr profit five cts").place == "Oklahoma City"
