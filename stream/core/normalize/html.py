"""Main content and metadata from raw HTML, with selectolax (lexbor): no network, no entities beyond
HTML's own character references, bounded work.

The page is parsed once; metadata comes from ``<meta>`` (og:title, article:published_time, author,
article:section, keywords), ``<time datetime>``, ``<h1>``, ``<title>`` and a breadcrumb list.
Non-content elements (scripts, nav, header, footer, aside, forms, figures and their captions,
hidden elements, and containers whose class/id names a chrome role: share, comments, related,
newsletter, ...) are skipped; the rest of the main container (``[itemprop=articleBody]``,
``<article>``, ``<main>``, else ``<body>``) becomes one ``Line`` per block element, with the share of
its characters that sit inside links. Those lines go through the same cleaner as scraped text
(``boilerplate.clean``), so a story gives the same body from its HTML and from its page text.

Hostile input: the HTML is cut at ``MAX_HTML_CHARS`` and where nesting gets absurd (``bounded``)
before parsing, the walk is iterative (no
recursion limit) and stops after ``MAX_NODES`` nodes or ``MAX_DEPTH`` levels, and collected text
stops at ``MAX_TEXT_CHARS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from stream.core.normalize.boilerplate import Line
from stream.core.normalize.text import collapse, repair

MAX_HTML_CHARS = 2_000_000
MAX_NODES = 60_000
MAX_DEPTH = 256
MAX_TEXT_CHARS = 400_000
# lexbor's tree building is quadratic in nesting depth (10 s for 50,000 nested <div>s), so a page
# with many tags is cut where its nesting passes MAX_PARSE_DEPTH or its tags pass MAX_TAGS. Pages with
# at most SCAN_ABOVE_TAGS tags skip the scan: they cannot nest deeper than that (~20 ms worst case).
MAX_PARSE_DEPTH = 512
MAX_TAGS = 100_000
SCAN_ABOVE_TAGS = 2_000
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]{0,20})")
# Elements that close themselves or are closed implicitly by their siblings: no nesting depth.
_NO_DEPTH = frozenset(
    "p li dt dd tr td th option br hr img meta link input source wbr area col embed param track base".split()
)

_SKIP_TAGS = frozenset(
    "script style noscript template svg math iframe object embed canvas video audio picture img button select "
    "option input textarea nav header footer aside form figure figcaption dialog menu head link meta".split()
)
_BLOCK_TAGS = frozenset(
    "p div section article main h1 h2 h3 h4 h5 h6 li ul ol dl dt dd blockquote pre table thead tbody tfoot tr td th "
    "address center hr br body html details summary caption".split()
)
# Class/id words that name page chrome (matched as whole words of the attribute, split at - and _).
_CHROME_WORDS = frozenset(
    "share sharing social comment comments related recommended newsletter subscribe subscription advert ad ads "
    "advertisement promo sponsored breadcrumb breadcrumbs cookie cookies consent sidebar menu nav navbar navigation "
    "footer masthead toolbar tags taglist byline-share popup modal login signin signup paywall outbrain taboola "
    "print dictionary".split()
)
_ATTR_WORDS = re.compile(r"[a-z0-9]+")
_TITLE_SPLIT = re.compile(r"\s+[|\-–—:·]\s+")


@dataclass(slots=True)
class HtmlPage:
    lines: list[Line] = field(default_factory=list)
    title: str | None = None
    h1: str | None = None
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    keywords: list[str] = field(default_factory=list)
    crumbs: list[str] = field(default_factory=list)
    language: str | None = None
    site_name: str | None = None


def _metas(tree: LexborHTMLParser) -> dict[str, str]:
    """All ``<meta>`` contents by lower-cased property / name / itemprop, first one wins: one pass."""
    found: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        content = attrs.get("content")
        if not content or not content.strip():
            continue
        for attr in ("property", "name", "itemprop"):
            key = attrs.get(attr)
            if key:
                found.setdefault(key.lower(), content)
    return found


def _meta(metas: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = metas.get(name.lower())
        if value:
            return collapse(repair(value))
    return None


def _is_chrome_container(node: LexborNode) -> bool:
    attrs = node.attributes
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    role = attrs.get("role")
    if role in ("navigation", "banner", "contentinfo", "complementary", "search", "dialog"):
        return True
    for name in ("class", "id"):
        value = attrs.get(name)
        if value and not _CHROME_WORDS.isdisjoint(_ATTR_WORDS.findall(value.lower())):
            return True
    return False


def bounded(html: str) -> str:
    """The HTML cut to the parse limits (see ``MAX_PARSE_DEPTH``)."""
    html = html[:MAX_HTML_CHARS]
    if html.count("<") <= SCAN_ABOVE_TAGS:
        return html
    depth = 0
    for tags, m in enumerate(_TAG.finditer(html)):
        name = m.group(2).lower()
        if name in _NO_DEPTH:
            continue
        depth += -1 if m.group(1) else 1
        if depth > MAX_PARSE_DEPTH or tags > MAX_TAGS:
            return html[: m.start()]
    return html


def parse_html(html: str) -> HtmlPage:
    tree = LexborHTMLParser(bounded(html))
    metas = _metas(tree)
    page = HtmlPage()
    page.h1 = _h1(tree)
    page.title = _meta(metas, "og:title", "twitter:title", "headline") or page.h1 or _head_title(tree)
    page.published = _published(tree, metas)
    page.authors = _authors(metas)
    page.section = _meta(metas, "article:section", "section")
    page.keywords = _keywords(metas)
    page.site_name = _meta(metas, "og:site_name")
    page.language = _language(tree)
    page.crumbs = _crumbs(tree)
    root = _content_root(tree)
    if root is not None:
        page.lines = _block_lines(root)
    return page


def _h1(tree: LexborHTMLParser) -> str | None:
    h1 = tree.css_first("h1")
    if h1 is None:
        return None
    return collapse(repair(h1.text(separator=" ")))[:2000] or None


def _head_title(tree: LexborHTMLParser) -> str | None:
    """``<title>Headline | Site</title>``: the longest part, which is the headline on nearly every site."""
    title_node = tree.css_first("title")
    if title_node is None:
        return None
    full = collapse(repair(title_node.text()))
    return max(_TITLE_SPLIT.split(full), key=len)[:2000] if full else None


def _published(tree: LexborHTMLParser, metas: dict[str, str]) -> str | None:
    """The meta publication time, else the first ``<time datetime>``."""
    published = _meta(metas, "article:published_time", "datePublished", "og:published_time", "pubdate", "date", "dc.date")
    if published:
        return published
    time_node = tree.css_first("time[datetime]")
    return time_node.attributes.get("datetime") if time_node is not None else None


def _authors(metas: dict[str, str]) -> list[str]:
    """``Ann Lee and Bob Ray`` -> two authors; a profile URL names nobody."""
    author = _meta(metas, "author", "article:author")
    if not author or author.startswith("http"):
        return []
    return [a.strip() for a in re.split(r"\s*(?:,|\band\b|&)\s*", author) if a.strip()]


def _keywords(metas: dict[str, str]) -> list[str]:
    keywords = _meta(metas, "keywords", "news_keywords")
    return [k.strip() for k in keywords.split(",") if k.strip()] if keywords else []


def _language(tree: LexborHTMLParser) -> str | None:
    html_node = tree.css_first("html")
    return html_node.attributes.get("lang") if html_node is not None else None


def _crumbs(tree: LexborHTMLParser) -> list[str]:
    """The first breadcrumb list's items, each once, at most 8."""
    crumb = tree.css_first('[class*="breadcrumb"], [itemtype*="BreadcrumbList"]')
    if crumb is None:
        return []
    items = [collapse(repair(li.text(separator=" "))) for li in crumb.css("li, a")]
    return list(dict.fromkeys(i for i in items if i))[:8]


def _content_root(tree: LexborHTMLParser) -> LexborNode | None:
    """The main container: the marked article body, else the main ``<article>``, ``<main>``, ``<body>``."""
    return (
        tree.css_first('[itemprop="articleBody"]')
        or _main_article(tree)
        or tree.css_first("main, [role=main]")
        or tree.body
        or tree.root
    )


def _main_article(tree: LexborHTMLParser) -> LexborNode | None:
    """The ``<article>`` with the most paragraph text: pages also use ``<article>`` for teaser cards."""
    best, best_chars = None, 0
    for node in tree.css("article")[:20]:
        chars = sum(len(p.text(deep=True)) for p in node.css("p")[:500])
        if chars > best_chars:
            best, best_chars = node, chars
    return best


def _block_lines(root: LexborNode) -> list[Line]:
    lines: list[Line] = []
    parts: list[str] = []
    link_chars = 0
    total_chars = 0
    current_tag = ""
    budget = MAX_TEXT_CHARS

    def flush() -> None:
        nonlocal parts, link_chars, total_chars, current_tag
        if parts:
            text = collapse(repair("".join(parts)))
            if text:
                lines.append(Line(text, link_chars / total_chars if total_chars else 0.0, current_tag))
        parts = []
        link_chars = total_chars = 0
        current_tag = ""

    # Iterative walk: (node, depth, links_above); None marks the end of a block element.
    stack: list[tuple[LexborNode | None, int, bool]] = [(root, 0, False)]
    visited = 0
    while stack and visited < MAX_NODES and budget > 0:
        node, depth, in_link = stack.pop()
        if node is None:
            flush()
            continue
        visited += 1
        tag = node.tag
        if tag == "-text":
            text = node.text_content or ""
            if text:
                text = text[:budget]
                budget -= len(text)
                parts.append(text)
                n = len(text.strip())
                total_chars += n
                if in_link:
                    link_chars += n
            continue
        # The chosen root is never skipped for its class name ("article print-friendly").
        if tag in _SKIP_TAGS or tag.startswith("-") or (depth > 0 and _is_chrome_container(node)):
            continue
        if depth >= MAX_DEPTH:
            continue
        is_block = tag in _BLOCK_TAGS
        if is_block:
            flush()
            if tag in ("br", "hr"):
                continue
            stack.append((None, depth, in_link))
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6", "li", "p"):
                current_tag = tag
        children = []
        child = node.child
        while child is not None:
            children.append(child)
            child = child.next
        child_in_link = in_link or tag == "a"
        for c in reversed(children):
            stack.append((c, depth + 1, child_in_link))
    flush()
    return lines
