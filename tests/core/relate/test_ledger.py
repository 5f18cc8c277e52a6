"""Idempotency at any age (issue 21): the revision ledger remembers ids past the window."""

from __future__ import annotations

from pathlib import Path

import orjson

from stream.config import Settings
from stream.core.pipeline import Pipeline
from stream.core.relate import RelateConfig, Relator
from stream.core.relate.ledger import RevisionLedger

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
DAY = 86_400.0


def article(article_id: str, date: str, body: str, title: str = "Port workers strike in Rotterdam") -> bytes:
    return orjson.dumps(
        {
            "id": article_id,
            "source": "Test Wire",
            "title": title,
            "published_at": date,
            "body": body,
        }
    )


STRIKE = (
    "ROTTERDAM - Dock workers at the port of Rotterdam walked out on Monday over pay, the FNV union said.\n\n"
    "The strike halted container terminals operated by ECT, and ships queued off the Maasvlakte."
)
STRIKE_REVISED = STRIKE + "\n\nUpdate: the union said talks with employers would resume on Wednesday."
LATER = (
    "TOKYO - The Bank of Japan held its policy rate at 0.5 percent on Wednesday, Governor Kazuo Ueda said.\n\n"
    "Board members voted 8-1 to keep rates on hold as spring wage talks approach."
)


def pipeline() -> Pipeline:
    return Pipeline(Settings().core(), relator=Relator(RelateConfig(window_days=7)))


def test_identical_resend_of_an_article_older_than_the_window_is_unchanged() -> None:
    p = pipeline()
    first = p.process(article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
    assert first.enriched is not None and first.enriched.revision == 1
    p.process(article("boj-1", "2025-03-19T03:00:00Z", LATER, title="Bank of Japan holds rates"))  # the window moves on
    assert first.enriched.id not in p.relator.articles  # the window has forgotten it ...
    again = p.process(article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
    assert again.unchanged and again.enriched is None  # ... the ledger has not
    assert again.restated is not None and again.restated.revision == 1
    assert again.restated.story_id == first.enriched.story_id


def test_changed_resend_of_an_old_article_is_the_next_revision_in_no_new_story() -> None:
    p = pipeline()
    first = p.process(article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
    p.process(article("boj-1", "2025-03-19T03:00:00Z", LATER, title="Bank of Japan holds rates"))
    revised = p.process(article("strike-1", "2025-01-06T09:00:00Z", STRIKE_REVISED))
    assert revised.enriched is not None
    assert revised.enriched.revision == 2
    assert revised.enriched.related == []
    assert not revised.story_updates  # threaded into no new story
    assert any("before the related-story window" in warning for warning in revised.enriched.warnings)
    # The story it had is kept while the story is still known (dormant stories live 30 days).
    assert revised.enriched.story_id in (first.enriched.story_id, None)


def test_an_article_older_than_the_window_is_emitted_unrelated_and_says_why() -> None:
    p = pipeline()
    p.process(article("boj-1", "2025-03-19T03:00:00Z", LATER, title="Bank of Japan holds rates"))
    late = p.process(article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
    assert late.enriched is not None and late.enriched.revision == 1
    assert late.enriched.related == [] and late.enriched.story_id is None and not late.story_updates
    assert any("before the related-story window" in warning for warning in late.enriched.warnings)
    assert late.enriched.id not in p.relator.articles and late.enriched.id in p.relator.ledger.entries
    assert p.process(article("strike-1", "2025-01-06T09:00:00Z", STRIKE)).unchanged


def test_the_ledger_survives_a_rebuild_from_its_mapping() -> None:
    articles: dict = {}
    stories: dict = {}
    ledger: dict = {}
    p = Pipeline(Settings().core(), relator=Relator(RelateConfig(), articles=articles, stories=stories, ledger=ledger))
    p.process(article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
    p.process(article("boj-1", "2025-03-19T03:00:00Z", LATER, title="Bank of Japan holds rates"))
    # A restarted worker: the tables come back (through JSON, as from a changelog) and the index is rebuilt.
    restored = {name: orjson.loads(orjson.dumps(value)) for name, value in ledger.items()}
    again = Pipeline(Settings().core(), relator=Relator(RelateConfig(), articles=articles, stories=stories, ledger=restored))
    assert again.process(article("strike-1", "2025-01-06T09:00:00Z", STRIKE)).unchanged


def test_entries_expire_after_the_horizon_of_event_time() -> None:
    ledger = RevisionLedger({}, horizon_days=400)
    ledger.remember("old", 1, 2**100 + 17, "s-old", 0.0)
    ledger.remember("young", 3, 18, None, 300 * DAY)
    ledger.expire(399 * DAY)
    assert ledger.get("old") is not None
    ledger.expire(402 * DAY)
    assert ledger.get("old") is None
    entry = ledger.get("young")
    assert entry is not None and entry.revision == 3 and ledger.same_content(entry, 18) and entry.story_id is None


def test_the_samples_seed_pair_is_one_article_and_one_unchanged_resend() -> None:
    """The issue's case: a later article first, then an older one sent twice (.json). The seed page's
    .html and .txt copies: the next test."""
    p = pipeline()
    outcomes = [
        p.process((SAMPLES / name).read_bytes() if name.endswith(".json") else _page(name))
        for name in (
            "ledger-2025-03-03-japan-rates-wire.txt",
            "clean-article-2025-01-14-seoul-subway.json",
            "clean-article-2025-01-14-seoul-subway.json",
        )
    ]
    assert [o.enriched is not None for o in outcomes] == [True, True, False]
    assert outcomes[2].unchanged


def test_the_seed_pages_html_and_txt_copies_are_one_article_and_one_unchanged_resend() -> None:
    """Issue 21, why 2: ``make run`` printed both copies of the seed page and counted a story of 2
    articles. Read as the CLI reads the samples directory, the second copy is an unchanged re-send of
    the first, restated with the same id, revision and story."""
    from stream.sources import iter_inputs

    p = pipeline()
    pair = [value for where, value in iter_inputs([SAMPLES]) if Path(where).stem == "joongang-2024-12-05-nk-russia-treaty"]
    assert len(pair) == 2  # the .html and the .txt
    first, second = (p.process(value) for value in pair)
    assert first.enriched is not None and first.enriched.revision == 1
    assert second.enriched is None and second.unchanged and not second.story_updates
    assert (second.restated.id, second.restated.revision, second.restated.story_id) == (
        first.enriched.id, 1, first.enriched.story_id)


def _page(name: str) -> bytes:
    return orjson.dumps({"body": (SAMPLES / name).read_text(encoding="utf-8"), "source": "samples", "url": f"https://example.org/{name}"})


def test_an_article_older_than_the_horizon_is_remembered_for_the_horizon_from_when_it_came() -> None:
    """A publisher re-sends its archive: an article dated two years before the newest is kept as long
    as a new one (the ledger once stamped it with its date, so the clock's next step forgot it)."""
    ledger = RevisionLedger({}, horizon_days=400)
    ledger.expire(1000 * DAY)  # the stream's clock
    ledger.remember("archive", 1, 5, None, 300 * DAY)  # 700 days older than the clock
    ledger.expire(1001 * DAY)
    assert ledger.get("archive") is not None
    ledger.expire(1399 * DAY)
    assert ledger.get("archive") is not None
    ledger.expire(1402 * DAY)
    assert ledger.get("archive") is None


def test_identical_resends_of_archive_articles_are_unchanged_while_the_clock_moves() -> None:
    """The accounting fault test's case, offline: articles two years older than the stream, sent
    among current ones whose dates go back and forth (each forward step expires the ledger), then
    re-sent: every re-send is unchanged, none emitted again."""
    p = pipeline()
    current = [article(f"now-{i}", f"2024-12-{24 + i % 5:02d}T{i % 24:02d}:00:00Z", LATER, title=f"Rates {i}") for i in range(40)]
    archive = [article(f"old-{i}", "2023-03-01T08:00:00Z", STRIKE, title=f"Strike {i}") for i in range(5)]
    stream = current[:20] + archive + current[20:]
    first = [p.process(value) for value in stream]
    assert all(o.enriched is not None for o in first)
    again = [p.process(value) for value in archive]
    assert all(o.unchanged and o.enriched is None for o in again)
    assert [o.restated.revision for o in again] == [1] * 5


def test_an_archive_article_first_in_the_stream_is_still_remembered() -> None:
    """The stream's first dated article is an archive one: the clock starts at its date, then leaps
    past the horizon with the next article. It was seen at the stream's start, so it is kept."""
    p = pipeline()
    archive = article("old-0", "2023-03-01T08:00:00Z", STRIKE, title="Strike 0")
    p.process(archive)
    for i in range(5):
        p.process(article(f"now-{i}", f"2024-12-2{i}T08:00:00Z", LATER, title=f"Rates {i}"))
    assert p.process(archive).unchanged
