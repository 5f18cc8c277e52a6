from tests.core.tag.helpers import make_article


def top(tagger, body, title=""):
    topics = tagger.tag(make_article(body, title)).topics
    return [t.id for t in topics]


def test_sport(tagger):
    ids = top(tagger, "The striker scored twice as the club won the league match. The coach praised the team.",
              "United win title race")
    assert ids[0] == "sport"


def test_economy_with_markets(tagger):
    ids = top(tagger, "Shares fell on the stock exchange as investors weighed the central bank's interest rate decision. "
                      "The Nasdaq index dropped as bond yields rose.", "Stocks slide")
    assert ids[0] == "economy"
    assert "economy/markets" in ids


def test_title_hits_count_more(tagger):
    body = "The team played well. Officials said the government policy would change."
    assert top(tagger, body, "Election campaign opens")[0] == "politics"


def test_subtopics_need_their_parent(tagger):
    tagging = tagger.tag(make_article("The army deployed troops and missiles near the border.", "Military drills"))
    ids = {t.id for t in tagging.topics}
    for t in tagging.topics:
        if t.kind == "sub":
            assert t.id.split("/")[0] in ids


def test_no_topic_words_no_topics(tagger):
    assert top(tagger, "Xyzzy plugh.") == []


def test_unknown_publisher_tags_become_keyphrases(tagger):
    tagging = tagger.tag(make_article("A story.", "Title", publisher_tags=["Lunar New Year", "Politics"]))
    assert "keyphrase:lunar-new-year" in tagging.tags
    assert "topic:politics" in tagging.tags
