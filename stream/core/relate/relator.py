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

Stories. An article with text (``RelateInput.text``) joins a story when its content and its tags
both agree with it (stories.py, ``_content_story_scores``): each story keeps a bounded content
centroid (content.py), and a candidate story - of a tag link, of recall, or found by the article's
rarest heavy words - is joined on ``cosine + content_link_weight * link >= content_join`` with
``cosine >= content_min``. Without text: the story of its best anchored link when that link scores >=
``join_threshold``. In both cases a second story scoring >= the merge threshold is merged into the older. A story outlives its evicted articles through its profile - its top anchor
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

import math
from collections.abc import Hashable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from stream.contracts import RelatedLink, StoryUpdate
from stream.contracts.topics import iso_utc
from stream.core.relate.base import (
    _DAY,
    Query,
    RelateInput,
    RelateResult,
    _encode_links,
    _epoch,
    _iso,
    non_anchor_tags,
)
from stream.core.relate.config import RelateConfig
from stream.core.relate.index import WindowIndex
from stream.core.relate.ledger import LedgerEntry, RevisionLedger
from stream.core.relate.lookups import Lookups
from stream.core.relate.records import ArticleRecord, compact_fingerprint, pack_position, unpack_position
from stream.core.relate.scoring import Scoring
from stream.core.relate.stories import Stories

__all__ = ["RelateInput", "RelateResult", "Relator"]


def _same_input(position: tuple[int, int] | None, made_from: tuple[int, int] | None) -> bool | None:
    """Whether the input at ``position`` is the one the state was made from: a replay of that very input
    (after a kill), not a re-send, which always comes at a new position. None if either is unknown."""
    if position is None or made_from is None:
        return None
    return tuple(position) == tuple(made_from)


class Relator(WindowIndex, Scoring, Stories, Lookups):
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

    def relate(
        self, item: RelateInput, *, now: datetime | None = None, source: Hashable | None = None,
        position: tuple[int, int] | None = None,
    ) -> RelateResult:
        """``position``: the input's (partition, offset) in the worker (None offline), remembered with the
        state. The caller asks ``superseded`` first: a replayed input older than the one last applied to the
        id must not reach here (Pipeline.link answers it unchanged, with nothing to restate)."""
        dated = item.published_at is not None
        t = self._event_time(item, now)
        previous = self.articles.get(item.id)
        fingerprint = compact_fingerprint(item.fingerprint)
        if previous is not None and previous.fingerprint == fingerprint:
            if position is not None:
                self._heal_ledger(item.id, previous, position)
            return self._unchanged(item, previous, t, _same_input(position, unpack_position(previous.position)))
        past = self.ledger.get(item.id) if previous is None else None  # seen before the window held it
        if past is not None and self.ledger.same_content(past, fingerprint):
            return self._unchanged_past(past, _same_input(position, past.position))
        updated_at = iso_utc(now) if now is not None else iso_utc(datetime.now(UTC))
        if dated:
            if source is not None:  # the input partition it came through (sources.py)
                self._sources.see(source, t)
            self._move_clock(t)
            if self._stays_out(t):
                return self._before_window(item, t, fingerprint, past, position)
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

        self.ledger.remember(item.id, revision, fingerprint, story_id, t, position)
        if t >= self._clock - self._window:  # else it lies before the (advanced) window: don't hold it
            self._hold(item, t, query, related, (revision, fingerprint, story_id, duplicate_of), pack_position(position))
        return RelateResult(
            related=related,
            story_id=story_id,
            duplicate_of=duplicate_of,
            duplicate_similarity=duplicate_similarity,
            story_updates=updates,
            revision=revision,
            unchanged=False,
        )

    def _event_time(self, item: RelateInput, now: datetime | None) -> float:
        """The time the article is related at (epoch seconds)."""
        if item.published_at is not None:
            self._provisional = False
            return _epoch(item.published_at)
        if self._clock > -math.inf and not self._provisional:
            # Undated: related at the window's event time, which it never moves. Stamped with the
            # processing clock, one undated article would put the window in the present and close it
            # on every article of an older backfill after it.
            return self._clock
        # Nothing dated seen yet: the window runs on ingestion time (so a feed without dates still
        # expires), provisionally: the first dated article takes the clock back to event time
        # (_move_clock), and what was held on ingestion time expires once event time passes it.
        t = _epoch(now) if now is not None else datetime.now(UTC).timestamp()
        self._provisional = True
        self._advance(t)
        return t

    def _hold(
        self, item: RelateInput, t: float, query: Query, related: list[RelatedLink], kept: tuple[int, int | str, str, str | None],
        position: int | None = None,
    ) -> None:
        """Store the article's record and index it in the window; ``kept``: (revision, fingerprint, story id, duplicate_of)."""
        revision, fingerprint, story_id, duplicate_of = kept
        norm = round(math.sqrt(sum(w * w for _tid, _name, w in query)) if query else 0.0, 6)
        tag_id = self._tag_id
        tags = tuple([tag_id(name) for _tid, name, _w in query])
        vocabulary = self._tag_names
        names = tuple([vocabulary[tid] for tid in tags])  # the vocabulary's strings: one copy per tag
        # Links: ids and scores only; shared tags are re-derived from both records on look-up.
        record = ArticleRecord.of(
            t, names, item.simhash, fingerprint, revision, story_id, item.title, norm,
            _encode_links(related) if related else None, duplicate_of, position,
        )
        self.articles[item.id] = record
        self._index_article(item.id, t, tags, record, item.simhash, norm)

    # -- idempotency -------------------------------------------------------------------------
    def _unchanged_past(self, past: LedgerEntry, same_input: bool | None = None) -> RelateResult:
        """An identical re-send of an article the window no longer holds: the ledger's answer."""
        return RelateResult(
            related=[],
            story_id=self.resolve_story(past.story_id) if past.story_id else None,
            duplicate_of=None,
            duplicate_similarity=None,
            revision=past.revision,
            unchanged=True,
            same_input=same_input,
        )

    def superseded(self, article_id: str, position: tuple[int, int]) -> bool:
        """Whether the input at ``position`` is a replay older than the last one applied to the id (ledger.py).
        Asked of the article record too: the two tables' changelogs are written apart, and after a kill
        either may be the one that got further."""
        if self.ledger.superseded(article_id, position):
            return True
        record = self.articles.get(article_id)
        made_from = unpack_position(record.position) if record is not None else None
        return made_from is not None and made_from[0] == position[0] and position[1] < made_from[1]

    def _heal_ledger(self, article_id: str, record: ArticleRecord, position: tuple[int, int]) -> None:
        """The input the record was made from, replayed: if the ledger entry written with it was lost (a kill
        between the two changelogs), write it again, so that the ledger does not answer for an older revision."""
        if unpack_position(record.position) != position:
            return
        entry = self.ledger.get(article_id)
        if entry is None or entry.position != position:
            self.ledger.remember(article_id, record.revision, record.fingerprint, record.story, record.published, position)

    def _before_window(
        self, item: RelateInput, t: float, fingerprint: int | str, past: LedgerEntry | None,
        position: tuple[int, int] | None = None,
    ) -> RelateResult:
        """An article older than the window (a late arrival, or a revision of an old article): emitted,
        related to nothing and threaded into no new story, since its contemporaries are gone. A
        revision keeps the story it had, while that story is still known."""
        revision = past.revision + 1 if past is not None else 1
        story_id = None
        if past is not None and past.story_id is not None:
            kept = self.resolve_story(past.story_id)
            story_id = kept if self.stories.get(kept) is not None else None
        self.ledger.remember(item.id, revision, fingerprint, story_id, t, position)
        window_start = _iso(self._clock - self._window)
        return RelateResult(
            related=[],
            story_id=story_id,
            duplicate_of=None,
            duplicate_similarity=None,
            revision=revision,
            note=f"published before the related-story window (which starts {window_start}): not related, no new story",
        )

    def _unchanged(self, item: RelateInput, record: ArticleRecord, t: float, same_input: bool | None = None) -> RelateResult:
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
            same_input=same_input,
        )
