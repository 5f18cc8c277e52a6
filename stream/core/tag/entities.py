"""People and organisations: known aliases plus capitalised-name extraction for everyone else.

A capitalised sequence ("Russian Defense Minister Andrei Belousov") loses its leading sentence
words, titles and place words; what is left is a person when a cue says so (a title before it, a
known given name first, a Korean-style "Kim Jong-un" shape, or "said"/"who" after it), an
organisation when it ends or starts with an organisation word ("... Agency", "Ministry of ...").
Later single-word mentions ("Putin", "Kim") join the person they abbreviate.
"""

from __future__ import annotations

import heapq
import re

import ahocorasick

from stream.contracts import TagItem
from stream.core.tag.capitals import CapitalisedRuns, remember_plan
from stream.core.tag.items import tag_item
from stream.core.tag.resources import Resources, slugify

MAX_EVIDENCE = 3
MAX_ENTITIES = 25
# Names one article may bring in (found, and pending a surname): far above any real article (a
# long list of victims names a few hundred), so a body of 1 MiB of distinct names costs linear time
# and bounded memory; names past the bound are not collected.
MAX_COLLECTED = 2_000


# A capitalised word, then more joined by single spaces and at most two lowercase connectors
# ("Ministry of the Interior"). The pattern starts with a plain [A-Z] so the regex engine can skip
# ahead quickly; no look-behind (it makes the scan several times slower): ``extract`` checks the
# previous character instead.
_WORD = r"[A-Z](?:[a-z]{0,2}\.|[\w'’\-]*)"  # "J." "Mr." "Jr." keep their dot; "Jackson." ends a sentence
_CONNECT = r"(?:of|the|for|on|de|del|da|van|von|der|al|bin|la|le|du|and)"
# Two or more words: one-word mentions ("Putin", "Jackson") are found later, and only for the
# names the article has already given in full (see ``_find_singles``): far fewer matches to handle.
# The repetition is possessive: nothing follows it, so the matches are the greedy ones, but the regex
# engine keeps no backtracking state per word: on one 1 MiB run of capitalised words that state grew to
# megabytes and the match cost 7x for 4x the text (issue 21, linear work).
CAPITALISED = re.compile(rf"{_WORD}(?:[ ](?:{_CONNECT}[ ]){{0,2}}{_WORD})++")
# The capitalised-word scan below must stay linear: see ``_capitalised``.
_CAPITAL = re.compile(r"[A-Z]")
_WORD_RUN = re.compile(r"[\w'’\-]*")
_LONG_WORD_RUN = re.compile(r"[\w'’\-]{64}")
_KOREAN_GIVEN = re.compile(r"^[A-Z][a-z]+-[a-z]+$")  # "Jong-un", "Suk-yeol"
_NOT_IN_NAMES = frozenset({"of", "the", "for", "on", "and"})  # connectors that no personal name has


def _capitalised(text: str, runs: CapitalisedRuns | None = None):
    """The matches of ``CAPITALISED.finditer(text)``, in time linear in the text.

    The regex engine tries every capital in turn; an attempt scans the capital's whole word run
    (letters, digits, hyphens, apostrophes) before it fails when no second word follows, so one long run of capitalised
    words ("Korea-Russia-Korea-...", 900 KB) cost time quadratic in its length. An attempt's outcome
    depends only on where the run ends (the one-letter "J." form only on the last three characters
    before it), so after a failed attempt every capital up to three characters before the run's end
    would fail the same way, and is skipped. Texts without a long run keep the regex's own loop.

    A failed attempt scans no further than the capitalised run (``capitals.RUN``) it starts in, so
    when the shared scan ``runs`` found no long run the regex's loop is linear too: the search for
    a long word run, which costs more than the regex itself, is left out."""
    if (runs is not None and not runs.long) or _LONG_WORD_RUN.search(text) is None:
        yield from CAPITALISED.finditer(text)
        return
    pos = 0
    while True:
        capital = _CAPITAL.search(text, pos)
        if capital is None:
            return
        p = capital.start()
        m = CAPITALISED.match(text, p)
        if m is not None:
            yield m
            pos = m.end()
            continue
        pos = max(p + 1, _WORD_RUN.match(text, p).end() - 3)


# Up to this many words, ``str.find`` per word is cheapest; more (an article naming thousands of
# people) take one Aho-Corasick pass, so the cost stays linear in the text.
_FIND_PER_WORD = 64


def find_each(words: list[str], text: str) -> list[tuple[str, int]]:
    """``(word, start)`` of each word's non-overlapping hits, by ``str.find``, in the order of ``words``
    and then of the text: quadratic in the number of words, so only for a few of them."""
    out = []
    for word in words:
        i = text.find(word)
        while i >= 0:
            out.append((word, i))
            i = text.find(word, i + len(word))
    return out


def _occurrences(words: list[str], text: str) -> list[tuple[str, int]]:
    """What ``find_each`` answers, in time linear in the text however many words there are."""
    if len(words) <= _FIND_PER_WORD:
        return find_each(words, text)
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    starts: dict[str, list[int]] = {}
    for end, word in automaton.iter(text):  # by end, so each word's starts come in order
        starts.setdefault(word, []).append(end - len(word) + 1)
    out = []
    for word in words:
        last_end = -1
        for i in starts.get(word, ()):
            if i >= last_end:  # a hit inside the word's previous one is stepped over, as by a find loop
                out.append((word, i))
                last_end = i + len(word)
    return out


def _tokens(seq: str) -> list[str]:
    """A capitalised sequence's words; the last loses a possessive ("Lee's") or a sentence-ending dot
    ("Jackson.", but not "Inc." or "Jr.")."""
    tokens = seq.split(" ")
    last = tokens[-1]
    if last.endswith(("'s", "’s")):
        tokens[-1] = last[:-2]
    elif last.endswith(".") and len(last) > 4:
        tokens[-1] = last[:-1]
    return tokens


def _offset(tokens: list[str], k: int, start: int) -> int:
    """Where word ``k`` (not the last) of a sequence found at ``start`` begins: words are joined by one
    space. Asked for two words per sequence, so no list of every word's offset is built (a sequence
    can be one 1 MiB run of capitalised words: a list of a hundred thousand integers cost more than
    linear time, for the memory it took)."""
    return start + sum(map(len, tokens[:k])) + k


def _capitalised_before(text: str, i: int) -> bool:
    """Whether the word before position ``i`` (after one space) starts with a capital."""
    k = text.rfind(" ", max(0, i - 40), i - 1)
    return text[k + 1].isupper()


def _headline_case(text: str) -> bool:
    """Whether most longer words are capitalised, as in "Father Charged With Shooting Daughter"."""
    words = [w for w in text.split() if len(w) >= 4 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


class _Acc:
    __slots__ = ("label", "kind", "count", "in_title", "evidence")

    def __init__(self, label: str, kind: str) -> None:
        self.label = label
        self.kind = kind
        self.count = 0
        self.in_title = False
        self.evidence: list[tuple[str, str, int, int]] = []


class EntityCollector:
    """Collects entity mentions for one article; ``items()`` turns them into TagItems."""

    def __init__(self, res: Resources, plans: dict[str, tuple] | None = None) -> None:
        """``plans``: what ``_plan`` made of capitalised sequences, kept by the caller across articles."""
        self.res = res
        self._plans: dict[str, tuple] = {} if plans is None else plans
        self._sequences = 0  # capitalised sequences looked at so far in this article
        self.found: dict[str, _Acc] = {}
        self.known_spans: list[tuple[str, int, int]] = []
        self.singles: list[tuple[str, str, int, int]] = []  # unresolved one-word mentions
        self.acronyms: dict[str, str] = {}  # "KCNA" -> entity id, learnt from "Name (ACRONYM)"
        self.pending: list[tuple[str, str, int, int]] = []  # two or three names without a person cue
        self.texts: list[tuple[str, str]] = []  # (field, text) extracted from
        self.places: set[str] = set()  # slugs of local places: "Harris County", "Fairmont Terrace"

    # -- mentions -------------------------------------------------------------------------------

    def _mention(self, entity_id: str, label: str, kind: str, field: str, text: str, start: int, end: int,
                 whole: bool = False) -> None:
        acc = self.found.get(entity_id)
        if acc is None:
            if len(self.found) >= MAX_COLLECTED:
                return
            acc = self.found[entity_id] = _Acc(label, kind)
        acc.count += 1
        if field == "title":
            acc.in_title = True
        if len(acc.evidence) < MAX_EVIDENCE:
            acc.evidence.append((text if whole else text[start:end], field, start, end))

    def add_known(self, entity_id: str, field: str, text: str, start: int, end: int, whole: bool = False) -> None:
        known = self.res.entities[entity_id]
        kind = entity_id.split("/", 1)[0]
        self._mention(entity_id, known.label, kind, field, text, start, end, whole)
        if not whole:
            self.known_spans.append((field, start, end))

    def add_credit(self, credit: str) -> None:
        value = self.res.matcher.lookup(credit)
        if value and value[2] is not None:
            entity_id = value[2][1]
            label = self.res.entities[entity_id].label
        else:
            slug = slugify(credit)
            if not slug:
                return
            entity_id, label = f"org/{slug}", credit.strip()
        acc = self.found.get(entity_id)
        if acc is None:
            self.found[entity_id] = acc = _Acc(label, "org")
        acc.count += 1

    # -- extraction -----------------------------------------------------------------------------

    def extract(self, field: str, text: str, runs: CapitalisedRuns | None = None) -> None:
        """Names in a field's capitalised sequences; ``runs``: the field's capitalised runs, if scanned."""
        self.texts.append((field, text))
        covered = self._covered(field)
        for m in _capitalised(text, runs):
            start, end = m.span()
            if start and (text[start - 1].isalnum() or text[start - 1] in "'’-"):
                continue  # inside a word ("McDonald" is one word, "iPhone" none)
            # Overlap with a known span, by position (a scan of every span per match was quadratic).
            if covered and (start in covered or end - 1 in covered or not covered.isdisjoint(range(start, end))):
                continue
            self._sequence(field, text, m.group(), start)

    def _covered(self, field: str) -> set[int]:
        """Text positions inside the known entities already found in this field."""
        covered: set[int] = set()
        for f, s, e in self.known_spans:
            if f == field:
                covered.update(range(s, e))
        return covered

    def _sequence(self, field: str, text: str, seq: str, start: int) -> None:
        """One capitalised sequence: trimmed of sentence words, then a local place, an
        organisation, or (without titles and place words) a name to classify."""
        tokens = _tokens(seq)
        plan = self._plans.get(seq)
        if plan is None:
            plan = self._plan(tokens)
            remember_plan(self._plans, seq, plan, self._sequences)
        self._sequences += 1
        place, action = plan
        if place is not None:
            self.places.add(place)
        if action is None:
            return
        i, j, cue = action
        if cue is None:  # a person cue is in the text before the sequence, if anywhere
            cue = self._person_cue_before(text, start)
        self._classify(tokens[i:j], cue, field, text, _offset(tokens, i, start),
                       _offset(tokens, j - 1, start) + len(tokens[j - 1]))

    def _plan(self, tokens: list[str]) -> tuple[str | None, tuple[int, int, bool | None] | None]:
        """What a sequence's words alone decide, the same wherever it stands (so it is worked out once
        per distinct sequence, and half of an article's sequences were seen before): ``(local place
        slug or None, (i, j, cue) or None)``: the words ``tokens[i:j]`` to classify, with ``cue`` the
        person cue (None: the one before the sequence in the text), or nothing to classify."""
        i, j = self._trim(tokens)
        if j <= i:
            return None, None
        place = self._local_place(tokens, i, j)
        # An organisation keeps the rest ("Tulsa County District Court"); for a person, titles
        # and place words go too ("Russian President Vladimir Putin").
        if j - i >= 2 and tokens[j - 1] in self.res.cues["org_tails"]:
            if self._is_place_name(tokens[i:j]):  # "New York City" is the place tags' business
                return place, None
            return place, (i, j, False)
        i, titled = self._name_start(tokens, i, j)
        if j <= i:
            return place, None
        name_tokens = tokens[i:j]
        if len(name_tokens) <= 2 and not self.res.cues["never_names"].isdisjoint(name_tokens):
            return place, None
        return place, (i, j, True if titled else None)

    def _person_cue_before(self, text: str, start: int) -> bool:
        """A title or an age right before the sequence: "Dr. Ann Lee", "15-year-old Ann Lee"."""
        if start < 2 or text[start - 1] != " ":
            return False
        prev_word = text[text.rfind(" ", max(0, start - 40), start - 1) + 1:start - 1]
        return bool(prev_word) and (prev_word.lower().rstrip(".,") in self.res.cues["person_titles_lower"]
                                    or prev_word.endswith("-old"))

    def _trim(self, tokens: list[str]) -> tuple[int, int]:
        """``(i, j)``: the tokens left once sentence words and dates go from the start (unless they
        begin a place: "New York City") and never-names and connectors from the end."""
        cues = self.res.cues
        sentence_words, trailing_words = cues["sentence_words"], cues["trailing_words"]
        i, j = 0, len(tokens)
        while i < j and tokens[i] in sentence_words and not self._multiword_place_at(tokens, i, j):
            i += 1
        while j > i and tokens[j - 1] in trailing_words:
            j -= 1
        return i, j

    def _name_start(self, tokens: list[str], i: int, j: int) -> tuple[int, bool]:
        """Where a person's name starts once leading sentence words, titles and place words are
        gone, and whether a title was among them ("Russian Defense Minister Andrei Belousov")."""
        cues = self.res.cues
        sentence_words, titles = cues["sentence_words"], cues["person_titles"]
        place_first = self.res.place_first_words
        titled = False
        while i < j:
            tok = tokens[i]
            if tok in sentence_words:
                i += 1
            elif tok in titles:
                titled = True
                i += 1
            elif tok.lower() in place_first and (n := self._place_prefix(tokens[:j], i)):
                i += n
            else:
                break
        # A title inside ("Mines Minister Juan Mendoza"): the name is what follows the last one.
        for k in range(j - 2, i, -1):
            if tokens[k] in titles:
                return k + 1, True
        return i, titled

    def _local_place(self, tokens: list[str], i: int, j: int) -> str | None:
        """A county, township, street or venue ("Harris County", "Fairmont Terrace"), or the place an
        agency serves ("Stockton Police Department", "Routt County Sheriff's Office"): a place tag.

        Small places are what local stories share when their people are named differently."""
        cues = self.res.cues
        if j - i < 2:
            return None
        if tokens[j - 1] in cues["local_place_tails"]:
            # The capitalised words before the tail: "(Charles Bussey and) Harrison Street".
            k = j - 1
            while k > i and tokens[k - 1][:1].isupper():
                k -= 1
            name = tokens[k:j]
        elif tokens[j - 1] in cues["org_tails"]:
            jurisdiction_words = cues["jurisdiction_words"]
            for k in range(i + 1, j - 1):
                if tokens[k] in jurisdiction_words:
                    break
            else:
                return None
            name = tokens[i:k]
        else:
            return None
        if (not name or len(name) > 4 or not cues["not_in_local_places"].isdisjoint(name)
                or not all(t[:1].isupper() for t in name)):
            return None
        if name[0] in cues["local_place_tails"]:
            return None  # "County Road 12", "Park Avenue"-like generic words: no proper name first
        phrase = " ".join(name)
        known = self.res.matcher.lookup(phrase)
        if known and known[1] is not None and known[1][2] not in ("city", "capital"):
            return None  # a state or country ("Kentucky State Police"): regions say that already
        if name[-1] == "State":
            return None
        return slugify(phrase)

    def _is_place_name(self, tokens: list[str]) -> bool:
        """"New York City", "Kansas City": a place the gazetteer knows, not an organisation."""
        return " ".join(tokens).lower() in self.res.place_terms

    def _multiword_place_at(self, tokens: list[str], i: int, j: int) -> bool:
        """Whether tokens ``i``.. begin a place name of two or three words ("Little Rock")."""
        res = self.res
        if tokens[i] not in res.us_town_multiword_first and tokens[i].lower() not in res.place_multiword_first:
            return False  # no name of two or more words starts with this word
        for n in (3, 2):
            if i + n <= j:
                phrase = " ".join(tokens[i:i + n])
                if phrase.lower() in self.res.place_terms or phrase in self.res.us_towns:
                    return True
        return False

    def _place_prefix(self, tokens: list[str], i: int) -> int:
        """How many tokens from ``i`` form a place or demonym ("North Korean" -> 2), 0 if none."""
        terms = self.res.place_terms
        for n in (3, 2, 1):
            if i + n <= len(tokens):
                phrase = " ".join(tokens[i:i + n]).lower()
                if phrase in terms or (phrase.endswith(("'s", "’s")) and phrase[:-2] in terms):
                    return n
        return 0

    def _classify(self, tokens: list[str], person_cue: bool, field: str, text: str, start: int, end: int) -> None:
        if len(tokens) == 1:
            self._single_word(tokens[0], field, text, start, end)
        elif self._is_org(tokens):
            self._organisation(" ".join(tokens), tokens, field, text, start, end)
        elif self._may_be_person(tokens, person_cue):
            self._person(tokens, person_cue, field, text, start, end)

    def _single_word(self, tok: str, field: str, text: str, start: int, end: int) -> None:
        """An acronym the article defined counts for its organisation; any other word waits for
        the names the article gives in full (``_resolve_singles``)."""
        if tok in self.acronyms:
            entity_id = self.acronyms[tok]
            acc = self.found.get(entity_id)
            if acc is not None:
                self._mention(entity_id, acc.label, acc.kind, field, text, start, end)
            return
        self.singles.append((tok, field, start, end))

    def _is_org(self, tokens: list[str]) -> bool:
        """"... Agency", "Ministry of ...": an organisation word at the end, or a head before of/for."""
        cues = self.res.cues
        return tokens[-1] in cues["org_tails"] or (
            len(tokens) >= 3 and tokens[0] in cues["org_heads"] and tokens[1] in ("of", "for"))

    def _organisation(self, name: str, tokens: list[str], field: str, text: str, start: int, end: int) -> None:
        if self.res.cues["org_words"].issuperset(tokens):
            return  # "Sheriff's Office", "District Court": which one is not said, so no anchor
        entity_id = f"org/{slugify(name)}"
        self._mention(entity_id, name, "org", field, text, start, end)
        # "Korean Central News Agency (KCNA)": the acronym later stands for the organisation.
        after = text[end:end + 12]
        if after.startswith(" (") and ")" in after:
            acronym = after[2:after.index(")")]
            if acronym.isupper() and 2 <= len(acronym) <= 8:
                self.acronyms[acronym] = entity_id

    def _may_be_person(self, tokens: list[str], person_cue: bool) -> bool:
        """Shapes no person's name has: too long, a connector or acronym inside, a place's tail
        word, a town's name, a possessive inside."""
        cues = self.res.cues
        name = " ".join(tokens)
        if len(tokens) > 4 or not _NOT_IN_NAMES.isdisjoint(tokens):
            return False  # "Treaty on Comprehensive ...": a connector that is no name particle
        if any(len(t) > 1 and t.isupper() for t in tokens):
            return False
        if tokens[-1] in cues["place_tails"]:
            return False  # "Franklin Township", "Fairmont Terrace", "Davis Cup"
        if not person_cue and self._is_town_name(name):
            return False  # "Santa Cruz", "Eden Prairie": a town, not a person
        return "'s " not in name and "’s " not in name  # "Prime Minister's Questions"

    def _is_town_name(self, name: str) -> bool:
        towns = self.res.us_towns
        return (name in towns or name.lower() in self.res.place_terms
                or (name.startswith("St. ") and "Saint " + name[4:] in towns))

    def _person(self, tokens: list[str], person_cue: bool, field: str, text: str, start: int, end: int) -> None:
        """A person when a cue says so; else, if short, a name pending a later mention by surname."""
        looks_person = person_cue or self._person_shaped(tokens, text, end)
        if not looks_person and len(tokens) >= 3:
            # "House Speaker Nancy Pelosi": a known given name inside starts the person's name.
            k = next((k for k in range(1, len(tokens) - 1) if tokens[k] in self.res.first_names), None)
            if k is not None:
                tokens = tokens[k:]
                start = end - len(" ".join(tokens))
                looks_person = len(tokens) <= 3
        name = " ".join(tokens)
        if looks_person:
            self._mention(f"person/{slugify(name)}", name, "person", field, text, start, end)
        elif len(tokens) <= 3 and self.res.cues["titles_or_lead"].isdisjoint(tokens):
            if len(self.pending) < MAX_COLLECTED:
                self.pending.append((name, field, start, end))  # a person if later named by surname alone

    def _person_shaped(self, tokens: list[str], text: str, end: int) -> bool:
        """A known given name first, a Korean-style "Kim Jong-un", or "who"/an age right after."""
        return (tokens[0] in self.res.first_names
                or (len(tokens) >= 2 and _KOREAN_GIVEN.match(tokens[1]) is not None)
                or text.startswith(self.res.person_after, end))

    # -- output ---------------------------------------------------------------------------------

    def _find_singles(self) -> None:
        """One-word mentions of the names and acronyms the article gave: "Putin", "Kim", "FASA".

        A word counts alone when neither neighbour is a capitalised word ("Vladimir Putin" and
        "Kim Jong-un" are full mentions, already counted)."""
        words = set(self.acronyms)
        for acc in self.found.values():
            if acc.kind == "person":
                parts = acc.label.split(" ")
                words.update((parts[0], parts[-1]))
        words.update(name.rsplit(" ", 1)[-1] for name, _, _, _ in self.pending)
        if not words:
            return
        ordered = sorted(words)  # a fixed order: the same evidence on every run
        for field, text in self.texts:
            n = len(text)
            for word, i in _occurrences(ordered, text):
                j = i + len(word)
                if ((i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "-'’"))
                        and (j == n or not text[j].isalnum())
                        and not (i >= 2 and text[i - 1] == " " and text[i - 2].isalpha() and _capitalised_before(text, i))
                        and not (j + 1 < n and text[j] == " " and text[j + 1].isupper())):
                    self.singles.append((word, field, i, j))

    def _resolve_singles(self) -> None:
        self._find_singles()
        for tok, field, start, end in self.singles:
            if tok in self.acronyms:
                entity_id = self.acronyms[tok]
                acc = self.found[entity_id]
                acc.count += 1
                if len(acc.evidence) < MAX_EVIDENCE:
                    acc.evidence.append((tok, field, start, end))
        # "Senquez Jackson ... hitting Jackson": a name later used by its last word is a person's.
        if self.pending and self.singles:
            alone = {tok for tok, _, _, _ in self.singles}
            for name, field, start, end in self.pending:
                if name.rsplit(" ", 1)[-1] in alone:
                    entity_id = f"person/{slugify(name)}"
                    self._mention(entity_id, name, "person", field, name, start, end, whole=True)
        by_part: dict[str, set[str]] = {}
        for entity_id, acc in self.found.items():
            if acc.kind != "person":
                continue
            parts = acc.label.split(" ")
            for part in {parts[0], parts[-1]}:
                by_part.setdefault(part, set()).add(entity_id)
        for tok, field, start, end in self.singles:
            ids = by_part.get(tok)
            if ids and len(ids) == 1:
                entity_id = next(iter(ids))
                acc = self.found[entity_id]
                acc.count += 1
                if len(acc.evidence) < MAX_EVIDENCE:
                    acc.evidence.append((tok, field, start, end))

    def _drop_headline_phrases(self) -> None:
        """In a headline-case title a title word is no cue ("Father Charged With Shooting",
        "Officer Allegedly Kills Himself"): a person found only there must be named in the body too."""
        titles = [text for field, text in self.texts if field == "title" and _headline_case(text)]
        if not titles:
            return
        bodies = [text for field, text in self.texts if field != "title"]
        only_title = [e for e, acc in self.found.items()
                      if acc.kind == "person" and all(f == "title" for _, f, _, _ in acc.evidence)]
        labels = sorted({self.found[e].label for e in only_title})
        in_bodies = {word for b in bodies for word, _ in _occurrences(labels, b)}
        for entity_id in only_title:
            if self.found[entity_id].label not in in_bodies:
                del self.found[entity_id]

    def person_words(self) -> frozenset[str]:
        """The words of the people named in full so far ("James", "Graham")."""
        return frozenset(w for acc in self.found.values() if acc.kind == "person" for w in acc.label.split(" "))

    def items(self) -> list[TagItem]:
        self._resolve_singles()
        self._drop_headline_phrases()
        # The top ones only (ids are unique, so no ties): an article naming thousands costs no full sort.
        ranked = heapq.nsmallest(MAX_ENTITIES, self.found.items(), key=lambda kv: (-kv[1].count - 2 * kv[1].in_title, kv[0]))
        out = []
        for entity_id, acc in ranked:
            score = min(1.0, 0.4 + 0.15 * (acc.count - 1) + (0.2 if acc.in_title else 0.0))
            out.append(tag_item(entity_id, f"entity:{entity_id}", acc.label, round(score, 3), acc.kind,
                                evidence=acc.evidence))
        return out
