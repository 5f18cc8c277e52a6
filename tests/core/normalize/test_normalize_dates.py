from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stream.config import Settings
from stream.contracts import RawArticle
from stream.core.normalize import normalize
from stream.core.normalize.dates import parse_date, zone

SEOUL = zone("Asia/Seoul")
BODY = "The city council approved the new budget on Tuesday after a long debate about transport spending and schools."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-12-05T11:27:00+09:00", datetime(2024, 12, 5, 2, 27, tzinfo=UTC)),
        ("2024-12-05T02:27:00Z", datetime(2024, 12, 5, 2, 27, tzinfo=UTC)),
        ("Thu, 05 Dec 2024 02:27:00 GMT", datetime(2024, 12, 5, 2, 27, tzinfo=UTC)),
        ("December 5, 2024 11:27 a.m. KST", datetime(2024, 12, 5, 2, 27, tzinfo=UTC)),
        ("March 3, 2025 9:14 AM GMT+9", datetime(2025, 3, 3, 0, 14, tzinfo=UTC)),
        ("Dec. 4, 2024 8:05 PM EST", datetime(2024, 12, 5, 1, 5, tzinfo=UTC)),
    ],
)
def test_dates_with_zones_ignore_the_default_zone(text, expected):
    assert parse_date(text, SEOUL) == (expected, None)


@pytest.mark.parametrize(
    ("text", "local"),
    [
        ("05 Dec. 2024, 11:27", datetime(2024, 12, 5, 11, 27)),
        ("2024-12-05 11:27", datetime(2024, 12, 5, 11, 27)),
        ("2024.12.05 11:27", datetime(2024, 12, 5, 11, 27)),
        ("5th December 2024", datetime(2024, 12, 5)),
        ("2024-12-05", datetime(2024, 12, 5)),
        ("December 5, 2024 12:30 p.m.", datetime(2024, 12, 5, 12, 30)),
        ("December 5, 2024 12:30 a.m.", datetime(2024, 12, 5, 0, 30)),
    ],
)
def test_zoneless_dates_are_local_time_of_the_given_zone(text, local):
    got, warning = parse_date(text, SEOUL)
    assert warning is None
    assert got == local.replace(tzinfo=SEOUL).astimezone(UTC)
    assert got.tzinfo is UTC
    # The same text read as UTC differs by Seoul's nine hours.
    assert parse_date(text, UTC)[0] - got == timedelta(hours=9)


def test_unix_seconds_and_milliseconds():
    assert parse_date(1733365620)[0] == datetime(2024, 12, 5, 2, 27, tzinfo=UTC)
    assert parse_date(1733365620.5)[0] == datetime(2024, 12, 5, 2, 27, 0, 500000, tzinfo=UTC)
    assert parse_date("1733365620000")[0] == datetime(2024, 12, 5, 2, 27, tzinfo=UTC)


@pytest.mark.parametrize("text", ["yesterday-ish", "05/12/2024", "31 Feb. 2024", "not a date at all 99"])
def test_unparseable_gives_none_and_warning(text):
    got, warning = parse_date(text)
    assert got is None
    assert warning is not None and "unparseable" in warning


@pytest.mark.parametrize("value", ["1850-01-01", "2999-01-01T00:00:00Z", -5_000_000_000])
def test_absurd_dates_are_dropped(value):
    got, warning = parse_date(value, now=datetime(2025, 1, 1, tzinfo=UTC))
    assert got is None and "absurd" in warning


def test_empty_is_silent():
    assert parse_date(None) == (None, None)
    assert parse_date("   ") == (None, None)


def test_per_source_zone_and_default_zone():
    settings = Settings(default_timezone="America/New_York", source_timezones={"Seoul Daily": "Asia/Seoul"})
    seoul = normalize(RawArticle(source="Seoul Daily", title="Budget", body=BODY, published_at="2024-12-05 11:27"), settings)
    other = normalize(RawArticle(source="Elsewhere Times", title="Budget", body=BODY, published_at="2024-12-05 11:27"), settings)
    nameless = normalize(RawArticle(title="Budget", body=BODY, published_at="2024-12-05 11:27"), settings)
    assert seoul.published_at == datetime(2024, 12, 5, 2, 27, tzinfo=UTC)
    assert other.published_at == datetime(2024, 12, 5, 16, 27, tzinfo=UTC)
    assert nameless.published_at == other.published_at
    assert seoul.published_at_original == "2024-12-05 11:27"


def test_bad_date_in_article_is_a_warning_not_an_error():
    article = normalize(RawArticle(title="Budget", body=BODY, published_at="sometime last week"), Settings())
    assert article.published_at is None
    assert article.published_at_original == "sometime last week"
    assert any(w.startswith("unparseable published_at") for w in article.warnings)


def test_numeric_published_at_keeps_its_original_text():
    article = normalize(RawArticle(title="Budget", body=BODY, published_at=1733365620), Settings())
    assert article.published_at == datetime(2024, 12, 5, 2, 27, tzinfo=UTC)
    assert article.published_at_original == "1733365620"
