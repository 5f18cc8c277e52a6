"""US towns: recognised with a state cue, resolved to that state, and kept whole in names."""

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
