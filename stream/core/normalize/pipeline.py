"""``normalize``: one RawArticle -> one NormalizedArticle. Rules are documented in the package docstring."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import TYPE_CHECKING

from stream.contracts import RawArticle
from stream.core.dateline import find_dateline
from stream.core.normalize import NormalizationError, NormalizedArticle
from stream.core.normalize import boilerplate, credits, dates, fingerprint, language, urls
from stream.core.normalize.config import NormalizeConfig
from stream.core.normalize.text import clean_inline, repair

if TYPE_CHECKING:
    from stream.core.normalize.html import HtmlPage  # imported at run time only when HTML comes in

_SLUG = re.compile(r"[^a-z0-9]+")
_ID_SAFE = re.compile(r"[^\w.:@/+-]+", re.UNICODE)
_MAX_ID_CHARS = 200
_TAG_WORD = re.compile(r"\S+")


@lru_cache(maxsize=1024)  # called with source names: a handful, over and over
def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _SLUG.sub("-", ascii_text).strip("-")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def article_id(publisher_id: str | None, source: str | None, url: str | None, title: str, published: str | None, body: str) -> str:
    """Stable id: ``pub:<source-slug>:<id>`` | ``url:<sha256(canonical url)[:16]>`` | ``doc:<sha256(...)[:16]>``."""
    if publisher_id and publisher_id.strip():
        pid = _ID_SAFE.sub("-", " ".join(publisher_id.split()))[:_MAX_ID_CHARS]
        return f"pub:{_slug(source or '') or 'unknown'}:{pid}"
    if url:
        return f"url:{_short_hash(url)}"
    basis = "\x1f".join([_slug(source or ""), " ".join(title.casefold().split()), published or "", "" if published else body[:2000]])
    return f"doc:{_short_hash(basis)}"


def split_publisher_tags(text: str, phrases: frozenset[str], longest: int) -> list[str]:
    """``Korea North Korea Russia`` -> ``[Korea, North Korea, Russia]``: greedy longest known phrase,
    else runs of words joined while the next word is lower case or a connector (``of``, ``and``),
    else one word per tag. A comma- or semicolon-separated line is split on those instead."""
    if "," in text or ";" in text or "#" in text:
        return [t.strip(" #") for t in re.split(r"[,;]|\s#", text) if t.strip(" #")]
    words = _TAG_WORD.findall(text)
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            candidate = " ".join(words[i : i + size])
            if size == 1 or candidate.casefold() in phrases:
                break
        j = i + size
        if size == 1:
            # Unknown word: keep lower-case followers with it ("Nuclear weapons").
            while j < len(words) and words[j][:1].islower():
                j += 1
            candidate = " ".join(words[i:j])
        out.append(candidate)
        i = j
    return list(dict.fromkeys(out))


def _tag_phrases() -> tuple[frozenset[str], int]:
    global _PHRASES
    if _PHRASES is None:
        from importlib import resources

        text = (resources.files("stream.core.normalize") / "data" / "tag_phrases.txt").read_text("utf-8")
        items = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        _PHRASES = (frozenset(i.casefold() for i in items), max(len(i.split()) for i in items))
    return _PHRASES


_PHRASES: tuple[frozenset[str], int] | None = None


def _zone_name(source: str | None, settings: NormalizeConfig) -> str:
    """The IANA zone for a source's zone-less dates: its entry in ``source_timezones`` (matched
    without regard to case), else ``default_timezone``."""
    if source:
        zone = settings.source_timezones.get(source)
        if zone:
            return zone
        folded = source.casefold()
        for name, zone in settings.source_timezones.items():
            if name.casefold() == folded:
                return zone
    return settings.default_timezone


def _known_source(masthead: list[str], settings: NormalizeConfig) -> str | None:
    """A source named in ``settings.source_timezones`` printed as a line above the story (the site name)."""
    known = {name.casefold(): name for name in settings.source_timezones}
    for line in masthead:
        name = known.get(line.casefold())
        if name:
            return name
    return None


def _repeats_title(body: str, title: str) -> bool:
    """Every non-blank line of the body (at most two) is the title again, case and spacing aside."""
    folded = " ".join(title.casefold().split())
    lines = [" ".join(line.casefold().split()) for line in body.splitlines() if line.strip()]
    return len(folded.split()) >= 2 and 0 < len(lines) <= 2 and all(line == folded for line in lines)


def normalize(raw: RawArticle, settings: NormalizeConfig | None = None) -> NormalizedArticle:
    settings = settings or NormalizeConfig()
    warnings: list[str] = []  # in the order the steps below find them
    given_title = clean_inline(raw.title) if raw.title else None
    page, html_page, source = _story(raw, given_title, warnings)
    if not source:
        source = _known_source(page.masthead, settings)
    body = "\n\n".join(page.paragraphs)
    title = _title(given_title, page, html_page, warnings)
    tz = dates.zone(_zone_name(source, settings))
    published_at, original = _published(raw, page, html_page, tz, warnings)
    dateline = find_dateline(body)
    url = _url(raw, warnings)
    published_iso = published_at.isoformat() if isinstance(published_at, datetime) else None
    return NormalizedArticle(
        id=article_id(raw.id, source, url, title, published_iso, body),
        url=url,
        source=source,
        title=title,
        body=body,
        published_at=published_at,
        published_at_original=original,
        language=_language(raw, title, body, html_page),
        authors=_authors(raw, page, html_page),
        credits=credits.find_credits(body, page.credit_lines, dateline.agency if dateline else None),
        section=_section(raw, page, html_page),
        publisher_tags=_publisher_tags(raw, page, html_page),
        dateline=dateline.place if dateline else None,
        fingerprint=fingerprint.fingerprint_of_keys(title, page.paragraph_keys),
        simhash=_simhash(page, body),
        warnings=warnings,
    )


def _has_text(text: str | None) -> bool:
    return bool(text and text.strip())


def _no_story(page: boilerplate.Page | None) -> bool:
    return page is None or not page.paragraphs


def _story(raw: RawArticle, given_title: str | None, warnings: list[str]) -> tuple[boilerplate.Page, HtmlPage | None, str | None]:
    """The story and what is printed around it, and the source: from the body text, else from the
    HTML (which may also name the site), else the title itself (a one-line wire brief)."""
    source = clean_inline(raw.source) if raw.source else None
    agency_aliases = credits.aliases()
    page = None
    html_page = None
    if _has_text(raw.body):
        lines = boilerplate.text_lines(repair(raw.body))
        page = boilerplate.clean(lines, title=given_title, source=source, agency_aliases=agency_aliases)
    if _no_story(page) and _has_text(raw.html):
        from stream.core.normalize import html as html_mod  # selectolax only when HTML comes in

        html_page = html_mod.parse_html(raw.html)
        page = boilerplate.clean(
            html_page.lines,
            title=given_title or html_page.title,
            source=source or html_page.site_name,
            agency_aliases=agency_aliases,
        )
        source = source or html_page.site_name
    if _no_story(page) and given_title and raw.body and _repeats_title(raw.body, given_title):
        # A wire brief whose one line is its headline: the cleaner drops a line equal to the title (as
        # page chrome repeats it), but here the title is the story.
        page = boilerplate.Page(paragraphs=[given_title], paragraph_keys=[" ".join(given_title.casefold().split())])
        warnings.append("short article: its only line repeats the title, kept as the body")
    if _no_story(page):
        raise EmptyArticleError("no story text left after removing page chrome")
    return page, html_page, source


def _title(given_title: str | None, page: boilerplate.Page, html_page: HtmlPage | None, warnings: list[str]) -> str:
    """The given title, else the page's headline, else the start of the body (a title is required)."""
    title = given_title or page.title or (html_page.h1 if html_page else None)
    if title:
        return title
    warnings.append("no title given or found: using the start of the body")
    first = page.paragraphs[0]
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "…"


def _published(
    raw: RawArticle, page: boilerplate.Page, html_page: HtmlPage | None, tz: tzinfo, warnings: list[str]
) -> tuple[datetime | None, str | None]:
    """The publication time and the value it was read from. The field, else HTML meta, else a printed
    "Published:" (or date-only) line, else a scraper's "date" prefix; zone-less ones are read in ``tz``,
    the source's zone."""
    date_value: str | int | float | None = raw.published_at
    if date_value is None or (isinstance(date_value, str) and not date_value.strip()):
        date_value = (html_page.published if html_page else None) or page.date_text or page.date_prefix
    published_at, warning = dates.parse_date(date_value, tz)
    if warning:
        warnings.append(warning)
    original = None if date_value is None else (date_value if isinstance(date_value, str) else repr(date_value))
    return published_at, original


def _url(raw: RawArticle, warnings: list[str]) -> str | None:
    url = urls.canonical_url(raw.url)
    if raw.url and not url:
        warnings.append(f"not an absolute http(s) URL: {raw.url[:200]!r}")
    return url


def _authors(raw: RawArticle, page: boilerplate.Page, html_page: HtmlPage | None) -> list[str]:
    """The field, else a printed byline, else the HTML meta author."""
    return [clean_inline(a) for a in raw.authors if a.strip()] or page.authors or (html_page.authors if html_page else [])


def _section(raw: RawArticle, page: boilerplate.Page, html_page: HtmlPage | None) -> str | None:
    """The field, else the HTML meta section, else the last breadcrumb (the most specific)."""
    section = clean_inline(raw.section) if raw.section else None
    if not section and html_page and html_page.section:
        section = html_page.section
    crumbs = page.crumbs or (html_page.crumbs if html_page else [])
    if not section and crumbs:
        section = crumbs[-1]
    return section


def _publisher_tags(raw: RawArticle, page: boilerplate.Page, html_page: HtmlPage | None) -> list[str]:
    """The field's tags, then a printed "Tags:" line's, then the HTML keywords; each once, in that order."""
    tags = [clean_inline(t) for t in raw.tags if t.strip()]
    if page.tags_text:
        phrases, longest = _tag_phrases()
        tags += split_publisher_tags(page.tags_text, phrases, longest)
    if html_page:
        tags += html_page.keywords
    return list(dict.fromkeys(tags))


def _language(raw: RawArticle, title: str, body: str, html_page: HtmlPage | None) -> str | None:
    """The publisher's language field, else detected from the text, else the HTML ``lang``."""
    lang = language.publisher_language(raw.language)
    if not lang:
        lang = language.detect(title, body)
    if not lang and html_page:
        lang = language.publisher_language(html_page.language)
    return lang


def _simhash(page: boilerplate.Page, body: str) -> int:
    # The cleaner already split and hashed the paragraphs' words: the same as simhash(body) would.
    if page.paragraph_hashes is not None:
        return fingerprint.simhash_of_hashes(page.paragraph_hashes)
    return fingerprint.simhash(body)


class EmptyArticleError(NormalizationError):
    """Nothing of the story is left once page chrome is removed."""
