"""The event signature (stream/core/relate/signature.py) on hand-written sentences, and its conflict rule."""

from __future__ import annotations

from datetime import UTC, datetime

from stream.core.relate import signature as sig
from stream.core.relate.records import StoryRecord, story_from_json, story_to_json
from stream.core.relate.signature import (
    DEATHS,
    MAGNITUDE,
    ORDINAL,
    SCORE,
    TEXT_YEAR,
    YEAR,
    accumulate,
    agreeing,
    conflicts,
    event_signature,
)


def decoded(codes: tuple[int, ...]) -> dict[int, int]:
    return {sig.kind_of(code): sig.value_of(code) for code in codes}


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# -- extraction ------------------------------------------------------------------------------------
def test_a_score_line_is_read_as_the_unordered_pair() -> None:
    home = decoded(event_signature("Rovers 3-1 City: Okafor settles the derby\nRovers beat City 3-1 on Saturday."))
    away = decoded(event_signature("City lose 1-3 at Rovers\nCity went down 1 - 3 in the derby."))
    assert home[SCORE] == away[SCORE] == 3001
    assert decoded(event_signature("A goalless draw\nIt ended 0–0 in Turin."))[SCORE] == 0


def test_ranges_formations_dates_and_times_are_no_score() -> None:
    for text in (
        "He faces 10-15 years in prison after the verdict.",
        "The coach kept his 4-3-3 formation for the match.",
        "The report is dated 2024-12-05 and was published at 10:30.",
        "Crowds of 5-10 people gathered outside.",
        "The Lakers improved to 15-2 with the win.",  # a team's record
        "Boston, with a 15-2 record, hosts Miami.",
        "City took a 2-0 lead at half-time before rain stopped play.",  # a score on the way
        "The justices ruled in a 5-4 decision.",  # a vote
    ):
        assert SCORE not in decoded(event_signature(text)), text
    # the result after a record or a half-time score is read
    assert decoded(event_signature("After a 2-0 lead at the break, City won 3-2."))[SCORE] == 3002


def test_the_ordinal_of_a_recurring_event() -> None:
    assert decoded(event_signature("Hugh Jackman will host the 81st annual Academy Awards."))[ORDINAL] == 81
    assert decoded(event_signature("The 66th Cannes Film Festival opened on Wednesday."))[ORDINAL] == 66
    # streets, centuries and birthdays are no recurring event of the news
    for text in ("A fire broke out on 5th Avenue.", "A 19th Century mansion burned down.", "She turned 90 on her 90th Birthday."):
        assert ORDINAL not in decoded(event_signature(text)), text


def test_magnitude_and_death_toll() -> None:
    quake = decoded(event_signature("A magnitude 5.4 earthquake struck Van province, killing 12 people."))
    assert quake[MAGNITUDE] == 54 and quake[DEATHS] == 12
    other = decoded(event_signature("A 6.1-magnitude quake hit the coast. Three people were killed."))
    assert other[MAGNITUDE] == 61 and other[DEATHS] == 3
    assert decoded(event_signature("The death toll rose to 30 on Tuesday."))[DEATHS] == 30


def test_a_dated_article_carries_its_year_an_undated_one_the_year_it_names() -> None:
    dated = decoded(event_signature("Talks resumed in 1998 and again on Tuesday.", epoch("2013-02-22T10:00:00")))
    assert dated == {YEAR: 2013}  # the date is exact: the text's years are not needed
    undated = decoded(event_signature("The plant, built in 1967, closed in 2009 after the strike."))
    assert undated == {TEXT_YEAR: 2009}  # the latest year named: a lower bound of when it was written
    # a written full date names the year of the event, even when a later year is mentioned after it
    assert decoded(event_signature("On February 22, 2009, the ceremony will look ahead to 2010."))[TEXT_YEAR] == 2009


def test_amounts_clock_times_and_future_years_are_no_year() -> None:
    assert TEXT_YEAR not in decoded(event_signature("About 2000 troops were sent; at 1900 GMT the shelling stopped."))
    ingested = epoch("2012-06-01T00:00:00")
    # a year ahead of ingestion is a plan, not when the article was written
    assert decoded(event_signature("Qatar will host the 2022 World Cup, decided in 2010.", None, ingested)) == {TEXT_YEAR: 2010}


# -- conflicts -------------------------------------------------------------------------------------
def story_of(*texts: str, published: list[float | None] | None = None) -> tuple:
    out: tuple = ()
    for i, text in enumerate(texts):
        out = accumulate([out], event_signature(text, (published or [None] * len(texts))[i]))
    return out


def test_two_match_reports_of_the_same_teams_conflict_and_two_reports_of_one_match_agree() -> None:
    league = story_of("Rovers 3-1 City\nRovers beat City 3-1.", "Okafor treble sinks City\nRovers won 3-1 at Meadow Park.")
    assert conflicts(event_signature("City 2-0 Rovers\nCity knocked Rovers out of the cup."), league) == [SCORE]
    assert conflicts(event_signature("City 1-3 Rovers\nCity lost the derby 1-3."), league) == []
    assert conflicts(event_signature("Derby report\nA tense afternoon at Meadow Park."), league) == []  # no score: no evidence


def test_years_a_dated_article_years_after_the_story_conflicts() -> None:
    # the story's articles were written in 2009 (dated): an article of 2013 is about another ceremony
    oscars_2009 = story_of("Jackman to host the Oscars", published=[epoch("2009-01-10T00:00:00")])
    assert conflicts(event_signature("Ellen to host the Oscars", epoch("2013-08-02T00:00:00")), oscars_2009) == [YEAR]
    assert conflicts(event_signature("Jackman rehearses", epoch("2009-02-20T00:00:00")), oscars_2009) == []
    # a year apart is within the slack (a follow-up across New Year)
    assert conflicts(event_signature("Jackman looks back", epoch("2010-01-05T00:00:00")), oscars_2009) == []
    # an undated article naming 2013 is written in 2013 or later: after every article of the story
    assert conflicts(event_signature("Ellen DeGeneres will host in 2013."), oscars_2009) == [TEXT_YEAR]


def test_years_two_undated_articles_never_conflict_and_a_dated_one_must_not_predate_the_story() -> None:
    # the years undated texts name are lower bounds: a 2013 article may recall 1991
    recalling = story_of("The first such strike was in 1991.")
    assert conflicts(event_signature("The strike of 2013 began on Monday."), recalling) == []
    # but an article dated 2009 cannot be of a story whose article names 2013 (written 2013 or later)
    later = story_of("The strike of 2013 began on Monday.")
    assert conflicts(event_signature("Workers walk out", epoch("2009-05-04T00:00:00")), later) == [YEAR]
    assert conflicts(event_signature("Workers walk out", epoch("2013-05-04T00:00:00")), later) == []


def test_ordinal_magnitude_and_toll() -> None:
    assert conflicts(event_signature("The 86th Academy Awards"), story_of("The 81st Academy Awards")) == [ORDINAL]
    quake = story_of("A magnitude 6.1 earthquake hit.")
    assert conflicts(event_signature("A magnitude 6.4 earthquake hit."), quake) == []  # a revised estimate
    assert conflicts(event_signature("A magnitude 7.2 earthquake hit."), quake) == [MAGNITUDE]
    toll = story_of("The blast killed 40 people.")
    assert conflicts(event_signature("The death toll rose to 55."), toll) == []  # tolls grow
    assert conflicts(event_signature("Two people were killed in the blast."), toll) == [DEATHS]


def test_a_story_signature_is_compact_counted_and_merges() -> None:
    one = accumulate([], event_signature("Rovers 3-1 City", epoch("2025-02-01T00:00:00")))
    two = accumulate([one], event_signature("Rovers beat City 3-1", epoch("2025-02-01T00:00:00")))
    assert dict(zip(two[::2], two[1::2])) == {sig._code(YEAR, 2025): 2, sig._code(SCORE, 3001): 2}
    merged = accumulate([two, accumulate([], event_signature("A 2-0 cup win"))], (), keep=2)
    assert len(merged) == 4 and sig._code(SCORE, 2000) not in merged[::2]  # the least counted code goes


def test_agreeing_penalises_or_vetoes_a_conflicting_story() -> None:
    stories = {
        "league": StoryRecord("L", 2, 0.0, 0.0, (), "a", (), story_of("Rovers 3-1 City")),
        "cup": StoryRecord("C", 1, 0.0, 0.0, (), "b", (), story_of("City 2-0 Rovers")),
        "plain": StoryRecord("P", 1, 0.0, 0.0, (), "c", ()),
    }
    article = event_signature("Hassan double: City 2-0 Rovers")
    scores = {"league": 0.5, "cup": 0.3, "plain": 0.3}
    assert agreeing(scores, stories, article) == {"cup": 0.3, "plain": 0.3}  # a veto by default
    softened = agreeing(scores, stories, article, penalty=0.2, floor=0.25)
    assert softened == {"league": 0.5 - 0.2, "cup": 0.3, "plain": 0.3}
    assert agreeing(scores, stories, ()) == scores  # no signature: no evidence either way


def test_the_story_signature_round_trips_through_json() -> None:
    record = StoryRecord("T", 2, 1.0, 2.0, ("place:x", 2), "a1", ("flood", 250), story_of("Rovers 3-1 City"))
    assert story_to_json(record)["sg"] == [[sig._code(SCORE, 3001), 1]]
    assert story_from_json(story_to_json(record)) == record
    plain = record._replace(signature=())
    assert "sg" not in story_to_json(plain) and story_from_json(story_to_json(plain)) == plain


# -- in the whole core -----------------------------------------------------------------------------
OSCARS = (
    "Jackman to host the Oscars",
    "Hugh Jackman will host the 81st Academy Awards in Los Angeles, the Academy of Motion Picture Arts and "
    "Sciences said on Friday. Producers Laurence Mark and Bill Condon promised a ceremony with music and dance, "
    "and the Australian actor said he was thrilled to be asked.",
)
NEXT_OSCARS = (
    "Martin and Baldwin to host the Oscars",
    "Steve Martin and Alec Baldwin will co-host the 82nd Academy Awards, the Academy of Motion Picture Arts "
    "and Sciences announced on Thursday. The comedians starred together in It's Complicated; producers Bill "
    "Mechanic and Adam Shankman want a lighter telecast.",
)
SAME_OSCARS = (
    "Jackman rehearses for the Oscars",
    "Hugh Jackman began rehearsals for the 81st Academy Awards in Los Angeles on Thursday, the Academy of Motion "
    "Picture Arts and Sciences said. Producers Laurence Mark and Bill Condon promised a ceremony with music, and "
    "the Australian actor said he was thrilled.",
)


def test_the_next_ceremony_stays_apart_and_a_report_of_the_same_one_joins() -> None:
    """Through the whole core: the 82nd Academy Awards' announcement shares the Academy, Los Angeles and the
    wording of the 81st's story; its ordinal contradicts the story's and keeps it apart. The control, a
    report of the same ceremony worded alike, joins."""
    import orjson

    from stream.config import Settings
    from stream.core.pipeline import Pipeline

    ingested = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

    def stories(second: tuple[str, str], signature: bool = True) -> set[str]:
        p = Pipeline(Settings().core())
        p.relator.config.signature_conflicts = signature
        out = set()
        for key, (title, body), date in (("a", OSCARS, "2009-01-16T15:00:00Z"), ("b", second, "2009-01-22T15:00:00Z")):
            raw = {"id": key, "source": "Wire", "title": title, "body": body, "published_at": date}
            out.add(p.process(orjson.dumps(raw), now=ingested).enriched.story_id)
        return out

    assert len(stories(NEXT_OSCARS)) == 2
    assert len(stories(NEXT_OSCARS, signature=False)) == 1  # content and names alone would join them
    assert len(stories(SAME_OSCARS)) == 1
