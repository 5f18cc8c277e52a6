"""The page's read model: the most recent enriched articles and their stories, as followed from the
``articles.enriched`` and ``stories`` topics (``follower``), and the live event log behind ``/events``.

The relator's window state holds no bodies, evidence or sources, so the page reads from here. It is
bounded (``capacity`` articles; stories with none of them held are dropped when the article store
evicts) and rebuilt on start from the topics' tails, so every worker serves the same page.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from stream.contracts.api import encode_cursor

# Tag prefixes of the story list's three facets.
PLACES, TOPIC, PERSON = ("region:", "place:"), "topic:", "entity:person/"


@dataclass(frozen=True)
class Event:
    seq: int
    kind: str  # "article" or "story"
    data: dict[str, Any]


@dataclass
class StoryFilter:
    tag: str | None = None
    source: str | None = None
    since: str | None = None  # UTC ISO-8601: stories whose last article is at or after this
    until: str | None = None  # stories whose first article is at or before this


@dataclass(eq=False)  # each client is its own subscriber (hashed by identity)
class Subscriber:
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1000))
    overflowed: bool = False
    ended: asyncio.Event = field(default_factory=asyncio.Event)  # set when the server stops


class Newsroom:
    def __init__(self, capacity: int = 5000, events: int = 2000) -> None:
        self.capacity = capacity
        self.articles: OrderedDict[str, dict[str, Any]] = OrderedDict()  # arrival order: oldest first
        self.stories: dict[str, dict[str, Any]] = {}  # story id -> its latest StoryUpdate
        self.members: dict[str, set[str]] = {}  # story id as articles carry it -> held article ids
        self.merged: dict[str, str] = {}  # merged story -> the story it joined
        self.joined: dict[str, set[str]] = {}  # story -> the stories merged straight into it
        self.duplicates: dict[str, set[str]] = {}  # article id -> held articles marked as its duplicates
        self.labels: dict[str, str] = {}  # typed tag -> its readable label, from the articles' tag items
        # Event ids carry the process's epoch: an id from another process (or an older run) is never
        # mistaken for one of this log's.
        self.epoch = os.urandom(4).hex()
        self.log: deque[Event] = deque(maxlen=events)
        self._seq = itertools.count(1)
        self.subscribers: set[Subscriber] = set()

    # -- feeding ------------------------------------------------------------------------------
    def add_article(self, article: dict[str, Any]) -> None:
        article_id = article.get("id")
        if not isinstance(article_id, str):
            return
        old = self.articles.pop(article_id, None)
        if old is not None:  # a new revision, or a re-emit of the same one: its story stays
            self._unlink(article_id, old, drop_story=False)
        self.articles[article_id] = article
        story = article.get("story_id")
        if isinstance(story, str):
            self.members.setdefault(story, set()).add(article_id)
        if isinstance(article.get("duplicate_of"), str):
            self.duplicates.setdefault(article["duplicate_of"], set()).add(article_id)
        for kind in ("topics", "regions", "entities"):
            for item in article.get(kind) or ():
                if isinstance(item, dict) and isinstance(item.get("tag"), str) and isinstance(item.get("label"), str):
                    self.labels[item["tag"]] = item["label"]
        while len(self.articles) > self.capacity:
            evicted_id, evicted = self.articles.popitem(last=False)
            self._unlink(evicted_id, evicted)
        self._publish("article", self.article_summary(article))

    def _unlink(self, article_id: str, article: dict[str, Any], drop_story: bool = True) -> None:
        story = article.get("story_id")
        held = self.members.get(story) if isinstance(story, str) else None
        if held is not None:
            held.discard(article_id)
            if not held:
                del self.members[story]
                if drop_story and story not in self.merged:  # a story none of whose articles is held leaves the page
                    self.stories.pop(story, None)
        dup = article.get("duplicate_of")
        if isinstance(dup, str) and dup in self.duplicates:
            self.duplicates[dup].discard(article_id)
            if not self.duplicates[dup]:
                del self.duplicates[dup]

    def add_story(self, update: dict[str, Any]) -> None:
        story_id = update.get("story_id")
        if not isinstance(story_id, str):
            return
        self._unmerge(story_id)
        if update.get("event") == "merged" and isinstance(update.get("merged_into"), str):
            self.merged[story_id] = update["merged_into"]
            self.joined.setdefault(update["merged_into"], set()).add(story_id)
            self.stories.pop(story_id, None)
            if len(self.merged) > 4 * self.capacity:  # bounded: the oldest merges are forgotten first
                self._unmerge(next(iter(self.merged)))
        else:
            self.stories[story_id] = update
            while len(self.stories) > 2 * self.capacity:
                oldest = min(self.stories, key=lambda s: self.stories[s].get("updated_at") or "")
                del self.stories[oldest]
        found = self.story_item(self.resolve(story_id))
        self._publish("story", found if found is not None else {"story_id": story_id, "merged_into": self.merged.get(story_id)})

    def _unmerge(self, story_id: str) -> None:
        target = self.merged.pop(story_id, None)
        if target is not None and target in self.joined:
            self.joined[target].discard(story_id)
            if not self.joined[target]:
                del self.joined[target]

    # -- events -------------------------------------------------------------------------------
    def event_id(self, seq: int) -> str:
        return f"{self.epoch}-{seq}"

    def _publish(self, kind: str, data: dict[str, Any]) -> None:
        event = Event(next(self._seq), kind, data)
        self.log.append(event)
        for sub in list(self.subscribers):
            try:
                sub.queue.put_nowait(event)
            except asyncio.QueueFull:  # a client this far behind reconnects and resumes from the log
                sub.overflowed = True

    def since(self, last_event_id: str | None) -> list[Event] | None:
        """The logged events after ``last_event_id``; [] when there is none to resume from (a new
        client); None when the id cannot be resumed without a gap (another process, or too old)."""
        if not last_event_id:
            return []
        epoch, _, seq_text = last_event_id.partition("-")
        if epoch != self.epoch or not seq_text.isdigit() or len(seq_text) > 18:
            return None
        seq = int(seq_text)
        if self.log and seq < self.log[0].seq - 1:
            return None
        if seq > (self.log[-1].seq if self.log else 0):
            return None
        return [event for event in self.log if event.seq > seq]

    # -- reading ------------------------------------------------------------------------------
    def resolve(self, story_id: str) -> str:
        for _ in range(64):  # merges form chains, never cycles; the bound only guards bad input
            target = self.merged.get(story_id)
            if target is None:
                return story_id
            story_id = target
        return story_id

    def _member_ids(self, story_id: str) -> set[str]:
        """Held articles of a story, including those of the stories merged into it."""
        ids: set[str] = set()
        todo, seen = [story_id], set()
        while todo:
            story = todo.pop()
            if story not in seen:
                seen.add(story)
                ids |= self.members.get(story, set())
                todo.extend(self.joined.get(story, ()))
        return ids

    def _members(self, story_id: str) -> list[dict[str, Any]]:
        found = [self.articles[i] for i in self._member_ids(story_id) if i in self.articles]
        found.sort(key=lambda a: (a.get("published_at") or "", a["id"]))
        return found

    def article_summary(self, article: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": article["id"],
            "title": article.get("title"),
            "url": article.get("url"),
            "source": article.get("source"),
            "published_at": article.get("published_at"),
            "story_id": self.resolve(article["story_id"]) if isinstance(article.get("story_id"), str) else None,
            "revision": article.get("revision"),
            "duplicate_of": article.get("duplicate_of"),
        }

    def _facets(self, tags: Iterable[str]) -> dict[str, list[dict[str, str]]]:
        out: dict[str, list[dict[str, str]]] = {"places": [], "topics": [], "people": []}
        # Countries (ISO codes) and towns before the broad M49 regions they lie in.
        for tag in sorted(tags, key=lambda t: t.startswith("region:") and not t[7:].isupper()):
            kind = "places" if tag.startswith(PLACES) else "topics" if tag.startswith(TOPIC) else "people" if tag.startswith(PERSON) else None
            if kind and len(out[kind]) < 5:
                out[kind].append({"tag": tag, "label": self.labels.get(tag) or tag.split(":", 1)[1].split("/")[-1]})
        return out

    def story_item(self, story_id: str) -> dict[str, Any] | None:
        """One entry of the story list, or None when the story is not held."""
        update = self.stories.get(story_id)
        if update is None:
            return None
        members = self._members(story_id)
        headline = self.article_summary(members[0]) if members else None
        return {
            "story_id": story_id,
            "title": update.get("title"),
            "size": update.get("size"),
            "first_seen": update.get("first_seen"),
            "last_seen": update.get("last_seen"),
            "updated_at": update.get("updated_at"),
            "top_tags": list(update.get("top_tags") or []),
            **self._facets(update.get("top_tags") or []),
            "headline": headline,
            "held": len(members),
            "sources": sorted({m["source"] for m in members if isinstance(m.get("source"), str)}),
        }

    def _matches(self, story_id: str, update: dict[str, Any], f: StoryFilter) -> bool:
        if f.since and (update.get("last_seen") or "") < f.since:
            return False
        if f.until and (update.get("first_seen") or "\uffff") > f.until:
            return False
        if f.tag is None and f.source is None:
            return True
        members = [self.articles[i] for i in self._member_ids(story_id) if i in self.articles]
        if f.tag is not None:
            wanted = self.tags_for(f.tag)
            if wanted.isdisjoint(update.get("top_tags") or ()) and not any(not wanted.isdisjoint(m.get("tags") or ()) for m in members):
                return False
        if f.source is not None and not any(m.get("source") == f.source for m in members):
            return False
        return True

    def tags_for(self, text: str) -> set[str]:
        """A typed tag as given, or the tags whose readable label is ``text`` ("Kim Jong-un", "north korea")."""
        if ":" in text:
            return {text}
        folded = text.strip().casefold()
        return {tag for tag, label in self.labels.items() if label.casefold() == folded}

    def story_list(self, limit: int, cursor: tuple[str, ...] | None = None, f: StoryFilter | None = None) -> tuple[list[dict[str, Any]], str | None]:
        """Stories most recently updated first; the next page's cursor, or None on the last page."""
        f = f or StoryFilter()
        keys = sorted(((u.get("updated_at") or "", s) for s, u in self.stories.items()), reverse=True)
        out: list[dict[str, Any]] = []
        for key in keys:
            if cursor is not None and key >= cursor:
                continue
            if not self._matches(key[1], self.stories[key[1]], f):
                continue
            if len(out) == limit:
                last = out[-1]
                return out, encode_cursor(last["updated_at"] or "", last["story_id"])
            item = self.story_item(key[1])
            if item is not None:
                out.append(item)
        return out, None

    def story(self, story_id: str, limit: int, cursor: tuple[str, ...] | None = None) -> dict[str, Any] | None:
        """A story and its held articles in time order (paged); a merged story names the one it joined."""
        resolved = self.resolve(story_id)
        item = self.story_item(resolved)
        if item is None:
            if resolved != story_id:
                return {"story_id": story_id, "merged_into": resolved, "articles": [], "next_cursor": None}
            return None
        members = [self.article_summary(a) for a in self._members(resolved)]
        if cursor is not None:
            members = [m for m in members if (m["published_at"] or "", m["id"]) > cursor]
        page, rest = members[:limit], members[limit:]
        next_cursor = encode_cursor(page[-1]["published_at"] or "", page[-1]["id"]) if rest else None
        merged_from = sorted(self.joined.get(resolved, ()))
        return {
            **item,
            "merged_into": resolved if resolved != story_id else None,
            "merged_from": merged_from,
            "articles": page,
            "next_cursor": next_cursor,
        }

    def article(self, article_id: str) -> dict[str, Any] | None:
        """The full enriched article, with its duplicates held and its related links' targets marked."""
        article = self.articles.get(article_id)
        if article is None:
            return None
        related = []
        for link in article.get("related") or ():
            if isinstance(link, dict) and isinstance(link.get("id"), str):
                target = self.articles.get(link["id"])
                related.append({
                    **link,
                    "held": target is not None,
                    "source": target.get("source") if target else None,
                    "duplicate_of": target.get("duplicate_of") if target else None,
                })
        story = article.get("story_id")
        return {
            **article,
            "story_id": self.resolve(story) if isinstance(story, str) else None,
            "related": related,
            "duplicates": sorted(self.duplicates.get(article_id, ())),
            "labels": {tag: self.labels.get(tag) for tag in article.get("tags") or () if tag in self.labels},
        }

    def facets(self, limit: int) -> dict[str, Any]:
        """What the filters offer: the most used tags and the sources among the held articles."""
        tag_counts: dict[str, int] = {}
        source_counts: dict[str, int] = {}
        for article in self.articles.values():
            for tag in article.get("tags") or ():
                if isinstance(tag, str):
                    tag_counts[tag] = tag_counts.get(tag, 0) + 1
            source = article.get("source")
            if isinstance(source, str):
                source_counts[source] = source_counts.get(source, 0) + 1

        def top(counts: dict[str, int]) -> list[tuple[str, int]]:
            return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]

        return {
            "articles": len(self.articles),
            "stories": len(self.stories),
            "tags": [{"tag": t, "label": self.labels.get(t), "count": n} for t, n in top(tag_counts)],
            "sources": [{"source": s, "count": n} for s, n in top(source_counts)],
        }
