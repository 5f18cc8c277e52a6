"""The tag stage: one matcher pass per field, then regions, topics and entities from the matches.

Evidence offsets: ``article.<field>[start:end] == text`` for title, body and dateline. For
publisher tags (a list) ``start`` is the tag's index and ``end = start + 1``, so
``article.publisher_tags[start:end] == [text]``.

Publisher tags join the tag space: one that names a place becomes a region, a known entity that
entity, a topic label that topic; any other becomes ``keyphrase:<slug>``.
"""

from __future__ import annotations

import math
import re

from stream.contracts import TagItem
from stream.core.dateline import find_dateline
from stream.core.normalize import NormalizedArticle
from stream.core.tag import Tagging
from stream.core.tag.capitals import CapitalisedRuns, capitalised_runs
from stream.core.tag.entities import EntityCollector
from stream.core.tag.items import tag_item
from stream.core.tag.matcher import fold
from stream.core.tag.resources import Resources, load_resources, slugify
from stream.core.tag.topic_model import TopicModel, load_packaged_model, term_span
from stream.core.tag.towns import find_towns

MAX_EVIDENCE = 3

# Region weights by where a place is named: a dateline says where the story happened.
W_DATELINE = 4.0
W_TITLE = 2.5
W_PUBLISHER_TAG = 2.0
W_LEAD = 1.5  # first paragraph
W_BODY = 1.0
KIND_FACTOR = {"demonym": 0.8, "city": 0.9, "capital": 0.9}
# A title naming a region only by a demonym or a city ("SWISS NOTES", "TOYOTA MOTOR ...") makes it
# primary only when the body names it too: such a word often qualifies a product or a company.
WEAK_TITLE_KINDS = ("demonym", "city", "capital")
CITY_KINDS = ("city", "capital")
# Kinds of place a company is named after ("First Chicago Ltd"; US cities are stored with their state's code).
COMPANY_PLACE_KINDS = ("city", "capital", "subdivision")
W_PUBLISHER_TOPIC = 6.0  # a publisher's own section/topic tag: as strong as a specific term in the title
# A US town this large is a place tag when named as places are ("in Little Rock", a title) even
# in an article that names no state; it adds no region (the state may be another one's).
TOWN_WITHOUT_STATE_POPULATION = 20_000
W_ENTITY_REGION = 0.5  # a known entity's country ("Bundesbank" -> DE), never primary alone

# A region named in the first paragraph is primary when it has this share of the top region's
# weight; one named only later needs PRIMARY_MIN_MENTIONS mentions and PRIMARY_MENTIONS_SHARE.
# Chosen on Reuters-21578 TRAIN (PLACES labels); see stream/eval/tags.py.
PRIMARY_LEAD_SHARE = 0.5
PRIMARY_MIN_MENTIONS = 4
PRIMARY_MENTIONS_SHARE = 0.2
# A story naming this many countries (a roundup, a multilateral meeting, a commodity survey) is
# about each one it gives PRIMARY_MANY_SHARE of the top region's weight, not only the first few.
PRIMARY_MANY_COUNTRIES = 8
PRIMARY_MANY_SHARE = 0.2

# Topic scoring: a title hit counts TITLE_WEIGHT times; one term counts at most TERM_CAP times.
TITLE_WEIGHT = 3.0
TERM_CAP = 3
TOPIC_MIN_SCORE = 0.25  # a top-level topic must reach this score...
TOPIC_RELATIVE = 0.45  # ...and this fraction of the best topic's score
SUBTOPIC_MIN_SCORE = 0.3
# The trained model (topic_model.py): probabilities at which a second top-level topic and a
# sub-topic are added; a publisher's topic label counts at least PUBLISHER_TOPIC_P.
MODEL_MULTI_MIN = 0.5
MODEL_SUB_MIN = 0.5
PUBLISHER_TOPIC_P = 0.8
TOPIC_HALF_SCORE = 8.0  # length-normalised hit weight at which a topic scores 0.5


# Up to two capitalised words right after a place name ("Madrid Drive", "Van Wedding Road").
_FOLLOWING_CAPITALISED = re.compile(r"(?: [A-Z][\w'’.\-]*){1,2}")
_WORD_BEFORE = re.compile(r"[A-Za-z.]+\Z")
_WORD_AT = re.compile(r"[A-Za-z.]*[A-Za-z]\.?")
_NEXT_WORD = re.compile(r"[a-z]+")
# A preposition of place right before a name: "in Texas", "near Santos" name the place, whatever company bears it.
_LOCATIVE_BEFORE = re.compile(r"\b(?:in|at|from|near|to|across|throughout|outside|inside|around) \Z")
_PARTICLE = re.compile(r" ([a-z]{2,5}) [A-Z]")
# The four words after a place: a company's tail word or ticker among its capitalised followers.
_FOLLOWING_WORDS = re.compile(r"(?: [^\s]{1,20}){1,4}")
# Place-tag slugs spell out the abbreviations town names are written with either way.
_SLUG_PREFIXES = (("st-", "saint-"), ("mt-", "mount-"), ("ft-", "fort-"))


def place_slug(slug: str) -> str:
    """``st-paul`` and ``saint-paul`` are one place tag."""
    for short, full in _SLUG_PREFIXES:
        if slug.startswith(short):
            return full + slug[len(short):]
    return slug


class _RegionAcc:
    __slots__ = ("weight", "dateline", "title", "title_weak", "lead", "body", "evidence")

    def __init__(self) -> None:
        self.weight = 0.0
        self.dateline = False
        self.title = 0
        self.title_weak = 0  # ...of which by a demonym or a city ("SWISS NOTES", "TOYOTA MOTOR ...")
        self.lead = 0  # mentions in the first paragraph
        self.body = 0  # mentions anywhere in the body
        self.evidence: list[tuple[str, str, int, int]] = []


class _ArticleState:
    """What tagging one article gathers before its items are built."""

    __slots__ = ("title", "body", "title_low", "body_low", "full_low", "lead_end", "dateline_end", "regions",
                 "topic_hits", "sub_hits", "counted", "topic_evidence", "term_counts", "entities", "cities",
                 "deferred", "runs", "places", "company_places")

    def __init__(self, article: NormalizedArticle, entities: EntityCollector) -> None:
        self.title = article.title or ""
        self.body = article.body or ""
        self.title_low = fold(self.title)
        self.body_low = fold(self.body)
        self.full_low = self.title_low + "  " + self.body_low
        lead_end = self.body.find("\n\n")
        self.lead_end = lead_end if lead_end >= 0 else len(self.body)  # end of the first paragraph
        self.dateline_end = 0  # end of a dateline kept in the body
        self.regions: dict[str, _RegionAcc] = {}
        self.topic_hits: dict[str, float] = {}  # count for the topic and its parent
        self.sub_hits: dict[str, float] = {}  # count for the sub-topic only
        self.counted: list[tuple] = []  # (topics, field, text, start, end) of the term mentions that count
        self.topic_evidence: dict[str, list] = {}  # publisher tags naming a topic
        self.term_counts: dict[str, int] = {}
        self.entities = entities
        self.cities: set[str] = set()  # place:<slug> tags: the dateline town and the cities named
        self.deferred: list[tuple] = []  # name-like places ("Jordan"): not a place when a person bears the name
        self.runs: dict[str, CapitalisedRuns] = {}  # field -> its capitalised runs, scanned once
        self.places: list[tuple] = []  # place mentions, counted once every field is read (``_count_places``)
        self.company_places: set[str] = set()  # places seen starting a company's name ("Santos Ltd")


def _next_word_in(low: str, at: int, words: frozenset[str]) -> bool:
    """Whether the lowercase word starting at ``at`` of ``low`` is one of ``words``."""
    following = _NEXT_WORD.match(low, at)
    return following is not None and following.group() in words


def _capitalised_after(text: str, end: int) -> bool:
    """A capitalised word right after: "Chad Johnson", "Jordan Henderson"."""
    return end + 1 < len(text) and text[end] == " " and text[end + 1].isupper()


def _where(in_title: bool, start: int, lead_end: int) -> tuple[float, str]:
    """A place mention's weight and where it stands: title, lead (first paragraph) or body."""
    if in_title:
        return W_TITLE, "title"
    if start < lead_end:
        return W_LEAD, "lead"
    return W_BODY, "body"


def _topic_item(topic_id: str, label: str, score: float, kind: str, evidence: list) -> TagItem:
    return tag_item(topic_id, f"topic:{topic_id}", label, score, kind, evidence=evidence)


def _first_span(term: str, title: str, body: str, title_low: str, body_low: str) -> tuple | None:
    """A model term's first occurrence as evidence: in the title, else in the body."""
    for field, text, low in (("title", title, title_low), ("body", body, body_low)):
        span = term_span(term, low)
        if span:
            return text[span[0]:span[1]], field, span[0], span[1]
    return None


_PLACE_WORD_MEMORY = 50_000  # words whose place look-up is remembered (a few MB at most)


class Tagger:
    """Build once (data files are loaded and compiled on first use, then cached); call ``tag``."""

    def __init__(self, resources: Resources | None = None, topic_model: TopicModel | None | str = "packaged") -> None:
        """``topic_model``: the trained topic classifier ("packaged": the one in ``data/``, if built);
        None: topics from the word lists (``topic_lexicon*.tsv``), as before the model."""
        self.res = resources or load_resources()
        self.topic_model = load_packaged_model() if topic_model == "packaged" else topic_model
        self._topic_parent = {t.id: t.parent for t in self.res.topics.values()}
        self._topic_by_label = {t.label.lower(): t.id for t in self.res.topics.values()}
        self._topic_by_label.update({t.id: t.id for t in self.res.topics.values()})
        self._place_words: dict[str, bool] = {}  # _is_place_word's answers
        self._entity_plans: dict[str, tuple] = {}  # EntityCollector._plan's answers, by capitalised sequence
        self._town_plans: dict[str, tuple | None] = {}  # towns._run_plan's answers, by capitalised run

    def tag(self, article: NormalizedArticle) -> Tagging:
        st = _ArticleState(article, EntityCollector(self.res, self._entity_plans))
        self._dateline(article, st)
        for field, text, low in (("title", st.title, st.title_low), ("body", st.body, st.body_low)):
            self._scan_field(st, field, text, low)
        self._count_places(st)
        person_words = st.entities.person_words()
        self._deferred_places(st, person_words)
        self._towns(st, person_words)
        keyphrases: list[str] = []
        for i, ptag in enumerate(article.publisher_tags):
            self._publisher_tag(i, ptag, st.regions, st.topic_hits, st.topic_evidence, st.entities, keyphrases,
                                st.full_low)
        for credit in article.credits:
            st.entities.add_credit(credit)
        return self._tagging(st, keyphrases)

    def _dateline(self, article: NormalizedArticle, st: _ArticleState) -> None:
        """The dateline's region and town: the publisher's field, else one at the start of the body."""
        found = find_dateline(st.body)
        # A dateline kept in the body counts once, as the dateline, not again as a lead mention.
        st.dateline_end = found.end if found is not None else 0
        if article.dateline:
            self._dateline_regions(article.dateline, "dateline", 0, len(article.dateline), st.regions, st.full_low)
            st.cities.add(self._dateline_town(article.dateline.split(",")[0]))
        elif found is not None:
            self._dateline_regions(st.body, "body", found.start, found.end, st.regions, st.full_low)
            st.cities.add(self._dateline_town(found.place.split(",")[0]))

    def _scan_field(self, st: _ArticleState, field: str, text: str, low: str) -> None:
        """One matcher pass over a field: topic terms, places and known entities; then the
        capitalised names the matcher does not know."""
        in_title = field == "title"
        topic_factor = TITLE_WEIGHT if in_title else 1.0
        caps = in_title and text.isupper()
        # A topic term's mention counts for its topics, at most TERM_CAP times per term (inline: most
        # matches are topic terms, and a call per match cost more than the counting).
        term_counts, counted, topic_hits, sub_hits = st.term_counts, st.counted, st.topic_hits, st.sub_hits
        places_from = 0 if in_title else st.dateline_end
        for start, end, (topics, place, entity) in self.res.matcher.scan(text, low):
            if topics:
                term = low[start:end]
                n = term_counts.get(term, 0)
                if n < TERM_CAP:
                    term_counts[term] = n + 1
                    counted.append((topics, field, text, start, end))  # evidence, for the topics chosen
                    for topic_id, weight, up in topics:
                        hits = topic_hits if up else sub_hits
                        hits[topic_id] = hits.get(topic_id, 0.0) + weight * topic_factor
            if place is not None and start >= places_from and self._place_ok(
                    place, text, low, start, end, st, in_title, caps):
                st.places.append((place, field, text, low, start, end, in_title))
            if entity is not None and text[start].isupper() and (not entity[2] or text[start:end].isupper()):
                self._entity_mention(st, entity[1], field, text, start, end)
        if not text.isupper():  # an all-capitals title says nothing about what is a name
            # One scan for capitalised words, shared by the name finder and the town finder.
            st.runs[field] = runs = capitalised_runs(text)
            st.entities.extract(field, text, runs)

    def _count_places(self, st: _ArticleState) -> None:
        """The place mentions of both fields, but for a name the article shows to be a company's
        ("Santos Ltd <STOS.S> ..." makes "SANTOS BIDS FOR ..." and "Santos said" the company too)."""
        company = st.company_places
        for place, field, text, low, start, end, in_title in st.places:
            if not company or low[start:end] not in company or _LOCATIVE_BEFORE.search(low, max(0, start - 12), start):
                # "a plant in Texas" beside "Texas Instruments Inc" is still the place.
                self._place_mention(st, place, field, text, low, start, end, in_title)

    def _place_mention(self, st: _ArticleState, place: tuple, field: str, text: str, low: str, start: int,
                       end: int, in_title: bool) -> None:
        key = low[start:end]
        code = self._resolve_place(place, key, st.full_low) if key in self.res.ambiguity_rules else place[1]
        w, where = _where(in_title, start, st.lead_end)
        weight = w * KIND_FACTOR.get(place[2], 1.0)
        if where == "title" and place[2] in WEAK_TITLE_KINDS:
            where = "title-weak"
        if key in self.res.name_like:
            # "Jordan": decided once the article's people are known (``_deferred_places``).
            st.deferred.append((code, weight, where, field, text, start, end, place[2]))
            return
        self._add_region(st.regions, code, weight, where, field, text, start, end)
        if place[2] in CITY_KINDS:
            st.cities.add(slugify(text[start:end]))

    def _entity_mention(self, st: _ArticleState, entity_id: str, field: str, text: str, start: int, end: int) -> None:
        st.entities.add_known(entity_id, field, text, start, end)
        known = self.res.entities[entity_id]
        if known.region:  # "Bundesbank" hints at DE, never more
            self._add_region(st.regions, known.region, W_ENTITY_REGION, "other", field, text, start, end,
                             evidence=False)

    def _deferred_places(self, st: _ArticleState, person_words: frozenset[str]) -> None:
        """Name-like places, unless a person of the article bears the name ("Vernon Jordan ... Jordan said")."""
        for code, w, where, field, text, start, end, kind in st.deferred:
            if text[start:end] in person_words:
                continue
            self._add_region(st.regions, code, w, where, field, text, start, end)
            if kind in CITY_KINDS:
                st.cities.add(slugify(text[start:end]))

    def _tagging(self, st: _ArticleState, keyphrases: list[str]) -> Tagging:
        """The items, built once from what the article gathered, and the flat tag list."""
        region_items = self._region_items(st.regions)
        lexicon = self._topic_items(st.topic_hits, st.sub_hits, st.counted, st.topic_evidence,
                                    len(st.body) + len(st.title))
        if self.topic_model is None:
            topic_items = [_topic_item(*t) for t in lexicon]
        else:
            topic_items = self._model_topics(st.title, st.body, st.title_low, st.body_low, st.topic_evidence, lexicon)
        entity_items = st.entities.items()
        st.cities.update(st.entities.places)
        tags = {i.tag for i in region_items}
        tags.update(i.tag for i in topic_items)
        tags.update(i.tag for i in entity_items)
        tags.update(f"keyphrase:{k}" for k in keyphrases)
        tags.update(f"place:{place_slug(c)}" for c in st.cities if c)
        return Tagging(topics=topic_items, regions=region_items, entities=entity_items, tags=sorted(tags))

    # -- regions --------------------------------------------------------------------------------

    def _towns(self, st: _ArticleState, person_words: frozenset[str]) -> None:
        """Small US towns, with a state cue (see ``towns.py``): "Salisbury, N.C." adds its state.
        A town in a dateline kept in the body was counted as the dateline."""
        regions, cities, lead_end = st.regions, st.cities, st.lead_end
        states = {code for code in regions if code.startswith("US-")}
        found = []
        for field, text in (("title", st.title), ("body", st.body)):
            if text and not text.isupper():
                found.extend((field, text, t) for t in find_towns(self.res, text, field == "title", st.runs[field], self._town_plans)
                             if field == "title" or t.start >= st.dateline_end)
        for field, text, town in found:
            if town.strong:
                w, where = _where(field == "title", town.start, lead_end)
                self._add_region(regions, town.state, w * KIND_FACTOR["city"], where, field, text, town.start, town.end)
                states.add(town.state)
        # A sizeable town needs no state cue unless the article is about somewhere else entirely.
        known_town = not regions or "US" in regions
        for field, text, town in found:
            if not town.strong and town.name in person_words:
                continue  # "James Graham ... police are looking for Graham": the person, not Graham, N.C.
            if (town.strong or states & self.res.us_towns.get(town.name, frozenset())
                    or (known_town and self.res.us_town_population.get(town.name, 0) >= TOWN_WITHOUT_STATE_POPULATION)):
                cities.add(slugify(town.name))

    def _dateline_town(self, name: str) -> str:
        """The dateline's town as a place slug; "" for a sentence word ("UPDATE:", "BREAKING:")."""
        words = name.split()
        if len(words) == 1 and words[0].capitalize() in self.res.cues["lead_words"]:
            return ""
        return slugify(name)

    def _place_ok(self, p: tuple, text: str, low: str, start: int, end: int, st: _ArticleState, in_title: bool,
                  caps: bool) -> bool:
        """Whether a gazetteer match names the place here, not a word, a ticker, a person, a street
        or a company that bears its name."""
        if not self._written_as_place(p, text, start, end):
            return False
        key = low[start:end]
        rule = self.res.ambiguity_rules.get(key)
        if rule and "veto" in rule and any(c in st.full_low for c in rule["veto"]):
            return False  # a cue word says the name means something else here
        name_like = key in self.res.name_like
        # "Bank of Tokyo Ltd" is named after its home, not a company that merely bears a place's name.
        if ((name_like or p[2] in COMPANY_PLACE_KINDS) and low[start - 3:start] != "of "
                and self._starts_company_name(text, end)):
            st.company_places.add(key)
            return False
        return not (self._after_name_word(p, text, start, end, caps)
                    or self._in_street_name(text, end)
                    or (name_like and not in_title and (_capitalised_after(text, end) or self._particle_after(text, end)))
                    or self._half_of_hyphenated(text, start, end, caps)
                    or self._names_currency(p, low, end)
                    or self._names_language(p, low, end))

    def _particle_after(self, text: str, end: int) -> bool:
        """"Van der Klugt", "Van den Berg": a surname's particle, then a capitalised word."""
        m = _PARTICLE.match(text, end)
        return m is not None and m.group(1) in self.res.cues["name_particles"]

    def _names_language(self, p: tuple, low: str, end: int) -> bool:
        """"an English-language daily", "French speakers": a language, not a people."""
        if p[2] != "demonym" or low[end:end + 1] not in (" ", "-"):
            return False
        return _next_word_in(low, end + 1, self.res.cues["language_words"])

    def _names_currency(self, p: tuple, low: str, end: int) -> bool:
        """"Canadian dlr bond", "U.S. dollar": a currency; "the Paris Club", "the Paris agreement":
        a body or an agreement named after a city. Neither is the story's place."""
        if low[end:end + 1] != " ":
            return False
        if p[2] in ("country", "variant", "demonym"):
            words = self.res.cues["currency_words"]
        elif p[2] in CITY_KINDS:
            words = self.res.cues["named_after_words"]
        else:
            return False
        return _next_word_in(low, end + 1, words)

    @staticmethod
    def _written_as_place(p: tuple, text: str, start: int, end: int) -> bool:
        first = text[start]
        if first.isalpha() and not first.isupper():
            return False  # "turkey", "chad": places are proper nouns
        if p[3] and not text[start:end].isupper():
            return False  # acronyms must be in capitals: "US", not "us"
        if start and text[start - 1] == "<" and text[end:end + 1] == ">":
            return False  # a ticker symbol: "Union Carbide Corp <UK>"
        # "Ill." only as in "SPRINGFIELD, Ill.", not "Miss. Smith".
        return p[2] != "abbrev" or text[start - 2:start] == ", "

    def _after_name_word(self, p: tuple, text: str, start: int, end: int, caps: bool) -> bool:
        """Part of a person's name ("Michael Jordan", "George Washington") or of a town's name
        ("Upper Arlington", Ohio, is not Arlington, Texas)."""
        if start < 2 or text[start - 1] != " ":
            return False
        prev = text[text.rfind(" ", max(0, start - 30), start - 1) + 1:start - 1]
        if prev in self.res.first_names and not caps:
            return True
        return p[2] in CITY_KINDS and prev[:1].isupper() and f"{prev} {text[start:end]}" in self.res.us_towns

    def _in_street_name(self, text: str, end: int) -> bool:
        """"Madrid Drive", "Van Wedding Road": part of a street or venue name."""
        following = _FOLLOWING_CAPITALISED.match(text, end) if text[end:end + 1] == " " else None
        if not following:
            return False
        last, tails = following.group().rsplit(" ", 1)[-1], self.res.cues["street_tails"]
        return last in tails or last.rstrip(".,") in tails  # "Road." ends a sentence

    def _half_of_hyphenated(self, text: str, start: int, end: int, caps: bool) -> bool:
        """"Flexi-Van", "Georgia-Pacific": half of a hyphenated name ("Iraq-Turkey", "Anglo-French" stay)."""
        if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
            # The word before the hyphen, looked for in the 64 characters before it: a search from 0 tried
            # every earlier position, quadratic over a long hyphenated run ("Korea-Russia-" * 70,000).
            left = _WORD_BEFORE.search(text, max(0, start - 65), start - 1)
            if (left and not self._is_place_word(left.group())
                    and fold(left.group()) not in self.res.cues["combining_forms"]):
                return True
        if text[end:end + 1] == "-" and text[end + 1:end + 2].isupper() and not caps:  # not "U.S.-made"
            right = _WORD_AT.match(text, end + 1)
            if right and not self._is_place_word(right.group()):
                return True
        return False

    def _starts_company_name(self, text: str, end: int) -> bool:
        """"Georgia Gulf <GGLF>", "VAN DORN CO": a company's tail word or ticker among the next words."""
        if text[end:end + 1] != " ":
            return False
        tails = self.res.cues["company_tails"]
        for word in _FOLLOWING_WORDS.match(text, end).group().split():
            if word[0] == "<" or word.lower().rstrip(",;:") in tails:  # "Ltd," ends a clause
                return True
            if not word[0].isupper():
                break
        return False

    def _is_place_word(self, word: str) -> bool:
        # Remembered per word: a long hyphenated run ("Korea-Russia-" * 70,000) asks about the same two
        # words at every mention, and the look-up (fold, split, join) was most of its tagging time.
        known = self._place_words.get(word)
        if known is None:
            value = self.res.matcher.lookup(word)
            known = bool(value and value[1] is not None)
            if len(self._place_words) >= _PLACE_WORD_MEMORY:
                self._place_words.clear()
            self._place_words[word] = known
        return known

    def _resolve_place(self, p: tuple, key: str, full_low: str) -> str:
        rule = self.res.ambiguity_rules.get(key)
        if rule and "alt" in rule and any(c in full_low for c in rule["cues"]):
            return rule["alt"]
        return p[1]

    def _dateline_regions(self, text: str, field: str, start: int, end: int, regions: dict, full_low: str) -> None:
        """The dateline's place; a state or country in it ("PORTLAND, Ore.") beats a city name."""
        span = text[start:end]
        best = None
        comma = span.find(", ")  # "NEW BRITAIN, Conn.": what follows the comma says where the town is
        state = self.res.us_state_pattern.match(span, comma + 2) if comma >= 0 else None
        if state is not None:  # "RIPLEY, W. Va.", "NORTH DIGHTON, MA."
            s, e = comma + 2, state.end()
            self._add_region(regions, self.res.us_states[state.group()], W_DATELINE, "dateline", field, text,
                             start + s, start + e)
            return
        for s, e, (_, place, _) in self.res.matcher.scan(span):
            if place is None or (place[2] == "abbrev" and span[s - 2:s] != ", "):
                continue  # "LA PAZ" is not Louisiana
            rank = 2 if place[2] in ("city", "capital", "demonym") else 0 if 0 <= comma < s else 1
            if best is None or rank < best[0]:
                best = (rank, place, s, e)
        if best is not None:
            _, place, s, e = best
            code = self._resolve_place(place, fold(span[s:e]), full_low)
            self._add_region(regions, code, W_DATELINE, "dateline", field, text, start + s, start + e)
            return
        # A town the gazetteer does not know: the larger dateline-only table.
        name = span.split(",")[0].strip()
        code = self._dateline_place_code(name) if name else None
        if code:
            s = text.find(name, start)
            self._add_region(regions, code, W_DATELINE, "dateline", field, text, s, s + len(name))

    def _dateline_place_code(self, name: str) -> str | None:
        """A dateline town outside the gazetteer: the larger table, else a US town of 1,000+ people
        ("VALLEY FORGE", "ST. PAUL" spelt "Saint Paul"; its state if only one has such a town):
        a wire's home-country datelines often leave the state out."""
        key = " ".join(fold(name).split())
        code = self.res.dateline_places.get(key)
        if code:
            return code
        town = " ".join(w.capitalize() for w in key.split())
        for short, full in (("St. ", "Saint "), ("St ", "Saint "), ("Mt. ", "Mount "), ("Mt ", "Mount "), ("Ft. ", "Fort "),
                            ("Ft ", "Fort ")):
            if town.startswith(short) and town not in self.res.us_towns:
                town = full + town[len(short):]
        states = self.res.us_towns.get(town)
        if states:
            return next(iter(states)) if len(states) == 1 else "US"
        return None

    @staticmethod
    def _add_region(regions: dict, code: str, weight: float, where: str, field: str, text: str,
                    start: int, end: int, evidence: bool = True) -> None:
        """``where``: dateline, title, lead (first paragraph), body or other (tags, entities)."""
        for c in (code, "US") if code.startswith("US-") else (code,):
            acc = regions.get(c)
            if acc is None:
                acc = regions[c] = _RegionAcc()
            acc.weight += weight
            if where == "dateline":
                acc.dateline = True
            elif where == "title":
                acc.title += 1
            elif where == "title-weak":
                acc.title += 1
                acc.title_weak += 1
            elif where == "lead":
                acc.lead += 1
                acc.body += 1
            elif where == "body":
                acc.body += 1
            if evidence and len(acc.evidence) < MAX_EVIDENCE:
                acc.evidence.append((text[start:end], field, start, end))

    @staticmethod
    def _is_primary(acc: _RegionAcc, top: float, many: bool = False) -> bool:
        """What the story is about: its dateline, its title, or named early and often; in a story
        naming many countries (``many``), each it gives a fair share of the weight."""
        if acc.dateline or acc.title > acc.title_weak or (acc.title and acc.body):
            return True
        if acc.lead and acc.weight >= PRIMARY_LEAD_SHARE * top:
            return True
        if many and acc.weight >= PRIMARY_MANY_SHARE * top:
            return True
        return acc.body >= PRIMARY_MIN_MENTIONS and acc.weight >= PRIMARY_MENTIONS_SHARE * top

    def _region_items(self, regions: dict[str, _RegionAcc]) -> list[TagItem]:
        if not regions:
            return []
        known = self.res.regions
        top = max(a.weight for a in regions.values())
        countries = sum(1 for code in regions if code in known and known[code].kind in ("country", "historic"))
        many = countries >= PRIMARY_MANY_COUNTRIES
        primaries = {code for code, acc in regions.items() if self._is_primary(acc, top, many)}
        if not primaries:
            # A story is about somewhere: with no strong signal, the best-supported place.
            primaries.add(max(regions, key=lambda c: (regions[c].weight, c)))
        items = []
        subregions: dict[str, list] = {}
        for code, acc in regions.items():
            info = known.get(code)
            label = info.label if info else code
            kind = info.kind if info else ("subdivision" if "-" in code else "country")
            primary = code in primaries
            score = round(1.0 - math.exp(-acc.weight / 2.5), 3)
            items.append(tag_item(code, f"region:{code}", label, score, kind, primary, acc.evidence))
            if info and info.subregion and kind in ("country", "historic"):
                cur = subregions.get(info.subregion)
                if cur is None:
                    subregions[info.subregion] = [score, primary]
                else:
                    cur[0] = max(cur[0], score)
                    cur[1] = cur[1] or primary
        for slug, (score, primary) in subregions.items():
            info = known.get(slug)
            items.append(tag_item(slug, f"region:{slug}", info.label if info else slug, score, "subregion", primary))
        items.sort(key=lambda i: (not i.primary, -i.score, i.id))
        return items

    # -- topics ---------------------------------------------------------------------------------

    def _topic_items(self, hits: dict[str, float], sub_hits: dict[str, float], counted: list[tuple],
                     publisher_evidence: dict[str, list], n_chars: int) -> list[tuple]:
        """Topics from the word lists, as ``(id, label, score, kind, evidence)`` by score: plain
        tuples, made into items only when the word lists decide (no trained model)."""
        if not hits:
            return []
        parent_of = self._topic_parent
        totals: dict[str, float] = dict(hits)
        for topic_id, value in hits.items():
            parent = parent_of.get(topic_id)
            if parent:
                totals[parent] = totals.get(parent, 0.0) + value
        for topic_id, value in sub_hits.items():
            totals[topic_id] = totals.get(topic_id, 0.0) + value
        # Density against length (words ~ chars / 6), softened so long articles are not punished.
        norm = math.sqrt(1.0 + n_chars / 6 / 150)
        topics = self.res.topics
        scores = {t: topics[t].prior * (v / norm) / (v / norm + TOPIC_HALF_SCORE) for t, v in totals.items()}
        top_level = {t: s for t, s in scores.items() if not parent_of.get(t)}
        best = max(top_level.values())
        chosen = {t for t, s in top_level.items() if s >= TOPIC_MIN_SCORE and s >= TOPIC_RELATIVE * best}
        if not chosen:
            chosen = {max(top_level, key=top_level.get)}
        selected = []
        for t, s in scores.items():
            parent = parent_of.get(t)
            if (parent is None and t in chosen) or (parent in chosen and s >= SUBTOPIC_MIN_SCORE):
                selected.append((t, s, parent))
        evidence = self._topic_evidence(selected, counted)
        items = [(t, self.res.topics[t].label, round(s, 3), "sub" if parent else "top",
                  evidence[t] + publisher_evidence.get(t, [])) for t, s, parent in selected]
        items.sort(key=lambda i: (-i[2], i[0]))
        return items

    def _model_topics(self, title: str, body: str, title_low: str, body_low: str,
                      publisher_evidence: dict[str, list], lexicon: list[tuple]) -> list[TagItem]:
        """Topics from the trained classifier: calibrated probabilities, no topic below its floor,
        evidence from the terms that weigh most (a topic without any is dropped). A sub-topic the
        word lists find under a topic the model chose is kept too, with the model's probability
        and the word lists' evidence: the labelled corpora teach most sub-topics thinly."""
        scores = self.topic_model.score(title_low, body_low)
        probs = scores.probs.tolist()  # Python floats (exact): no numpy scalar per class
        chosen = self._model_top_topics(probs, publisher_evidence)
        selected = dict(chosen)
        selected.update(self._model_subtopics(probs, chosen))
        listed = self._listed_subtopics(probs, chosen, selected, lexicon)
        selected.update((t, p) for t, (p, _) in listed.items())
        items = []
        spans: dict[str, tuple | None] = {}  # a term's first span, shared by a topic and its sub-topics
        for t, p in selected.items():
            evidence = list(publisher_evidence.get(t, ()))
            if t in listed:
                evidence += listed[t][1]
            elif t in self.topic_model.class_index:
                evidence += self._term_evidence(scores, t, spans, title, body, title_low, body_low)
            if evidence:  # no topic ships without evidence
                kind = "sub" if self._topic_parent.get(t) else "top"
                items.append(_topic_item(t, self.res.topics[t].label, round(p, 3), kind, evidence[:MAX_EVIDENCE + 1]))
        # A sub-topic whose parent was dropped (no evidence) goes too.
        kept = {i.id for i in items}
        items = [i for i in items if i.kind == "top" or self._topic_parent[i.id] in kept]
        items.sort(key=lambda i: (i.kind != "top", -i.score, i.id))
        return items

    def _model_top_topics(self, probs: list[float], publisher_evidence: dict[str, list]) -> dict[str, float]:
        """The best top-level topic if it reaches the model's floor, any other one above
        MODEL_MULTI_MIN, and the publisher's own topic labels whatever the model says."""
        model, parent_of = self.topic_model, self._topic_parent
        top = [(probs[i], c) for i, c in enumerate(model.classes) if not parent_of.get(c)]
        chosen: dict[str, float] = {}
        if top:
            best_p, best = max(top)
            if best_p >= model.floor:
                chosen = {c: p for p, c in top if c == best or p >= MODEL_MULTI_MIN}
        for t in publisher_evidence:
            if not parent_of.get(t):
                i = model.class_index.get(t)
                chosen[t] = max(chosen.get(t, 0.0), probs[i] if i is not None else 0.0, PUBLISHER_TOPIC_P)
        return chosen

    def _model_subtopics(self, probs: list[float], chosen: dict[str, float]) -> dict[str, float]:
        """The model's sub-topics of a chosen topic at MODEL_SUB_MIN or more."""
        parent_of = self._topic_parent
        return {c: probs[i] for i, c in enumerate(self.topic_model.classes)
                if parent_of.get(c) in chosen and probs[i] >= MODEL_SUB_MIN}

    def _listed_subtopics(self, probs: list[float], chosen: dict[str, float], selected: dict[str, float],
                          lexicon: list[tuple]) -> dict[str, tuple[float, list]]:
        """Sub-topics the word lists found under a chosen topic that the model did not select:
        ``id -> (probability, word-list evidence)``; the word lists' score when the model has no such class."""
        listed = {}
        for t, _, score, kind, evidence in lexicon:
            if kind == "sub" and t not in selected and self._topic_parent[t] in chosen:
                i = self.topic_model.class_index.get(t)
                listed[t] = (probs[i] if i is not None else score, evidence)
        return listed

    def _term_evidence(self, scores, topic: str, spans: dict, title: str, body: str, title_low: str,
                       body_low: str) -> list[tuple]:
        """Where the terms that add most to the topic's score stand in the title or body."""
        out = []
        for term in self.topic_model.strongest_terms(scores, topic):
            if term not in spans:
                spans[term] = _first_span(term, title, body, title_low, body_low)
            if spans[term]:
                out.append(spans[term])
        return out

    @staticmethod
    def _topic_evidence(selected: list[tuple], counted: list[tuple]) -> dict[str, list]:
        """The first MAX_EVIDENCE counted mentions of each selected topic's terms, in text order.

        Gathered only for the few topics kept, rather than for every topic at every mention."""
        evidence: dict[str, list] = {t: [] for t, _, _ in selected}
        open_topics = len(evidence)
        for topics, field, text, start, end in counted:
            if not open_topics:
                break
            for topic_id, _, _ in topics:
                ev = evidence.get(topic_id)
                if ev is not None and len(ev) < MAX_EVIDENCE:
                    ev.append((text[start:end], field, start, end))
                    if len(ev) == MAX_EVIDENCE:
                        open_topics -= 1
        return evidence

    # -- publisher tags -------------------------------------------------------------------------

    def _publisher_tag(self, index: int, ptag: str, regions: dict, topic_hits: dict, topic_evidence: dict,
                       entities: EntityCollector, keyphrases: list[str], full_low: str) -> None:
        text = ptag.strip()
        if not text:
            return
        value = self.res.matcher.lookup(text)
        _, place, entity = value if value else ((), None, None)
        if place is not None and place[2] != "abbrev":
            code = self._resolve_place(place, fold(text), full_low)
            self._add_region(regions, code, W_PUBLISHER_TAG, "other", "publisher_tags", ptag, 0, 0, evidence=False)
            acc = regions[code]
            if len(acc.evidence) < MAX_EVIDENCE:
                acc.evidence.append((ptag, "publisher_tags", index, index + 1))
        if entity is not None:
            entities.add_known(entity[1], "publisher_tags", ptag, index, index + 1, whole=True)
        if place is not None or entity is not None:
            return
        topic_id = self._topic_by_label.get(text.lower())
        if topic_id:
            topic_hits[topic_id] = topic_hits.get(topic_id, 0.0) + W_PUBLISHER_TOPIC
            topic_evidence.setdefault(topic_id, []).append((ptag, "publisher_tags", index, index + 1))
            return
        slug = slugify(text)
        if slug:
            keyphrases.append(slug)
