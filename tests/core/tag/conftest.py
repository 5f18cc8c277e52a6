from __future__ import annotations

import pytest

from stream.core.normalize import NormalizedArticle
from stream.core.tag import Tagger


@pytest.fixture(scope="session")
def tagger() -> Tagger:
    return Tagger()


def make_article(body: str, title: str = "", **kw) -> NormalizedArticle:
    return NormalizedArticle(
        id=kw.pop("id", "t"), url=None, source=kw.pop("source", None), title=title, body=body,
        published_at=None, published_at_original=None, language="en", **kw,
    )
