"""The page's read model (no Kafka): ordering, filters, merges, paging, bounds and the event log."""

from __future__ import annotations

import asyncio

from stream.contracts.api import decode_cursor
from stream.worker.web.newsroom import Newsroom, StoryFilter, Subscriber


def article(i: int, story: str, published: str, source: str = "Wire", tags: tuple[str, ...] = (), **extra: object) -> dict:
    return {
        "id": f"a{i}", "title": f"title {i}", "body": "Kim met Putin in Moscow.", "source": source, "published_at": published,
        "story_id": story, "tags": list(tags), "related": [], "revision": 1,
        "regions": [{"id": "RU", "tag": "region:RU", "label": "Russia", "score": 0.9, "evidence": [{"text": "Moscow", "field": "body", "start": 17, "end": 23}]}],
        **extra,
    }


def update(story: str, updated: str, event: str = "created", first: str = "2025-01-01T00:00:00Z", last: str = "2025-01-02T00:00:00Z", **extra: object) -> dict:
    return {"story_id": story, "event": event, "article_id": "x", "title": f"story {story}", "size": 1, "top_tags": ["region:RU", "topic:politics", "entity:person/kim"],
            "first_seen": first, "last_seen": last, "updated_at": updated, **extra}


def test_stories_most_recently_updated_first_with_headline_and_facets() -> None:
    room = Newsroom(capacity=100)
    room.add_article(article(1, "s1", "2025-01-01T10:00:00Z"))
    room.add_article(article(2, "s1", "2025-01-01T08:00:00Z"))
    room.add_article(article(3, "s2", "2025-01-03T00:00:00Z", source="Daily"))
    room.add_story(update("s1", "2025-02-01T00:00:01Z"))
    room.add_story(update("s2", "2025-02-01T00:00:02Z"))
    stories, cursor = room.story_list(10)
    assert [s["story_id"] for s in stories] == ["s2", "s1"] and cursor is None
    s1 = stories[1]
    assert s1["headline"]["id"] == "a2"  # the earliest article held
    assert s1["places"] == [{"tag": "region:RU", "label": "Russia"}]
    assert s1["people"][0]["tag"] == "entity:person/kim" and s1["topics"][0]["tag"] == "topic:politics"
    assert s1["held"] == 2 and s1["sources"] == ["Wire"]
    story = room.story("s1", 10)
    assert [a["id"] for a in story["articles"]] == ["a2", "a1"]  # time order


def test_filters_and_paging() -> None:
    room = Newsroom(capacity=100)
    for i in range(7):
        room.add_article(article(i, f"s{i}", f"2025-01-0{i + 1}T00:00:00Z", source="Daily" if i % 2 else "Wire", tags=("region:KP",) if i < 3 else ()))
        room.add_story(update(f"s{i}", f"2025-02-01T00:00:0{i}Z", first=f"2025-01-0{i + 1}T00:00:00Z", last=f"2025-01-0{i + 1}T00:00:00Z"))
    seen, cursor = [], None
    while True:
        page, cursor = room.story_list(3, decode_cursor(cursor, 2) if cursor else None)
        seen += [s["story_id"] for s in page]
        if cursor is None:
            break
    assert seen == [f"s{i}" for i in reversed(range(7))]
    assert {s["story_id"] for s in room.story_list(10, f=StoryFilter(tag="region:KP"))[0]} == {"s0", "s1", "s2"}
    assert {s["story_id"] for s in room.story_list(10, f=StoryFilter(source="Daily"))[0]} == {"s1", "s3", "s5"}
    assert {s["story_id"] for s in room.story_list(10, f=StoryFilter(since="2025-01-06T00:00:00Z"))[0]} == {"s5", "s6"}
    assert {s["story_id"] for s in room.story_list(10, f=StoryFilter(until="2025-01-02T00:00:00Z"))[0]} == {"s0", "s1"}


def test_a_merged_story_points_to_the_one_it_joined_and_lends_it_its_articles() -> None:
    room = Newsroom(capacity=100)
    room.add_article(article(1, "old", "2025-01-01T00:00:00Z"))
    room.add_article(article(2, "new", "2025-01-02T00:00:00Z"))
    room.add_story(update("old", "2025-02-01T00:00:00Z"))
    room.add_story(update("new", "2025-02-01T00:00:01Z"))
    room.add_story(update("old", "2025-02-01T00:00:02Z", event="merged", merged_into="new"))
    assert [s["story_id"] for s in room.story_list(10)[0]] == ["new"]
    merged = room.story("old", 10)
    assert merged["merged_into"] == "new" and [a["id"] for a in merged["articles"]] == ["a1", "a2"]
    assert room.story("new", 10)["merged_from"] == ["old"]
    assert room.article("a1")["story_id"] == "new"


def test_duplicates_labels_and_eviction() -> None:
    room = Newsroom(capacity=10)
    room.add_article(article(0, "s0", "2025-01-01T00:00:00Z"))
    room.add_article(article(1, "s0", "2025-01-01T00:00:00Z", duplicate_of="a0"))
    assert room.article("a0")["duplicates"] == ["a1"]
    assert room.article("a0")["labels"] == {}  # tags list empty: only labels of its own tags
    room.add_story(update("s0", "2025-02-01T00:00:00Z"))
    for i in range(2, 14):
        room.add_article(article(i, f"s{i}", "2025-01-01T00:00:00Z"))
    assert len(room.articles) == 10 and "a0" not in room.articles
    assert "s0" not in room.stories  # none of its articles is held any more
    assert room.article("a0") is None and room.story("s0", 10) is None


def test_event_log_resumes_without_gaps_or_says_it_cannot() -> None:
    room = Newsroom(capacity=100, events=5)
    sub = Subscriber()
    room.subscribers.add(sub)
    for i in range(3):
        room.add_article(article(i, "s", "2025-01-01T00:00:00Z"))
    assert sub.queue.qsize() == 3
    first = room.log[0]
    assert [e.seq for e in room.since(room.event_id(first.seq))] == [first.seq + 1, first.seq + 2]
    assert room.since("") == []
    assert room.since("otherepoch-1") is None
    for i in range(3, 12):
        room.add_article(article(i, "s", "2025-01-01T00:00:00Z"))
    assert room.since(room.event_id(first.seq)) is None  # fell out of the log: the client must reload
    last = room.log[-1].seq
    assert room.since(room.event_id(last)) == []
    assert room.since(room.event_id(last + 5)) is None  # an id from the future is not this log's


def test_a_slow_subscriber_is_flagged_not_blocking() -> None:
    room = Newsroom(capacity=5000)
    sub = Subscriber(queue=asyncio.Queue(maxsize=2))
    room.subscribers.add(sub)
    for i in range(4):
        room.add_article(article(i, "s", "2025-01-01T00:00:00Z"))
    assert sub.overflowed and sub.queue.qsize() == 2


def test_a_re_emitted_article_keeps_its_story() -> None:
    room = Newsroom(capacity=100)
    room.add_article(article(1, "s1", "2025-01-01T00:00:00Z"))
    room.add_story(update("s1", "2025-02-01T00:00:00Z"))
    room.add_article(article(1, "s1", "2025-01-01T00:00:00Z", revision=2))  # the same id again
    assert [s["story_id"] for s in room.story_list(10)[0]] == ["s1"]
    assert room.article("a1")["revision"] == 2


def test_a_tag_filter_also_takes_a_readable_label() -> None:
    room = Newsroom(capacity=100)
    room.add_article(article(1, "s1", "2025-01-01T00:00:00Z", tags=("region:RU",)))
    room.add_article(article(2, "s2", "2025-01-01T00:00:00Z", tags=()))
    room.add_story({**update("s1", "2025-02-01T00:00:00Z"), "top_tags": ["region:RU"]})
    room.add_story({**update("s2", "2025-02-01T00:00:01Z"), "top_tags": ["topic:sport"]})
    assert [s["story_id"] for s in room.story_list(10, f=StoryFilter(tag="russia"))[0]] == ["s1"]
    assert room.story_list(10, f=StoryFilter(tag="Atlantis"))[0] == []
