"""US towns too small or too ambiguous for the gazetteer ("Salisbury", "Poplar Bluff", "Madison").

A town name alone says little (there are 18 Madisons), so one counts only with a state cue:

- strong: "<Town>, <State>" ("Perris, Calif.", "Salisbury, NC", "Bedford, New Hampshire"); the
  state decides, and the town need not be in the table (GeoNames misses "Madison, Tenn."), though
  a name outside it must not start with a given name ("Mary Smith, Texas").
- weak: the article is already about a state that has a town of that name, and the name stands
  where places stand: in the title, after "in"/"near"/"of"..., or before "police".

Only a capitalised run's first name (after sentence words) is tried, so "Officer Jackson" and
"Kelly Madison" are not towns; a name before "Street", "County"... is a street or county.
"""

from __future__ import annotations

import re

from stream.core.tag.resources import Resources

# A run of capitalised words joined by single spaces ("Upper Arlington High School").
_RUN = re.compile(r"[A-Z][\w'’.\-]*(?: [A-Z][\w'’.\-]*)*")
_PLACE_BEFORE = frozenset({"in", "near", "of", "from", "outside", "at", "to", "across", "around", "north", "south",
                           "east", "west", "downtown"})
_NOT_A_TOWN_AFTER = frozenset({"Street", "St.", "Avenue", "Ave.", "Road", "Rd.", "Boulevard", "Blvd.", "Drive", "Dr.",
                               "Lane", "Ln.", "County", "Co.", "Township", "Way", "Circle", "Court", "Ct.", "Place",
                               "Trail", "Parkway", "Pkwy.", "Highway", "Hwy.", "Pike", "Terrace"})
_MAX_WORDS = 3


class TownMention:
    __slots__ = ("name", "start", "end", "state", "strong")

    def __init__(self, name: str, start: int, end: int, state: str | None, strong: bool) -> None:
        self.name = name
        self.start = start
        self.end = end
        self.state = state  # "US-NC" when a state follows the name, else None
        self.strong = strong


def _state_after(res: Resources, text: str, end: int) -> str | None:
    """The state named right after ``, `` at ``end`` ("Salisbury, N.C."), or None."""
    if text[end:end + 2] != ", ":
        return None
    rest = text[end + 2:end + 24]
    for n in range(min(len(rest), 20), 1, -1):
        cand = rest[:n]
        code = res.us_states.get(cand)
        if code and (n == len(rest) or not rest[n].isalnum() or cand.endswith(".")):
            return code
    return None


def find_towns(res: Resources, text: str, in_title: bool) -> list[TownMention]:
    lead = res.cues["lead_words"]
    towns = res.us_towns
    out: list[TownMention] = []
    for m in _RUN.finditer(text):
        start = m.start()
        if start and (text[start - 1].isalnum() or text[start - 1] in "'’-"):
            continue
        tokens = m.group().split(" ")
        i, pos = 0, start
        while i < len(tokens) - 1 and tokens[i] in lead and not _town_starts(res, tokens, i):
            pos += len(tokens[i]) + 1
            i += 1
        found = None
        for n in range(min(_MAX_WORDS, len(tokens) - i), 0, -1):
            name = " ".join(tokens[i:i + n]).rstrip(".,")
            if name.endswith(("'s", "’s")):
                name = name[:-2]
            end = pos + len(name)
            state = _state_after(res, text, end)
            if name.startswith("St. ") and name not in towns and "Saint " + name[4:] in towns:
                name = "Saint " + name[4:]  # the table spells "Saint Paul"; the evidence span stays short
            if name in towns or (state and i + n == len(tokens) and n <= 2 and name not in res.us_states
                                 and tokens[i] not in res.first_names):
                found = (name, n, end, state)
                break
        if found is None:
            continue
        name, n, end, state = found
        if state is not None and name in res.us_states:
            continue  # "New York, New York"
        if state is not None:
            out.append(TownMention(name, pos, end, state, True))
            continue
        after = tokens[i + n] if i + n < len(tokens) else ""
        if after in _NOT_A_TOWN_AFTER:
            continue
        if after and n == 1 and tokens[i] in res.first_names and after not in res.cues["jurisdiction_words"]:
            continue  # "Christopher Brandon-Lucket", "Tyler Smith": a person's name
        prev = _previous_word(text, pos) if i == 0 else tokens[i - 1]
        cue = in_title or prev.lower() in _PLACE_BEFORE or text.startswith((" police", " Police"), end)
        if cue:
            out.append(TownMention(name, pos, end, None, False))
    return out


def _town_starts(res: Resources, tokens: list[str], i: int) -> bool:
    """"Little Rock", "New Haven", "New York": a sentence word that begins a place's name stays
    (so "New York Police" is not York, Pa.)."""
    for n in (2, 3):
        if i + n <= len(tokens):
            phrase = " ".join(tokens[i:i + n])
            if phrase in res.us_towns or phrase.lower() in res.place_terms:
                return True
    return False


def _previous_word(text: str, start: int) -> str:
    if start < 2 or text[start - 1] != " ":
        return ""
    return text[text.rfind(" ", max(0, start - 30), start - 1) + 1:start - 1]
