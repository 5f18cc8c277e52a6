"""EnrichedArticle: what consumers read from ``articles.enriched``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Evidence(BaseModel):
    """A matched term and where it stands: ``field[start:end] == text``."""

    model_config = ConfigDict(title="Evidence")

    text: str
    field: Literal["title", "body", "dateline", "publisher_tags", "url"] = "body"
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class TagItem(BaseModel):
    """One topic, region or entity, with the typed tag string it contributes to ``tags``."""

    model_config = ConfigDict(title="TagItem")

    id: str = Field(description="Id within its kind: 'politics/diplomacy', 'KP', 'person/vladimir-putin'.")
    tag: str = Field(description="Typed tag string: 'topic:politics/diplomacy', 'region:KP', 'entity:person/…'.")
    label: str
    score: float = Field(ge=0.0, le=1.0)
    kind: str | None = Field(None, description="topic level, region kind (country, subregion, …) or entity type.")
    primary: bool = Field(False, description="Regions: what the story is about rather than merely mentioned.")
    evidence: list[Evidence] = Field(default_factory=list)


class RelatedLink(BaseModel):
    model_config = ConfigDict(title="RelatedLink")

    id: str
    score: float = Field(ge=0.0, le=1.0)
    shared_tags: list[str]
    title: str | None = None
    published_at: str | None = None


class EnrichedArticle(BaseModel):
    model_config = ConfigDict(title="EnrichedArticle")

    id: str = Field(description="Stable article id (from the publisher's id or the canonical URL).")
    url: str | None = Field(None, description="Canonical URL.")
    source: str | None = None
    title: str
    body: str = Field(description="The story's paragraphs only, separated by blank lines.")
    published_at: str | None = Field(None, description="UTC ISO-8601 ('2024-12-05T02:27:00Z').")
    published_at_original: str | None = Field(None, description="The date as the publisher gave or printed it.")
    language: str | None = None
    authors: list[str] = Field(default_factory=list)
    credits: list[str] = Field(default_factory=list, description="News agencies credited (Yonhap, KCNA, …).")
    section: str | None = None
    topics: list[TagItem] = Field(default_factory=list)
    regions: list[TagItem] = Field(default_factory=list)
    entities: list[TagItem] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, description="Flat typed tags the related stage matches on.")
    publisher_tags: list[str] = Field(default_factory=list)
    related: list[RelatedLink] = Field(default_factory=list)
    story_id: str | None = None
    duplicate_of: str | None = None
    duplicate_similarity: float | None = Field(None, ge=0.0, le=1.0)
    fingerprint: str = Field(description="Hash of the normalized title and body: equal for exact duplicates.")
    simhash: str = Field(description="64-bit SimHash of the body's shingles, hex: near-duplicate signature.")
    revision: int = Field(1, ge=1, description="Increases when the same id is re-sent with changed content.")
    processed_at: str
    schema_version: int = 1
    warnings: list[str] = Field(default_factory=list, description="Non-fatal problems, e.g. an unparseable date.")
    extra: dict[str, Any] = Field(
        default_factory=dict,
        description="The publisher's extra metadata: its 'extra' object and any top-level field the RawArticle "
        "contract does not name, at most 64 KiB of JSON (keys over it are dropped and named in warnings). "
        "Not part of the fingerprint: a re-send that changes only these is unchanged.",
    )
