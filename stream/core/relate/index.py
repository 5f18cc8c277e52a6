"""The window and its index: tag vocabulary and document frequencies, posting lists (tag -> articles,
tag -> stories), the fingerprint index, and expiry of articles and stories by event time."""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque
from collections.abc import Iterable
from itertools import filterfalse

from stream.core.relate.base import _BUCKET_SECONDS, _SEQ, _posted, _seq_array
from stream.core.relate.heap import release_free_heap
from stream.core.relate.records import ArticleRecord, MergedStory, StoryRecord, article_from_json, story_from_json
from stream.core.relate.sources import SourceClock
from stream.core.relate.window import ArticleWindow


class WindowIndex:
    """Mixin of ``Relator`` (relator.py): it holds the state these methods use."""

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
        # Content: in how many live stories' centroids each term is (the IDF of content.py), and how
        # many live stories have a centroid.
        self._term_df: dict[str, int] = {}
        self._term_log_df: dict[str, float] = {}  # ln(df + 1) of each term: an idf is a subtraction
        self._centroids = 0
        # term -> the live stories whose centroid holds it: one story's id, or a dict of their ids
        self._term_stories: dict[str, str | dict[str, None]] = {}
        self._by_fingerprint: dict[int | str, str] = {}  # compact fingerprint -> first article id
        self._article_buckets: dict[int, array] = {}  # sequence numbers
        self._article_bucket_heap: list[int] = []
        self._story_buckets: dict[int, list[str]] = {}
        self._story_bucket_heap: list[int] = []
        self._clock = -math.inf  # newest published_at seen (epoch seconds)
        self._provisional = False  # the clock is ingestion time: only undated articles were seen
        self._recent: deque[float] = deque(maxlen=self.config.clock_articles)  # times of the last dated articles
        self._late: float | None = None  # the last dated article's time, when it lay before the window
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

    def _count_terms(self, centroid: tuple, delta: int, story_id: str) -> None:
        """Count a live story's centroid in (``delta`` 1) or out (-1) of the content DF."""
        if centroid:
            self._centroids += delta
            self._count_term_list(centroid[::2], delta, story_id)

    def _recount_terms(self, old: tuple, new: tuple, story_id: str) -> None:
        """A live story's centroid ``old`` replaced by ``new``: only the terms that came or went are
        counted (the same state as counting ``old`` out and ``new`` in, at a fraction of the work)."""
        if not old or not new:
            self._count_terms(old, -1, story_id)
            self._count_terms(new, 1, story_id)
            return
        old_terms, new_terms = old[::2], new[::2]
        self._count_term_list(list(filterfalse(set(new_terms).__contains__, old_terms)), -1, story_id)
        self._count_term_list(list(filterfalse(set(old_terms).__contains__, new_terms)), 1, story_id)

    def _count_term_list(self, terms: Iterable[str], delta: int, story_id: str) -> None:
        """Count ``terms`` of a story's centroid in or out of the content DF, its ln(df + 1), and the term ->
        stories postings (kept exact: only live centroids holding the term)."""
        df, log_df, postings, log = self._term_df, self._term_log_df, self._term_stories, math.log
        for term in terms:
            count = df.get(term, 0) + delta
            posted = postings.get(term)
            if count > 0:
                df[term] = count
                log_df[term] = log(count + 1)
                if delta > 0:  # a story id alone while it is the only one (most terms): no dict for it
                    if posted is None:
                        postings[term] = story_id
                    elif type(posted) is str:
                        postings[term] = {posted: None, story_id: None}
                    else:
                        posted[story_id] = None
                elif type(posted) is dict:
                    del posted[story_id]
                    if len(posted) == 1:
                        postings[term] = next(iter(posted))
            else:
                del df[term], log_df[term], postings[term]

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

    def _stays_out(self, t: float) -> bool:
        """Whether a dated article at ``t`` lies before the window and stays out of it: a lone straggler
        (a late arrival, a re-send of an old article). Not so the second of two dated articles in a row
        before the window, within a window of each other: that begins a backfill, a replay of older news,
        which relates to itself as in a live stream - the clock falls back to it (what the window holds
        stays; the next newer article moves the clock on again)."""
        if t >= self._clock - self._window:
            self._late = None
            return False
        previous, self._late = self._late, t
        if previous is None or abs(t - previous) > self._window:
            return True
        self._late = None
        self._recent.clear()
        self._recent.extend((previous, t))
        self._clock = max(previous, t)
        return False

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
                    self._count_terms(record.centroid, -1, story_id)
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
            if type(record) is StoryRecord:
                self._count_terms(record.centroid, 1, story_id)
            self._clock = max(self._clock, float(record.last_seen))
        for tid, name in enumerate(self._tag_names):
            if name is not None:
                self._maybe_free_tag(tid)
        self.ledger.rebuild()
        release_free_heap()  # the blocks the index's containers outgrew while it was built

