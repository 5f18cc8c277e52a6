"""Properties that hold for any input: only NormalizationError escapes, output is well-formed,
and cleaning is idempotent on its own output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream.contracts import RawArticle
from stream.core.normalize import NormalizationError, normalize

SAMPLES = Path(__file__).resolve().parents[3] / "samples"

_LINE = st.one_of(
    st.text(min_size=0, max_size=120),
    st.sampled_from(["Home > News > World", "Share", "Advertisement", "Yonhap", "Related Stories", "tags A B", ""]),
    st.lists(st.sampled_from("the council said on Monday it would vote again after a long debate .".split()), min_size=5, max_size=40).map(" ".join),
)


def _check(article) -> None:
    assert article.body == article.body.strip()
    assert "\n\n\n" not in article.body
    paragraphs = article.body.split("\n\n")
    assert all(p and p == " ".join(p.split()) for p in paragraphs)
    assert article.title
    assert 0 <= article.simhash < 2**64
    assert article.published_at is None or article.published_at.utcoffset().total_seconds() == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINE, min_size=1, max_size=30))
def test_any_text_normalizes_or_raises_normalization_error(lines):
    body = "\n".join(lines)
    if not body.strip():
        return  # the contract rejects empty bodies before normalize
    try:
        article = normalize(RawArticle(body=body))
    except NormalizationError:
        return
    _check(article)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400), st.one_of(st.none(), st.text(max_size=40), st.integers(), st.floats(allow_nan=True)))
def test_any_html_and_date_normalize_or_raise_normalization_error(fragment, date):
    html = f"<html><head><title>{fragment[:20]}</title></head><body><p>{fragment}</p><p>The council said on Monday it would vote again after a long debate about it.</p></body></html>"
    try:
        article = normalize(RawArticle(html=html, published_at=date))
    except NormalizationError:
        return
    _check(article)


def _samples() -> list[RawArticle]:
    out = []
    for path in sorted(SAMPLES.iterdir()):
        if path.suffix == ".txt":
            out.append(RawArticle(body=path.read_text("utf-8")))
        elif path.suffix == ".html":
            out.append(RawArticle(html=path.read_text("utf-8")))
        elif path.suffix == ".json":
            out.append(RawArticle.model_validate(json.loads(path.read_text("utf-8"))))
    return out


@pytest.mark.parametrize("raw", _samples(), ids=lambda r: (r.title or r.body or r.html or "")[:30])
def test_cleaning_is_idempotent(raw):
    """The cleaner's output is clean text: cleaning it again changes nothing."""
    first = normalize(raw)
    again = normalize(RawArticle(title=first.title, body=first.body, source=first.source))
    assert again.body == first.body
    assert again.fingerprint == first.fingerprint
