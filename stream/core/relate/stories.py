"""Stories: assignment of an article to a story (by links, recall or a dormant story's profile), merges,
profiles and the story updates emitted."""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Iterator
from itertools import compress, repeat
from operator import mul, sub
from typing import Any

from stream.contracts import StoryEvent, StoryUpdate
from stream.core.relate.base import _DAY, _MAX_MERGE_HOPS, Query, RelateInput, Scored, _each, _epoch, _iso
from stream.core.relate.content import centroid_terms, content_vector, flat_centroid, mean_centroid, usage_factors
from stream.core.relate.records import MergedStory, StoryRecord, flat_profile, pairs
from stream.core.relate.signature import accumulate, agreeing, event_signature


class Stories:
    """Mixin of ``Relator`` (relator.py): it holds the state these methods use."""

    def resolve_story(self, story_id: str) -> str:
        """Follow merges to the story that absorbed ``story_id`` (itself when never merged)."""
        for _ in range(_MAX_MERGE_HOPS):
            record = self.stories.get(story_id)
            if type(record) is not MergedStory:
                return story_id
            story_id = record.merged_into
        return story_id


    def _assign_story(
        self,
        item: RelateInput,
        t: float,
        query: Query,
        scored: Scored,
        duplicate_of: str | None,
        updated_at: str,
    ) -> tuple[str, list[StoryUpdate]]:
        cfg = self.config
        usage = usage_factors(cfg.content_common_zipf, cfg.content_rare_zipf) if cfg.content_common_zipf > 0.0 else {}
        vector = content_vector(item.text, cfg.content_chars, usage, cfg.content_terms) if item.text else {}
        published = _epoch(item.published_at) if item.published_at is not None else None
        signature = event_signature(item.text, published, t) if item.text and cfg.signature_conflicts else ()
        merge_threshold = cfg.merge_threshold
        recalled: set[str] = set()
        story_scores = self._duplicate_story(duplicate_of)
        if story_scores:
            pass
        elif vector:
            story_scores, recalled = self._content_story_scores(t, query, scored, vector)
            story_scores = agreeing(story_scores, self.stories, signature, cfg.signature_penalty, cfg.content_join)
            merge_threshold = cfg.content_merge
        else:
            story_scores, recalled = self._tag_story_scores(t, query, scored)

        if not story_scores:
            story_id = self._new_story_id(item.id)
            record = StoryRecord(
                item.title, 1, t, t, self._profile((), query), item.id, flat_centroid(vector, cfg.story_terms),
                accumulate((), signature),
            )
            self.stories[story_id] = record
            self._index_story(story_id, record)
            self._count_terms(record.centroid, 1, story_id)
            return story_id, [self._update(story_id, record, StoryEvent.created, item.id, updated_at)]

        ranked = sorted(story_scores.items(), key=lambda kv: kv[1], reverse=True)
        to_merge = [ranked[0][0]] + [s for s, score in ranked[1:] if score >= merge_threshold or s in recalled]
        # The oldest story survives a merge; ties by id keep it deterministic.
        to_merge.sort(key=lambda s: (self.stories[s].first_seen, s))
        return self._join(item, t, query, vector, to_merge, updated_at, signature)

    def _join(
        self, item: RelateInput, t: float, query: Query, vector: dict[str, float], to_merge: list[str], updated_at: str,
        signature: tuple[int, ...] = (),
    ) -> tuple[str, list[StoryUpdate]]:
        """Add the article to the first story of ``to_merge``, which absorbs the others."""
        survivor_id = to_merge[0]
        survivor = self.stories[survivor_id]
        old_tags = set(survivor.tags)
        size, first_seen, last_seen, profile = survivor.size, survivor.first_seen, survivor.last_seen, survivor.top_tags
        old_centroid = survivor.centroid
        parts = [(centroid_terms(old_centroid), survivor.size)]
        signatures = [survivor.signature]
        for absorbed_id in to_merge[1:]:
            absorbed = self.stories[absorbed_id]
            size += absorbed.size
            first_seen = min(first_seen, absorbed.first_seen)
            last_seen = max(last_seen, absorbed.last_seen)
            counts = dict(pairs(profile))
            for tag, count in pairs(absorbed.top_tags):
                counts[tag] = counts.get(tag, 0) + count
            profile = flat_profile(counts.items())
            parts.append((centroid_terms(absorbed.centroid), absorbed.size))
            signatures.append(absorbed.signature)
            self._count_terms(absorbed.centroid, -1, absorbed_id)
            self._unpost_story_tags(absorbed_id, list(absorbed.tags))
            tombstone = MergedStory(survivor_id, max(absorbed.last_seen, t))
            self.stories[absorbed_id] = tombstone
            self._index_story(absorbed_id, tombstone)
        parts.append((vector, 1))
        centroid = flat_centroid(mean_centroid([part for part in parts if part[0]]), self.config.story_terms)
        survivor = StoryRecord(
            survivor.title, size + 1, min(first_seen, t), max(last_seen, t), self._profile(profile, query), survivor.founder,
            centroid, accumulate(signatures, signature),
        )
        self.stories[survivor_id] = survivor
        self._recount_terms(old_centroid, centroid, survivor_id)
        new_tags = set(survivor.tags)
        self._unpost_story_tags(survivor_id, sorted(old_tags - new_tags))
        self._index_story(survivor_id, survivor, old_tags)
        updates: list[StoryUpdate] = []
        for absorbed_id in to_merge[1:]:
            update = self._update(absorbed_id, survivor, StoryEvent.merged, item.id, updated_at)
            update.merged_into = survivor_id
            updates.append(update)
        updates.append(self._update(survivor_id, survivor, StoryEvent.article_added, item.id, updated_at))
        return survivor_id, updates

    def _duplicate_story(self, duplicate_of: str | None) -> dict[str, float]:
        """A near-duplicate's story is its first copy's."""
        if duplicate_of is not None:
            original = self.articles.get(duplicate_of)
            if original is not None:
                story = self.resolve_story(original.story)
                if story in self.stories:
                    return {story: 1.0}
        return {}

    def _linked_stories(
        self, scored: Scored, min_score: float, unanchored: bool = False, specific: set[str] | None = None
    ) -> dict[str, float]:
        """Best anchored link score per live story, over the links scoring at least ``min_score``;
        ``unanchored``: stories linked without a shared anchor (or, given ``specific``, without one
        of those names) are listed too, at a score of 0."""
        out: dict[str, float] = {}
        records, base = self._window_index.records, self._window_index.base
        for score, seq, anchored, tags in scored:
            if score < min_score:
                break
            if specific is not None and anchored and specific.isdisjoint(tags):
                anchored = False  # only names that many live stories share: no evidence of this one
            if not anchored:  # a story is joined through a shared actor or place, not a topic
                if not unanchored:
                    continue
                score = 0.0
            story = self.resolve_story(records[seq - base].story)
            if story in self.stories and score >= out.get(story, 0.0):
                out[story] = score
        return out

    def _tag_story_scores(self, t: float, query: Query, scored: Scored) -> tuple[dict[str, float], set[str]]:
        """Stories by tags alone (an article without text)."""
        cfg = self.config
        story_scores = self._linked_stories(scored, cfg.join_threshold)
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
        return story_scores, recalled

    def _content_story_scores(
        self, t: float, query: Query, scored: Scored, vector: dict[str, float]
    ) -> tuple[dict[str, float], set[str]]:
        """Stories whose tags and content both agree with the article: a story found by a tag link
        (or recall, or its profile, or its centroid's rare terms) is joined only when the article's
        content is close to its centroid - closer still when the tag link is weak. The score is the
        content cosine plus ``content_link_weight`` times the tag link score (0 for a link without a
        shared anchor)."""
        cfg = self.config
        linked = self._linked_stories(scored, cfg.content_link_floor, cfg.content_unanchored, self._specific_names(query))
        # the best linked stories only: each costs a centroid comparison
        tag_scores = dict(sorted(linked.items(), key=lambda kv: (-kv[1], kv[0]))[: cfg.max_content_stories])
        recalled = self._recalled_stories(query)
        for story in recalled:
            tag_scores[story] = max(tag_scores.get(story, 0.0), cfg.join_threshold)
        usage = usage_factors(cfg.content_common_zipf, cfg.content_rare_zipf) if cfg.content_common_zipf > 0.0 else {}
        content = _ContentQuery(vector, self._term_log_df, math.log(self._centroids + cfg.prior_articles), usage)
        probed = [story for story in self._term_candidates(content) if story not in tag_scores]
        # found by words alone, without a shared name or place: distinct events written alike (wire
        # templates, one beat's vocabulary) share words, not the people and places they are about
        wordy = set(probed).difference(self._sharing_an_anchor(query, probed)) if probed else set()
        for story in probed:
            tag_scores[story] = 0.0
        out = self._content_gate(tag_scores, content, recalled, wordy)
        if not out:
            # a story compared above whose content is too far for a join at join_threshold need not be profiled
            floor = self._least_joining_cosine(cfg.join_threshold)
            skip = {s for s, (cosine, _exact) in content.seen.items() if cosine < floor - _MARGIN}
            scored_dormant = self._dormant_story_scores(query, t, skip)
            dormant = {s: score for s, score in scored_dormant.items() if score >= cfg.story_join_threshold}
            out = self._content_gate({s: cfg.join_threshold for s in dormant}, content)
        return out, recalled & out.keys()

    def _sharing_an_anchor(self, query: Query, stories: list[str]) -> list[str]:
        """The stories whose profile holds one of the article's anchors (a name or place): words alone
        do not find a story - distinct events written alike (wire templates, one beat's vocabulary)
        share words, not the people and places they are about."""
        anchors = {name for _tid, name in self._anchors(query)}
        out = []
        for story in stories:
            record = self.stories.get(story)
            if type(record) is StoryRecord and anchors.intersection(record.tags):
                out.append(story)
        return out

    def _specific_names(self, query: Query) -> set[str] | None:
        """The article's anchors in the profiles of at most ``specific_max_stories`` live stories: a
        name many live stories share (a head of government, a team of the tournament) does not tell
        which of them this article belongs to. None: no such limit."""
        limit = self.config.specific_max_stories
        if limit <= 0:
            return None
        sdf = self._sdf
        return {name for tid, name in self._anchors(query) if sdf[tid] <= limit}

    def _anchors(self, query: Query) -> list[tuple[int, str]]:
        """(tag id, tag) of the article's anchors the window knows: its names and places."""
        is_anchor = self._anchor
        return [(tid, name) for tid, name, _w in query if tid is not None and is_anchor[tid]]

    def _least_joining_cosine(self, link: float) -> float:
        """The least content cosine that joins a story at tag link ``link``: content_min, and what the
        link leaves to reach content_join."""
        cfg = self.config
        return max(cfg.content_min, cfg.content_join - cfg.content_link_weight * link)

    def _term_candidates(self, content: _ContentQuery) -> list[str]:
        """Stories found by content: those whose centroids hold the article's most telling terms
        (its ``content_probe_terms`` heaviest by TF-IDF, among terms in at most ``content_probe_df``
        live stories), so a story whose articles share few tags with this one is still scored."""
        cfg = self.config
        if cfg.content_probe_terms <= 0:
            return []
        postings = self._term_stories
        # terms in 1..content_probe_df live stories (a term in none is not in the DF: it gets
        # content_probe_df + 1); the test runs as C calls over the ~96 terms
        probe_df = cfg.content_probe_df
        weighted = content.weighted
        in_few = map(probe_df.__ge__, map(self._term_df.get, weighted, repeat(probe_df + 1)))
        telling = compress(zip(weighted.values(), weighted), in_few)
        # (weight, term) pairs are distinct: the first of the sorted ones are heapq.nlargest's
        probes = sorted(telling, reverse=True)[: cfg.content_probe_terms]
        found: dict[str, int] = {}
        get = found.get
        for _weight, term in probes:
            posted = postings[term]  # exact: the live stories whose centroid holds the term
            if type(posted) is str:
                found[posted] = get(posted, 0) + 1
            else:
                for story_id in posted:
                    found[story_id] = get(story_id, 0) + 1
        ranked = sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))
        return [story_id for story_id, hits in ranked[: cfg.content_probe_stories] if hits >= cfg.content_probe_hits]

    def _content_gate(
        self, tag_scores: dict[str, float], content: _ContentQuery, recalled: set[str] = frozenset(),
        wordy: set[str] = frozenset(),
    ) -> dict[str, float]:
        """The stories of ``tag_scores`` (story -> tag link) the content agrees with, scored. A recalled
        story (distinctive people shared) needs only content_recall_min: a follow-up months later is
        worded differently, the same people are the evidence."""
        cfg = self.config
        out: dict[str, float] = {}
        for story, link in tag_scores.items():
            record = self.stories.get(story)
            if type(record) is not StoryRecord:
                continue
            if not record.centroid or content.norm <= 0.0:  # a story of texts unseen: tags alone decide
                if link >= cfg.join_threshold:
                    out[story] = link
                continue
            # the least cosine that can join (below it, the cosine need not be exact: see cosine())
            floor = self._least_joining_cosine(link)
            if story in recalled:
                floor = min(floor, cfg.content_recall_min)
            elif story in wordy:
                floor = max(floor, cfg.content_words_only)
            cosine = content.cosine(story, record.centroid, floor)
            score = cosine + cfg.content_link_weight * link
            if story in recalled and cosine >= cfg.content_recall_min:
                out[story] = max(score, cfg.content_join)
            elif cosine >= cfg.content_min and score >= cfg.content_join and (story not in wordy or cosine >= floor):
                out[story] = score
        return out

    def _dormant_story_scores(self, query: Query, t: float, skip: Container[str] = ()) -> dict[str, float]:
        """Stories matched by their top-tag profile: cosine of IDF vectors (story side weighted by the
        share of its articles carrying the tag) times the decay since the story's last article.
        Stories of ``skip`` (known not to be joinable) are left out."""
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
        min_anchor = self._min_anchor_evidence(held)
        out: dict[str, float] = {}
        for story_id, _evidence in shortlist:
            record = self.stories.get(story_id)
            if type(record) is not StoryRecord or story_id in skip:
                continue
            cosine = self._profile_cosine(record, weights, norm_sq, log_n, min_anchor)
            if cosine is None:
                continue
            gap = max(t - record.last_seen, record.first_seen - t, 0.0)
            if gap > self._dormant_horizon:  # held longer only for recall (_recalled_stories)
                continue
            out[story_id] = cosine * 2.0 ** (-gap / half_life)
        return out

    def _profile_cosine(
        self, record: StoryRecord, weights: dict[str, float], norm_sq: float, log_n: float, min_anchor: float
    ) -> float | None:
        """Cosine of the query ``weights`` with the story's profile, or None when the profile shares
        too little anchor evidence, or neither a person nor two places, with the query."""
        cfg = self.config
        tag_ids, log_df, is_anchor = self._tag_ids, self._log_df, self._anchor
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
            return None
        # A story with no article in the window is joined on who (a person) or on a precise
        # where (two places: a city and its street or district), not on a city alone - every
        # incident there shares that.
        if people < cfg.dormant_min_people and places < cfg.dormant_min_places:
            return None
        return min(dot / math.sqrt(norm_sq * story_sq), 1.0)

    def _recalled_stories(self, query: Query) -> set[str]:
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

    def _profile(self, profile: tuple[Any, ...], query: Query) -> tuple[Any, ...]:
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



# A cosine bound this far below a floor proves the cosine is below it, whatever the rounding.
_MARGIN = 1e-9


class _ContentQuery:
    """An article's content vector weighted by IDF over the live stories' centroids (``ln(N)`` of
    ``exp(log_n)`` minus ``ln(df + 1)``, ``log_df``) times the words' general-usage factors; ``seen``:
    story -> (cosine, exact) of the stories compared so far."""

    __slots__ = ("weighted", "norm", "seen", "_log_n", "_log_df", "_usage")

    def __init__(
        self, vector: dict[str, float], log_df: dict[str, float], log_n: float, usage: dict[str, float] | None = None
    ) -> None:
        self._log_df, self._log_n, self._usage = log_df.get, log_n, (usage or {}).get
        weights = list(map(mul, vector.values(), self._idfs(vector)))
        self.weighted = dict(zip(vector, weights))
        self.norm = math.sqrt(sum(map(mul, weights, weights)))
        self.seen: dict[str, tuple[float, bool]] = {}

    def _idfs(self, terms: Iterable[str]) -> Iterator[float]:
        """(log_n - ln(df + 1)) x usage factor of each term (a term in no centroid: ln 1 = 0)."""
        return map(mul, map(sub, repeat(self._log_n), map(self._log_df, terms, repeat(0.0))), map(self._usage, terms, repeat(1.0)))

    def cosine(self, story: str, centroid: tuple[Any, ...], floor: float = 0.0) -> float:
        """IDF-weighted cosine with a story's stored centroid (flat ``(term, weight, ...)``), or, when
        that is below ``floor``, possibly an upper bound of it that is below ``floor`` too: the cosine
        over the shared terms alone (the centroid's norm over all its terms is at least that over the
        shared ones). Most stories compared are refused; the bound costs the shared terms only."""
        known = self.seen.get(story)
        if known is not None and (known[1] or known[0] < floor - _MARGIN):
            return known[0]
        terms = centroid[::2]
        article = list(map(self.weighted.get, terms, repeat(0.0)))
        present = list(map(bool, article))
        shared_terms = list(compress(terms, present))
        shared = list(map(mul, compress(centroid[1::2], present), self._idfs(shared_terms)))
        # the dot product: the terms the article lacks add 0.0, so the shared ones alone, in order
        dot = sum(map(mul, compress(article, present), shared))
        shared_sq = sum(map(mul, shared, shared))
        bound = dot / (self.norm * math.sqrt(shared_sq)) if shared_sq > 0.0 else 0.0
        if bound < floor - _MARGIN:
            self.seen[story] = (bound, False)
            return bound
        weights = list(map(mul, centroid[1::2], self._idfs(terms)))
        sq = sum(map(mul, weights, weights))
        cosine = dot / (self.norm * math.sqrt(sq)) if sq > 0.0 else 0.0
        self.seen[story] = (cosine, True)
        return cosine
