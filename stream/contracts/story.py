"""StoryUpdate: the live list of stories on the ``stories`` topic (compacted, keyed by story id)."""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class StoryEvent(str, Enum):
    created = "created"
    article_added = "article_added"
    merged = "merged"


class StoryUpdate(BaseModel):
    model_config = ConfigDict(title="StoryUpdate")

    story_id: str
    event: StoryEvent
    article_id: str = Field(description="The article that caused the update.")
    title: str = Field(description="The story's current title (its first article's title).")
    size: int = Field(ge=0, description="Articles in the story.")
    top_tags: list[str] = Field(default_factory=list)
    first_seen: str | None = Field(None, description="Earliest published_at in the story, UTC ISO-8601.")
    last_seen: str | None = Field(None, description="Latest published_at in the story, UTC ISO-8601.")
    merged_into: str | None = Field(None, description="event=merged: the story this one now belongs to.")
    updated_at: str
    schema_version: int = 1
