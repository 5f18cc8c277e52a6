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
CITY_KINDS = ("city", "capital")
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
    __slots__ = ("weight", "dateline", "title", "lead", "body", "evidence")

    def __init__(self) -> None:
        self.weight = 0.0
        self.dateline = False
        self.title = 0
        self.lead = 0  # mentions in the first paragraph
        self.body = 0  # mentions anywhere in the body
        self.evidence: list[tuple[str, str, int, int]] = []


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

    def tag(self, article: NormalizedArticle) -> Tagging:
        res = self.res
        title = article.title or ""
        body = article.body or ""
        title_low = fold(title)
        body_low = fold(body)
        full_low = title_low + "  " + body_low

        regions: dict[str, _RegionAcc] = {}
        topic_hits: dict[str, float] = {}  # count for the topic and its parent
        sub_hits: dict[str, float] = {}  # count for the sub-topic only
        counted: list[tuple] = []  # (topics, field, text, start, end) of the term mentions that count
        topic_evidence: dict[str, list] = {}  # publisher tags naming a topic
        term_counts: dict[str, int] = {}
        entities = EntityCollector(res)
        ambiguity = res.ambiguity_rules
        cities: set[str] = set()  # place:<slug> tags: the dateline town and the cities named

        found = find_dateline(body)
        # A dateline kept in the body counts once, as the dateline, not again as a lead mention.
        dateline_end = found.end if found is not None else 0
        if article.dateline:
            self._dateline_regions(article.dateline, "dateline", 0, len(article.dateline), regions, full_low)
            cities.add(self._dateline_town(article.dateline.split(",")[0]))
        elif found is not None:
            self._dateline_regions(body, "body", found.start, found.end, regions, full_low)
            cities.add(self._dateline_town(found.place.split(",")[0]))

        lead_end = body.find("\n\n")
        if lead_end < 0:
            lead_end = len(body)

        scan = res.matcher.scan
        place_ok = self._place_ok
        add_region = self._add_region
        known_entities = res.entities
        count_of = term_counts.get
        lexicon_topics = self.topic_model is None
        name_like = res.name_like
        deferred: list[tuple] = []  # name-like places ("Jordan"): not a place when a person of the article bears the name
        for field, text, low in (("title", title, title_low), ("body", body, body_low)):
            in_title = field == "title"
            topic_factor = TITLE_WEIGHT if in_title else 1.0
            caps = in_title and text.isupper()
            for start, end, (topics, place, entity) in scan(text, low):
                if topics:
                    term = low[start:end]
                    n = count_of(term, 0)
                    if n < TERM_CAP:
                        term_counts[term] = n + 1
                        counted.append((topics, field, text, start, end))  # evidence, for the topics chosen
                        for topic_id, weight, up in topics:
                            hits = topic_hits if up else sub_hits
                            hits[topic_id] = hits.get(topic_id, 0.0) + weight * topic_factor
                    if place is None and entity is None:
                        continue
                if place is not None and (in_title or start >= dateline_end) and place_ok(
                        place, text, low, start, end, full_low, in_title, caps):
                    key = low[start:end]
                    code = self._resolve_place(place, key, full_low) if key in ambiguity else place[1]
                    if in_title:
                        w, where = W_TITLE, "title"
                    elif start < lead_end:
                        w, where = W_LEAD, "lead"
                    else:
                        w, where = W_BODY, "body"
                    if key in name_like:  # decided once the article's people are known
                        deferred.append((code, w * KIND_FACTOR.get(place[2], 1.0), where, field, text, start, end, place[2]))
                        continue
                    add_region(regions, code, w * KIND_FACTOR.get(place[2], 1.0), where, field, text, start, end)
                    if place[2] in CITY_KINDS:
                        cities.add(slugify(text[start:end]))
                if entity is not None and text[start].isupper() and (not entity[2] or text[start:end].isupper()):
                    entities.add_known(entity[1], field, text, start, end)
                    known = known_entities[entity[1]]
                    if known.region:
                        add_region(regions, known.region, W_ENTITY_REGION, "other", field, text, start, end,
                                   evidence=False)
            if not text.isupper():  # an all-capitals title says nothing about what is a name
                entities.extract(field, text)

        person_words = entities.person_words()
        for code, w, where, field, text, start, end, kind in deferred:
            if text[start:end] in person_words:
                continue  # "Vernon Jordan ... Jordan said"
            add_region(regions, code, w, where, field, text, start, end)
            if kind in CITY_KINDS:
                cities.add(slugify(text[start:end]))
        self._towns(title, body, lead_end, regions, cities, person_words, dateline_end)

        keyphrases: list[str] = []
        for i, ptag in enumerate(article.publisher_tags):
            self._publisher_tag(i, ptag, regions, topic_hits, topic_evidence, entities, keyphrases, full_low)
        for credit in article.credits:
            entities.add_credit(credit)

        region_items = self._region_items(regions)
        if lexicon_topics:
            topic_items = self._topic_items(topic_hits, sub_hits, counted, topic_evidence, len(body) + len(title))
        else:
            lexicon = self._topic_items(topic_hits, sub_hits, counted, topic_evidence, len(body) + len(title))
            topic_items = self._model_topics(title, body, title_low, body_low, topic_evidence, lexicon)
        entity_items = entities.items()
        cities.update(entities.places)
        tags = {i.tag for i in region_items}
        tags.update(i.tag for i in topic_items)
        tags.update(i.tag for i in entity_items)
        tags.update(f"keyphrase:{k}" for k in keyphrases)
        tags.update(f"place:{place_slug(c)}" for c in cities if c)
        return Tagging(topics=topic_items, regions=region_items, entities=entity_items, tags=sorted(tags))

    # -- regions --------------------------------------------------------------------------------

    def _towns(self, title: str, body: str, lead_end: int, regions: dict, cities: set[str],
               person_words: frozenset[str] = frozenset(), dateline_end: int = 0) -> None:
        """Small US towns, with a state cue (see ``towns.py``): "Salisbury, N.C." adds its state.
        A town in a dateline kept in the body was counted as the dateline."""
        states = {code for code in regions if code.startswith("US-")}
        found = []
        for field, text in (("title", title), ("body", body)):
            if text and not text.isupper():
                found.extend((field, text, t) for t in find_towns(self.res, text, field == "title")
                             if field == "title" or t.start >= dateline_end)
        for field, text, town in found:
            if town.strong:
                if field == "title":
                    w, where = W_TITLE, "title"
                elif town.start < lead_end:
                    w, where = W_LEAD, "lead"
                else:
                    w, where = W_BODY, "body"
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

    def _place_ok(self, p: tuple, text: str, low: str, start: int, end: int, full_low: str, in_title: bool,
                  caps: bool) -> bool:
        first = text[start]
        if first.isalpha() and not first.isupper():
            return False  # "turkey", "chad": places are proper nouns
        if p[3] and not text[start:end].isupper():
            return False  # acronyms must be in capitals: "US", not "us"
        if start and text[start - 1] == "<" and text[end:end + 1] == ">":
            return False  # a ticker symbol: "Union Carbide Corp <UK>"
        if p[2] == "abbrev" and text[start - 2:start] != ", ":
            return False  # "Ill." only as in "SPRINGFIELD, Ill.", not "Miss. Smith"
        key = low[start:end]
        rule = self.res.ambiguity_rules.get(key)
        if rule and "veto" in rule and any(c in full_low for c in rule["veto"]):
            return False
        # Part of a person's name: "Michael Jordan", "George Washington".
        if start >= 2 and text[start - 1] == " ":
            prev = text[text.rfind(" ", max(0, start - 30), start - 1) + 1:start - 1]
            if prev in self.res.first_names and not caps:
                return False
            # Part of a town's name: "Upper Arlington" (Ohio) is not Arlington (Texas).
            if p[2] in CITY_KINDS and prev[:1].isupper() and f"{prev} {text[start:end]}" in self.res.us_towns:
                return False
        # "Madrid Drive", "Van Wedding Road": part of a street or venue name.
        following = _FOLLOWING_CAPITALISED.match(text, end) if text[end:end + 1] == " " else None
        if following:
            last, tails = following.group().rsplit(" ", 1)[-1], self.res.cues["street_tails"]
            if last in tails or last.rstrip(".,") in tails:  # "Road." ends a sentence
                return False
        # "Chad Johnson", "Jordan Henderson": a name-like place followed by a capitalised word.
        name_like = key in self.res.name_like
        if (name_like and not in_title and end + 1 < len(text) and text[end] == " " and text[end + 1].isupper()):
            return False
        # "Flexi-Van", "Georgia-Pacific": half of a hyphenated name ("Iraq-Turkey", "Anglo-French" stay).
        if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
            # The word before the hyphen, looked for in the 64 characters before it: a search from 0 tried
            # every earlier position, quadratic over a long hyphenated run ("Korea-Russia-" * 70,000).
            left = _WORD_BEFORE.search(text, max(0, start - 65), start - 1)
            if left and not self._is_place_word(left.group()) and fold(left.group()) not in self.res.cues["combining_forms"]:
                return False
        if text[end:end + 1] == "-" and text[end + 1:end + 2].isupper() and not caps:  # not "U.S.-made"
            right = _WORD_AT.match(text, end + 1)
            if right and not self._is_place_word(right.group()):
                return False
        # "Georgia Gulf <GGLF>", "VAN DORN CO": a name-like place that begins a company's name.
        if name_like and text[end:end + 1] == " ":
            tails = self.res.cues["company_tails"]
            for word in _FOLLOWING_WORDS.match(text, end).group().split():
                if word[0] == "<" or word.lower() in tails:
                    return False
                if not word[0].isupper():
                    break
        return True

    def _is_place_word(self, word: str) -> bool:
        value = self.res.matcher.lookup(word)
        return bool(value and value[1] is not None)

    def _resolve_place(self, p: tuple, key: str, full_low: str) -> str:
        rule = self.res.ambiguity_rules.get(key)
        if rule and "alt" in rule and any(c in full_low for c in rule["cues"]):
            return rule["alt"]
        return p[1]

    def _dateline_regions(self, text: str, field: str, start: int, end: int, regions: dict, full_low: str) -> None:
        """The dateline's place; a state or country in it ("PORTLAND, Ore.") beats a city name."""
        span = text[start:end]
        best = None
        for s, e, (_, place, _) in self.res.matcher.scan(span):
            if place is None or (place[2] == "abbrev" and span[s - 2:s] != ", "):
                continue  # "LA PAZ" is not Louisiana
            rank = 1 if place[2] in ("city", "capital", "demonym") else 0
            if best is None or rank < best[0]:
                best = (rank, place, s, e)
        if best is not None:
            _, place, s, e = best
            code = self._resolve_place(place, fold(span[s:e]), full_low)
            self._add_region(regions, code, W_DATELINE, "dateline", field, text, start + s, start + e)
            return
        # A town the gazetteer does not know: the larger dateline-only table.
        name = span.split(",")[0].strip()
        code = self.res.dateline_places.get(" ".join(fold(name).split())) if name else None
        if code:
            s = text.find(name, start)
            self._add_region(regions, code, W_DATELINE, "dateline", field, text, s, s + len(name))

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
            elif where == "lead":
                acc.lead += 1
                acc.body += 1
            elif where == "body":
                acc.body += 1
            if evidence and len(acc.evidence) < MAX_EVIDENCE:
                acc.evidence.append((text[start:end], field, start, end))

    @staticmethod
    def _is_primary(acc: _RegionAcc, top: float) -> bool:
        """What the story is about: its dateline, its title, or named early and often."""
        if acc.dateline or acc.title:
            return True
        if acc.lead and acc.weight >= PRIMARY_LEAD_SHARE * top:
            return True
        return acc.body >= PRIMARY_MIN_MENTIONS and acc.weight >= PRIMARY_MENTIONS_SHARE * top

    def _region_items(self, regions: dict[str, _RegionAcc]) -> list[TagItem]:
        if not regions:
            return []
        known = self.res.regions
        top = max(a.weight for a in regions.values())
        primaries = {code for code, acc in regions.items() if self._is_primary(acc, top)}
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
                     publisher_evidence: dict[str, list], n_chars: int) -> list[TagItem]:
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
        items = []
        for t, s, parent in selected:
            topic = self.res.topics[t]
            items.append(tag_item(t, f"topic:{t}", topic.label, round(s, 3), "sub" if parent else "top",
                                  evidence=evidence[t] + publisher_evidence.get(t, [])))
        items.sort(key=lambda i: (-i.score, i.id))
        return items

    def _model_topics(self, title: str, body: str, title_low: str, body_low: str,
                      publisher_evidence: dict[str, list], lexicon: list[TagItem]) -> list[TagItem]:
        """Topics from the trained classifier: calibrated probabilities, no topic below its floor,
        evidence from the terms that weigh most (a topic without any is dropped). A sub-topic the
        word lists find under a topic the model chose is kept too, with the model's probability
        and the word lists' evidence: the labelled corpora teach most sub-topics thinly."""
        model = self.topic_model
        scores = model.score(title_low, body_low)
        probs = scores.probs
        parent_of = self._topic_parent
        top = [(float(probs[i]), c) for i, c in enumerate(model.classes) if not parent_of.get(c)]
        chosen: dict[str, float] = {}
        if top:
            best_p, best = max(top)
            if best_p >= model.floor:
                chosen = {c: p for p, c in top if c == best or p >= MODEL_MULTI_MIN}
        for t in publisher_evidence:  # the publisher's own topic label is kept whatever the model says
            if not parent_of.get(t):
                i = model.class_index.get(t)
                chosen[t] = max(chosen.get(t, 0.0), float(probs[i]) if i is not None else 0.0, PUBLISHER_TOPIC_P)
        selected = dict(chosen)
        for i, c in enumerate(model.classes):
            parent = parent_of.get(c)
            if parent and parent in chosen and probs[i] >= MODEL_SUB_MIN:
                selected[c] = float(probs[i])
        listed = {}
        for item in lexicon:
            if item.kind == "sub" and item.id not in selected and parent_of[item.id] in chosen:
                i = model.class_index.get(item.id)
                selected[item.id] = float(probs[i]) if i is not None else item.score
                listed[item.id] = [(e.text, e.field, e.start, e.end) for e in item.evidence]
        items = []
        spans: dict[str, tuple | None] = {}  # a term's first span, shared by a topic and its sub-topics
        for t, p in selected.items():
            evidence = list(publisher_evidence.get(t, ())) + listed.get(t, [])
            if t in model.class_index and t not in listed:
                for term in model.strongest_terms(scores, t):
                    if term not in spans:
                        spans[term] = None
                        for field, text, low in (("title", title, title_low), ("body", body, body_low)):
                            span = term_span(term, low)
                            if span:
                                spans[term] = (text[span[0]:span[1]], field, span[0], span[1])
                                break
                    if spans[term]:
                        evidence.append(spans[term])
            if not evidence:
                continue  # no topic ships without evidence
            parent = parent_of.get(t)
            items.append(tag_item(t, f"topic:{t}", self.res.topics[t].label, round(p, 3), "sub" if parent else "top",
                                  evidence=evidence[:MAX_EVIDENCE + 1]))
        kept = {i.id for i in items}
        items = [i for i in items if i.kind == "top" or parent_of[i.id] in kept]
        items.sort(key=lambda i: (i.kind != "top", -i.score, i.id))
        return items

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
