"""Normalize stage: whatever a publisher sends -> one clean article.

Interface (fixed; the implementation lives in this package):

    normalize(raw: RawArticle, settings: Settings | None = None) -> NormalizedArticle
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class NormalizedArticle:
    id: str  # stable id: publisher id, else from canonical URL, else from source + title + date
    url: str | None  # canonical URL
    source: str | None
    title: str
    body: str  # story paragraphs only, separated by "\n\n"
    published_at: datetime | None  # timezone-aware, UTC
    published_at_original: str | None  # as given or as printed in the text
    language: str | None
    authors: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)  # agencies: Yonhap, KCNA, Reuters, AP, …
    section: str | None = None
    publisher_tags: list[str] = field(default_factory=list)
    dateline: str | None = None  # "PYONGYANG" from "PYONGYANG, Dec. 5 (Yonhap) --"
    fingerprint: str = ""  # exact-duplicate hash of normalized title + body
    simhash: int = 0  # 64-bit near-duplicate signature
    warnings: list[str] = field(default_factory=list)
