"""The look-ups the HTTP API serves: an article held, a story, the live stories, the newest articles of a tag."""

from __future__ import annotations

from typing import Any

from stream.core.relate.base import _decode_links, _each, _iso
from stream.core.relate.records import ArticleRecord, StoryRecord, fingerprint_text


class Lookups:
    """Mixin of ``Relator`` (relator.py): it holds the state these methods use."""

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

    def __len__(self) -> int:
        """Articles held in the window."""
        return self._window_index.held

    def tag_count(self) -> int:
        """Distinct tags used by the articles and stories held."""
        return len(self._tag_ids)
