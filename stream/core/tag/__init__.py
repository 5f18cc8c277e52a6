"""Tag stage: topics, regions and entities in one typed tag space.

Interface (fixed; the implementation lives in this package):

    tagger = Tagger()                      # loads the data files and compiles matchers once
    tagging = tagger.tag(article)          # article: NormalizedArticle -> Tagging
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stream.contracts import TagItem


@dataclass(slots=True)
class Tagging:
    topics: list[TagItem] = field(default_factory=list)
    regions: list[TagItem] = field(default_factory=list)
    entities: list[TagItem] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)  # flat typed tags the relate stage matches on


from stream.core.tag.tagger import Tagger  # noqa: E402  (after Tagging: tagger imports it)

__all__ = ["Tagger", "Tagging"]
