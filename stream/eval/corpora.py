"""Loaders for the labelled corpora in ``../shared/eval-data`` (Reuters-21578 SGML, BBC News).

Both yield plain dataclasses and ``NormalizedArticle`` builders, so any stage's evaluation can use them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stream.core.normalize import NormalizedArticle

# --------------------------------------------------------------------------------- Reuters-21578

_DOC = re.compile(r"<REUTERS(?P<attrs>[^>]*)>(?P<inner>.*?)</REUTERS>", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')
_D = re.compile(r"<D>(.*?)</D>", re.S)
_DATE_TAIL = re.compile(r",?\s*[A-Z][a-z]{2,4}\.?\s+\d{1,2}\s*-*\s*$")


def _tag(inner: str, name: str) -> str | None:
    m = re.search(rf"<{name}[^>]*>(.*?)</{name}>", inner, re.S)
    return m.group(1) if m else None


def _body(text: str) -> str:
    body = _tag(text, "BODY")
    if body is None and "<TITLE>" not in text:
        return re.sub(r"<[^>]+>", " ", text)  # TYPE="UNPROC": the text stands directly in TEXT
    return body or ""


def _unescape(text: str) -> str:
    # SGML control entities (&#2; &#3; ...) are wire markers, not text.
    text = re.sub(r"&#(?:[0-9]|[12][0-9]|3[01]);", "", text)
    return html.unescape(text)


@dataclass(slots=True)
class ReutersDoc:
    newid: str
    split: str  # LEWISSPLIT: TRAIN, TEST or NOT-USED
    topics_attr: str  # TOPICS="YES|NO|BYPASS"
    topics: list[str]
    places: list[str]
    title: str
    dateline: str  # as in the SGML: "    SALVADOR, Feb 26 - "
    body: str

    def article(self) -> NormalizedArticle:
        """The text a wire reader sees: title, dateline place and body paragraphs."""
        paragraphs = [p.strip() for p in re.split(r"\n {2,}|\n\s*\n", self.body)]
        body = "\n\n".join(" ".join(p.split()) for p in paragraphs if p)
        body = re.sub(r"\s*Reuter\s*$", "", body)
        # The dateline without its date: "PORTLAND, Ore., Feb 26 - " -> "PORTLAND, Ore."
        place = _DATE_TAIL.sub("", " ".join(self.dateline.split())).strip(" ,-") or None
        return NormalizedArticle(
            id=f"reuters-{self.newid}", url=None, source="reuters", title=" ".join(self.title.split()), body=body,
            published_at=None, published_at_original=None, language="en", dateline=place,
        )


def iter_reuters(root: Path) -> Iterator[ReutersDoc]:
    """Every document of Reuters-21578 (``root`` holds reut2-000.sgm ... reut2-021.sgm)."""
    for path in sorted(Path(root).glob("reut2-*.sgm")):
        raw = path.read_bytes().decode("utf-8", errors="replace")
        for m in _DOC.finditer(raw):
            attrs = dict(_ATTR.findall(m.group("attrs")))
            inner = m.group("inner")
            text = _tag(inner, "TEXT") or ""
            yield ReutersDoc(
                newid=attrs.get("NEWID", ""),
                split=attrs.get("LEWISSPLIT", ""),
                topics_attr=attrs.get("TOPICS", ""),
                topics=_D.findall(_tag(inner, "TOPICS") or ""),
                places=_D.findall(_tag(inner, "PLACES") or ""),
                title=_unescape(_tag(text, "TITLE") or ""),
                dateline=_unescape(_tag(text, "DATELINE") or ""),
                body=_unescape(_body(text)),
            )


# -------------------------------------------------------------------------------------- BBC News

BBC_CATEGORIES = ("business", "entertainment", "politics", "sport", "tech")


@dataclass(slots=True)
class BBCDoc:
    id: str  # "business/001"
    category: str
    title: str
    body: str
    extra: dict = field(default_factory=dict)

    def article(self) -> NormalizedArticle:
        return NormalizedArticle(
            id=f"bbc-{self.id}", url=None, source="bbc", title=self.title, body=self.body,
            published_at=None, published_at_original=None, language="en",
        )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # one file of the corpus has a Latin-1 byte


def iter_bbc(root: Path) -> Iterator[BBCDoc]:
    """BBC News (Greene & Cunningham 2006): one folder per category, first line of a file = title."""
    for category in BBC_CATEGORIES:
        for path in sorted((Path(root) / category).glob("*.txt")):
            text = _decode(path.read_bytes()).replace("\r\n", "\n")
            title, _, rest = text.strip().partition("\n")
            paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", rest) if p.strip()]
            yield BBCDoc(id=f"{category}/{path.stem}", category=category, title=title.strip(), body="\n\n".join(paragraphs))


# ------------------------------------------------------------------------ as a publisher sends it


def reuters_wire(doc: ReutersDoc) -> dict:
    """A Reuters story as the wire sends it: the title, and the body opening with its dateline
    (``SANTA BARBARA, Calif., March 3 - ...``), hard-wrapped lines and all."""
    dateline = " ".join(doc.dateline.split())
    body = doc.body.strip("\n")
    if dateline:
        body = f"{dateline} {body.lstrip()}"
    return {"id": f"reuters-{doc.newid}", "source": "reuters", "title": " ".join(doc.title.split()), "body": body}


def bbc_wire(doc: BBCDoc) -> dict:
    return {"id": f"bbc-{doc.id}", "source": "bbc", "title": doc.title, "body": doc.body}


def story_wire(row: dict, corpus: str) -> dict:
    """A story-corpus row (unlabelled for topics) as a publisher record."""
    out = {"id": f"{corpus}-{row['id']}", "source": corpus, "body": row.get("text") or ""}
    if row.get("title"):
        out["title"] = row["title"]
    return out
