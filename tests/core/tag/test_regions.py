from tests.core.tag.helpers import make_article


def regions(tagger, body, title="", **kw):
    return {r.id: r for r in tagger.tag(make_article(body, title, **kw)).regions}


def test_country_names_demonyms_and_capitals(tagger):
    found = regions(tagger, "Pyongyang said North Korean troops were sent. Japanese and Brazilian officials met in Seoul.")
    assert {"KP", "JP", "BR", "KR"} <= set(found)
    assert found["KP"].kind == "country"


def test_dateline_in_the_body_is_primary(tagger):
    found = regions(tagger, "PYONGYANG, Dec. 5 (Yonhap) -- The treaty took effect.\n\nOfficials in Japan were told.")
    assert found["KP"].primary
    assert found["KP"].evidence[0].text == "PYONGYANG"


def test_dateline_field_with_a_state_beats_a_same_named_city(tagger):
    found = regions(tagger, "The company said profits rose.", dateline="BIRMINGHAM, Ala.")
    assert "US" in found and found["US"].primary
    assert "GB" not in found


def test_small_towns_resolve_from_the_dateline_table(tagger):
    found = regions(tagger, "The company said profits rose.", dateline="KOKOMO, Ind.")
    assert found["US"].primary


def test_south_china_sea_is_not_china(tagger):
    assert "CN" not in regions(tagger, "Ships sailed through the South China Sea on Monday.")


def test_lowercase_turkey_is_the_bird(tagger):
    assert "TR" not in regions(tagger, "She roasted a turkey for the holiday.")
    assert "TR" in regions(tagger, "She flew to Turkey for the holiday.")


def test_turkey_vetoed_by_thanksgiving_context(tagger):
    assert "TR" not in regions(tagger, "Thanksgiving Turkey prices rose as families shopped.")


def test_people_named_like_places(tagger):
    found = regions(tagger, "Michael Jordan scored 40 points. Chad Johnson caught the pass.")
    assert "JO" not in found and "TD" not in found
    assert "JO" in regions(tagger, "Officials from Jordan and Chad met on Tuesday.")


def test_georgia_is_the_us_state_unless_caucasus_cues(tagger):
    assert "US" in regions(tagger, "Voters in Georgia went to the polls in Atlanta.")
    found = regions(tagger, "Georgia said Russian troops crossed into the country near Tbilisi.")
    assert "GE" in found and "US" not in found


def test_state_abbreviations_only_after_a_comma(tagger):
    assert "US" in regions(tagger, "The plant in Springfield, Ill. closed.")
    assert "US" not in regions(tagger, "Miss. Smith won the prize.")


def test_acronyms_need_capitals(tagger):
    assert "US" in regions(tagger, "The US said it would respond.")
    assert "US" not in regions(tagger, "Give us a break, they said.")


def test_primary_versus_mentioned(tagger):
    body = "Ukraine said the drones hit Kyiv overnight.\n\nThe attack came as Poland hosted talks."
    found = regions(tagger, body, title="Drones hit Ukraine's capital")
    assert found["UA"].primary
    assert not found["PL"].primary


def test_subregions_follow_their_countries(tagger):
    found = regions(tagger, "France and Germany signed the deal in Paris.")
    assert found["western-europe"].kind == "subregion"


def test_publisher_tags_map_to_regions(tagger):
    found = regions(tagger, "A story with no place.", publisher_tags=["North Korea"])
    assert "KP" in found
    assert found["KP"].evidence[0].field == "publisher_tags"


def test_historic_states_keep_their_codes(tagger):
    found = regions(tagger, "The Soviet Union and West Germany signed a trade pact.")
    assert {"SU", "DE"} <= set(found)
    assert found["SU"].kind == "historic"


def test_place_tags_for_the_dateline_town_and_named_cities(tagger):
    tagging = tagger.tag(make_article("SEOUL, Dec. 6 (Yonhap) -- Officials from Tokyo arrived.", "Talks"))
    assert {"place:seoul", "place:tokyo"} <= set(tagging.tags)
    assert not any(t.startswith("place:japan") for t in tagging.tags)


def test_places_in_context_names_and_companies_are_not_regions(tagger):
    def codes(body, title=""):
        return {r.id for r in tagger.tag(make_article(body, title)).regions}

    assert "TR" not in codes("The company sold its Flexi-Van container leasing business.")
    assert "TR" not in codes("", "VAN DORN CO <VDC> 4TH QTR NET")
    assert "GE" not in codes("", "GEORGIA GULF <GGLF> FILES FOR SHARE OFFER")
    assert "JO" not in codes("Civil rights leader Vernon Jordan spoke on Monday. Jordan said the vote mattered.")
    # ...while places joined to places, or to a lower-case word, stay places.
    assert {"IQ", "TR"} <= codes("", "IRAQ-TURKEY OIL PIPELINE CUT BY LANDSLIDE")
    assert "US" in codes("Japan opened its market to U.S.-made chips.")
    assert "JO" in codes("Trade house Kaines said it sold Jordan two cargoes of white sugar.")


def test_a_dateline_state_beats_a_place_inside_the_town_name(tagger):
    # "NEW BRITAIN, Conn." is in Connecticut, "RIPLEY, W. Va." in West Virginia: not Britain.
    for dateline, state in (("NEW BRITAIN, Conn.", "US-CT"), ("RIPLEY, W. Va.", "US-WV"), ("OLD TOWN, Me.", "US-ME"),
                            ("NORTH DIGHTON, MA.", "US-MA")):
        found = regions(tagger, f"{dateline}, March 4 - The company said profits rose.")
        assert found[state].primary and found["US"].primary, dateline
        assert "GB" not in found


def test_a_dateline_town_from_the_us_towns_table(tagger):
    found = regions(tagger, "UPPER SADDLE RIVER, March 30 - The company said profits rose.")
    assert found["US-NJ"].primary
    assert found["US"].primary
    found = regions(tagger, "ST. PAUL, March 17 - The company said profits rose.")
    assert found["US"].primary and "RE" not in found


def test_a_priority_marker_before_the_dateline(tagger):
    found = regions(tagger, "****LONDON, March 26 - Libya is reported to have bought sugar, traders said.")
    assert found["GB"].primary and found["GB"].evidence[0].text == "LONDON"


def test_a_currency_or_a_body_named_after_a_place_is_not_that_place(tagger):
    found = regions(tagger, "LONDON, March 12 - The bank is issuing a 100 mln Canadian dlr eurobond, "
                            "priced at 50 U.S. Cents over the rate agreed with the Paris Club.")
    assert "CA" not in found and "US" not in found and "FR" not in found
    found = regions(tagger, "LONDON, March 12 - Canadian and French officials met in Paris.")
    assert "CA" in found and "FR" in found


def test_a_city_starting_a_company_name_is_the_company(tagger):
    assert "US" not in regions(tagger, "LONDON, March 4 - The loan was arranged by First Chicago Ltd, the bank said.")


def test_a_name_the_article_shows_to_be_a_company_is_the_company_everywhere(tagger):
    # The body names "Santos Ltd": the title's "SANTOS" and a later "Santos said" are the company too.
    found = regions(tagger, "SYDNEY, March 4 - Santos Ltd <STOS.S> said it bid for the oil company. "
                            "Santos said the offer was final.", title="SANTOS BIDS FOR OIL COMPANY")
    assert "BR" not in found and found["AU"].primary
    # Without a company's tail or ticker anywhere, the city is the city.
    found = regions(tagger, "Coffee shipments left Santos on Monday, port officials said.", title="SANTOS PORT BUSY")
    assert found["BR"].primary
    # A preposition of place still names the place beside the company that bears its name.
    found = regions(tagger, "Texas Instruments Inc said its new plant in Texas would open. Texas Instruments said sales rose.")
    assert "US-TX" in found and [e.text for e in found["US-TX"].evidence] == ["Texas"]


def test_a_story_naming_many_countries_is_about_each_it_discusses(tagger):
    roundup = ("LONDON, March 5 - OPEC output rose in early March, a survey showed.\n\n"
               "Saudi Arabia pumped more, Kuwait and Iraq held steady, and Iran cut output.\n\n"
               "Nigeria, Venezuela and Indonesia were near their quotas.\n\n"
               "Saudi Arabia said Nigeria and Venezuela would stay within quota.")
    found = regions(tagger, roundup)
    assert {"SA", "NG", "VE"} <= {c for c, r in found.items() if r.primary}
    # The same countries in a story naming few of them: a passing mention stays a mention.
    found = regions(tagger, "LONDON, March 5 - Oil traders met on Monday.\n\nSaudi Arabia was not discussed.\n\n"
                            "Traders said prices would hold. Nigeria was mentioned once.")
    assert not found["NG"].primary


def test_a_blocking_phrase_that_is_itself_a_place_is_that_place(tagger):
    # "New Jersey" hides "Jersey" (the Channel Island) but is New Jersey; likewise the countries
    # whose names hold another's ("Dominican Republic" is not Dominica, "Papua New Guinea" not Guinea).
    found = regions(tagger, "Utilities in New Jersey and New Mexico, and officials of the Dominican Republic, "
                            "Papua New Guinea and Guinea-Bissau met in Indianapolis.")
    assert {"US-NJ", "US-NM", "US-IN", "DO", "PG", "GW"} <= set(found)
    assert not {"JE", "MX", "DM", "GN"} & set(found)


def test_a_language_or_a_surname_particle_is_not_a_place(tagger):
    found = regions(tagger, "The English-language daily said French speakers met in the city.")
    assert "GB" not in found and "FR" not in found
    assert "TR" not in regions(tagger, "Chairman Cor van der Klugt spoke. Van der Klugt said Europe must act.")
    assert "FR" in regions(tagger, "French officials met in the city.")


def test_a_dateline_country_with_its_article(tagger):
    found = regions(tagger, "GRONINGEN, the Netherlands, March 31 - European countries must cooperate, the chairman said.")
    assert found["NL"].primary and found["NL"].evidence[0].text == "the Netherlands"


def test_a_bank_named_after_its_home_city_keeps_the_place(tagger):
    found = regions(tagger, "LONDON, April 1 - The Bank of Tokyo Ltd is issuing a bond. Bank of Tokyo said demand was strong.")
    assert "JP" in found


def test_a_demonym_in_the_title_alone_does_not_make_a_region_primary(tagger):
    found = regions(tagger, "NEW YORK, March 4 - Dow Chemical Co said it will offer 130 mln dlrs of notes "
                            "denominated in francs.", title="DOW TO OFFER 130 MLN DLRS IN SWISS NOTES")
    assert "CH" in found and not found["CH"].primary
    found = regions(tagger, "Swiss banks said exports rose.", title="SWISS EXPORTS RISE")
    assert found["CH"].primary
    found = regions(tagger, "Exports rose, the ministry said.", title="SWITZERLAND EXPORTS RISE")
    assert found["CH"].primary
