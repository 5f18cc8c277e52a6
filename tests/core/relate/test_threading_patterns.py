"""Issue 16's failure patterns of story threading, on small hand-written news sent through the whole
core (RawArticle bytes -> Pipeline.process: normalize, tag, relate). Each case has a control that
must thread (or tag) the other way, so a relator that never joins (or never tags) fails too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from stream.config import Settings
from stream.contracts import StoryEvent
from stream.core.pipeline import Pipeline
from stream.sources import iter_inputs

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
INGESTED = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def send(p: Pipeline, key: str, date: str, title: str, body: str, minute: int = 0):
    raw = {"id": key, "source": "Test Wire", "title": title, "body": body, "published_at": date}
    outcome = p.process(orjson.dumps(raw), now=INGESTED + timedelta(minutes=minute))
    assert outcome.enriched is not None, outcome.dead_letter
    return outcome


def final_story(updates: list, story: str) -> str:
    """The story after the merges this article caused."""
    merged = {u.story_id: u.merged_into for u in updates if u.event == StoryEvent.merged}
    while story in merged:
        story = merged[story]
    return story


# -- 1. a frequent name alone does not join --------------------------------------------------------
CAPITAL = [
    ("wh-tariff", "White House doubles tariffs on imported solar panels",
     "President Marsh said at the White House in Washington on Monday that tariffs on imported solar panels will double "
     "to 50 percent from April. Manufacturers in Georgia and Ohio had asked for protection against cheap modules, while "
     "installers warned that rooftop projects would cost more."),
    ("wh-iran", "Washington offers Tehran sanctions relief for uranium limits",
     "President Marsh told reporters at the White House in Washington that Iran could see oil sanctions eased if Tehran "
     "caps uranium enrichment at 3.67 percent. Negotiators from Oman relayed the offer to Iranian foreign minister "
     "Abbas Araghchi in Muscat on Tuesday."),
    ("wh-storm", "Federal aid approved for Louisiana after Hurricane Lorena",
     "President Marsh approved a disaster declaration for Louisiana at the White House in Washington on Wednesday after "
     "Hurricane Lorena flooded Lake Charles and Cameron Parish. FEMA will fund debris removal and temporary housing for "
     "thousands of displaced families."),
    ("wh-court", "Judge blocks the plan to cancel student debt",
     "A federal judge in St. Louis blocked President Marsh's plan to cancel student debt on Thursday, a setback for the "
     "White House in Washington. Judge Helen Ortiz ruled that the Education Department had no authority to forgive "
     "loans of 30 million borrowers without Congress."),
]
TARIFF_FOLLOW_UP = (
    "wh-tariff-2", "Solar installers sue over doubled panel tariffs",
    "Solar installers sued in the Court of International Trade on Friday to stop the doubled tariffs on imported solar "
    "panels that President Marsh announced at the White House on Monday. The installers say the 50 percent tariffs on "
    "modules will cancel rooftop projects in Georgia and Ohio.",
)


def test_a_frequent_name_alone_does_not_join_events_and_a_real_follow_up_does() -> None:
    p = Pipeline(Settings().core())
    stories = [
        send(p, key, f"2025-03-0{i + 3}T15:00:00Z", title, body, i).enriched.story_id
        for i, (key, title, body) in enumerate(CAPITAL)
    ]
    assert len(set(stories)) == len(CAPITAL), stories  # the president and the White House are in all of them
    key, title, body = TARIFF_FOLLOW_UP
    follow_up = send(p, key, "2025-03-07T15:00:00Z", title, body, 9)
    assert final_story(follow_up.story_updates, follow_up.enriched.story_id) == stories[0]


# -- 2. recurring participants: two matches of the same teams stay two stories ----------------------
LEAGUE = (
    "Rovers 3-1 City: Okafor hat-trick settles the derby",
    "Samuel Okafor scored a hat-trick as Rovers beat City 3-1 in the league derby at Meadow Park on Saturday. "
    "Okafor opened the scoring with a header from Liam Doyle's corner, then converted a penalty after goalkeeper "
    "Tomas Berg brought down Doyle. City pulled one back through Ali Hassan before Okafor sealed it in stoppage time. "
    "Rovers manager Ian Price called it the best away performance of the season.",
)
LEAGUE_2 = (
    "Okafor treble sinks City in the league derby",
    "A hat-trick from Samuel Okafor gave Rovers a 3-1 league win over City at Meadow Park. He headed in a Liam Doyle "
    "corner and scored a penalty after Tomas Berg fouled Doyle, and after Ali Hassan had replied for City, Okafor "
    "added a third in stoppage time. Ian Price praised his side's best away display of the season.",
)
CUP = (
    "City 2-0 Rovers: Hassan sends City into the cup semi-finals",
    "Ali Hassan scored in each half as City knocked Rovers out of the cup quarter-final at the Riverside Stadium on "
    "Wednesday night. Hassan curled in a free kick after 20 minutes and tapped in a rebound after Rovers keeper "
    "Jonas Keller parried a shot from Marco Silva. Samuel Okafor hit the post for Rovers, and Liam Doyle was sent "
    "off for a second yellow card. City coach Ruth Adams said her team had earned their revenge.",
)


def test_two_matches_of_the_same_teams_stay_two_stories() -> None:
    """The cup tie shares players, teams and football words with the league match (content cosine 0.34);
    its score line (2-0 against 3-1) is another match's: the event signature (signature.py) keeps it apart."""
    p = Pipeline(Settings().core())
    league = send(p, "league", "2025-02-01T17:10:00Z", *LEAGUE)
    league_2 = send(p, "league-2", "2025-02-01T18:30:00Z", *LEAGUE_2, 1)
    cup = send(p, "cup", "2025-02-05T21:45:00Z", *CUP, 2)
    league_story = final_story(league_2.story_updates, league_2.enriched.story_id)
    assert league_story == league.enriched.story_id  # two reports of one match are one story
    assert final_story(cup.story_updates, cup.enriched.story_id) != league_story  # the cup tie is another


# -- 3. an ambiguous name is no false anchor --------------------------------------------------------
def test_prison_van_is_not_the_turkish_city_and_van_in_turkey_is() -> None:
    p = Pipeline(Settings().core())
    escape = send(p, "escape", "2025-03-02T10:00:00Z", "Inmate escapes from a prison van in Ohio",
                  "An inmate escaped from a prison van on Interstate 71 near Columbus, Ohio, on Sunday after the van "
                  "stopped at a gas station, the Ohio Department of Rehabilitation and Correction said.")
    assert "region:TR" not in escape.enriched.tags and "place:van" not in escape.enriched.tags
    quake = send(p, "quake", "2025-03-02T11:00:00Z", "Earthquake shakes Van in eastern Turkey",
                 "A magnitude 5.4 earthquake struck Van province in eastern Turkey on Sunday, damaging houses in the "
                 "city of Van, the disaster agency AFAD said.", 1)
    assert {"place:van", "region:TR"} <= set(quake.enriched.tags)
    assert final_story(quake.story_updates, quake.enriched.story_id) != escape.enriched.story_id


# -- 4. the seed page after five North Korea-Russia articles of the same week ------------------------
NK_RUSSIA_WEEK = [
    ("nk-kursk", "2024-11-29T06:00:00Z", "North Korean troops suffer first losses in Russia's Kursk region",
     "Ukraine's military intelligence said North Korean soldiers deployed to Russia's Kursk region suffered their first "
     "casualties in artillery strikes near Sudzha. Seoul's National Intelligence Service estimates that Pyongyang has sent "
     "about 11,000 troops to fight for Moscow, and Kim Jong-un has not acknowledged the deployment."),
    ("nk-belousov", "2024-11-30T04:00:00Z", "Russian defense minister Belousov meets Kim Jong-un in Pyongyang",
     "Russian Defense Minister Andrei Belousov held talks with North Korean leader Kim Jong-un in Pyongyang on Friday, "
     "state media KCNA reported. Kim said North Korea would support Russia's war against Ukraine, and Belousov praised "
     "military cooperation between Moscow and Pyongyang."),
    ("nk-airdefense", "2024-12-01T09:00:00Z", "Russia sends air defense missiles to North Korea, Seoul says",
     "South Korea's national security adviser Shin Won-sik said Russia has supplied North Korea with air defense "
     "missiles to protect Pyongyang, in return for the troops sent to fight Ukraine. Seoul also suspects Moscow is "
     "helping the North's satellite launches and economy, he told broadcaster SBS."),
    ("nk-bear", "2024-12-02T07:00:00Z", "Putin gives a lion and two brown bears to Pyongyang zoo",
     "Russian President Vladimir Putin sent more than 70 animals, among them an African lion and two brown bears, to the "
     "Central Zoo in Pyongyang, Russia's natural resources ministry said. North Korean leader Kim Jong-un had given Putin "
     "two Pungsan hunting dogs after their summit in June."),
    ("nk-tourism", "2024-12-03T05:00:00Z", "Russian tourists return to North Korea's Wonsan ski resort",
     "A group of Russian tourists from Vladivostok will visit North Korea's Masikryong ski resort near Wonsan this winter, "
     "a Russian travel agency said, as Moscow and Pyongyang expand exchanges. North Korea has stayed closed to most "
     "foreign visitors since the pandemic."),
]


def _seed_page() -> bytes:
    [(_where, value)] = [item for item in iter_inputs([SAMPLES]) if item[0].endswith("joongang-2024-12-05-nk-russia-treaty.txt")]
    return value


def _seed_after_its_week():
    """The seed page sent after the five NK-Russia articles of its week: it lists all five as related,
    each link saying what it shares, and merges no story. Returns the week's articles and the seed's."""
    p = Pipeline(Settings().core())
    week = [send(p, key, date, title, body, i).enriched for i, (key, date, title, body) in enumerate(NK_RUSSIA_WEEK)]
    outcome = p.process(_seed_page(), now=INGESTED + timedelta(minutes=10))
    seed = outcome.enriched
    assert seed is not None, outcome.dead_letter
    related = {link.id: link for link in seed.related}
    assert {a.id for a in week} <= set(related), sorted(related)
    for article in week:
        assert related[article.id].shared_tags  # each link says what it shares
    assert not any(u.event == StoryEvent.merged for u in outcome.story_updates)
    return week, seed


def test_seed_page_lists_the_five_nk_russia_articles_of_its_week() -> None:
    _seed_after_its_week()


@pytest.mark.xfail(
    strict=True,
    reason="issue 16, open: the NK-Russia articles of one week share Kim, Putin, Pyongyang and Moscow and their "
    "beat's words; in a window of five articles the week threads into one story, and the seed page joins it",
)
def test_seed_page_stays_apart_from_the_nk_russia_stories_of_its_week() -> None:
    week, seed = _seed_after_its_week()
    assert seed.story_id not in {a.story_id for a in week}


# -- templated wire copy: distinct events written from one template --------------------------------
def _threaded(values: list[bytes]) -> dict[str, str]:
    """article id -> story after merges, each value sent through the whole core in order."""
    p = Pipeline(Settings().core())
    story, merged = {}, {}
    for i, value in enumerate(values):
        outcome = p.process(value, now=INGESTED + timedelta(minutes=i))
        assert outcome.enriched is not None, outcome.dead_letter
        merged.update({u.story_id: u.merged_into for u in outcome.story_updates if u.event == StoryEvent.merged})
        story[outcome.enriched.id] = outcome.enriched.story_id
    for article, found in story.items():
        while found in merged:
            found = merged[found]
        story[article] = found
    return story


def test_templated_shootings_in_different_towns_stay_apart() -> None:
    """Twelve shootings in twelve towns from one template; the cycled name lists make two stories share
    a surname. Found by template words and that surname, a story needs more than a shared vocabulary
    (RelateConfig.content_words_only): without it they threaded into 7 stories (B3 F1 0.737)."""
    from stream.eval.stories import bcubed
    from tests.support.articles import make_story_values

    rows = make_story_values()
    story = _threaded([value for value, _ in rows])
    gold = dict(zip(story, (g for _, g in rows)))  # the enriched ids, in the order sent
    assert bcubed(story, gold)[2] >= 0.8


@pytest.mark.xfail(
    strict=True,
    reason="issue 16, open: twelve wire items on different subjects and countries written from one template "
    "thread into one story in a cold window (the newsroom web test needed at least two stories to page through)",
)
def test_templated_items_on_different_subjects_are_several_stories() -> None:
    from tests.support.articles import make_values

    story = _threaded(make_values(12, seed=5))
    assert len(set(story.values())) >= 2
