"""Event time that outliers cannot move (issue 16): undated and future-dated articles, backfills, and
short wire briefs, through the pipeline as a publisher sends them."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from stream.config import Settings
from stream.core.pipeline import Pipeline

INGESTED = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)  # a replay of last year's news, ingested today


def send(p: Pipeline, key: str, body: str, date: str | None, title: str) -> object:
    raw = {"id": key, "source": "Backfill Wire", "title": title, "body": body}
    if date:
        raw["published_at"] = date
    return p.process(orjson.dumps(raw), now=INGESTED)


FLOOD = "Floodwaters in Valencia rose overnight, and the Jucar river burst its banks near Alzira, officials said."
FLOOD_2 = "Rescuers in Alzira and Valencia evacuated hundreds as the Jucar river kept rising, officials said."
OTHER = "The Bundestag in Berlin debated the federal budget on Tuesday, with Olaf Scholz defending spending."


def test_an_undated_article_does_not_move_a_backfill_window() -> None:
    p = Pipeline(Settings().core())
    first = send(p, "f1", FLOOD, "2025-10-30T08:00:00Z", "Valencia floods: Jucar bursts its banks")
    undated = send(p, "u1", OTHER, None, "Bundestag debates the budget")
    assert undated.enriched is not None and undated.enriched.published_at is None
    second = send(p, "f2", FLOOD_2, "2025-10-30T18:00:00Z", "Alzira evacuated as Jucar keeps rising")
    assert second.enriched is not None
    assert not any("before the related-story window" in w for w in second.enriched.warnings)
    assert [link.id for link in second.enriched.related][:1] == [first.enriched.id]


def test_a_future_dated_article_is_clamped_and_does_not_move_the_window() -> None:
    p = Pipeline(Settings().core())
    first = send(p, "f1", FLOOD, "2025-10-30T08:00:00Z", "Valencia floods: Jucar bursts its banks")
    future = send(p, "x1", OTHER, "2027-06-01T00:00:00Z", "Bundestag debates the budget")
    assert future.enriched is not None
    assert future.enriched.published_at == "2026-12-06T12:00:00Z"
    assert any("in the future" in w for w in future.enriched.warnings)
    second = send(p, "f2", FLOOD_2, "2025-10-30T18:00:00Z", "Alzira evacuated as Jucar keeps rising")
    assert [link.id for link in second.enriched.related][:1] == [first.enriched.id]


def test_one_outlier_date_does_not_close_the_window_for_long() -> None:
    p = Pipeline(Settings().core())
    send(p, "o1", OTHER, "2025-12-30T08:00:00Z", "Bundestag debates the budget")  # two months ahead of the rest
    outcomes = [
        send(p, f"f{i}", f"{FLOOD} Update {i}.", f"2025-10-30T{8 + i:02d}:00:00Z", f"Valencia floods, update {i}")
        for i in range(8)
    ]
    before = [any("before the related-story window" in w for w in o.enriched.warnings) for o in outcomes]
    assert before[-3:] == [False, False, False]  # the clock came back to the backfill's time
    assert outcomes[-1].enriched.related


def test_an_undated_feed_still_expires_on_ingestion_time() -> None:
    p = Pipeline(Settings().core())
    for day in range(1, 20):
        p.process(
            orjson.dumps({"id": f"n{day}", "source": "No Dates", "title": f"Notice number {day} posted", "body": f"{OTHER} Item {day}."}),
            now=datetime(2026, 1, day, tzinfo=UTC),
        )
    assert len(p.relator) < 19  # the oldest left the 7-day window


def test_a_title_plus_one_line_is_enriched() -> None:
    p = Pipeline(Settings().core())
    title = "Magnitude 5.1 earthquake strikes off Hokkaido"
    brief = send(p, "b1", title, "2025-10-30T08:00:00Z", title)
    assert brief.dead_letter is None and brief.enriched is not None
    assert brief.enriched.body == title
    line = send(p, "b2", "No damage or injuries were reported, the Japan Meteorological Agency said.", "2025-10-30T09:00:00Z", title)
    assert line.dead_letter is None and line.enriched is not None


def test_a_backfill_after_newer_news_relates_to_itself() -> None:
    p = Pipeline(Settings().core())
    news = [  # this year's news first
        send(p, f"n{day}", f"{OTHER} Day {day}.", f"2026-11-0{day}T08:00:00Z", f"Bundestag debates the budget, day {day}").enriched.id
        for day in range(1, 4)
    ]
    floods = [
        send(p, f"f{i}", f"{FLOOD} Update {i}.", f"2025-10-30T{8 + i:02d}:00:00Z", f"Valencia floods, update {i}")
        for i in range(4)
    ]
    before = [any("before the related-story window" in w for w in o.enriched.warnings) for o in floods]
    assert before == [True, False, False, False]  # only the first looks like a lone straggler
    assert floods[2].enriched.related[0].id == floods[1].enriched.id
    assert len({o.enriched.story_id for o in floods[1:]}) == 1 and floods[1].enriched.story_id
    # The window still holds this year's news: the next of it relates to what came before the backfill.
    later = send(p, "n4", f"{OTHER} Day 4.", "2026-11-04T08:00:00Z", "Bundestag debates the budget, day 4")
    assert later.enriched.related and {link.id for link in later.enriched.related} <= set(news)


def test_two_lone_late_articles_far_apart_stay_out_of_the_window() -> None:
    p = Pipeline(Settings().core())
    send(p, "n1", OTHER, "2026-11-01T08:00:00Z", "Bundestag debates the budget")
    late = [send(p, "f1", FLOOD, "2025-10-30T08:00:00Z", "Valencia floods"), send(p, "f2", FLOOD_2, "2025-03-01T08:00:00Z", "Alzira evacuated")]
    assert all(any("before the related-story window" in w for w in o.enriched.warnings) for o in late)
    assert all(o.enriched.story_id is None for o in late)
