"""Pre-fill the worker's related-story window: write its table changelogs before the worker starts.

The relate agent's durable state is two changelog-backed Faust tables (``relate-articles``,
``relate-stories``, see ``stream.worker.app``). A worker that starts on an app id whose changelogs
hold records recovers the tables from them and rebuilds the relator's in-memory index
(``rebuild_window``), which is exactly what a restarted production worker does with a full window.
So the benchmark writes N article records (and their stories) in the relator's own record format to
``<app_id>-relate-articles-changelog`` / ``<app_id>-relate-stories-changelog`` and lets the real
recovery path load them: the window held, its RSS and the relate cost per article are then the real
thing, without relating 100,000 articles one by one first.

Tags are real: each held article takes the tag list of one of a few hundred corpus articles run
through ``Pipeline.prepare``; to give the window a long tail like a real week of news, each entity
tag is kept with probability ``keep_entity`` and otherwise replaced by a synthetic name drawn from a
Zipf-like vocabulary of ``tail_vocabulary`` names of the same kind.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate

import orjson

ARTICLES_TABLE = "relate-articles"
STORIES_TABLE = "relate-stories"
STORY_TOP_TAGS = 12
PRIOR_ARTICLES = 10.0  # RelateConfig.prior_articles: the norm below uses the relator's IDF


def changelog_topic(app_id: str, table: str) -> str:
    """Faust's changelog topic name of a table (``faust.tables.base.Collection._changelog_topic_name``)."""
    return f"{app_id}-{table}-changelog"


def tag_pool(values: Sequence[bytes], limit: int = 300) -> list[list[str]]:
    """Tag lists of up to ``limit`` corpus articles, from the real validate -> normalize -> tag stages."""
    from stream.core.pipeline import Pipeline

    pipeline = Pipeline()
    pool = []
    for value in values[:limit]:
        outcome = pipeline.prepare(value)
        if outcome.enriched is not None and outcome.enriched.tags:
            pool.append(list(outcome.enriched.tags))
    if not pool:
        raise RuntimeError("no tagged articles to take tag lists from")
    return pool


@dataclass
class WindowState:
    """The two tables' contents: article id -> record, story id -> record."""

    articles: dict[str, dict]
    stories: dict[str, dict]


def synthesize(
    count: int,
    pool: Sequence[list[str]],
    *,
    end_epoch: float,
    span_s: float,
    seed: int = 11,
    keep_entity: float = 0.5,
    tail_vocabulary: int = 200_000,
    mean_story_size: float = 3.0,
) -> WindowState:
    """``count`` held articles published evenly over ``[end_epoch - span_s, end_epoch)``, grouped in stories."""
    rng = random.Random(seed)
    weights = list(accumulate(1.0 / (rank**1.05) for rank in range(1, tail_vocabulary + 1)))
    tail = range(tail_vocabulary)
    tags_of: list[list[str]] = []
    for _ in range(count):
        tags = []
        for tag in rng.choice(pool):
            if tag.startswith("entity:") and rng.random() > keep_entity:
                kind = tag.split("/", 1)[0]
                tag = f"{kind}/bench-{rng.choices(tail, cum_weights=weights)[0]}"
            tags.append(tag)
        tags_of.append(list(dict.fromkeys(tags)))
    df = Counter(tag for tags in tags_of for tag in tags)

    def idf(tag: str) -> float:
        return max(math.log((count + PRIOR_ARTICLES) / (df[tag] + 1)), 0.0)

    articles: dict[str, dict] = {}
    stories: dict[str, dict] = {}
    story_id, story_left, story_tags = "", 0, Counter()
    start = end_epoch - span_s
    for i, tags in enumerate(tags_of):
        article_id = f"held-{i:07d}"
        t = start + span_s * i / max(count, 1)
        if story_left <= 0:  # a new story founded by this article
            story_id = f"s-{article_id}"
            story_left = max(1, round(rng.expovariate(1.0 / mean_story_size)))
            story_tags = Counter()
            stories[story_id] = {"ti": f"Held story {i}", "n": 0, "t0": t, "t1": t, "tt": [], "a": article_id}
        story_left -= 1
        story_tags.update(tags)
        story = stories[story_id]
        story["n"] += 1
        story["t1"] = t
        story["tt"] = [[tag, n] for tag, n in story_tags.most_common(STORY_TOP_TAGS)]
        articles[article_id] = {
            "t": t,
            "g": tags,
            "s": rng.getrandbits(63),
            "f": f"{rng.getrandbits(128):032x}",
            "r": 1,
            "st": story_id,
            "ti": f"Held article {i} about {tags[0] if tags else 'nothing'}",
            "w": round(math.sqrt(sum(idf(tag) ** 2 for tag in tags)), 6),
        }
    return WindowState(articles, stories)


def changelog_records(state: WindowState, app_id: str) -> Iterator[tuple[str, bytes, bytes]]:
    """(topic, key, value) for every record, JSON-encoded as the tables' schema (json keys and values)."""
    articles_topic = changelog_topic(app_id, ARTICLES_TABLE)
    stories_topic = changelog_topic(app_id, STORIES_TABLE)
    for article_id, record in state.articles.items():
        yield articles_topic, orjson.dumps(article_id), orjson.dumps(record)
    for story_id, record in state.stories.items():
        yield stories_topic, orjson.dumps(story_id), orjson.dumps(record)


async def write_changelogs(bootstrap: str, app_id: str, state: WindowState) -> int:
    """Create both changelog topics (1 partition, compacted, as Faust would) and write the state."""
    from aiokafka import AIOKafkaProducer

    from stream.broker.admin import create_topics

    topics = {changelog_topic(app_id, ARTICLES_TABLE): 1, changelog_topic(app_id, STORIES_TABLE): 1}
    await create_topics(bootstrap, topics, configs={"cleanup.policy": "compact"})
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=1 << 20, acks=1)
    await producer.start()
    written = 0
    try:
        pending = []
        for topic, key, value in changelog_records(state, app_id):
            pending.append(await producer.send(topic, value, key=key, partition=0))
            written += 1
            if len(pending) >= 5000:
                for future in pending:
                    await future
                pending.clear()
        for future in pending:
            await future
    finally:
        await producer.stop()
    return written
