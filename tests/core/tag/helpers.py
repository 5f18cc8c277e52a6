"""Builders shared by the tag tests."""

from __future__ import annotations

from stream.core.normalize import NormalizedArticle


def make_article(body: str, title: str = "", **kw) -> NormalizedArticle:
    return NormalizedArticle(
        id=kw.pop("id", "t"), url=None, source=kw.pop("source", None), title=title, body=body,
        published_at=None, published_at_original=None, language="en", **kw,
    )
