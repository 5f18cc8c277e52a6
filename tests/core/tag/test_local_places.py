"""Local place tags: counties, streets and venues, the places agencies serve, "St."/"Saint" spellings."""

from stream.core.tag.tagger import place_slug
from tests.core.tag.helpers import make_article


def places(tagger, body, title=""):
    return {t for t in tagger.tag(make_article(body, title)).tags if t.startswith("place:")}


def test_county_and_venue_names_are_place_tags(tagger):
    found = places(tagger, "Four women were found dead at the Fairmont Terrace apartments in Harris County on Sunday.")
    assert {"place:fairmont-terrace", "place:harris-county"} <= found


def test_agency_names_give_the_place_they_serve(tagger):
    body = "The Routt County Sheriff's Office and the Stockton Police Department are investigating."
    found = places(tagger, body)
    assert {"place:routt-county", "place:stockton"} <= found


def test_state_agencies_and_generic_roads_add_no_place(tagger):
    found = places(tagger, "The Kentucky State Police closed County Road 12 after the crash.")
    assert not any(p in found for p in ("place:kentucky", "place:kentucky-state", "place:county-road"))


def test_a_city_name_inside_a_street_name_is_not_that_city(tagger):
    found = places(tagger, "Officers were called to Madrid Drive near the school. A car stopped on Van Wedding Road.")
    assert "place:madrid" not in found
    assert "place:van" not in found
    assert "place:madrid-drive" in found


def test_saint_and_st_spellings_are_one_place(tagger):
    article = make_article("A teenager was shot in St. Paul on Monday, police said.", "Teen shot")
    tagging = tagger.tag(article)
    assert "place:saint-paul" in tagging.tags
    assert not any(e.id == "person/st-paul" for e in tagging.entities)
    assert place_slug("st-louis") == "saint-louis"
    assert place_slug("stockton") == "stockton"


def test_new_york_is_neither_york_nor_an_organisation(tagger):
    body = "A teen was shot in a New York City apartment building, the New York Police Department said."
    tagging = tagger.tag(make_article(body, "Teen shot"))
    assert "place:new-york-city" in tagging.tags
    assert "place:york" not in tagging.tags
    assert not any(e.id in ("org/new-york-city", "org/york-city") for e in tagging.entities)


def test_an_update_label_is_no_dateline_town(tagger):
    tags = tagger.tag(make_article("UPDATE: The suspect turned himself in to Tulsa police on Friday.", "Suspect held")).tags
    assert "place:update" not in tags


def test_a_street_after_a_connector_is_still_a_place(tagger):
    found = places(tagger, "Investigators found shell casings in the area of Charles Bussey and Harrison Street.")
    assert "place:harrison-street" in found
    assert "place:charles-bussey-and-harrison-street" not in found
