"""Replayed input (issue 21, deliver 4): the worker re-reads relate's input from its last committed
offset after a crash, so an article's original can come again after its revision was applied. The
ledger keeps the input position last applied per id; an older input changes nothing."""

from __future__ import annotations

import orjson

from stream.config import Settings
from stream.core.pipeline import Pipeline
from stream.core.relate import RelateConfig, Relator
from stream.core.relate.ledger import RevisionLedger
from tests.core.relate.test_ledger import LATER, STRIKE, STRIKE_REVISED, article

DAY = 86_400.0


def prepared(p: Pipeline, value: bytes):
    outcome = p.prepare(value)
    assert outcome.enriched is not None
    return outcome.enriched


def fresh(ledger: dict | None = None, articles: dict | None = None, stories: dict | None = None) -> Pipeline:
    relator = Relator(RelateConfig(window_days=7), articles=articles, stories=stories, ledger=ledger)
    return Pipeline(Settings().core(), relator=relator)


def test_a_replayed_original_after_its_revision_makes_no_revision_and_no_story_update() -> None:
    p = fresh()
    original = prepared(p, article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
    revised = prepared(p, article("strike-1", "2025-01-06T10:00:00Z", STRIKE_REVISED))
    first = p.link(original, position=(0, 10))
    second = p.link(revised, position=(0, 50))
    assert (first.enriched.revision, second.enriched.revision) == (1, 2)
    stories_before = dict(p.relator.stories)

    # The replay, from an offset before both: the original is older than the state ...
    again = p.link(original, position=(0, 10))
    assert again.unchanged and again.restated is None and not again.story_updates  # nothing to restate
    # ... and the revision is the input the state was made from: unchanged, restated as emitted.
    again_revised = p.link(revised, position=(0, 50))
    assert again_revised.unchanged and again_revised.restated is not None
    assert again_revised.restated.revision == 2
    assert again_revised.restated.fingerprint == second.enriched.fingerprint
    assert again_revised.restated.story_id == second.enriched.story_id
    assert p.relator.stories == stories_before  # no story touched
    assert p.relator.ledger.get(original.id).revision == 2

    # A new input after them (a higher offset) with the original's content is a real change: revision 3.
    back = p.link(original, position=(0, 70))
    assert back.enriched is not None and back.enriched.revision == 3


def test_without_positions_the_same_sequence_is_a_change_as_before() -> None:
    """Offline there are no offsets: an input differing from the state is the next revision, as ever."""
    p = fresh()
    original = prepared(p, article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
    revised = prepared(p, article("strike-1", "2025-01-06T10:00:00Z", STRIKE_REVISED))
    assert [p.link(a).enriched.revision for a in (original, revised, original)] == [1, 2, 3]
    assert p.relator.ledger.get(original.id).position is None  # and the ledger entry stays as it was


def test_the_replay_rule_holds_after_a_recovery_from_json_tables() -> None:
    """A restarted worker: its tables come back through JSON (the changelog) and the rule still holds,
    also for an article the window no longer holds (answered by the ledger alone)."""
    articles: dict = {}
    stories: dict = {}
    ledger: dict = {}
    p = fresh(ledger, articles, stories)
    original = prepared(p, article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
    revised = prepared(p, article("strike-1", "2025-01-06T10:00:00Z", STRIKE_REVISED))
    p.link(original, position=(0, 3))
    p.link(revised, position=(0, 4))
    p.link(prepared(p, article("boj-1", "2025-03-19T03:00:00Z", LATER, title="Bank of Japan holds rates")), position=(0, 5))
    assert original.id not in articles  # the window moved on: only the ledger knows it

    restored = {key: orjson.loads(orjson.dumps(value)) for key, value in ledger.items()}
    q = fresh(restored, dict(articles), dict(stories))
    assert q.link(original, position=(0, 3)).restated is None  # superseded
    again = q.link(revised, position=(0, 4))
    assert again.unchanged and again.restated.revision == 2
    assert q.link(original, position=(0, 9)).enriched.revision == 3  # new input: a change


def test_positions_in_another_partition_are_not_compared() -> None:
    ledger = RevisionLedger({}, horizon_days=400)
    ledger.remember("a", 2, 7, "s-a", 10 * DAY, (0, 50))
    assert ledger.superseded("a", (0, 49))
    assert not ledger.superseded("a", (0, 50))  # the input that made the state: answered as a re-send
    assert not ledger.superseded("a", (0, 51))
    assert not ledger.superseded("a", (1, 10))  # a re-partitioned topic: offsets not comparable
    assert not ledger.superseded("b", (0, 1))  # unknown id


def test_entries_without_a_position_are_read_and_a_leap_keeps_the_position() -> None:
    entries = {"old": [1, "ff", None, 5 * DAY]}  # as written before positions (and offline)
    ledger = RevisionLedger(entries, horizon_days=400)
    assert ledger.get("old").position is None and not ledger.superseded("old", (0, 0))
    ledger.remember("new", 1, 9, None, 5 * DAY, (0, 12))
    ledger.expire(2000 * DAY)  # a leap past the horizon re-stamps the entries
    assert ledger.get("new").position == (0, 12) and ledger.get("new").seen == 2000 * DAY
    assert ledger.superseded("new", (0, 11))
    # The position costs a few bytes on the changelog: two integers.
    without = RevisionLedger({}, horizon_days=400)
    without.remember("new", 1, 9, None, 5 * DAY)
    without.remember("far", 1, 9, None, 5 * DAY, (3, 10**12))
    assert len(orjson.dumps(without.entries["far"])) - len(orjson.dumps(without.entries["new"])) <= 16


def test_either_table_may_have_got_further_before_a_kill() -> None:
    """The ledger and the articles table have their own changelogs: after a kill one may hold the
    revision and the other still the original. Either way the replay makes no revision 3."""
    for lagging in ("ledger", "articles"):
        articles: dict = {}
        ledger: dict = {}
        p = fresh(ledger, articles, {})
        original = prepared(p, article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
        revised = prepared(p, article("strike-1", "2025-01-06T10:00:00Z", STRIKE_REVISED))
        p.link(original, position=(0, 10))
        before = {"ledger": list(ledger[original.id]), "articles": articles[original.id]}
        p.link(revised, position=(0, 50))
        (ledger if lagging == "ledger" else articles)[original.id] = before[lagging]  # that changelog record was lost
        q = fresh(ledger, articles, dict(p.relator.stories))  # the restarted worker

        assert q.link(original, position=(0, 10)).restated is None, lagging  # superseded by the other table
        again = q.link(revised, position=(0, 50))
        if lagging == "ledger":  # the record holds revision 2: restated as emitted, and the ledger written again
            assert again.unchanged and again.restated.revision == 2
            assert q.relator.ledger.get(original.id).revision == 2
        else:  # the record was lost: the revision is applied again, with the revision it had
            assert again.enriched is not None and again.enriched.revision == 2 and not again.story_updates
        assert q.link(original, position=(0, 60)).enriched.revision == 3  # a new input: a change


def test_only_the_input_the_state_was_made_from_is_restated() -> None:
    """An identical re-send always comes at a new input position: it is unchanged with nothing to
    restate, however a restarted worker reads it (issue 21: re-sends after a kill were emitted again).
    The input at the stored position - the one that made the state, replayed after a kill - is restated,
    held in the window or known to the ledger alone."""
    p = fresh()
    original = prepared(p, article("strike-1", "2025-01-06T09:00:00Z", STRIKE))
    first = p.link(original, position=(0, 10))
    resend = p.link(original, position=(0, 30))
    assert resend.unchanged and resend.restated is None and not resend.story_updates
    assert p.link(original, position=(1, 4)).restated is None  # another partition: not the same input either
    replay = p.link(original, position=(0, 10))
    assert replay.unchanged and replay.restated is not None
    assert (replay.restated.revision, replay.restated.story_id) == (1, first.enriched.story_id)
    assert p.relator.ledger.get(original.id).position == (0, 10)  # a re-send moves nothing

    # The window moves on: the ledger alone answers, by the same rule.
    p.link(prepared(p, article("boj-1", "2025-03-19T03:00:00Z", LATER, title="Bank of Japan holds rates")), position=(0, 40))
    assert original.id not in p.relator.articles
    assert p.link(original, position=(0, 50)).restated is None
    again = p.link(original, position=(0, 10))
    assert again.unchanged and again.restated is not None and again.restated.revision == 1
    # Offline (no positions) an identical re-send still carries the article as emitted (stream/eval uses it).
    assert p.link(original).restated is not None
