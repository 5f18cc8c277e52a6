"""Safe parsing, without a broker: hostile text is processed to an outcome (no hang, no crash), markup
entities are never expanded, and nothing in an article makes the pipeline open a network connection.

No timings are asserted (speed belongs in benchmarks); the generous pytest timeout is the bound a
catastrophic regex or parser blow-up would break.
"""

from __future__ import annotations

import socket

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from stream.core.pipeline import Pipeline
from tests.faults.hostile import ACCEPTED_KINDS, REJECTED_KINDS, hostile_payloads

pytestmark = pytest.mark.timeout(300)

NEAR_MB = 900_000  # just under the 1 MiB body limit, so the text reaches every stage


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to resolve or connect fails the test (and is recorded)."""
    attempts: list[str] = []

    def refuse(*args, **kwargs):
        attempts.append(repr(args[:2]))
        raise AssertionError(f"network access attempted: {args[:2]!r}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def article(body: str | None = None, html: str | None = None, title: str = "Hostile text") -> bytes:
    record = {"url": "https://hostile.example.com/a", "source": "Example News", "title": title}
    if body is not None:
        record["body"] = body
    if html is not None:
        record["html"] = html
    return orjson.dumps(record)


PATHOLOGICAL_BODIES = {
    # Dateline: capitals and separators that almost, but never quite, make a dateline.
    "dateline_capitals": "SEOUL " * (NEAR_MB // 6),
    "dateline_dots": "A." * (NEAR_MB // 2),
    "dateline_agency": "SEOUL, Dec. 5 (" + "Yonhap " * (NEAR_MB // 7),
    # Byline/credit/caption patterns with nested bounded repeats.
    "byline_names": "By " + "John Smith, and " * (NEAR_MB // 16),
    "caption_brackets": "[PHOTO " * (NEAR_MB // 7),
    "credit_cues": "according to the state official state-run " * (NEAR_MB // 43),
    # One huge line, one huge word, many empty lines, whitespace runs.
    "one_word": "x" * NEAR_MB,
    "empty_lines": "a\n\n" * (NEAR_MB // 3),
    "whitespace": " \t" * (NEAR_MB // 2) + "end.",
    "published_prefix": "Published on: " + "1" * (NEAR_MB - 20),
    "dates_everywhere": "12 December 2024, Dec 12, 2024 2024-12-12 " * (NEAR_MB // 43),
    "punctuation": "|·•>›»/ " * (NEAR_MB // 8),
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL_BODIES))
def test_pathological_text_is_processed_to_an_outcome(pipeline, no_network, name):
    outcome = pipeline.process(article(body=PATHOLOGICAL_BODIES[name]))
    assert (outcome.enriched is None) != (outcome.dead_letter is None)
    assert not no_network


def _nested(tag: str, depth: int, text: str = "The council met on Tuesday to discuss the harbour budget.") -> str:
    return f"<{tag}>" * depth + f"<p>{text}</p>" + f"</{tag}>" * depth


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(_nested("b", 100_000), id="100k-nested-b"),
        pytest.param("<div>" * 150_000 + "<p>Unclosed but real text about the harbour budget vote.</p>", id="150k-unclosed-div"),
        pytest.param("<p>" + "<!-- x -->" * 80_000 + "Text after many comments about the budget.</p>", id="comments"),
        pytest.param("<p a='" + "'" * 1 + "x" * 800_000 + "'>Attribute bomb then text about the budget.</p>", id="huge-attribute"),
        pytest.param("<" * 800_000, id="lone-brackets"),
    ],
)
def test_markup_bombs_are_processed_to_an_outcome(pipeline, no_network, html):
    outcome = pipeline.process(article(html=html))
    assert (outcome.enriched is None) != (outcome.dead_letter is None)
    if outcome.enriched is not None:
        assert len(outcome.enriched.body) < len(html)


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "' + f"&lol{i - 1 if i > 1 else ''};" * 10 + '">\n' for i in range(1, 10))
    + "]>\n<html><body><p>The council met about the harbour budget. &lol9;</p></body></html>"
)
EXTERNAL_ENTITIES = (
    '<?xml version="1.0"?>\n<!DOCTYPE page [ <!ENTITY secret SYSTEM "file:///etc/passwd">'
    ' <!ENTITY remote SYSTEM "http://169.254.169.254/latest/meta-data/"> ]>\n'
    "<html><head><link rel='stylesheet' href='http://tracker.invalid/a.css'>"
    "<script src='http://tracker.invalid/a.js'></script></head><body>"
    "<img src='http://tracker.invalid/pixel.gif'><iframe src='http://tracker.invalid/'></iframe>"
    "<p>The council met on Tuesday about the harbour budget. &secret; &remote;</p></body></html>"
)


def test_entities_are_never_expanded(pipeline, no_network):
    outcome = pipeline.process(article(html=BILLION_LAUGHS))
    text = outcome.enriched.body if outcome.enriched else outcome.dead_letter.reason
    assert "lollollol" not in text
    assert len(text) < 10_000


def test_no_external_entity_or_resource_is_fetched(pipeline, no_network):
    outcome = pipeline.process(article(html=EXTERNAL_ENTITIES))
    assert not no_network  # nothing resolved or connected
    text = outcome.enriched.body if outcome.enriched else ""
    assert "root:" not in text and "meta-data" not in text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(item=hostile_payloads())
def test_hostile_payloads_are_rejected_with_a_reason_or_kept_with_a_warning(item):
    kind, payload = item
    outcome = _shared_pipeline().prepare(payload)
    if kind in REJECTED_KINDS:
        assert outcome.dead_letter is not None, kind
        assert outcome.dead_letter.reason and outcome.dead_letter.error_code.value != "processing_error"
    else:
        assert kind in ACCEPTED_KINDS
        assert outcome.enriched is not None and outcome.enriched.published_at is None
        assert outcome.enriched.warnings  # the dropped date is reported


_PIPELINE: list[Pipeline] = []


def _shared_pipeline() -> Pipeline:
    if not _PIPELINE:
        _PIPELINE.append(Pipeline())
    return _PIPELINE[0]
