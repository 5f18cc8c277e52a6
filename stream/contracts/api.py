"""The worker's HTTP API as data: its routes, their parameters and their response shapes. The views
(``stream.worker.web``) validate parameters with these declarations, and the OpenAPI document
(``/openapi.json``, checked in as ``schemas/openapi.json`` by ``article-stream schemas``) is generated
from them, so the two cannot disagree. The views build plain dicts; the models say what they are."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from stream.contracts.enriched import EnrichedArticle, RelatedLink

OPENAPI_PATH = Path(__file__).resolve().parents[2] / "schemas" / "openapi.json"


# -- response shapes ------------------------------------------------------------------------------
class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(_Model):
    error: str = Field(description="What was wrong, in words.")
    status: int | None = None


class Health(_Model):
    status: str


class Readiness(_Model):
    ready: bool
    partitions_assigned: int
    tables_recovered: bool
    broker_reachable: bool
    stalled_partitions: list[str]
    lag: int


class StoredLink(_Model):
    id: str
    score: float
    shared_tags: list[str]
    title: str | None = None


class ArticleLookup(_Model):
    """An article as the related-story window holds it (no body: see /newsroom/articles/{id})."""

    id: str
    title: str | None
    published_at: str
    tags: list[str]
    story_id: str
    revision: int
    duplicate_of: str | None
    fingerprint: str
    simhash: str
    related: list[StoredLink]


class RelatedLookup(_Model):
    id: str
    related: list[StoredLink]


class StoryLookup(_Model):
    story_id: str
    title: str | None
    size: int
    top_tags: list[str]
    first_seen: str
    last_seen: str
    founded_by: str | None


class StoriesPage(_Model):
    stories: list[StoryLookup]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class TagArticle(_Model):
    id: str
    title: str | None
    published_at: str
    story_id: str


class TagRecentPage(_Model):
    tag: str
    articles: list[TagArticle]
    next_cursor: str | None


class ArticleSummary(_Model):
    id: str
    title: str | None
    url: str | None
    source: str | None
    published_at: str | None
    story_id: str | None
    revision: int | None
    duplicate_of: str | None


class FacetTag(_Model):
    tag: str
    label: str


class StoryItem(_Model):
    """One story on the page's list."""

    story_id: str
    title: str | None
    size: int | None = Field(description="Articles in the story (all of them, held here or not).")
    first_seen: str | None
    last_seen: str | None
    updated_at: str | None
    top_tags: list[str]
    places: list[FacetTag]
    topics: list[FacetTag]
    people: list[FacetTag]
    headline: ArticleSummary | None = Field(description="The story's earliest article held here.")
    held: int = Field(description="Of its articles, how many the page holds.")
    sources: list[str]


class StoryItemPage(_Model):
    stories: list[StoryItem]
    next_cursor: str | None


class NewsroomStory(_Model):
    """A story with its articles in time order. A story that was merged answers with ``merged_into``
    (and, when the story it joined is held, that story's fields)."""

    model_config = ConfigDict(extra="allow")  # the StoryItem fields, when the story is held

    story_id: str
    merged_into: str | None
    merged_from: list[str] = Field(default_factory=list)
    articles: list[ArticleSummary]
    next_cursor: str | None


class PageLink(RelatedLink):
    held: bool = Field(description="Whether the page holds the linked article.")
    source: str | None = None
    duplicate_of: str | None = None


class NewsroomArticle(EnrichedArticle):
    """The enriched article as emitted, with the page's additions."""

    model_config = ConfigDict(title="NewsroomArticle")

    related: list[PageLink] = Field(default_factory=list)  # type: ignore[assignment]
    duplicates: list[str] = Field(description="Held articles marked as duplicates of this one.")
    labels: dict[str, str | None] = Field(description="Readable label of each typed tag.")


class FacetCount(_Model):
    tag: str
    label: str | None
    count: int


class SourceCount(_Model):
    source: str
    count: int


class Facets(_Model):
    articles: int
    stories: int
    tags: list[FacetCount]
    sources: list[SourceCount]


# -- cursors ----------------------------------------------------------------------------------------
def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("\x1f".join(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, parts: int) -> tuple[str, ...] | None:
    """The parts of a cursor made by ``encode_cursor``, or None when it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    found = tuple(text.split("\x1f"))
    return found if len(found) == parts else None



# -- routes and parameters ----------------------------------------------------------------------------
# Whole numbers only; longer than this is refused rather than parsed (a 5,000-digit "limit").
_DIGITS = re.compile(r"[0-9]{1,12}")
MAX_TEXT = 300  # tags, sources, ids: longer values are refused


class BadRequest(ValueError):
    """A parameter the API refuses: answered 400 with a JSON error."""


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # "path" or "query"
    description: str
    kind: str = "text"  # "text", "limit", "cursor", "datetime"
    default: int | None = None
    maximum: int | None = None
    cursor_parts: int = 2

    def schema(self) -> dict[str, Any]:
        if self.kind == "limit":
            return {"type": "integer", "minimum": 1, "maximum": self.maximum, "default": self.default}
        if self.kind == "datetime":
            return {"type": "string", "format": "date-time"}
        return {"type": "string", "maxLength": MAX_TEXT, "minLength": 1}

    def parse(self, raw: str) -> Any:
        if self.kind == "limit":
            if not _DIGITS.fullmatch(raw):
                raise BadRequest(f"{self.name} must be a whole number from 1 to {self.maximum}, not {raw[:40]!r}")
            return min(max(int(raw), 1), self.maximum or 1)  # clamped to the documented range
        if not raw or len(raw) > MAX_TEXT or any(ord(c) < 32 or c == "\x7f" for c in raw):
            raise BadRequest(f"{self.name} must be 1 to {MAX_TEXT} printable characters")
        if self.kind == "cursor":
            parts = decode_cursor(raw, self.cursor_parts)
            if parts is None:
                raise BadRequest(f"{self.name} is not a cursor this API gave out")
            return parts
        if self.kind == "datetime":
            try:
                moment = datetime.fromisoformat(raw.replace(" ", "+"))  # a "+" in a query often arrives as a space
            except ValueError:
                raise BadRequest(f"{self.name} must be an ISO 8601 date-time, like 2025-01-14T09:00:00Z") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return raw


@dataclass(frozen=True)
class Route:
    path: str
    summary: str
    description: str = ""
    params: tuple[Param, ...] = ()
    model: type[BaseModel] | None = None  # the 200 JSON response
    media: str = "application/json"  # of the 200 response when there is no model
    not_found: bool = False
    routed: bool = False  # answered by the worker that owns the relate tables (others forward)
    tag: str = "look-ups"
    extra_codes: tuple[int, ...] = field(default=())

    def parse(self, query: Any, match_info: Any = None) -> dict[str, Any]:
        """The validated parameters; raises BadRequest. Unknown query parameters are refused."""
        known = {p.name for p in self.params if p.where == "query"}
        unknown = sorted(set(query.keys()) - known)
        if unknown:
            raise BadRequest(f"unknown parameter {unknown[0][:40]!r}" + (f"; this route takes {', '.join(sorted(known))}" if known else ""))
        out: dict[str, Any] = {}
        for p in self.params:
            if p.where == "path":
                out[p.name] = p.parse((match_info or {}).get(p.name, ""))
                continue
            values = query.getall(p.name, []) if hasattr(query, "getall") else ([query[p.name]] if p.name in query else [])
            if len(values) > 1:
                raise BadRequest(f"{p.name} given more than once")
            out[p.name] = p.parse(values[0]) if values else (p.default if p.kind == "limit" else None)
        return out


def _limit(default: int, maximum: int, what: str) -> Param:
    return Param("limit", "query", f"How many {what} (1 to {maximum}; larger values are clamped to {maximum}).", "limit", default, maximum)


CURSOR = Param("cursor", "query", "The `next_cursor` of the previous page.", "cursor")
ARTICLE_ID = Param("article_id", "path", "Article id, as in `EnrichedArticle.id`.")
STORY_ID = Param("story_id", "path", "Story id; a merged story's id resolves to the story it joined.")

LIMITS = {"stories": (50, 200), "tag_recent": (20, 200), "page_stories": (30, 100), "page_story": (100, 500), "facets": (30, 100)}

ROUTES: dict[str, Route] = {
    "page": Route("/", "The newsroom page (HTML; its script and style are under /static/).", media="text/html", tag="page"),
    "static": Route(
        "/static/{name}", "The page's script, style and icon (app.js, app.css, icon.svg).",
        params=(Param("name", "path", "A file name."),), media="text/plain", not_found=True, tag="page",
    ),
    "events": Route(
        "/events",
        "Live updates as Server-Sent Events.",
        "Events `article` (an ArticleSummary) and `story` (a StoryItem, or `{story_id, merged_into}`) as "
        "they are emitted; a comment line on a quiet stream every `ARTICLE_STREAM_WEB_HEARTBEAT_SECONDS`. "
        "Each event has an `id`; a client that reconnects with `Last-Event-ID` gets the events it missed, "
        "or one `reset` event when they are no longer held (reload the lists then).",
        media="text/event-stream", tag="page", extra_codes=(503,),
    ),
    "page_stories": Route(
        "/newsroom/stories",
        "The page's story list: most recently updated first, with headline, span, places, topics and people.",
        params=(
            _limit(*LIMITS["page_stories"], "stories"), CURSOR,
            Param("tag", "query", "Only stories with this typed tag (`region:KP`, `topic:politics`, `entity:person/…`), or with a tag of this readable label (`North Korea`, `Kim Jong-un`)."),
            Param("source", "query", "Only stories with an article from this source."),
            Param("since", "query", "Only stories whose latest article is published at or after this.", "datetime"),
            Param("until", "query", "Only stories whose first article is published at or before this.", "datetime"),
        ),
        model=StoryItemPage, tag="page",
    ),
    "page_story": Route(
        "/newsroom/stories/{story_id}",
        "A story and its articles in time order.",
        params=(STORY_ID, _limit(*LIMITS["page_story"], "articles"), CURSOR),
        model=NewsroomStory, not_found=True, tag="page",
    ),
    "page_article": Route(
        "/newsroom/articles/{article_id}",
        "A full enriched article: body, tags with evidence spans, related links, duplicates.",
        params=(ARTICLE_ID,), model=NewsroomArticle, not_found=True, tag="page",
    ),
    "facets": Route(
        "/newsroom/facets", "The most used tags and sources among the held articles (for the filters).",
        params=(_limit(*LIMITS["facets"], "tags and sources"),), model=Facets, tag="page",
    ),
    "article": Route(
        "/articles/{article_id}", "An article held in the related-story window.",
        params=(ARTICLE_ID,), model=ArticleLookup, not_found=True, routed=True,
    ),
    "related": Route(
        "/articles/{article_id}/related", "An article's related links, with score and shared tags.",
        params=(ARTICLE_ID,), model=RelatedLookup, not_found=True, routed=True,
    ),
    "story": Route("/stories/{story_id}", "A story (following merges).", params=(STORY_ID,), model=StoryLookup, not_found=True, routed=True),
    "stories": Route(
        "/stories", "Live stories, most recently active (latest published_at) first.",
        params=(_limit(*LIMITS["stories"], "stories"), CURSOR), model=StoriesPage, routed=True,
    ),
    "tag_recent": Route(
        "/tags/{tag}/recent", "The newest articles held that carry a tag.",
        params=(Param("tag", "path", "A typed tag, URL-encoded (`region%3AKP`)."), _limit(*LIMITS["tag_recent"], "articles"), CURSOR),
        model=TagRecentPage, routed=True,
    ),
    "health": Route("/health", "Liveness: answers while the event loop runs.", model=Health, tag="operations"),
    "ready": Route(
        "/ready", "Readiness: partitions assigned, tables recovered, broker reachable, nothing stalled (503 otherwise).",
        model=Readiness, tag="operations", extra_codes=(503,),
    ),
    "metrics": Route("/metrics", "Prometheus metrics (text exposition format).", media="text/plain", tag="operations"),
    "openapi": Route("/openapi.json", "This document.", media="application/json", tag="operations"),
}


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``ROUTES``."""
    used = sorted({r.model for r in ROUTES.values() if r.model} | {Error}, key=lambda m: m.__name__)
    _, defs = models_json_schema([(m, "serialization") for m in used], ref_template="#/components/schemas/{model}")
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    paths: dict[str, Any] = {}
    for key, route in ROUTES.items():
        ok: dict[str, Any] = {"description": "OK"}
        if route.model is not None:
            ok["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{route.model.__name__}"}}}
        else:
            ok["content"] = {route.media: {"schema": {"type": "string"}}}
        responses: dict[str, Any] = {"200": ok}
        if route.params:
            responses["400"] = {"description": "A parameter is malformed, out of form or unknown.", "content": error}
        if route.not_found:
            responses["404"] = {"description": "Not held.", "content": error}
        if key == "ready":
            responses["503"] = {"description": "Not ready: the checks say why.", "content": ok["content"]}
        elif key == "events":
            responses["503"] = {"description": "Too many clients are connected.", "content": error}
        elif route.routed:
            responses["503"] = {"description": "The owner of the tables is not known yet (starting or rebalancing).", "content": error}
        description = route.description
        if route.routed:
            description = (description + " " if description else "") + "Answered by the worker that owns the relate tables; any worker forwards."
        operation: dict[str, Any] = {
            "operationId": key,
            "summary": route.summary,
            "tags": [route.tag],
            "parameters": [
                {"name": p.name, "in": p.where, "required": p.where == "path", "description": p.description, "schema": p.schema()}
                for p in route.params
            ],
            "responses": responses,
        }
        if description:
            operation["description"] = description
        if key == "events":
            operation["parameters"].append({
                "name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string", "maxLength": MAX_TEXT},
                "description": "The id of the last event received: resume after it.",
            })
        paths[route.path] = {"get": operation}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "article-stream worker HTTP API",
            "version": "1",
            "description": "Look-ups into the worker's related-story window, the newsroom page and its live event "
            "stream, probes and metrics. Every route answers GET (and HEAD); anything else is 404 or 405 with a JSON error.",
        },
        "paths": paths,
        "components": {"schemas": defs.get("$defs", {})},
    }


def render() -> bytes:
    return orjson.dumps(openapi(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


def openapi_drift(path: Path = OPENAPI_PATH) -> bool:
    """Whether the committed document differs from what the declarations generate."""
    return not path.exists() or path.read_bytes() != render()


def write_openapi(path: Path = OPENAPI_PATH) -> Path:
    path.write_bytes(render())
    return path
