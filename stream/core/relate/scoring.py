"""Scoring: an article's IDF tag query, its candidate links in the window, related links and near-duplicates."""

from __future__ import annotations

import math
from operator import itemgetter

from stream.contracts import RelatedLink
from stream.core.relate.base import _DAY, _LN2, Query, RelateInput, Scored, _each, _iso
from stream.core.relate.similarity import simhash_similarity


class Scoring:
    """Mixin of ``Relator`` (relator.py): it holds the state these methods use."""

    def _query(self, tags: list[str], held: int) -> Query:
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
        self, query: Query, t: float, held: int, *, exclude: int | None
    ) -> Scored:
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

    def _related_links(self, scored: Scored, query: Query) -> list[RelatedLink]:
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

    def _duplicate(self, item: RelateInput, fingerprint: int | str, scored: Scored) -> tuple[str | None, float | None]:
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

