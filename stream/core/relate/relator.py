"""The relate stage: related articles, stories and near-duplicates over a sliding time window.

Durable state is two mappings (Faust tables in the worker, dicts offline) of compact records with a
plain JSON form (``records``; a table's codec converts):

- ``articles[id]`` = ``ArticleRecord.of(published, tags, simhash, fingerprint, revision, story, title,
  norm, links, duplicate_of)``: tags a tuple of the shared tag strings, links the JSON text of the
  related links emitted (read only by the HTTP look-ups).
- ``stories[id]`` = ``StoryRecord(title, size, first_seen, last_seen, top_tags, founder)``, top tags a
  flat tuple (tag, count, tag, count, ...), or once absorbed by a merge ``MergedStory(merged_into,
  last_seen)``.

Derived in memory (``rebuild()`` re-creates it from the mappings): a tag vocabulary of compact
integer ids, document frequencies over the window, posting lists tag -> articles (sequence numbers
into the compact ``ArticleWindow`` arrays, as packed arrays) and tag -> stories, the
exact-fingerprint index and time buckets for expiry. Records share their tag strings with the
vocabulary, and the index holds each article's tag tuple of its record rather than a copy.

Scoring. A tag's weight is its IDF over the articles held: ``ln((N + prior) / (df + 1))`` - a tag on
every article ("region:US") weighs almost nothing, a name seen once weighs most. The link score of
two articles is the cosine of their binary IDF-weighted tag vectors times a time decay
``2 ** (-gap / half_life)``; it is in [0, 1]. Tags in more than ``common_tag_share`` of the window
(or with too many postings) do not generate candidates, they only add to the score of candidates
found through rarer tags; the others offer only their newest ``scan_limit`` postings. So a window of
100,000 articles costs tens of candidates per article, not thousands.

Anchors. Entity and place tags name what a story is about; topics and regions only say what kind
of news it is. A link whose shared anchors carry less than ``min_anchor_idf`` is scaled down by
``context_only_factor`` and never joins a story. Wire agencies and broadcasters
(``data/non_anchor_entities.txt``) are credited on unrelated stories, so they are not anchors.

Stories. An article joins the story of its best anchored link when that link scores >=
``join_threshold``; when it also links another story >= ``merge_threshold`` the newer story is
merged into the older. A story outlives its evicted articles through its profile - its top anchor
tags (plus a few context tags) with counts - for ``story_horizon_days``: an article with no strong
link in the window can still join such a dormant story when it matches the profile (decayed with
``story_half_life_days`` since the story's last article) and shares a person, or two places, with
it (a city alone is shared by every incident there). Recall: an article sharing at least two
*distinctive* people with a story's profile (names in the profiles of at most ``recall_max_stories``
live stories - an official quoted on every incident is not) joins that story however long ago it
was last seen, and the story it joined by links is merged into it: follow-ups (arrest, trial,
verdict) come months later and name the same people. Stories whose profiles name enough people
for that are held ``story_memory_days``; the others expire at the dormant horizon. Near-duplicates
(SimHash similarity >= threshold, or the same fingerprint under another id) point to the first copy
and join its story.
"""

from __future__ import annotations

import fnmatch
import heapq
import math
import re
import time
from array import array
from collections import deque
from collections.abc import Hashable, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from stream.contracts import RelatedLink, StoryEvent, StoryUpdate
from stream.contracts.topics import iso_utc
from stream.core.relate.config import RelateConfig
from stream.core.relate.heap import release_free_heap
from stream.core.relate.ledger import LedgerEntry, RevisionLedger
from stream.core.relate.sources import SourceClock
from stream.core.relate.records import (
    ArticleRecord,
    MergedStory,
    StoryRecord,
    article_from_json,
    compact_fingerprint,
    fingerprint_text,
    flat_profile,
    pairs,
    story_from_json,
)
from stream.core.relate.similarity import simhash_similarity
from stream.core.relate.window import ArticleWindow

_NON_ANCHORS_FILE = Path(__file__).with_name("data") / "non_anchor_entities.txt"
_BUCKET_SECONDS = 3600  # expiry granularity: an article leaves the window within the hour
_DAY = 86400.0
_MAX_MERGE_HOPS = 32  # merged-story chains are short; bound the walk anyway
_LN2 = math.log(2.0)
_SEQ = "I"  # array type of sequence numbers in posting lists and expiry buckets


def _seq_array(seqs: Any) -> array:
    return array(_SEQ, seqs)


# A tag's postings (sequence numbers, or story ids): None for none, the one posting itself while it
# is the only one (most tags of a window: no container for them), else a container of several.
def _posted(postings: Any, value: Any, several: Any) -> Any:
    """The postings with ``value`` added; ``several`` makes the container of the first two."""
    if postings is None:
        return value
    if type(postings) is type(value):
        return several((postings, value))
    postings.append(value)
    return postings


def _each(postings: Any, one: type) -> Any:
    """The postings as a sequence; ``one`` is the type of a single posting."""
    if postings is None:
        return ()
    return (postings,) if type(postings) is one else postings


@dataclass(slots=True)
class RelateInput:
    """What the relate stage needs of an article."""

    id: str
    title: str
    published_at: datetime | None  # aware UTC; None -> use ``now``
    tags: list[str]
    simhash: int
    fingerprint: str


@dataclass(slots=True)
class RelateResult:
    related: list[RelatedLink]
    story_id: str | None  # None: not threaded (an article before the window)
    duplicate_of: str | None
    duplicate_similarity: float | None
    story_updates: list[StoryUpdate] = field(default_factory=list)
    revision: int = 1
    unchanged: bool = False  # same id re-sent with the same content: nothing to emit
    note: str | None = None  # why the article was not related (it lies before the window)


@lru_cache(maxsize=1)
def non_anchor_tags() -> tuple[frozenset[str], re.Pattern[str] | None]:
    """Entity tags of news agencies and outlets (exact tags, and one pattern for the shell-style
    lines): credited on unrelated stories, they are evidence of none."""
    exact: set[str] = set()
    patterns: list[str] = []
    for line in _NON_ANCHORS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "*" in line:
            patterns.append(fnmatch.translate("entity:" + line))
        else:
            exact.add("entity:" + line)
    return frozenset(exact), (re.compile("|".join(patterns)) if patterns else None)


def _epoch(moment: datetime) -> float:
    if moment.tzinfo is None:  # the contract says aware UTC; be lenient with naive values
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _iso(epoch: float) -> str:
    """UTC ISO-8601 to the second with a ``Z`` (as ``iso_utc``), without building a datetime."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _encode_links(links: list[RelatedLink]) -> str:
    return orjson.dumps([[link.id, link.score] for link in links]).decode()


def _decode_links(stored: Any) -> list[Any]:
    """Stored related links: JSON text, or a list of pairs as records of older versions hold them."""
    if isinstance(stored, str):
        return orjson.loads(stored)
    return list(stored or ())


class Relator:
    def __init__(
        self,
        config: RelateConfig | None = None,
        *,
        articles: MutableMapping[str, Any] | None = None,
        stories: MutableMapping[str, Any] | None = None,
        ledger: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.config = config or RelateConfig()
        self.ledger = RevisionLedger(ledger, self.config.ledger_days)
        self.articles: MutableMapping[str, Any] = articles if articles is not None else {}
        self.stories: MutableMapping[str, Any] = stories if stories is not None else {}
        self._window = self.config.window_days * _DAY
        self._dormant_horizon = self.config.story_horizon_days * _DAY
        self._horizon = max(self._dormant_horizon, self._window)
        # Stories that can be recalled (see _held_for_recall) are held this long; the others expire at _horizon.
        self._memory = max(self.config.story_memory_days * _DAY, self._horizon)
        self._non_anchors, self._non_anchor_pattern = non_anchor_tags()
        self._reset()
        if self.articles or self.stories:
            self.rebuild()

    # -- index bookkeeping -------------------------------------------------------------------
    def _reset(self) -> None:
        self._tag_ids: dict[str, int] = {}
        self._tag_names: list[str | None] = []
        self._free_tag_ids: list[int] = []
        self._df = array("i")  # articles held that carry the tag (4 bytes a tag: the vocabulary is ~1 tag per article)
        self._anchor = bytearray()  # 1: the tag names an actor or place (see RelateConfig.anchor_prefixes)
        self._log_df = array("d")  # ln(df + 1), kept current so an idf is one subtraction
        self._sdf = array("i")  # live stories whose top tags hold the tag
        # Sequence numbers (ArticleWindow) in arrival order: None for none, the number itself for a tag's
        # only posting (most tags of a window: an array costs 80 bytes), else 4 bytes each in an array
        # (2**32 articles is centuries).
        self._postings: list[array | int | None] = []
        # Story ids: None until a story posts the tag, then that story's id itself (most tags are in one
        # story's profile: no list for them), a list once a second story posts it.
        self._story_postings: list[list[str] | str | None] = []
        self._window_index = ArticleWindow()
        self._by_fingerprint: dict[int | str, str] = {}  # compact fingerprint -> first article id
        self._article_buckets: dict[int, array] = {}  # sequence numbers
        self._article_bucket_heap: list[int] = []
        self._story_buckets: dict[int, list[str]] = {}
        self._story_bucket_heap: list[int] = []
        self._clock = -math.inf  # newest published_at seen (epoch seconds)
        self._provisional = False  # the clock is ingestion time: only undated articles were seen
        self._recent: deque[float] = deque(maxlen=self.config.clock_articles)  # times of the last dated articles
        self._sources = SourceClock(self.config.source_idle_articles)  # the slowest input partition holds the clock

    def _tag_id(self, tag: str) -> int:
        tid = self._tag_ids.get(tag)
        if tid is None:
            if self._free_tag_ids:
                tid = self._free_tag_ids.pop()
                self._tag_names[tid] = tag
                self._anchor[tid] = self._is_anchor(tag)
            else:
                tid = len(self._tag_names)
                self._tag_names.append(tag)
                self._anchor.append(self._is_anchor(tag))
                self._df.append(0)
                self._log_df.append(0.0)
                self._sdf.append(0)
                self._postings.append(None)
                self._story_postings.append(None)
            self._tag_ids[tag] = tid
        return tid

    def _maybe_free_tag(self, tid: int) -> None:
        """Give the id back once no held article or live story uses the tag: the vocabulary stays bounded."""
        if self._df[tid] == 0 and self._sdf[tid] == 0:
            name = self._tag_names[tid]
            if name is not None:
                del self._tag_ids[name]
                self._tag_names[tid] = None
                self._postings[tid] = None
                self._story_postings[tid] = None
                self._free_tag_ids.append(tid)

    def _idf(self, tid: int | None, held: int) -> float:
        log_n = math.log(held + self.config.prior_articles)
        if tid is None:
            return log_n
        return max(log_n - self._log_df[tid], 0.0)

    def _min_anchor_evidence(self, held: int) -> float:
        """IDF the shared anchors must carry together: an absolute floor, and a share of the IDF of a
        tag seen once, so in a large window a name on 1% of the articles is no story by itself."""
        cfg = self.config
        return max(cfg.min_anchor_idf, cfg.anchor_specificity * math.log(held + cfg.prior_articles))

    def _is_anchor(self, tag: str) -> bool:
        if not tag.startswith(self.config.anchor_prefixes) or tag in self._non_anchors:
            return False
        return self._non_anchor_pattern is None or self._non_anchor_pattern.match(tag) is None

    def _is_common(self, tid: int, held: int) -> bool:
        df = self._df[tid]
        cfg = self.config
        if df >= cfg.common_tag_min_df and df > cfg.common_tag_share * held:
            return True
        postings = self._postings[tid]
        return type(postings) is array and len(postings) > cfg.max_postings

    def _index_article(
        self, article_id: str, t: float, tags: tuple[int, ...], record: ArticleRecord, simhash: int, norm: float,
    ) -> int:
        """Index an article (its ``record``) under its tag ids ``tags``; ``t``, ``simhash`` and ``norm`` are
        the record's, passed unpacked."""
        seq = self._window_index.add(article_id, t, record, simhash, norm)
        df, log_df, postings, log = self._df, self._log_df, self._postings, math.log
        for tid in tags:
            count = df[tid] + 1
            df[tid] = count
            log_df[tid] = log(count + 1)
            postings[tid] = _posted(postings[tid], seq, _seq_array)
        if record.fingerprint != "":
            self._by_fingerprint.setdefault(record.fingerprint, article_id)
        bucket = int(t // _BUCKET_SECONDS)
        slot = self._article_buckets.get(bucket)
        if slot is None:
            self._article_buckets[bucket] = slot = array(_SEQ)
            heapq.heappush(self._article_bucket_heap, bucket)
        slot.append(seq)
        return seq

    def _unindex_article(self, seq: int) -> None:
        window = self._window_index
        position = seq - window.base
        article_id = window.ids[position]
        record = window.records[position]  # the record it was indexed from: its tags and fingerprint
        names, fingerprint = record.tags, record.fingerprint
        window.remove(seq)
        base, ids = window.base, window.ids
        df, log_df, all_postings, log, tag_ids = self._df, self._log_df, self._postings, math.log, self._tag_ids
        for name in names:
            tid = tag_ids[name]
            count = df[tid] - 1
            df[tid] = count
            log_df[tid] = log(count + 1)
            postings = all_postings[tid]
            # Dead entries are skipped on scan and dropped when they outnumber the live ones.
            if type(postings) is array and len(postings) > 2 * count + 16:
                all_postings[tid] = _seq_array([s for s in postings if s >= base and ids[s - base] is not None])
            if count == 0:
                self._maybe_free_tag(tid)
        if fingerprint != "" and self._by_fingerprint.get(fingerprint) == article_id:
            del self._by_fingerprint[fingerprint]

    def _held_seq(self, article_id: str, record: ArticleRecord) -> int | None:
        """Sequence number of the article held under ``article_id`` (from its record's time bucket)."""
        bucket = self._article_buckets.get(int(float(record.published) // _BUCKET_SECONDS))
        return self._window_index.find(article_id, bucket) if bucket else None

    def _index_story(self, story_id: str, record: StoryRecord | MergedStory, old_tags: set[str] | None = None) -> None:
        """Post the story under its top tags (only tags not posted already) and schedule its expiry."""
        for tag in record.tags if type(record) is StoryRecord else ():
            if old_tags is not None and tag in old_tags:
                continue
            tid = self._tag_id(tag)
            self._sdf[tid] += 1
            self._story_postings[tid] = _posted(self._story_postings[tid], story_id, list)
        self._schedule_story(story_id, record.last_seen)

    def _schedule_story(self, story_id: str, due: float) -> None:
        """Check the story for expiry once ``due`` is older than the dormant horizon."""
        bucket = int(due // _BUCKET_SECONDS)
        slot = self._story_buckets.get(bucket)
        if slot is None:
            self._story_buckets[bucket] = slot = []
            heapq.heappush(self._story_bucket_heap, bucket)
        slot.append(story_id)

    def _unpost_story_tags(self, story_id: str, tags: list[str]) -> None:
        for tag in tags:
            tid = self._tag_ids.get(tag)
            if tid is None:
                continue
            self._sdf[tid] -= 1
            postings = self._story_postings[tid]
            if type(postings) is list and len(postings) > 2 * self._sdf[tid] + 16:
                self._story_postings[tid] = [s for s in postings if self._story_posts(s, tag)]
            self._maybe_free_tag(tid)

    def _story_posts(self, story_id: str, tag: str) -> bool:
        record = self.stories.get(story_id)
        return type(record) is StoryRecord and tag in record.tags

    # -- expiry ------------------------------------------------------------------------------
    def _move_clock(self, t: float) -> None:
        """The window's clock is the newest of the last few dated articles, not of all: one article
        dated far ahead of its neighbours (a wrong year, a date read from the text) would otherwise
        close the window on every article after it. It falls back once the outlier leaves that set.
        Nor is it ahead of the slowest input partition (SourceClock): see sources.py."""
        self._recent.append(t)
        newest = max(self._recent)
        limit = self._sources.limit()
        if limit is not None and limit < newest:  # a slower input partition has not got this far yet
            newest = limit
        if newest > self._clock:
            self._advance(newest)
        else:
            self._clock = newest  # what has expired stays expired; nothing older is closed out any more

    def _advance(self, t: float) -> None:
        if t <= self._clock:
            return
        self._clock = t
        self._expire_articles(t - self._window)
        self._expire_stories(t)
        self.ledger.expire(t)

    def _expire_articles(self, cutoff: float) -> None:
        heap = self._article_bucket_heap
        window = self._window_index
        expired = False
        while heap and (heap[0] + 1) * _BUCKET_SECONDS <= cutoff:
            bucket = heapq.heappop(heap)
            for seq in self._article_buckets.pop(bucket, ()):
                position = seq - window.base
                if position < 0 or window.ids[position] is None:
                    continue
                article_id = window.ids[position]
                self._unindex_article(seq)
                if article_id in self.articles:
                    del self.articles[article_id]
                expired = True
        if expired:
            window.compact()

    def _expire_stories(self, t: float) -> None:
        cutoff = t - self._horizon
        heap = self._story_bucket_heap
        while heap and (heap[0] + 1) * _BUCKET_SECONDS <= cutoff:
            bucket = heapq.heappop(heap)
            for story_id in self._story_buckets.pop(bucket, ()):
                record = self.stories.get(story_id)
                if record is None or record.last_seen >= cutoff:
                    continue  # already gone, or active again (re-scheduled in a later bucket)
                due = record.last_seen + self._memory - self._horizon  # popped again when story_memory_days old
                if (int(due // _BUCKET_SECONDS) + 1) * _BUCKET_SECONDS > cutoff and self._held_for_recall(record):
                    self._schedule_story(story_id, due)
                    continue
                if type(record) is StoryRecord:
                    self._unpost_story_tags(story_id, list(record.tags))
                del self.stories[story_id]

    def _held_for_recall(self, record: StoryRecord | MergedStory) -> bool:
        """Held past the dormant horizon, up to story_memory_days: a profile naming enough people to
        be recalled (_recalled_stories), and a merged story's two-field tombstone (a recalled story
        absorbs threads, whose ids must keep resolving). Other stories expire at the dormant horizon,
        so the stories held stay bounded by it."""
        cfg = self.config
        if cfg.recall_min_anchors <= 0:
            return False
        if type(record) is MergedStory:
            return True
        people = sum(1 for tag in record.tags if tag.startswith(cfg.person_prefix))
        return people >= cfg.recall_min_people

    # -- public API --------------------------------------------------------------------------
    def rebuild(self) -> None:
        """Re-derive every in-memory index from the ``articles`` and ``stories`` mappings."""
        self._reset()
        articles, stories = self.articles, self.stories
        # A table's codec decodes records compact; JSON values (given offline) are made so here.
        for article_id in [key for key, record in articles.items() if type(record) is dict]:
            articles[article_id] = article_from_json(articles[article_id])
        for story_id in [key for key, record in stories.items() if type(record) is dict]:
            stories[story_id] = story_from_json(stories[story_id])
        for article_id, record in sorted(articles.items(), key=lambda kv: (kv[1].published, kv[0])):
            names = record.tags
            tags = tuple([self._tag_id(tag) for tag in names])
            t = float(record.published)
            self._index_article(article_id, t, tags, record, int(record.simhash), float(record.norm))
            self._clock = max(self._clock, t)
        for story_id, record in stories.items():
            self._index_story(story_id, record)
            self._clock = max(self._clock, float(record.last_seen))
        for tid, name in enumerate(self._tag_names):
            if name is not None:
                self._maybe_free_tag(tid)
        self.ledger.rebuild()
        release_free_heap()  # the blocks the index's containers outgrew while it was built

    def article(self, article_id: str) -> dict[str, Any] | None:
        """The stored record of an article held in the window, in readable form."""
        record = self.articles.get(article_id)
        if record is None:
            return None
        return {
            "id": article_id,
            "title": record.title,
            "published_at": _iso(record.published),
            "tags": list(record.tags),
            "story_id": self.resolve_story(record.story),
            "revision": record.revision,
            "duplicate_of": record.duplicate_of,
            "fingerprint": fingerprint_text(record.fingerprint),
            "simhash": f"{int(record.simhash):016x}",
            "related": self._stored_links(record),
        }

    def _stored_links(self, record: ArticleRecord) -> list[dict[str, Any]]:
        """The related links emitted for an article, for those still held in the window."""
        mine = set(record.tags)
        links = []
        for other_id, score in _decode_links(record.links):
            other = self.articles.get(other_id)
            if other is not None:
                shared = sorted(mine.intersection(other.tags))
                links.append({"id": other_id, "score": score, "shared_tags": shared, "title": other.title})
        return links

    def story(self, story_id: str) -> dict[str, Any] | None:
        """A story's record (following merges), in readable form."""
        resolved = self.resolve_story(story_id)
        record = self.stories.get(resolved)
        if type(record) is not StoryRecord:
            return None
        return {"story_id": resolved, **self._story_fields(record), "founded_by": record.founder}

    def stories_list(self, limit: int = 50) -> list[dict[str, Any]]:
        """Live stories (not merged away), most recently active first."""
        live = [(record.last_seen, story_id) for story_id, record in self.stories.items() if type(record) is StoryRecord]
        live.sort(reverse=True)
        return [found for _, story_id in live[: max(limit, 0)] if (found := self.story(story_id)) is not None]

    def recent_by_tag(self, tag: str, limit: int = 20) -> list[dict[str, Any]]:
        """The newest articles held that carry ``tag``, newest first."""
        tid = self._tag_ids.get(tag)
        if tid is None:
            return []
        window = self._window_index
        seqs = _each(self._postings[tid], int)
        live = [(window.times[s - window.base], window.ids[s - window.base]) for s in seqs if window.alive(s)]
        live.sort(reverse=True)
        out = []
        for t, article_id in live[: max(limit, 0)]:
            record = self.articles.get(article_id)
            if record is not None:
                out.append({"id": article_id, "title": record.title, "published_at": _iso(t),
                            "story_id": self.resolve_story(record.story)})
        return out

    def resolve_story(self, story_id: str) -> str:
        """Follow merges to the story that absorbed ``story_id`` (itself when never merged)."""
        for _ in range(_MAX_MERGE_HOPS):
            record = self.stories.get(story_id)
            if type(record) is not MergedStory:
                return story_id
            story_id = record.merged_into
        return story_id

    def __len__(self) -> int:
        """Articles held in the window."""
        return self._window_index.held

    def tag_count(self) -> int:
        """Distinct tags used by the articles and stories held."""
        return len(self._tag_ids)

    def relate(self, item: RelateInput, *, now: datetime | None = None, source: Hashable | None = None) -> RelateResult:
        dated = item.published_at is not None
        if dated:
            t = _epoch(item.published_at)
            self._provisional = False
        elif self._clock > -math.inf and not self._provisional:
            # Undated: related at the window's event time, which it never moves. Stamped with the
            # processing clock, one undated article would put the window in the present and close it
            # on every article of an older backfill after it.
            t = self._clock
        else:
            # Nothing dated seen yet: the window runs on ingestion time (so a feed without dates still
            # expires), provisionally: the first dated article takes the clock back to event time
            # (_move_clock), and what was held on ingestion time expires once event time passes it.
            t = _epoch(now) if now is not None else datetime.now(UTC).timestamp()
            self._provisional = True
            self._advance(t)

        previous = self.articles.get(item.id)
        fingerprint = compact_fingerprint(item.fingerprint)
        if previous is not None and previous.fingerprint == fingerprint:
            return self._unchanged(item, previous, t)
        past = self.ledger.get(item.id) if previous is None else None  # seen before the window held it
        if past is not None and self.ledger.same_content(past, fingerprint):
            return self._unchanged_past(past)
        updated_at = iso_utc(now) if now is not None else iso_utc(datetime.now(UTC))
        if dated:
            if source is not None:  # the input partition it came through (sources.py)
                self._sources.see(source, t)
            self._move_clock(t)
        if t < self._clock - self._window:
            return self._before_window(item, t, fingerprint, past)
        if previous is not None:  # revised content: replace the index entry, keep the story
            old = self._held_seq(item.id, previous)
            if old is not None:
                self._unindex_article(old)
            else:
                self._by_fingerprint.pop(previous.fingerprint, None)

        held = self._window_index.held
        query = self._query(item.tags, held)
        scored = self._candidates(query, t, held, exclude=None)
        related = self._related_links(scored, query)

        duplicate_of, duplicate_similarity = self._duplicate(item, fingerprint, scored)
        earlier = previous or past  # the last revision, held in the window or only in the ledger
        revision = earlier.revision + 1 if earlier is not None else 1
        updates: list[StoryUpdate] = []
        earlier_story = previous.story if previous is not None else past.story_id if past is not None else None
        kept_story = self.resolve_story(earlier_story) if earlier_story is not None else None  # a revision keeps its story
        if kept_story is not None and self.stories.get(kept_story) is not None:
            story_id = kept_story
        else:
            story_id, updates = self._assign_story(item, t, query, scored, duplicate_of, updated_at)

        self.ledger.remember(item.id, revision, fingerprint, story_id, t)
        if t >= self._clock - self._window:  # else it lies before the (advanced) window: don't hold it
            norm = round(math.sqrt(sum(w * w for _tid, _name, w in query)) if query else 0.0, 6)
            tag_id = self._tag_id
            tags = tuple([tag_id(name) for _tid, name, _w in query])
            vocabulary = self._tag_names
            names = tuple([vocabulary[tid] for tid in tags])  # the vocabulary's strings: one copy per tag
            # Links: ids and scores only; shared tags are re-derived from both records on look-up.
            record = ArticleRecord.of(
                t, names, item.simhash, fingerprint, revision, story_id, item.title, norm,
                _encode_links(related) if related else None, duplicate_of,
            )
            self.articles[item.id] = record
            self._index_article(item.id, t, tags, record, item.simhash, norm)
        return RelateResult(
            related=related,
            story_id=story_id,
            duplicate_of=duplicate_of,
            duplicate_similarity=duplicate_similarity,
            story_updates=updates,
            revision=revision,
            unchanged=False,
        )

    # -- scoring -----------------------------------------------------------------------------
    def _query(self, tags: list[str], held: int) -> list[tuple[int | None, str, float]]:
        """(tag id or None when unseen, tag, idf) for the article's distinct tags."""
        seen: set[str] = set()
        query = []
        log_n = math.log(held + self.config.prior_articles)
        tag_ids, log_df = self._tag_ids, self._log_df
        for name in tags:
            if name in seen or not name:
                continue
            seen.add(name)
            tid = tag_ids.get(name)
            if tid is None:
                query.append((tid, name, log_n))
            else:
                idf = log_n - log_df[tid]
                query.append((tid, name, 0.0 if 0.0 > idf else idf))  # max(idf, 0.0)
        return query

    def _candidates(
        self, query: list[tuple[int | None, str, float]], t: float, held: int, *, exclude: int | None
    ) -> list[tuple[float, int, bool, set[str]]]:
        """Articles held within the window of ``t`` sharing tags with the query, best first:
        (score, sequence number, shares an anchor tag, its tags). ``exclude``: a sequence number to
        leave out."""
        window = self._window
        cfg = self.config
        scan_limit = cfg.scan_limit
        index = self._window_index
        base, ids, times = index.base, index.ids, index.times
        df, all_postings, is_common = self._df, self._postings, self._is_common
        acc: dict[int, float] = {}
        get = acc.get
        common: list[tuple[int, float]] = []
        norm_sq = 0.0
        for tid, name, w in query:
            norm_sq += w * w
            if tid is None or w <= 0.0 or df[tid] == 0:
                continue
            if is_common(tid, held):
                common.append((name, w * w))
                continue
            postings = _each(all_postings[tid], int)
            w2 = w * w
            # Postings are in arrival order: a busy tag offers only its newest articles.
            for seq in postings[-scan_limit:] if len(postings) > scan_limit else postings:
                position = seq - base
                # a dead article's time is +inf: out of every window
                if position >= 0 and abs(times[position] - t) <= window:
                    acc[seq] = get(seq, 0.0) + w2
        if not acc or norm_sq <= 0.0:
            return []
        if exclude is not None:
            acc.pop(exclude, None)
        if len(acc) > cfg.max_candidates:  # the best by evidence; ties: the first found (a stable sort)
            ranked = sorted(acc.items(), key=itemgetter(1), reverse=True)[: cfg.max_candidates]
        else:  # all of them: the order is made below
            ranked = acc.items()
        norm = math.sqrt(norm_sq)
        decay_rate = _LN2 / (cfg.half_life_days * _DAY)  # exp(-gap * ln2 / half_life) == 2 ** (-gap / half_life)
        context_factor = cfg.context_only_factor
        is_anchor = self._anchor
        anchors = [(name, w) for tid, name, w in query if tid is not None and is_anchor[tid]]
        min_anchor = self._min_anchor_evidence(held)
        norms, records = index.norms, index.records
        exp = math.exp
        out = []
        for seq, raw in ranked:
            position = seq - base
            tags = set(records[position].tags)  # the candidate's tags (strings)
            for name, w2 in common:
                if name in tags:
                    raw += w2
            entry_norm = norms[position]
            entry_t = times[position]
            cosine = raw / (norm * entry_norm) if entry_norm > 0 else 0.0
            score = min(cosine, 1.0) * exp(-abs(entry_t - t) * decay_rate)
            anchor_evidence = 0  # summed in query order, from int 0 (as sum() would)
            for name, w in anchors:
                if name in tags:
                    anchor_evidence += w
            anchored = anchor_evidence >= min_anchor
            if not anchored:  # sharing only topics and regions: the same kind of news, not the same story
                score *= context_factor
            out.append((-score, -entry_t, ids[position], score, seq, anchored, tags))
        out.sort()  # best first; ties: the newer, then by id (ids are distinct, so no further compare)
        return [(score, seq, anchored, tags) for _key, _t, _id, score, seq, anchored, tags in out]

    def _related_links(self, scored: list[tuple[float, int, bool, set[str]]], query: list[tuple[int | None, str, float]]) -> list[RelatedLink]:
        links: list[RelatedLink] = []
        cfg = self.config
        if not scored or scored[0][0] < cfg.min_related_score:
            return links
        by_weight = sorted(((w, tid, name) for tid, name, w in query if tid is not None), reverse=True)
        index = self._window_index
        base, ids, times, records = index.base, index.ids, index.times, index.records
        validate = RelatedLink.model_validate  # a dict: cheaper than keyword arguments
        for score, seq, _anchored, tags in scored:
            if len(links) >= cfg.k or score < cfg.min_related_score:
                break
            position = seq - base
            links.append(
                validate(
                    {
                        "id": ids[position],
                        "score": round(score, 4),
                        "shared_tags": [name for _w, _tid, name in by_weight if name in tags],
                        "title": records[position].title,
                        "published_at": _iso(times[position]),
                    }
                )
            )
        return links

    def _duplicate(self, item: RelateInput, fingerprint: int | str, scored: list[tuple[float, int, bool, set[str]]]) -> tuple[str | None, float | None]:
        """The first copy this article duplicates (exact fingerprint, else nearest SimHash), if any."""
        original = self._by_fingerprint.get(fingerprint) if item.fingerprint else None
        if original is not None and original != item.id:
            return self._first_copy(original), 1.0
        if not scored or scored[0][0] < self.config.duplicate_min_link:
            return None, None
        best: tuple[float, float, str] | None = None  # (similarity, -t, id): most similar, then earliest
        # A near-duplicate shares (nearly) all tags, so it ranks among the best candidates; requiring
        # that link keeps texts written from one template about different events (similar SimHash,
        # different people and places) apart.
        max_bits = int((1.0 - self.config.duplicate_threshold) * 64 + 1e-9)
        signature = item.simhash
        index = self._window_index
        for score, seq, _anchored, _tags in scored:
            if score < self.config.duplicate_min_link:
                break  # scored is best first
            position = seq - index.base
            other = index.simhashes[position]
            if (signature ^ other).bit_count() > max_bits:
                continue
            similarity = simhash_similarity(signature, other)
            if similarity >= self.config.duplicate_threshold:
                key = (similarity, -index.times[position], index.ids[position])
                if best is None or key > best:
                    best = key
        if best is None:
            return None, None
        return self._first_copy(best[2]), best[0]

    def _first_copy(self, article_id: str) -> str:
        record = self.articles.get(article_id)
        if record is not None and record.duplicate_of:
            return record.duplicate_of
        return article_id

    # -- stories -----------------------------------------------------------------------------
    def _assign_story(
        self,
        item: RelateInput,
        t: float,
        query: list[tuple[int | None, str, float]],
        scored: list[tuple[float, int, bool, set[str]]],
        duplicate_of: str | None,
        updated_at: str,
    ) -> tuple[str, list[StoryUpdate]]:
        cfg = self.config
        story_scores: dict[str, float] = {}
        if duplicate_of is not None:
            original = self.articles.get(duplicate_of)
            if original is not None:
                story = self.resolve_story(original.story)
                if story in self.stories:
                    story_scores[story] = 1.0
        if not story_scores:
            records, base = self._window_index.records, self._window_index.base
            for score, seq, anchored, _tags in scored:
                if score < cfg.join_threshold:
                    break
                if not anchored:  # a story is joined through a shared actor or place, not a topic
                    continue
                story = self.resolve_story(records[seq - base].story)
                if story in self.stories and score > story_scores.get(story, 0.0):
                    story_scores[story] = score
            # A story recalled by distinctive anchors is this article's story, however old; the story
            # the article links to (a fresh thread of the same event) is merged into it.
            recalled = self._recalled_stories(query)
            for story in recalled:
                story_scores[story] = max(story_scores.get(story, 0.0), cfg.join_threshold)
            # Dormant stories are searched only when no article held links strongly: the common case
            # (a story with recent articles) costs no profile scoring.
            if not story_scores:
                for story, score in self._dormant_story_scores(query, t).items():
                    if score >= cfg.story_join_threshold:
                        story_scores[story] = score
        else:
            recalled = set()

        updates: list[StoryUpdate] = []
        if not story_scores:
            story_id = self._new_story_id(item.id)
            record = StoryRecord(item.title, 1, t, t, self._profile((), query), item.id)
            self.stories[story_id] = record
            self._index_story(story_id, record)
            updates.append(self._update(story_id, record, StoryEvent.created, item.id, updated_at))
            return story_id, updates

        ranked = sorted(story_scores.items(), key=lambda kv: kv[1], reverse=True)
        to_merge = [ranked[0][0]] + [s for s, score in ranked[1:] if score >= cfg.merge_threshold or s in recalled]
        # The oldest story survives a merge; ties by id keep it deterministic.
        to_merge.sort(key=lambda s: (self.stories[s].first_seen, s))
        survivor_id = to_merge[0]
        survivor = self.stories[survivor_id]
        old_tags = set(survivor.tags)
        size, first_seen, last_seen, profile = survivor.size, survivor.first_seen, survivor.last_seen, survivor.top_tags
        for absorbed_id in to_merge[1:]:
            absorbed = self.stories[absorbed_id]
            size += absorbed.size
            first_seen = min(first_seen, absorbed.first_seen)
            last_seen = max(last_seen, absorbed.last_seen)
            counts = dict(pairs(profile))
            for tag, count in pairs(absorbed.top_tags):
                counts[tag] = counts.get(tag, 0) + count
            profile = flat_profile(counts.items())
            self._unpost_story_tags(absorbed_id, list(absorbed.tags))
            tombstone = MergedStory(survivor_id, max(absorbed.last_seen, t))
            self.stories[absorbed_id] = tombstone
            self._index_story(absorbed_id, tombstone)
        survivor = StoryRecord(
            survivor.title, size + 1, min(first_seen, t), max(last_seen, t), self._profile(profile, query), survivor.founder
        )
        self.stories[survivor_id] = survivor
        new_tags = set(survivor.tags)
        self._unpost_story_tags(survivor_id, sorted(old_tags - new_tags))
        self._index_story(survivor_id, survivor, old_tags)
        for absorbed_id in to_merge[1:]:
            update = self._update(absorbed_id, survivor, StoryEvent.merged, item.id, updated_at)
            update.merged_into = survivor_id
            updates.append(update)
        updates.append(self._update(survivor_id, survivor, StoryEvent.article_added, item.id, updated_at))
        return survivor_id, updates

    def _dormant_story_scores(self, query: list[tuple[int | None, str, float]], t: float) -> dict[str, float]:
        """Stories matched by their top-tag profile: cosine of IDF vectors (story side weighted by the
        share of its articles carrying the tag) times the decay since the story's last article."""
        cfg = self.config
        held = self._window_index.held
        weights = {name: w for tid, name, w in query if w > 0.0}
        norm_sq = sum(w * w for w in weights.values())
        if norm_sq <= 0.0:
            return {}
        scan_limit = self.config.scan_limit
        evidence: dict[str, float] = {}
        for tid, _name, w in query:
            if tid is None or w <= 0.0 or self._sdf[tid] == 0 or self._is_common(tid, held):
                continue
            postings = _each(self._story_postings[tid], str)
            w2 = w * w
            for story_id in postings[-scan_limit:] if len(postings) > scan_limit else postings:
                evidence[story_id] = evidence.get(story_id, 0.0) + w2
        # Only the stories with the most shared evidence are scored in full.
        shortlist = sorted(evidence.items(), key=lambda kv: (-kv[1], kv[0]))[: self.config.max_story_candidates]
        half_life = self.config.story_half_life_days * _DAY
        log_n = math.log(held + self.config.prior_articles)
        tag_ids, log_df, is_anchor = self._tag_ids, self._log_df, self._anchor
        min_anchor = self._min_anchor_evidence(held)
        out: dict[str, float] = {}
        for story_id, _evidence in shortlist:
            record = self.stories.get(story_id)
            if type(record) is not StoryRecord:
                continue
            size = max(record.size, 1)
            dot = 0.0
            story_sq = 0.0
            anchor_evidence = 0.0
            people = places = 0
            for tag, count in pairs(record.top_tags):
                tid = tag_ids.get(tag)
                if tid is None:
                    idf = log_n
                else:  # max(x, 0.0) and min(x, 1.0), spelled out: the calls cost more than the math
                    idf = log_n - log_df[tid]
                    if 0.0 > idf:
                        idf = 0.0
                share = count / size
                weight = idf * (1.0 if 1.0 < share else share)
                story_sq += weight * weight
                shared = weights.get(tag, 0.0)
                if shared:
                    dot += weight * shared
                    if is_anchor[tid] if tid is not None else self._is_anchor(tag):
                        anchor_evidence += shared
                        people += tag.startswith(cfg.person_prefix)
                        places += tag.startswith(cfg.place_prefix)
            if dot <= 0.0 or story_sq <= 0.0 or anchor_evidence < min_anchor:
                continue
            # A story with no article in the window is joined on who (a person) or on a precise
            # where (two places: a city and its street or district), not on a city alone - every
            # incident there shares that.
            if people < cfg.dormant_min_people and places < cfg.dormant_min_places:
                continue
            gap = max(t - record.last_seen, record.first_seen - t, 0.0)
            if gap > self._dormant_horizon:  # held longer only for recall (_recalled_stories)
                continue
            out[story_id] = min(dot / math.sqrt(norm_sq * story_sq), 1.0) * 2.0 ** (-gap / half_life)
        return out

    def _recalled_stories(self, query: list[tuple[int | None, str, float]]) -> set[str]:
        """Live stories whose profiles share at least ``recall_min_anchors`` distinctive anchors with
        the query, ``recall_min_people`` of them people. A distinctive anchor is in the profiles of at most
        ``recall_max_stories`` live stories, so its story postings are short: this costs a few look-ups."""
        cfg = self.config
        if cfg.recall_min_anchors <= 0:
            return set()
        shared: dict[str, list[int]] = {}  # story -> [distinctive anchors shared, of which people]
        for tid, name, _w in query:
            if tid is None or not self._anchor[tid] or not 0 < self._sdf[tid] <= cfg.recall_max_stories:
                continue
            person = name.startswith(cfg.person_prefix)
            postings = _each(self._story_postings[tid], str)
            stale = len(postings) != self._sdf[tid]  # postings of merged or re-profiled stories linger
            for story_id in postings:
                if stale and not self._story_posts(story_id, name):
                    continue
                counts = shared.setdefault(story_id, [0, 0])
                counts[0] += 1
                counts[1] += person
        return {s for s, (anchors, people) in shared.items() if anchors >= cfg.recall_min_anchors and people >= cfg.recall_min_people}

    def _profile(self, profile: tuple[Any, ...], query: list[tuple[int | None, str, float]]) -> tuple[Any, ...]:
        """A story's profile (flat top tags) with the article's tags counted in, keeping the most telling ones.

        Anchors (who, where) come first, by how many of the story's articles carry them; a few slots
        go to context tags (topics, regions). Counts rank before IDF because a big story makes its
        own names look common in a small window, and they are exactly what later articles share."""
        counts = dict(pairs(profile))
        for _tid, name, _w in query:
            counts[name] = counts.get(name, 0) + 1

        tag_ids, df = self._tag_ids, self._df
        person = self.config.person_prefix
        anchors: list[tuple[int, int, bool, str]] = []
        context: list[tuple[int, int, bool, str]] = []
        for tag, count in counts.items():
            tid = tag_ids.get(tag)
            # count first, then rarity (fewer articles held), then the tag for a stable order
            key = (count, -(df[tid] if tid is not None else 0), tag.startswith(person), tag)
            (anchors if (self._anchor[tid] if tid is not None else self._is_anchor(tag)) else context).append(key)
        anchors.sort(reverse=True)
        context.sort(reverse=True)
        context_slots = min(self.config.story_context_tags, self.config.story_top_tags)
        kept = anchors[: self.config.story_top_tags - min(context_slots, len(context))]
        kept += context[: self.config.story_top_tags - len(kept)]
        return flat_profile((tag, count) for count, _rarity, _person, tag in kept)

    def _new_story_id(self, article_id: str) -> str:
        story_id = "s-" + article_id
        suffix = 1
        while story_id in self.stories:  # a story founded by an earlier revision of the same id
            suffix += 1
            story_id = f"s-{article_id}-{suffix}"
        return story_id

    def _top_tag_names(self, record: StoryRecord, limit: int = 8) -> list[str]:
        return list(record.tags[:limit])

    def _story_fields(self, record: StoryRecord) -> dict[str, Any]:
        """A live story record's readable fields, shared by look-ups and ``StoryUpdate``s."""
        return {
            "title": record.title,
            "size": record.size,
            "top_tags": self._top_tag_names(record),
            "first_seen": _iso(record.first_seen),
            "last_seen": _iso(record.last_seen),
        }

    def _update(self, story_id: str, record: StoryRecord, event: StoryEvent, article_id: str, updated_at: str) -> StoryUpdate:
        return StoryUpdate.model_validate(  # a dict: cheaper than keyword arguments
            {"story_id": story_id, "event": event, "article_id": article_id, **self._story_fields(record), "updated_at": updated_at}
        )

    # -- idempotency -------------------------------------------------------------------------
    def _unchanged_past(self, past: LedgerEntry) -> RelateResult:
        """An identical re-send of an article the window no longer holds: the ledger's answer."""
        return RelateResult(
            related=[],
            story_id=self.resolve_story(past.story_id) if past.story_id else None,
            duplicate_of=None,
            duplicate_similarity=None,
            revision=past.revision,
            unchanged=True,
        )

    def _before_window(self, item: RelateInput, t: float, fingerprint: int | str, past: LedgerEntry | None) -> RelateResult:
        """An article older than the window (a late arrival, or a revision of an old article): emitted,
        related to nothing and threaded into no new story, since its contemporaries are gone. A
        revision keeps the story it had, while that story is still known."""
        revision = past.revision + 1 if past is not None else 1
        story_id = None
        if past is not None and past.story_id is not None:
            kept = self.resolve_story(past.story_id)
            story_id = kept if self.stories.get(kept) is not None else None
        self.ledger.remember(item.id, revision, fingerprint, story_id, t)
        window_start = _iso(self._clock - self._window)
        return RelateResult(
            related=[],
            story_id=story_id,
            duplicate_of=None,
            duplicate_similarity=None,
            revision=revision,
            note=f"published before the related-story window (which starts {window_start}): not related, no new story",
        )

    def _unchanged(self, item: RelateInput, record: ArticleRecord, t: float) -> RelateResult:
        """An identical re-send: answer from the state, change nothing."""
        held = self._window_index.held
        query = self._query(list(record.tags), held)
        scored = self._candidates(query, float(record.published), held, exclude=self._held_seq(item.id, record))
        return RelateResult(
            related=self._related_links(scored, query),
            story_id=self.resolve_story(record.story),
            duplicate_of=record.duplicate_of,
            duplicate_similarity=None,
            story_updates=[],
            revision=record.revision,
            unchanged=True,
        )
