"""The window's clock waits for the slowest input partition (stream/core/relate/sources.py): two enrich
workers at different paces must not close the window on the slower one's articles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stream.core.relate import RelateConfig, RelateInput, Relator
from stream.core.relate.sources import SourceClock

START = datetime(2024, 11, 1, tzinfo=UTC)


def item(i: int, day: float, story: int) -> RelateInput:
    tags = [f"entity:person/victim-{story}", f"entity:person/suspect-{story}", f"place:town-{story}", "topic:crime"]
    return RelateInput(id=f"a{i}", title=f"Story {story} update", published_at=START + timedelta(days=day), tags=tags,
                       simhash=i * 7919, fingerprint=f"{i:032x}")


def test_the_limit_is_the_slowest_active_source() -> None:
    clock = SourceClock(idle_after=3)
    assert clock.limit() is None
    clock.see("a", 10.0)
    clock.see("b", 4.0)
    clock.see("a", 12.0)
    assert clock.limit() == 4.0
    clock.see("b", 2.0)  # an older article does not take a source back
    assert clock.limit() == 4.0
    for t in (13.0, 14.0, 15.0):  # b silent for idle_after dated articles: it holds nothing back
        clock.see("a", t)
    assert clock.limit() == 15.0


def test_a_partition_running_days_ahead_does_not_close_the_window_on_the_other() -> None:
    """Partition 0 delivers its 18 days first, then partition 1 its own (one story per partition's day
    pairs): with sources, none of partition 1's articles is before the window and each joins its story."""
    per_partition = {p: [(i, day, int(day) // 3 * 2 + p) for i, day in enumerate(range(p, 18, 1), start=100 * p)] for p in (0, 1)}
    ahead_first = [(0, row) for row in per_partition[0]] + [(1, row) for row in per_partition[1]]

    def run(with_sources: bool) -> tuple[int, int]:
        relator = Relator(RelateConfig(window_days=7))
        before, stories = 0, {}
        for partition, (i, day, story) in ahead_first:
            result = relator.relate(item(i, day, story), now=START + timedelta(days=30), source=partition if with_sources else None)
            before += result.note is not None
            stories.setdefault(story, set()).add(relator.resolve_story(result.story_id) if result.story_id else None)
        return before, sum(len(s) > 1 or None in s for s in stories.values())

    assert run(with_sources=False)[0] > 0  # the case: without sources, the slower partition falls before the window
    assert run(with_sources=True) == (0, 0)
