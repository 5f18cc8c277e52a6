"""Story recall by distinctive people, dormant joins on who/precise where, and the bounded story memory."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from stream.contracts import StoryEvent
from stream.core.relate import RelateConfig, RelateInput, Relator
from stream.core.relate.records import pairs

BASE = datetime(2024, 1, 1, tzinfo=UTC)
CONFIG = RelateConfig(window_days=7, story_horizon_days=30, story_memory_days=400)


def article(id: str, tags: list[str], *, days: float = 0.0) -> RelateInput:
    return RelateInput(
        id=id,
        title=f"title {id}",
        published_at=BASE + timedelta(days=days),
        tags=tags,
        simhash=random.Random(id).getrandbits(64),  # unrelated simhashes: no near-duplicates
        fingerprint=f"fp-{id}",
    )


def filler(relator: Relator, prefix: str, n: int, *, days: float) -> None:
    """Unrelated articles (one unique person each) that keep the clock moving."""
    for i in range(n):
        relator.relate(article(f"{prefix}{i}", ["region:US", "topic:crime", f"entity:person/{prefix}-{i}"], days=days))


VICTIM, SUSPECT = "entity:person/jane-roe", "entity:person/john-doe"


def test_follow_up_months_later_naming_two_people_joins_the_story() -> None:
    relator = Relator(CONFIG)
    first = relator.relate(article("event", [VICTIM, SUSPECT, "place:tulsa", "topic:crime"], days=0))
    filler(relator, "mid", 5, days=60)
    trial = relator.relate(article("trial", [VICTIM, SUSPECT, "entity:org/district-court"], days=120))
    assert trial.related == []  # the event left the article window long ago
    assert trial.story_id == first.story_id
    assert relator.story(first.story_id)["size"] == 2


def test_one_shared_person_and_a_city_do_not_recall_an_old_story() -> None:
    relator = Relator(CONFIG)
    relator.relate(article("event", [VICTIM, SUSPECT, "place:tulsa"], days=0))
    later = relator.relate(article("other", [VICTIM, "entity:person/someone-else", "place:tulsa"], days=120))
    assert later.story_id == "s-other"


def test_a_person_named_in_many_stories_is_not_distinctive() -> None:
    chief = "entity:person/police-chief"

    def incidents(count: int) -> Relator:
        relator = Relator(CONFIG)
        for i in range(count):  # the chief comments on each incident, weeks apart: separate stories
            relator.relate(article(f"incident{i}", [chief, f"entity:person/victim-{i}", f"place:street-{i}"], days=i * 40))
        return relator

    later = article("later", [chief, "entity:person/victim-0"], days=200)
    # in one story only, the chief and the victim are two distinctive people: recalled
    assert incidents(1).relate(later).story_id == "s-incident0"
    # the chief in more stories than recall_max_stories leaves one distinctive person: a new story
    assert incidents(CONFIG.recall_max_stories + 1).relate(later).story_id == "s-later"


def test_fresh_thread_is_merged_into_the_recalled_story() -> None:
    relator = Relator(CONFIG)
    old = relator.relate(article("event", [VICTIM, SUSPECT, "place:tulsa"], days=0)).story_id
    filler(relator, "mid", 3, days=50)
    # months later a report without the names starts a thread of its own
    fresh = relator.relate(article("fresh", ["place:tulsa", "entity:org/tulsa-court", "topic:crime"], days=100))
    assert fresh.story_id == "s-fresh"
    # the next report links the fresh one and names both people of the old story
    bridge = relator.relate(article("bridge", [VICTIM, SUSPECT, "place:tulsa", "entity:org/tulsa-court"], days=100.5))
    assert bridge.story_id == old
    merged = [(u.story_id, u.merged_into) for u in bridge.story_updates if u.event == StoryEvent.merged]
    assert merged == [("s-fresh", old)]
    assert relator.resolve_story("s-fresh") == old


def test_dormant_story_needs_a_person_or_two_places_not_a_city_alone() -> None:
    def dormant_story() -> Relator:
        relator = Relator(CONFIG)
        filler(relator, "bg", 10, days=0)
        relator.relate(article("a", [VICTIM, "place:dayton", "place:elm-street", "topic:crime"], days=0))
        return relator

    # 12 days on, the story has no article in the window: a city alone is every incident there
    assert dormant_story().relate(article("city", ["place:dayton", "topic:crime"], days=12)).story_id == "s-city"
    street = article("street", ["place:dayton", "place:elm-street", "topic:crime"], days=12)
    assert dormant_story().relate(street).story_id == "s-a"
    person = article("person", [VICTIM, "topic:crime"], days=12)
    assert dormant_story().relate(person).story_id == "s-a"


def test_only_stories_that_can_be_recalled_outlive_the_dormant_horizon() -> None:
    relator = Relator(CONFIG)
    relator.relate(article("named", [VICTIM, SUSPECT, "place:tulsa"], days=0))
    relator.relate(article("unnamed", ["place:dayton", "entity:org/dayton-police"], days=0))
    filler(relator, "later", 1, days=40)
    assert "s-named" in relator.stories  # two people: held for recall
    assert "s-unnamed" not in relator.stories  # could never be recalled: gone after the dormant horizon
    filler(relator, "much-later", 1, days=CONFIG.story_memory_days + 2)
    assert "s-named" not in relator.stories


def test_rebuilt_relator_recalls_like_the_original() -> None:
    relator = Relator(CONFIG)
    first = relator.relate(article("event", [VICTIM, SUSPECT, "place:tulsa"], days=0)).story_id
    filler(relator, "mid", 2, days=90)
    rebuilt = Relator(CONFIG, articles=dict(relator.articles), stories=dict(relator.stories))
    assert rebuilt.relate(article("trial", [VICTIM, SUSPECT], days=150)).story_id == first


def test_profile_keeps_people_over_places_on_equal_evidence() -> None:
    config = RelateConfig(story_top_tags=3, story_context_tags=0)
    relator = Relator(config)
    relator.relate(article("a", ["place:zeta-street", "place:yellow-park", VICTIM, SUSPECT, "place:xylo"]))
    kept = {tag for tag, _count in pairs(relator.stories["s-a"].top_tags)}
    assert {VICTIM, SUSPECT} <= kept
