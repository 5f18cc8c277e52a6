"""ArticleWindow: sequence numbers stay valid across removals and compaction of the dead prefix."""

from __future__ import annotations

import math

from stream.core.relate.window import ArticleWindow


def _fill(window: ArticleWindow, n: int) -> list[int]:
    return [window.add(f"a{i}", float(i), ("record", i), simhash=i, norm=1.5) for i in range(n)]


def test_sequence_numbers_address_their_article() -> None:
    window = ArticleWindow()
    seqs = _fill(window, 5)
    assert seqs == [0, 1, 2, 3, 4]
    assert window.held == 5
    assert [window.ids[s - window.base] for s in seqs] == ["a0", "a1", "a2", "a3", "a4"]
    assert window.records[3 - window.base] == ("record", 3)


def test_removed_article_is_dead_and_out_of_every_time_window() -> None:
    window = ArticleWindow()
    seqs = _fill(window, 3)
    window.remove(seqs[1])
    assert not window.alive(seqs[1]) and window.alive(seqs[0]) and window.alive(seqs[2])
    assert window.held == 2
    assert math.isinf(window.times[seqs[1] - window.base])  # a scan's |t - t0| <= window test fails
    assert window.records[seqs[1] - window.base] is None


def test_compaction_drops_the_dead_prefix_and_keeps_live_articles_addressable() -> None:
    window = ArticleWindow()
    seqs = _fill(window, 5000)
    for seq in seqs[:3000]:
        window.remove(seq)
    window.remove(seqs[4000])  # a hole after the prefix stays a hole
    window.compact()
    assert window.base == 3000
    assert len(window.ids) == 2000
    for seq in (3000, 3999, 4001, 4999):
        position = seq - window.base
        assert window.alive(seq)
        assert window.ids[position] == f"a{seq}"
        assert window.times[position] == float(seq)
        assert window.simhashes[position] == seq
        assert window.records[position] == ("record", seq)
    assert not window.alive(10) and not window.alive(4000)  # compacted away / a hole: both dead
    assert window.add("next", 1.0, None, simhash=0, norm=0.0) == 5000


def test_a_short_dead_prefix_is_not_worth_a_copy() -> None:
    window = ArticleWindow()
    seqs = _fill(window, 100)
    for seq in seqs[:50]:
        window.remove(seq)
    window.compact()
    assert window.base == 0 and len(window.ids) == 100


def test_find_returns_the_live_article_among_candidates() -> None:
    window = ArticleWindow()
    seqs = _fill(window, 10)
    assert window.find("a4", seqs) == 4
    window.remove(4)
    assert window.find("a4", seqs) is None
    assert window.find("missing", seqs) is None
