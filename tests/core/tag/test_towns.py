"""US towns: recognised with a state cue, resolved to that state, and kept whole in names."""

import pytest

from stream.core.tag.resources import load_resources
from stream.core.tag.towns import find_towns
from tests.core.tag.helpers import make_article


def tag_set(tagger, body, title=""):
    return set(tagger.tag(make_article(body, title)).tags)


def test_town_followed_by_a_state_is_a_place_in_that_state(tagger):
    tags = tag_set(tagger, "A girl was shot late on Sunday in Salisbury, N.C., police said.")
    assert "place:salisbury" in tags
    assert "region:US-NC" in tags


def test_state_pattern_accepts_a_town_missing_from_the_table():
    res = load_resources()
    assert "Zzyzxville" not in res.us_towns
    found = find_towns(res, "It happened in Zzyzxville, Tenn., on Monday.", in_title=False)
    assert [(t.name, t.state, t.strong) for t in found] == [("Zzyzxville", "US-TN", True)]


def test_ambiguous_small_town_needs_the_articles_state(tagger):
    body = "Officers were called to a home in Bunker Hill on Friday."
    assert "place:bunker-hill" not in tag_set(tagger, body)
    assert "place:bunker-hill" in tag_set(tagger, body + " Illinois State Police are investigating.")


def test_sizeable_town_counts_without_a_state_but_not_abroad(tagger):
    assert "place:little-rock" in tag_set(tagger, "A boy was shot in Little Rock on Friday.")
    assert "place:little-rock" not in tag_set(tagger, "Troops in Little Rock, said a Kenyan official in Nairobi.")


def test_a_town_name_inside_a_person_or_street_name_is_not_a_place(tagger):
    tags = tag_set(tagger, "Arkansas police said Officer Kelly Benton saw it on Benton Street.")
    assert "place:benton" not in tags


def test_longer_town_name_beats_the_city_inside_it(tagger):
    tags = tag_set(tagger, "The teen lived in Upper Arlington, Ohio, with his parents.")
    assert "place:upper-arlington" in tags
    assert "place:arlington" not in tags
    assert "region:US-TX" not in tags


def test_sentence_word_that_starts_a_place_is_kept_in_names(tagger):
    tags = tag_set(tagger, "The Little Rock Police Department said a man was hurt in Little Rock.")
    assert "entity:org/little-rock-police-department" in tags
    assert "entity:org/rock-police-department" not in tags
    assert "place:little-rock" in tags


def test_town_is_not_a_person(tagger):
    tags = tag_set(tagger, "Deputies in Santa Cruz said the teen was armed. Santa Cruz officials agreed.")
    assert not any(t.startswith("entity:person/santa-cruz") for t in tags)


def test_a_given_name_town_before_a_surname_is_a_person(tagger):
    tags = tagger.tag(make_article("A boy was killed in Chicago, Illinois on Friday night.",
                                   "Christopher Brandon-Lucket, 16, Killed In North Lawndale")).tags
    assert "place:christopher" not in tags
    assert "place:chicago" in tags


def test_a_persons_surname_after_of_is_not_a_town(tagger):
    body = ("The teen had an argument with James Graham at about 4 p.m. Graham then escaped in his car. "
            "Authorities released a photo of Graham.")
    tags = tagger.tag(make_article(body, "Detroit man sought in teen nephew shooting")).tags
    assert "entity:person/james-graham" in tags
    assert "place:graham" not in tags


def _state_after_by_prefixes(res, text, end):
    """The rule ``_state_after`` compiles into one regex, spelled out: the longest state name of
    2-20 characters after ", " that is not followed by a letter or digit, unless it ends with a dot."""
    if text[end:end + 2] != ", ":
        return None
    rest = text[end + 2:end + 24]
    for n in range(min(len(rest), 20), 1, -1):
        code = res.us_states.get(rest[:n])
        if code and (n == len(rest) or not rest[n].isalnum() or rest[:n].endswith(".")):
            return code
    return None


@pytest.mark.parametrize("after", [
    "N.C., police said", "N.C.", "NC.", "North Carolina's", "North Dakota", "NCAA", "Ohio", "Ohioans",
    "Calif", "Calif.", "Mass.,", "Wash.Police", "District of Columbia.", "New York, New York", "Va", "VA",
    "W.Va.", "West Virginia", "Kansas City", "Ark", "Tenn.-based", "Georgiaé", "Texas_", "", "N",
])
def test_state_after_a_town_takes_the_longest_state_name(after):
    from stream.core.tag.towns import _state_after

    res = load_resources()
    text = "It happened in Salisbury, " + after
    end = len("It happened in Salisbury")
    assert _state_after(res, text, end) == _state_after_by_prefixes(res, text, end)
    assert _state_after(res, text, end - 1) is None  # no ", " there


def test_town_words_cover_every_town_and_the_saint_spelling():
    res = load_resources()
    assert all(name.split(" ")[0] in res.us_town_first_words for name in res.us_towns)
    assert all(name.split(" ")[0] in res.us_town_multiword_first for name in res.us_towns if " " in name)
    assert all(term.split(" ")[0] in res.place_multiword_first for term in res.place_terms if " " in term)
    assert "Salisbury" in res.us_town_first_words and "Salisbury" not in res.us_town_multiword_first
    assert "St." in res.us_town_first_words  # "St. Paul" is looked up as "Saint Paul"
    found = find_towns(res, "Officers in St. Paul's north end said, police said.", in_title=False)
    assert [t.name for t in found] == ["Saint Paul"]


def test_remembered_run_plans_find_what_a_fresh_scan_finds():
    # towns._run_plan is remembered across texts: the same run elsewhere (another context, a title)
    # gets the context checks anew.
    res = load_resources()
    texts = [
        "Police in Little Rock said so. In Salisbury, N.C., a man was held near Salisbury police.",
        "Little Rock police chief. Officer Jackson met Kelly Madison on Madison Street in Little Rock.",
        "XLittle Rock and Salisbury's mayor met in Salisbury. The Salisbury Post said Little Rock was calm.",
    ]
    plans: dict = {}
    for _ in range(2):
        for text in texts:
            for in_title in (False, True):
                fresh = find_towns(res, text, in_title)
                kept = find_towns(res, text, in_title, plans=plans)
                assert [(t.name, t.start, t.end, t.state, t.strong) for t in kept] == [
                    (t.name, t.start, t.end, t.state, t.strong) for t in fresh]
    assert any(plan is not None for plan in plans.values()) and any(plan is None for plan in plans.values())
    assert any(t.name == "Little Rock" for t in find_towns(res, texts[0], False, plans=plans))
