"""Linear work for every input (issue 21): no shape of text makes validate, normalize or tag cost
more than linear time in its size.

- The property test draws each adversarial shape (``tests/faults/shapes.py``) at 256 KiB and at
  1 MiB and asserts CPU(1 MiB) <= 4 x CPU(256 KiB) and CPU(1 MiB) < 2 s. CPU is the process time
  of the worker's own enrich process (``stream.budget``: where articles are processed, with its
  memory and garbage-collector settings) for the pipeline call alone. 4 x CPU(256 KiB) is measured
  as four 256 KiB runs in a row, the same bytes as one 1 MiB run in about the same time, and each
  side is the minimum of a few such measurements, interleaved (see ``measure``).
- The linear rewrites in the tagger are checked against the code they replaced: the same matches,
  the same occurrences, the same folding, for hypothesis-drawn texts.
- The issue's own input, ``"Korea-Russia-" * 70_000 + "x"`` (910 KB), is a regression test.
"""

from __future__ import annotations

import asyncio
import random
import re
import time

import orjson
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from stream.budget import BudgetedPrepare
from stream.contracts import ErrorCode
from stream.core.pipeline import Origin, Pipeline
from stream.core.tag import capitals, entities, matcher
from stream.core.tag.capitals import capitalised_runs
from tests.faults.hostile import MB
from tests.faults.shapes import KIB, SHAPES

pytestmark = pytest.mark.timeout(600)

SMALL, LARGE = 256 * KIB, 1024 * KIB
MAX_RATIO = 4.0
# The quadratic shapes gave 16x and more (the issue's: > 20 s at 910 KB). Linear ones once gave up to
# 4.6x: the allocator's arenas were mapped and faulted in anew for every 1 MiB article (see
# stream.budget.OBJECT_RESERVE_MIB); then up to 4.7x from memory that grew with the text where it need
# not: the name regex's backtracking state on one long capitalised run (entities.CAPITALISED, now
# possessive), 8 MiB arrays of word hashes per 1 MiB text (normalize.tokens, now hashed in chunks), a
# list of every word's offset (entities._offset). Then 4.02 in CI for capitalised_distinct, from the
# tagger's memory of sequence plans: the ~8,700 names of the 256 KiB list fitted in it (its second to
# fourth runs worked out none), the ~35,000 of the 1 MiB list did not; now only a text's first 500
# sequences are remembered (capitals.MAX_PLANS_PER_TEXT), and the shape measures 3.4-3.7. What is
# left above 4x in a single pair of runs is the measurement: on a shared machine the minimum of short
# runs is lower by luck (a 25 ms run escapes another process's interruptions and cache evictions more
# often than a 100 ms one), which put the ratio of single-run minima up to 0.5 (0.3 typical) above that
# of equal spans: 4.16-4.58 against 3.80-4.09 for single_line on this 2-core machine under load. Equal
# spans measure 3.1-3.9 for every shape. The bound is the issue's, 4, with no allowance; an n log n
# path adds 11% (log 1 Mi / log 256 Ki) and still fails it.
MAX_LARGE_CPU = 2.0
# A shape that costs next to nothing at both sizes is compared at this floor, not on its rounding.
RESOLUTION = 0.002


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    p = Pipeline()
    # Resources loaded before any timing: the relate stage's too (process, not prepare), which the
    # issue's test below once paid on its one timed call (0.5-0.8 s of its 2 s).
    p.process(SHAPES["single_line"](4 * KIB, random.Random(0)))
    return p


@pytest.fixture(scope="module")
def enrich_process():
    """The worker's own enrich process (``stream.budget``), with a budget no shape reaches."""
    loop = asyncio.new_event_loop()
    budgeted = BudgetedPrepare(60.0)
    budgeted.start()
    yield loop, budgeted
    budgeted.stop()
    loop.close()


def _cpu(enrich_process, value: bytes) -> float:
    """CPU seconds the enrich process spent on ``value`` (its own process time, garbage collection
    and memory faults included)."""
    loop, budgeted = enrich_process
    outcome = loop.run_until_complete(budgeted.prepare(value, Origin()))
    assert outcome.enriched is not None or outcome.dead_letter is not None
    assert outcome.dead_letter is None or outcome.dead_letter.error_code is not ErrorCode.processing_budget_exceeded
    return budgeted.last_cpu


def measure(enrich_process, small: bytes, large: bytes, runs: int = 4, rounds: int = 12) -> tuple[float, float]:
    """CPU seconds for ``small`` (a quarter of the minimum over ``runs`` of four runs in a row) and for
    ``large`` (the minimum over ``runs`` runs), interleaved; while the ratio is above the bound,
    another round two seconds later (up to ``rounds``: a burst of load elsewhere, which weighs more on
    the 1 MiB runs, whose data lives in the shared cache, may pass). Four small runs in a row are the
    same bytes as one large run and take about as long, so a busy machine weighs on both alike;
    another process can only make a run slower, never faster, so the minimum is the estimate. A shape
    that really grows faster than linearly (the quadratic ones grew 16x) stays above the bound in
    every round."""
    best_small4 = best_large = float("inf")
    for _ in range(rounds):
        for _ in range(runs):
            best_small4 = min(best_small4, sum(_cpu(enrich_process, small) for _ in range(4)))
            best_large = min(best_large, _cpu(enrich_process, large))
        if best_large <= MAX_RATIO * max(best_small4 / 4, RESOLUTION):
            break
        time.sleep(2.0)
    return best_small4 / 4, best_large


@pytest.mark.parametrize("shape", sorted(SHAPES))
@settings(max_examples=2, deadline=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
@given(rng=st.randoms(use_true_random=False))
def test_cpu_grows_linearly(enrich_process, shape: str, rng: random.Random) -> None:
    seed = rng.getrandbits(32)
    small, large = SHAPES[shape](SMALL, random.Random(seed)), SHAPES[shape](LARGE, random.Random(seed))
    assert len(large) > 3 * len(small)
    cpu_small, cpu_large = measure(enrich_process, small, large)
    print(f"\n[linear] {shape} seed={seed}: 256 KiB {cpu_small:.3f} s, 1 MiB {cpu_large:.3f} s, "
          f"ratio {cpu_large / max(cpu_small, RESOLUTION):.2f}")
    assert cpu_large < MAX_LARGE_CPU, f"{shape}: {cpu_large:.2f} s of CPU for 1 MiB"
    assert cpu_large <= MAX_RATIO * max(cpu_small, RESOLUTION), (
        f"{shape}: CPU grows faster than the input: {cpu_small:.3f} s at 256 KiB, {cpu_large:.3f} s at 1 MiB"
    )


def test_issue_input_is_fast(pipeline: Pipeline) -> None:
    """Why-1: the 910 KB body that took more than 20 s in Pipeline.process."""
    value = orjson.dumps({"url": "https://adversarial.example.com/issue-21", "title": "Shape",
                          "body": "Korea-Russia-" * 70_000 + "x"})
    assert len(value) < MB
    started = time.process_time()
    outcome = pipeline.process(value)
    spent = time.process_time() - started
    assert outcome.enriched is not None
    assert spent < MAX_LARGE_CPU, f"{spent:.1f} s of CPU"


# -- the linear rewrites give the same answers as the code they replaced ------------------------

_PIECES = ["Korea", "Russia", "-", " ", "  ", ".", "Mr.", "J.", "of", "the", "Kim", "Jong-un", "_", "x", "'s", "’",
           "McDonald", "iPhone", "A", "B.", "9", "é", "Ünal", "\n", ",", "de", "van"]


def _runs() -> st.SearchStrategy[str]:
    piece = st.sampled_from(_PIECES)
    long_run = st.builds(lambda a, b, n: (a + "-" + b + "-") * n, piece, piece, st.integers(10, 40))
    return st.lists(st.one_of(piece, piece, long_run), max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=_runs())
def test_capitalised_scan_matches_the_regex(text: str) -> None:
    expected = [m.span() for m in entities.CAPITALISED.finditer(text)]
    # The possessive repetitions match as the greedy ones they replaced.
    greedy = re.compile(entities.CAPITALISED.pattern.removesuffix("++") + "+")
    assert [m.span() for m in greedy.finditer(text)] == expected
    greedy_run = re.compile(capitals.RUN.pattern.removesuffix("*+") + "*")
    assert [m.span() for m in greedy_run.finditer(text)] == [m.span() for m in capitals.RUN.finditer(text)]
    assert [m.span() for m in entities._capitalised(text)] == expected
    # With the shared capitalised-run scan (the tagger's path) the answer is the same.
    assert [m.span() for m in entities._capitalised(text, capitalised_runs(text))] == expected


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(st.text(alphabet="AaB_b-", min_size=1, max_size=4), min_size=65, max_size=120, unique=True),
    text=st.text(alphabet="AaB_b- ", max_size=300),
)
def test_occurrences_match_a_find_loop(words: list[str], text: str) -> None:
    words = sorted(words)
    assert len(words) > entities._FIND_PER_WORD  # the Aho-Corasick branch
    assert entities._occurrences(words, text) == entities.find_each(words, text)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.text(max_size=400), st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x3000), min_size=40, max_size=400)))
def test_fold_of_many_scripts_matches_per_character_replacement(text: str) -> None:
    expected = text
    if not expected.isascii():
        for ch in set(expected).difference(matcher._ASCII_CHARS):
            expected = expected.replace(ch, matcher._ascii_char(ch))
    expected = expected.encode("ascii").translate(matcher._ASCII_FOLD).decode("ascii")
    assert matcher.fold(text) == expected
