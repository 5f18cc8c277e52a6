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

from stream.core.tag.capitals import RUN, CapitalisedRuns, remember_plan
from stream.core.tag.resources import Resources

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
    """The state named right after ``, `` at ``end`` ("Salisbury, N.C."), or None.

    The longest state name (at most 20 characters) that ends the text, is not followed by a
    letter or digit, or ends with a dot ("N.C.Police" is still N.C.)."""
    if text[end:end + 2] != ", ":
        return None
    m = res.us_state_pattern.match(text, end + 2, end + 24)
    return res.us_states[m.group()] if m else None


_UNKNOWN = object()


def find_towns(res: Resources, text: str, in_title: bool, runs: CapitalisedRuns | None = None,
               plans: dict[str, tuple | None] | None = None) -> list[TownMention]:
    """``runs``: the text's capitalised runs, when the caller has scanned them already; ``plans``: what
    ``_run_plan`` made of runs, kept by the caller across articles (most runs recur: "The", "He", a
    source's name), so that a run is looked at once, not at every mention."""
    if plans is None:
        plans = {}
    out: list[TownMention] = []
    for seen, m in enumerate(runs.matches if runs is not None else RUN.finditer(text)):
        run = m.group()
        if text.startswith(", ", m.end()):  # "<Town>, <State>" perhaps: read in full
            mention = _town_in_run(res, text, run, m.start(), True, in_title)
        else:
            plan = plans.get(run, _UNKNOWN)
            if plan is _UNKNOWN:
                plan = _run_plan(res, run)
                remember_plan(plans, run, plan, seen)
            if plan is None:
                continue
            mention = _weak_town_at(res, text, plan, m.start(), in_title)
        if mention is not None:
            out.append(mention)
    return out


def _run_plan(res: Resources, run: str) -> tuple | None:
    """What a run with no ", <state>" after it can name, from its words alone: None when no town, else
    ``(tokens, i, name, n, start, end)``: the town name at token ``i`` of ``n`` words, at ``start:end``
    of the run (``_town_in_run`` without a state, whose context checks ``_weak_town_at`` makes)."""
    lead = res.cues["lead_words"]
    first_words = res.us_town_first_words
    # Most runs cannot name a town: the first word starts no town name and it is no sentence word to skip.
    space = run.find(" ")
    first = run if space < 0 else run[:space]
    if first not in first_words and (space < 0 or first not in lead) and not _may_start_town(first, first_words):
        return None
    tokens = run.split(" ")
    i, pos = _skip_sentence_words(res, tokens, 0)
    if i and not _may_start_town(tokens[i], first_words):
        return None
    # The run alone as the text: it holds no comma, so no state is read after a name, as in the text
    # (where no ", " follows the run and a name ending inside it is followed by a run character).
    found = _longest_town_name(res, run, tokens, i, pos, False)
    if found is None:
        return None
    name, n, end, _state = found
    return tokens, i, name, n, pos, end


def _weak_town_at(res: Resources, text: str, plan: tuple, start: int, in_title: bool) -> TownMention | None:
    """The town of a run's plan, for the run at ``start`` of ``text``, where the context allows it."""
    if start and (text[start - 1].isalnum() or text[start - 1] in "'’-"):
        return None  # the run starts inside a word
    tokens, i, name, n, pos, end = plan
    return _weak_town(res, text, tokens, i, n, name, start + pos, start + end, in_title)


def _town_in_run(res: Resources, text: str, run: str, start: int, state_may_follow: bool,
                 in_title: bool) -> TownMention | None:
    """The town a capitalised run begins with (after its sentence words), if any."""
    if start and (text[start - 1].isalnum() or text[start - 1] in "'’-"):
        return None  # the run starts inside a word
    tokens = run.split(" ")
    i, pos = _skip_sentence_words(res, tokens, start)
    if i and not state_may_follow and not _may_start_town(tokens[i], res.us_town_first_words):
        return None
    found = _longest_town_name(res, text, tokens, i, pos, state_may_follow)
    if found is None:
        return None
    name, n, end, state = found
    if state is not None:
        # "New York, New York" is the state, not a town in it.
        return None if name in res.us_states else TownMention(name, pos, end, state, True)
    return _weak_town(res, text, tokens, i, n, name, pos, end, in_title)


def _skip_sentence_words(res: Resources, tokens: list[str], start: int) -> tuple[int, int]:
    """The index and text offset of the run's first token after its sentence words ("In", "But"),
    keeping the last token and any sentence word that begins a place ("New York")."""
    lead = res.cues["lead_words"]
    i, pos = 0, start
    while i < len(tokens) - 1 and tokens[i] in lead and not _town_starts(res, tokens, i):
        pos += len(tokens[i]) + 1
        i += 1
    return i, pos


def _longest_town_name(res: Resources, text: str, tokens: list[str], i: int, pos: int,
                       state_may_follow: bool) -> tuple[str, int, int, str | None] | None:
    """``(name, words, end, state)`` of the longest town name (up to _MAX_WORDS words) at token ``i``."""
    n_tokens = len(tokens)
    # A name of two or more words is a town only if its first word starts one, or if a state
    # follows it (the run's last words); else only the one-word name is worth a look.
    longest = min(_MAX_WORDS, n_tokens - i)
    if not state_may_follow and tokens[i] not in res.us_town_multiword_first:
        longest = 1
    for n in range(longest, 0, -1):
        name = _name_of(tokens, i, n)
        end = pos + len(name)
        ends_run = i + n == n_tokens
        # Tokens hold no comma, so only a name that ends the run can be followed by ", <state>".
        state = _state_after(res, text, end) if ends_run else None
        name = _table_spelling(res, name)
        if name in res.us_towns or (state and ends_run and _unlisted_town_ok(res, name, tokens[i], n)):
            return name, n, end, state
    return None


def _name_of(tokens: list[str], i: int, n: int) -> str:
    """``n`` tokens from ``i`` without a trailing dot, comma or possessive ("Salisbury's")."""
    name = " ".join(tokens[i:i + n]).rstrip(".,")
    return name[:-2] if name.endswith(("'s", "’s")) else name


def _table_spelling(res: Resources, name: str) -> str:
    """The table spells "Saint Paul"; the evidence span keeps the text's "St. Paul"."""
    if name.startswith("St. ") and name not in res.us_towns and "Saint " + name[4:] in res.us_towns:
        return "Saint " + name[4:]
    return name


def _unlisted_town_ok(res: Resources, name: str, first: str, n: int) -> bool:
    """A name the table lacks is a town before ", <state>" when short, no state itself, and not
    started by a given name ("Mary Smith, Texas")."""
    return n <= 2 and name not in res.us_states and first not in res.first_names


def _weak_town(res: Resources, text: str, tokens: list[str], i: int, n: int, name: str, pos: int, end: int,
               in_title: bool) -> TownMention | None:
    """A listed town without a state after it: kept where places stand (title, "in ...", "... police")."""
    after = tokens[i + n] if i + n < len(tokens) else ""
    if after in _NOT_A_TOWN_AFTER:
        return None  # a street or county
    if after and n == 1 and tokens[i] in res.first_names and after not in res.cues["jurisdiction_words"]:
        return None  # "Christopher Brandon-Lucket", "Tyler Smith": a person's name
    prev = _previous_word(text, pos) if i == 0 else tokens[i - 1]
    if in_title or prev.lower() in _PLACE_BEFORE or text.startswith((" police", " Police"), end):
        return TownMention(name, pos, end, None, False)
    return None


def _may_start_town(word: str, first_words: frozenset[str]) -> bool:
    """Whether a town name can start with this token: as it stands ("Little" of "Little Rock") or,
    alone, without its trailing dots or possessive ("Salisbury's")."""
    if word in first_words:
        return True
    if word[-1] not in ".s":  # only a trailing dot or possessive is dropped
        return False
    stem = word.rstrip(".")
    if stem.endswith(("'s", "’s")):
        stem = stem[:-2]
    return stem in first_words


def _town_starts(res: Resources, tokens: list[str], i: int) -> bool:
    """"Little Rock", "New Haven", "New York": a sentence word that begins a place's name stays
    (so "New York Police" is not York, Pa.)."""
    if tokens[i] not in res.us_town_multiword_first and tokens[i].lower() not in res.place_multiword_first:
        return False  # no town or place name of two or more words starts with this word
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
