"""Capitalised runs ("Upper Arlington High School"), scanned once per text and shared.

The town finder reads each run (``towns.find_towns``); the name finder learns from the runs'
lengths that its own regex cannot go quadratic on this text (``entities._capitalised``), which
spares it a search for long word runs over the whole text. Both remember what they made of a
sequence across articles (``remember_plan``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# A run of capitalised words joined by single spaces. Possessive, as entities.CAPITALISED: the same
# matches, no backtracking state kept per word.
RUN = re.compile(r"[A-Z][\w'’.\-]*(?: [A-Z][\w'’.\-]*)*+")
LONG_RUN = 64  # characters


@dataclass(slots=True)
class CapitalisedRuns:
    matches: list[re.Match[str]]
    long: bool  # some run has LONG_RUN characters or more


def capitalised_runs(text: str) -> CapitalisedRuns:
    matches = list(RUN.finditer(text))
    return CapitalisedRuns(matches, any(m.end() - m.start() >= LONG_RUN for m in matches))


# What the name and town finders worked out from a capitalised sequence's words alone (its "plan") is
# remembered across articles, since most sequences recur ("The", "He", a source's name). Bounds:
MAX_PLANS = 20_000  # distinct sequences remembered (a few MB at most); then the memory starts afresh
# characters: names are short; a long run of capitals ("Korea-Russia-..." at 1 MiB) is worked out, not kept
MAX_PLAN_KEY = 100
# Only a text's first sequences are remembered (news articles have at most ~120 to work out): one long
# list of names would otherwise flush the plans every other article uses, and repeated input would
# cost less than new input of the same size (the linear-work test compares the two).
MAX_PLANS_PER_TEXT = 500


def remember_plan(plans: dict[str, Any], key: str, plan: Any, seen: int) -> None:
    """Keep ``plan`` for ``key`` in ``plans`` within the bounds above; ``seen``: the sequences of the
    same text (the name finder: of the same article) looked at before this one."""
    if len(key) > MAX_PLAN_KEY or seen >= MAX_PLANS_PER_TEXT:
        return
    if len(plans) >= MAX_PLANS:
        plans.clear()
    plans[key] = plan
