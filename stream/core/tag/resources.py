"""Loads the tag stage's data files once and compiles them into one ``PhraseMatcher``.

Payloads stored in the matcher (plain tuples, cheap to test in the hot loop):

- ``("P", code, kind, exact)``  a place; ``exact`` = must match with the same case (acronyms "US")
- ``("B",)``                    a blocking phrase (contains a place name but does not mean it)
- ``("E", entity_id, exact)``   a known entity alias
- ``("T", topic_id, weight)``   a topic term
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from stream.core.tag.matcher import PhraseMatcher, fold

DATA = Path(__file__).parent / "data"


# ASCII letters and digits stay (lowercased), everything else separates: the slug of ASCII text.
_SLUG_ASCII = str.maketrans({chr(i): (chr(i).lower() if chr(i).isalnum() else " ") for i in range(128)})


@lru_cache(maxsize=1 << 16)  # names and places recur across a stream's articles
def slugify(text: str) -> str:
    text = text.replace("'", "").replace("\u2019", "")  # "Children's" -> "childrens"
    if text.isascii():  # the same result as below, without NFKD and a regex
        return "-".join(text.translate(_SLUG_ASCII).split())
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def _rows(name: str) -> list[list[str]]:
    out = []
    with open(DATA / name, encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if not row or row[0].startswith("#"):
                continue
            out.append(row)
    return out


def _is_acronym(term: str) -> bool:
    letters = [c for c in term if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters) and len(letters) <= 6


@dataclass(slots=True)
class Region:
    code: str
    label: str
    kind: str  # country, historic, subregion, subdivision
    subregion: str  # M49 sub-region slug ("" for none)


@dataclass(slots=True)
class Topic:
    id: str
    label: str
    iptc: str | None
    parent: str | None
    prior: float = 1.0


@dataclass(slots=True)
class KnownEntity:
    id: str
    label: str
    region: str | None


@dataclass(slots=True)
class Resources:
    matcher: PhraseMatcher
    regions: dict[str, Region]
    topics: dict[str, Topic]
    entities: dict[str, KnownEntity]
    first_names: frozenset[str]
    cues: dict[str, frozenset[str]]
    person_after: tuple[str, ...]
    ambiguity_rules: dict[str, dict]
    name_like: frozenset[str]
    place_terms: frozenset[str] = field(default_factory=frozenset)  # lowercased place keys
    place_first_words: frozenset[str] = field(default_factory=frozenset)  # their first words
    dateline_places: dict[str, str] = field(default_factory=dict)  # folded town name -> code
    us_towns: dict[str, frozenset[str]] = field(default_factory=dict)  # "Salisbury" -> {"US-MD", "US-NC", ...}
    us_states: dict[str, str] = field(default_factory=dict)  # "North Carolina", "N.C.", "NC" -> "US-NC"
    us_town_population: dict[str, int] = field(default_factory=dict)  # the largest town of the name
    # Derived lookups (built in ``__post_init__``): they let ``find_towns`` skip most capitalised runs.
    us_town_first_words: frozenset[str] = field(default_factory=frozenset)  # "Little" for "Little Rock"; "St."
    us_town_multiword_first: frozenset[str] = field(default_factory=frozenset)  # "Little", not "Salisbury"
    place_multiword_first: frozenset[str] = field(default_factory=frozenset)  # "new" of "new york" (lowercase)
    us_state_pattern: re.Pattern = field(default=re.compile(r"(?!)"))  # a state name, longest first

    def __post_init__(self) -> None:
        first = {name.split(" ", 1)[0] for name in self.us_towns}
        multiword_first = {name.split(" ", 1)[0] for name in self.us_towns if " " in name}
        if "Saint" in multiword_first:
            first.add("St.")  # "St. Paul" is looked up as "Saint Paul"
            multiword_first.add("St.")
        self.us_town_first_words = frozenset(first)
        self.us_town_multiword_first = frozenset(multiword_first)
        self.place_multiword_first = frozenset(t.split(" ", 1)[0] for t in self.place_terms if " " in t)
        # A state name of 2-20 characters not followed by a letter or digit, unless it ends with a dot.
        names = sorted((s for s in self.us_states if 2 <= len(s) <= 20), key=lambda s: (-len(s), s))
        if names:
            alternation = "|".join(re.escape(s) for s in names)
            self.us_state_pattern = re.compile(rf"(?:{alternation})(?:(?<=\.)|(?![^\W_]))")


def _combine(payloads: tuple) -> tuple:
    """A key's payloads as ``(topics, place, entity)``: ``topics`` a tuple of
    ``(topic_id, weight, counts_for_parent)`` (highest weight per topic), ``place`` and ``entity``
    the first such payload or None. A key that only blocks gets ``(), None, None``: it still hides
    the shorter names inside it."""
    topics: dict[str, tuple[float, bool]] = {}
    place = entity = None
    for p in payloads:
        if p[0] in ("T", "S"):
            old = topics.get(p[1])
            if old is None or p[2] > old[0] or (p[0] == "T" and not old[1]):
                topics[p[1]] = (max(p[2], old[0]) if old else p[2], p[0] == "T" or bool(old and old[1]))
        elif p[0] == "P" and place is None:
            place = p
        elif p[0] == "E" and entity is None:
            entity = p
    return tuple((t, w, up) for t, (w, up) in topics.items()), place, entity


@lru_cache(maxsize=1)
def load_resources() -> Resources:
    """Everything the tagger needs, built once per process (a few tens of milliseconds)."""
    matcher = PhraseMatcher()
    place_terms, us_states = _load_gazetteer(matcher)
    regions = _load_regions(us_states)
    us_towns, us_town_population = _load_us_towns()
    topics = _load_topics(matcher)
    entities = _load_entities(matcher)
    matcher.build(combine=_combine)
    cues, person_after = _load_entity_cues()
    amb = _load_ambiguity(cues)
    return Resources(
        matcher=matcher,
        regions=regions,
        topics=topics,
        entities=entities,
        first_names=_load_first_names(),
        cues=cues,
        person_after=person_after,
        ambiguity_rules=amb["rules"],
        name_like=frozenset(amb["name_like"]),
        place_terms=frozenset(place_terms),
        place_first_words=frozenset(t.split(" ")[0] for t in place_terms),
        dateline_places={" ".join(fold(r[0]).split()): r[1] for r in _rows("dateline_places.tsv")[1:]},
        us_towns=us_towns,
        us_town_population=us_town_population,
        us_states=us_states,
    )


def _load_gazetteer(matcher: PhraseMatcher) -> tuple[set[str], dict[str, str]]:
    """Places and blocking phrases into the matcher; the lowercased place terms, and the AP state
    abbreviations ("Ind.", "N.C.") as the first state spellings."""
    place_terms: set[str] = set()
    us_states: dict[str, str] = {}
    for row in _rows("gazetteer.tsv")[1:]:  # after the header
        term, code, kind = row[0], row[1], row[2]
        if kind == "block":
            matcher.add(term, ("B",))
            continue
        matcher.add(term, ("P", code, kind, _is_acronym(term)))
        place_terms.add(term.lower())
        if code.startswith("US-") and kind == "abbrev":
            us_states[term] = code
    return place_terms, us_states


def _load_regions(us_states: dict[str, str]) -> dict[str, Region]:
    """The regions; a US state's name and postal code ("Salisbury, NC") join the state spellings."""
    regions = {}
    for row in _rows("regions.tsv")[1:]:
        code, label, kind, subregion = (row + [""] * 4)[:4]
        regions[code] = Region(code, label, kind, subregion)
        if kind == "subdivision" and code.startswith("US-"):
            us_states.setdefault(label, code)
            us_states.setdefault(code[3:], code)
    return regions


def _load_us_towns() -> tuple[dict[str, frozenset[str]], dict[str, int]]:
    town_rows = _rows("us_towns.tsv")[1:]
    us_towns = {r[0]: frozenset("US-" + c for c in r[1].split("|")) for r in town_rows}
    return us_towns, {r[0]: int(r[2]) for r in town_rows}


def _load_topics(matcher: PhraseMatcher) -> dict[str, Topic]:
    """The taxonomy, and the topic terms into the matcher."""
    taxonomy = json.loads((DATA / "taxonomy.json").read_text(encoding="utf-8"))
    topics = {t["id"]: Topic(t["id"], t["label"], t.get("iptc"), t.get("parent"), t.get("prior", 1.0))
              for t in taxonomy["topics"]}
    # Hand-curated terms count for their topic and its parent. Economy sub-topic terms derived
    # from Reuters-21578 TRAIN only refine the sub-topic ("S"): they are too broad ("talks",
    # "relations") to decide that a story is about the economy at all.
    for name, kind in (("topic_lexicon.tsv", "T"), ("topic_lexicon_reuters.tsv", "S")):
        for row in _rows(name):
            topic_id, weight, terms = row[0], float(row[1]), row[2]
            if topic_id not in topics:
                raise ValueError(f"{name}: unknown topic {topic_id!r}")
            for term in filter(None, map(str.strip, terms.split("|"))):
                matcher.add(term, (kind, topic_id, weight))
    return topics


def _load_entities(matcher: PhraseMatcher) -> dict[str, KnownEntity]:
    """Known entities, and their aliases into the matcher."""
    entities = {}
    for row in _rows("entities.tsv")[1:]:
        entity_id, label, aliases = row[0], row[1], row[2]
        region = row[3] if len(row) > 3 and row[3] else None
        entities[entity_id] = KnownEntity(entity_id, label, region)
        for alias in filter(None, map(str.strip, aliases.split("|"))):
            matcher.add(alias, ("E", entity_id, _is_acronym(alias)))
    return entities


def _load_first_names() -> frozenset[str]:
    lines = (DATA / "first_names.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _load_entity_cues() -> tuple[dict[str, frozenset[str]], tuple[str, ...]]:
    """The word lists of ``entity_cues.json``, plus the unions ``entities.py`` tests in one set
    operation per name; and the person-after cues (text right after a name)."""
    cue_data = json.loads((DATA / "entity_cues.json").read_text(encoding="utf-8"))
    cues = {k: frozenset(v) for k, v in cue_data.items() if isinstance(v, list) and k != "person_after"}
    cues["person_titles_lower"] = frozenset(w.lower().rstrip(".") for w in cue_data["person_titles"])
    cues["org_words"] = cues["org_tails"] | cues["org_heads"] | cues["jurisdiction_words"]
    cues["titles_or_lead"] = cues["person_titles"] | cues["lead_words"]
    cues["not_in_local_places"] = cues["titles_or_lead"] | cues["org_heads"] | cues["never_names"]
    cues["sentence_words"] = cues["lead_words"] | cues["connectors"] | cues["date_words"]
    cues["trailing_words"] = cues["never_names"] | cues["connectors"]
    return cues, tuple(cue_data["person_after"])


def _load_ambiguity(cues: dict[str, frozenset[str]]) -> dict:
    """``ambiguous_places.json``, its cue words folded as the text they are tested against; its
    company tails and combining forms join ``cues``."""
    amb = json.loads((DATA / "ambiguous_places.json").read_text(encoding="utf-8"))
    cues["company_tails"] = frozenset(amb["company_tails"])
    cues["combining_forms"] = frozenset(amb["combining_forms"])
    cues["currency_words"] = frozenset(amb["currency_words"])
    cues["named_after_words"] = frozenset(amb["named_after_words"])
    cues["language_words"] = frozenset(amb["language_words"])
    cues["name_particles"] = frozenset(amb["name_particles"])
    for rule in amb["rules"].values():
        for key in ("cues", "veto"):
            if key in rule:
                rule[key] = [fold(c) for c in rule[key]]
    return amb
