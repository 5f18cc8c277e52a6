"""Capitalised runs ("Upper Arlington High School"), scanned once per text and shared.

The town finder reads each run (``towns.find_towns``); the name finder learns from the runs'
lengths that its own regex cannot go quadratic on this text (``entities._capitalised``), which
spares it a search for long word runs over the whole text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
