"""Relate stage settings: one configuration for every corpus (the defaults are the product's)."""

from __future__ import annotations

from dataclasses import dataclass

from stream.core.relate.similarity import NEAR_DUPLICATE_THRESHOLD


@dataclass(slots=True)
class RelateConfig:
    # --- window of related articles --------------------------------------------------------
    window_days: float = 7.0  # articles are held (and related) this long after the newest seen
    k: int = 10  # related links emitted per article
    min_related_score: float = 0.05  # weaker links explain nothing: not emitted
    # Time decay of every link score: exp(-ln2 * gap / half_life).
    half_life_days: float = 7.0

    # --- tag weights -----------------------------------------------------------------------
    # idf(t) = ln((N + prior_articles) / (df(t) + 1)) over the N articles held: the prior keeps a
    # near-empty window from calling every tag "common" (and a tag in all of 3 articles worthless).
    prior_articles: float = 10.0
    # A tag held by more than this share of the window (and by at least common_tag_min_df
    # articles), or with more than max_postings postings, only scores candidates found through
    # rarer tags: it never generates candidates itself, so "region:US" cannot flood the scorer.
    common_tag_share: float = 0.01
    common_tag_min_df: int = 50
    max_postings: int = 5_000
    # A tag that does generate candidates offers only its newest postings (time decay makes older
    # ones weak links anyway): this bounds the work per article whatever the window holds.
    scan_limit: int = 16
    max_candidates: int = 24  # best-by-rare-tags candidates scored in full
    max_story_candidates: int = 8  # dormant stories scored in full against their tag profile

    # Anchor tags name what a story is about (who, where); topics and regions only say what kind of
    # news it is. A link that shares no anchor is scaled down and never joins a story.
    # Shared anchors must carry this much IDF (nats) together: an anchor on every article of the
    # window (a wire agency credited on all of them) is no evidence of a common story.
    anchor_prefixes: tuple[str, ...] = ("entity:", "place:")
    min_anchor_idf: float = 1.0
    anchor_specificity: float = 0.4  # ... and at least this share of the IDF of a tag seen once
    context_only_factor: float = 0.5

    # --- stories ---------------------------------------------------------------------------
    join_threshold: float = 0.10  # link score to join the linked article's story
    merge_threshold: float = 0.45  # a second story linked this strongly is merged into the older
    # Stories stay joinable through their top tags this long after their last article, so a story
    # outlives the articles of the window that are evicted.
    story_horizon_days: float = 30.0
    story_top_tags: int = 16  # tags a story keeps (with counts) to be matched and shown by
    story_context_tags: int = 4  # of which at most this many topics/regions: anchors carry a story
    story_join_threshold: float = 0.15  # article-to-story-profile score to join a dormant story
    # Decay of the story-profile score with the time since the story's last article: slower than
    # article links, since a story's specific names keep meaning the same story for weeks.
    story_half_life_days: float = 14.0
    # A dormant story (no article in the window) is joined only when the article shares at least
    # dormant_min_people person anchors, or dormant_min_places place anchors, with its profile.
    dormant_min_people: int = 1
    dormant_min_places: int = 2
    person_prefix: str = "entity:person/"
    place_prefix: str = "place:"
    # Story recall: follow-ups (an arrest, a trial, a verdict) come months after the event and name
    # the same people. An article that shares at least recall_min_anchors *distinctive* anchors with
    # a story's profile, recall_min_people of them people, is in that story however long ago it was
    # last seen: it joins it, and the story it joined by links is merged into it. Distinctive: in the
    # profiles of at most recall_max_stories live stories, so an official quoted on every incident,
    # or a city, is no evidence. Profiles that name enough people to be recalled are held
    # story_memory_days (a year of follow-up coverage, plus slack); the others expire at
    # story_horizon_days. recall_min_anchors = 0 turns recall off.
    story_memory_days: float = 400.0
    # Each id's latest revision and fingerprint are remembered this long (ledger.py): an identical
    # re-send of an article older than the window is still recognised, a changed one still revised.
    ledger_days: float = 400.0
    # The window's clock is the newest date among this many latest dated articles (Relator._move_clock).
    clock_articles: int = 5
    # ... and no newer than the newest date of the slowest input partition (sources.py); a partition that
    # sent no dated article among this many is idle and holds nothing back.
    source_idle_articles: int = 1000
    recall_min_anchors: int = 2
    recall_min_people: int = 2
    recall_max_stories: int = 3

    # --- content (articles with text; see content.py) ---------------------------------------
    content_chars: int = 1500  # the lead of the text that is read
    story_terms: int = 64  # terms a story's content centroid keeps
    content_terms: int = 96  # terms an article's content vector keeps (heaviest by TF times general rarity)
    # A story linked by tags (any link >= content_link_floor; a link without a shared anchor counts 0)
    # is joined when score = cosine + content_link_weight * link >= content_join, where cosine is the
    # IDF-weighted cosine of the article with the story's content centroid and must be >= content_min
    # whatever the link. A second story is merged in when its score is >= content_merge.
    content_link_floor: float = 0.05
    content_min: float = 0.12
    content_join: float = 0.25
    content_link_weight: float = 0.75
    content_merge: float = 0.60
    content_unanchored: bool = True
    content_recall_min: float = 0.15  # cosine enough for a story recalled by distinctive people
    # Stories found by content too: those holding at least content_probe_hits of the article's
    # content_probe_terms heaviest terms among terms in at most content_probe_df live stories.
    content_probe_terms: int = 8
    content_probe_df: int = 20
    content_probe_hits: int = 2
    # Cosine a story found by content alone (its profile shares no name or place with the article) must
    # reach: distinct events written alike share words, not people and places. 0.32: the lowest bar that
    # keeps templated wire copy on different events apart; train/dev within 0.002 of no bar.
    content_words_only: float = 0.32
    content_probe_stories: int = 2  # of which the stories holding most of those terms are compared
    # A word's content IDF is scaled by how rare it is in English at large (wordfreq's Zipf scale):
    # fully counted at Zipf <= content_rare_zipf, not at all at >= content_common_zipf (0: off).
    content_common_zipf: float = 7.5
    content_rare_zipf: float = 3.0
    max_content_stories: int = 2  # stories found by tag links compared with the article's content
    # A tag link counts (for content-aware joins) only through an anchor in the profiles of at most
    # this many live stories; 0: any anchor counts.
    specific_max_stories: int = 0
    # An article whose event signature (signature.py: year, score line, event ordinal, magnitude, death
    # toll) contradicts a story's is likely about another event of the same kind: each kind in conflict
    # lowers that story's score by signature_penalty (inf: a veto). False: signatures are not read.
    signature_conflicts: bool = True
    signature_penalty: float = 0.25

    # --- near-duplicates -------------------------------------------------------------------
    # SimHash similarity (1 - hamming/64) of a near-duplicate: the normalize stage's calibrated value.
    duplicate_threshold: float = NEAR_DUPLICATE_THRESHOLD
    # ... and the copy must also link to it this strongly by tags (copies share nearly all tags).
    duplicate_min_link: float = 0.5
