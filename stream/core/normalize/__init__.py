"""Normalize stage: whatever a publisher sends -> one clean article.

Interface (fixed; the implementation lives in this package):

    normalize(raw: RawArticle, settings: NormalizeConfig | None = None) -> NormalizedArticle

Raises ``NormalizationError`` (a ``ValueError``) when no story text is left after cleaning; the
pipeline turns it into a dead letter. Everything else that is wrong but survivable (a bad date, a
non-http URL, no title) becomes an entry in ``warnings``.

Rules
-----
* **body**: ``raw.body`` (scraped or plain text) is cleaned line by line (``boilerplate``); when it
  is absent or nothing is left, ``raw.html`` is parsed (``html``) and its blocks go through the same
  cleaner. Paragraphs are joined by ``"\n\n"``; text is repaired (``text``: ftfy only when mojibake
  is hinted, NFC, plain quotes and spaces). **Photo captions are not body**: a caption line (one
  ending in a bracketed credit like ``[KOREAN CENTRAL NEWS AGENCY]``, or any line printed twice)
  is dropped, every copy of it; in HTML, ``<figure>``/``<figcaption>`` are skipped likewise.
* **title**: ``raw.title``; else og:title / ``<h1>`` / ``<title>`` (HTML); else a scraper's
  ``date 2024-12-05  Title`` first line or the first headline-like line before the story; else the
  body's start (with a warning). Lines equal to the title are removed from the body.
* **published_at**: ``raw.published_at``; else (HTML) ``article:published_time`` & co. or
  ``<time datetime>``; else a printed ``Published: 05 Dec. 2024, 11:27`` line or a line that is
  only a date; else a scraper's ``date 2024-12-05`` prefix. **A date or time without a zone is
  wall-clock time in the source's zone**: ``settings.source_timezones[source]`` when the source is
  listed there (names compared without regard to case), else ``settings.default_timezone``; a date
  without a time is midnight in that zone. The result is aware UTC; ``published_at_original`` keeps
  the string as given or printed (numbers: their ``repr``). Unparseable, before 1900 or more than
  10 years ahead: ``None`` plus a warning. Numbers are Unix seconds (13-digit values: milliseconds).
* **source**: ``raw.source``; else HTML og:site_name; else a line above the story that equals a
  source configured in ``settings.source_timezones`` (the site name a scraped page prints).
* **id**: the publisher's id as ``pub:<source-slug>:<id>`` (whitespace collapsed, odd characters
  replaced by ``-``; slug ``unknown`` without a source), so equal ids of different publishers do not
  collide; else ``url:<first 16 hex of sha256(canonical URL)>``; else
  ``doc:<first 16 hex of sha256(source slug, case-folded title, UTC date or else the body start)>``.
* **url**: canonical (``urls``): lower-case scheme/host, no default port, no tracking parameters,
  sorted query, no fragment.
* **credits**: agencies credited as a source (``credits``): lone credit lines, the dateline's
  ``(Agency)``, and citations such as ``according to the Korean Central News Agency`` - so the
  seed story credits ``Yonhap`` (its wire credit) and ``KCNA`` (the state media it reports on).
* **section**: ``raw.section``, else HTML ``article:section``, else the last breadcrumb
  (``Home > National > North Korea`` -> ``North Korea``).
* **publisher_tags**: ``raw.tags`` plus a scraped ``tags ...`` line, split by greedy longest match
  against ``data/tag_phrases.txt`` (``Korea North Korea Russia`` -> Korea, North Korea, Russia),
  plus HTML ``keywords``.
* **language**: the publisher's code (``en-US`` -> ``en``); else CLD2 on the title and body start;
  else HTML ``lang``.
* **fingerprint / simhash**: see ``fingerprint`` (``similarity`` and ``NEAR_DUPLICATE_THRESHOLD``).
* **dateline**: the place of a wire dateline at the body start (kept in the body).
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


class NormalizationError(ValueError):
    """The input cannot become an article (e.g. nothing is left after cleaning): dead-letter it."""


from stream.core.normalize.fingerprint import NEAR_DUPLICATE_THRESHOLD, similarity, simhash_hex  # noqa: E402
from stream.core.normalize.pipeline import EmptyArticleError, normalize  # noqa: E402

__all__ = [
    "NEAR_DUPLICATE_THRESHOLD",
    "EmptyArticleError",
    "NormalizationError",
    "NormalizedArticle",
    "normalize",
    "similarity",
    "simhash_hex",
]
