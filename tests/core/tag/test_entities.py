from tests.core.tag.helpers import make_article


def entities(tagger, body, title="", **kw):
    return {e.id: e for e in tagger.tag(make_article(body, title, **kw)).entities}


def test_unknown_people_from_titles_and_given_names(tagger):
    body = (
        "Officer Daniel Kowalczyk said the suspect, Marcus Webb, 24, was arrested. "
        "Police Chief Ana Rutherford told reporters the Springfield Police Department would investigate."
    )
    found = entities(tagger, body)
    assert "person/daniel-kowalczyk" in found
    assert "person/marcus-webb" in found
    assert "person/ana-rutherford" in found
    assert found["org/springfield-police-department"].kind == "org"


def test_surname_mentions_join_the_full_name(tagger):
    found = entities(tagger, "Defense Minister Olek Varsany visited the base. Varsany said the drills would go on.")
    assert found["person/olek-varsany"].evidence[-1].text == "Varsany"
    assert "person/varsany" not in found


def test_known_aliases_meet(tagger):
    found = entities(tagger, "The UNSC met. The U.N. Security Council said KCNA reported the launch.")
    assert {"org/un-security-council", "org/korean-central-news-agency"} <= set(found)
    assert len(found["org/un-security-council"].evidence) == 2


def test_acronym_defined_in_the_text(tagger):
    body = "The Federal Aviation Safety Agency (FASA) said flights resumed. FASA added checks."
    found = entities(tagger, body)
    assert found["org/federal-aviation-safety-agency"].evidence[-1].text == "FASA"


def test_sentence_words_places_and_months_are_not_entities(tagger):
    found = entities(tagger, "The talks in June were held in Moscow. On Monday North Korea said it would attend.")
    assert not any(e in found for e in ("person/the", "org/moscow", "person/june", "person/north-korea"))
    assert found == {}


def test_credits_become_organisations(tagger):
    assert "org/yonhap" in entities(tagger, "A story.", credits=["Yonhap"])


def test_organisations_named_head_first(tagger):
    found = entities(tagger, "The Ministry of Defense said the University of Texas would help. House Speaker Nancy Pelosi agreed.")
    assert found["org/ministry-of-defense"].kind == "org"
    assert found["org/university-of-texas"].kind == "org"
    assert found["person/nancy-pelosi"].kind == "person"


def test_people_without_cues_named_again_by_surname(tagger):
    body = ("Police found Tavion Brookshire at a home on Elm Street. "
            "A neighbour said Brookshire had moved in last year.\n\nThe 15-year-old Senquez Marlow was also hurt.")
    found = entities(tagger, body)
    assert found["person/tavion-brookshire"].evidence[-1].text == "Brookshire"
    assert "person/senquez-marlow" in found
    assert "person/elm-street" not in found


def test_a_title_inside_the_sequence_starts_the_name(tagger):
    found = entities(tagger, "Peru's Mines Minister Juan Mendoza met the Red Cross.")
    assert "person/juan-mendoza" in found
    assert found["org/red-cross"].kind == "org"
    assert "person/red-cross" not in found


def test_headline_case_title_words_are_not_people(tagger):
    title = "Father Charged With Shooting, Killing 4-Year-Old Daughter Heads To Trial"
    found = entities(tagger, "Maurice Phillips, 30, was charged with shooting his daughter. Phillips pleaded not guilty.", title)
    assert "person/maurice-phillips" in found
    assert "person/charged-with-shooting" not in found


def test_headline_case_title_keeps_people_named_in_the_body(tagger):
    found = entities(tagger, "Officer Dana Whitfield said the road was closed.", "Officer Dana Whitfield Honoured By City")
    assert "person/dana-whitfield" in found


def test_generic_agency_words_are_no_organisation(tagger):
    found = entities(tagger, "The Sheriff's Office said the case goes to District Court. The Williams County Sheriff's Office agreed.")
    assert "org/sheriffs-office" not in found
    assert "org/district-court" not in found
    assert "org/williams-county-sheriffs-office" in found


def test_remembered_sequence_plans_change_nothing(tagger):
    # A sequence's plan is kept across articles (EntityCollector._plan): an article tagged after others
    # that share its sequences gets what a fresh tagger gives it, and the plans are kept.
    from stream.core.tag import Tagger

    texts = [
        "Dr. Ann Lee met Police Chief Ana Rutherford in Harris County. Lee said the Harris County Sheriff's Office agreed.",
        "Ann Lee, 15-year-old Ann Lee and the Harris County Sheriff's Office; Lee said so. Ministry of the Interior",
        "Rutherford said Ann Lee would go. The Springfield Police Department and Ann Lee who spoke.",
    ]
    warm = Tagger(topic_model=None)
    for text in texts:
        warm.tag(make_article(text, ""))
    assert warm._entity_plans
    for text in texts:
        cold = Tagger(topic_model=None)
        tagged = warm.tag(make_article(text, ""))
        assert tagged.entities and tagged == cold.tag(make_article(text, ""))


def test_long_sequences_are_not_remembered():
    # A run of capitals can be a whole 1 MiB body: its plan is worked out, not kept.
    from stream.core.tag import Tagger

    tagger = Tagger(topic_model=None)
    long_run = " ".join(["Korea Russia Treaty"] * 20)
    tagger.tag(make_article(f"{long_run} said. Ann Lee of Harris County agreed.", ""))
    assert tagger._entity_plans and max(map(len, tagger._entity_plans)) <= 100
    assert tagger._town_plans and max(map(len, tagger._town_plans)) <= 100


def test_a_long_list_of_names_does_not_flush_the_remembered_plans():
    # Only an article's first sequences are remembered: a list of thousands of distinct names is worked
    # out, not kept, so the plans other articles share stay, and the memory one article adds is bounded.
    from stream.core.tag import Tagger
    from stream.core.tag.capitals import MAX_PLANS_PER_TEXT

    tagger = Tagger(topic_model=None)
    tagger.tag(make_article("Dr. Ann Lee met Police Chief Ana Rutherford in Harris County.", ""))
    entity_plans, town_plans = set(tagger._entity_plans), set(tagger._town_plans)
    roster = " ".join(f"Mr. Olek Varsany{i} said so." for i in range(3 * MAX_PLANS_PER_TEXT))
    tagger.tag(make_article(roster, ""))
    assert entity_plans <= set(tagger._entity_plans) and town_plans <= set(tagger._town_plans)
    assert len(tagger._entity_plans) - len(entity_plans) <= MAX_PLANS_PER_TEXT
    assert len(tagger._town_plans) - len(town_plans) <= 2 * MAX_PLANS_PER_TEXT  # title and body
    assert len(tagger._entity_plans) - len(entity_plans) >= MAX_PLANS_PER_TEXT // 2  # some were kept
