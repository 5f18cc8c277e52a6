"""Message contracts: the topics are the product's API.

These pydantic models are the single source of truth; ``schemas/*.json`` is generated from them
(``article-stream schemas``) and a test fails when the two drift.
"""

from stream.contracts.deadletter import DeadLetter, ErrorCode
from stream.contracts.enriched import EnrichedArticle, Evidence, RelatedLink, TagItem
from stream.contracts.raw import RawArticle
from stream.contracts.story import StoryEvent, StoryUpdate

SCHEMA_VERSION = 1

__all__ = [
    "SCHEMA_VERSION",
    "DeadLetter",
    "EnrichedArticle",
    "ErrorCode",
    "Evidence",
    "RawArticle",
    "RelatedLink",
    "StoryEvent",
    "StoryUpdate",
    "TagItem",
]
