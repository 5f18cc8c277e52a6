"""Wire datelines at the start of a story: ``PYONGYANG, Dec. 5 (Yonhap) --``, ``NEW YORK, March 3 -``.

Shared by normalize (agency credits) and tag (the dateline place is a strong region signal).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Place in capitals (a comma may join a state: "SPRINGFIELD, Ill."), then an optional date and an
# optional "(Agency)", then a dash or colon. Bounded quantifiers keep the work linear on hostile text.
_DATELINE = re.compile(
    r"""\A[ \t]*(?:\*{1,8}[ ]?)?  # "****LONDON": a priority marker before the place
    (?P<place>[A-Z][A-Z'.\-]{1,30}(?:[ ][A-Z][A-Z'.\-]{1,30}){0,3})
    (?:,[ ](?P<region>(?:the[ ])?(?:[A-Z][A-Za-z]{1,12}\.?|(?:[A-Z]\.){1,3})(?:[ ](?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.?[ ]\d)[A-Z][a-z]{1,12}\.?){0,2}))??
    (?:,?[ ](?P<date>(?:[A-Z][A-Za-z]{2,8}\.?[ ]\d{1,2})|(?:\d{4}-\d{2}-\d{2})))?
    [ ]?(?:\((?P<agency>[A-Za-z][\w .&-]{0,30})\))?
    [ ]?(?P<sep>--|-|\u2014|\u2013|:)?[ \n]""",
    re.VERBOSE,
)

# A place in title case ("Oklahoma City, March 3 -", "Toronto, Feb 26 -") is a dateline only with a
# month's date and a dash after it: otherwise it is an ordinary sentence start.
_TITLE_CASE_DATELINE = re.compile(
    r"""\A[ \t]*
    (?P<place>[A-Z][a-z'.\-]{1,30}(?:[ ][A-Z][a-z'.\-]{1,30}){0,3})
    (?:,[ ](?P<region>(?:the[ ])?(?:[A-Z][A-Za-z]{1,12}\.?|(?:[A-Z]\.){1,3})(?:[ ](?!(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.?[ ]\d)[A-Z][a-z]{1,12}\.?){0,2}))??
    ,[ ](?P<date>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.?[ ]\d{1,2})
    [ ]?(?:\((?P<agency>[A-Za-z][\w .&-]{0,30})\))?
    [ ]?(?P<sep>--|-|\u2014|\u2013)[ \n]""",
    re.VERBOSE,
)


@dataclass(slots=True, frozen=True)
class Dateline:
    place: str  # as printed, e.g. "PYONGYANG"; with its state or country: "SANTA BARBARA, Calif."
    agency: str | None  # "Yonhap"
    start: int
    end: int  # offset just past the dateline in the text it was found in


def find_dateline(text: str) -> Dateline | None:
    """The dateline at the start of ``text``, if the start looks like one."""
    m = _DATELINE.match(text[:160]) or _TITLE_CASE_DATELINE.match(text[:160])
    if not m:
        return None
    # A place alone is a shouted sentence start, not a dateline: require a date, agency or dash.
    if not (m.group("date") or m.group("agency") or m.group("sep")):
        return None
    place = m.group("place").strip()
    if len(place) < 3:
        return None
    if m.group("region"):  # the state or country tells which Santa Barbara
        place = f"{place}, {m.group('region')}"
    return Dateline(place=place, agency=m.group("agency"), start=m.start("place"), end=m.end())
