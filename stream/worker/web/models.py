"""Response shapes of the HTTP API, for its OpenAPI document (``api.openapi``) and the tests that hold
real responses to it. The views build plain dicts; these models say what those dicts are."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from stream.contracts.enriched import EnrichedArticle, RelatedLink


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
