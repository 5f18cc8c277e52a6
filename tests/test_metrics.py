"""The worker's metric registry: bounded labels, per-process registries, the progress watchdog."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from stream.contracts import TagItem
from stream.metrics import OTHER, Metrics, ProgressWatchdog, TagLabels, tag_labels


def _samples(metrics: Metrics, name: str) -> dict[tuple, float]:
    found = {}
    for family in text_string_to_metric_families(metrics.expose().decode()):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def _item(tag_id: str, primary: bool = False) -> TagItem:
    return TagItem(id=tag_id, tag=f"x:{tag_id}", label=tag_id, score=1.0, primary=primary)


LABELS = TagLabels(frozenset({"politics", "economy"}), {"KR": "eastern-asia", "KP": "eastern-asia", "US": "northern-america"})


def test_every_name_has_the_prefix_and_counters_end_in_total():
    metrics = Metrics()
    for family in metrics.registry.collect():
        assert family.name.startswith("article_stream_")
        if family.type == "histogram":
            assert family.name.endswith("_seconds"), family.name
    names = metrics.metric_names()
    assert "article_stream_articles_consumed_total" in names
    assert {"article_stream_stage_seconds_bucket", "article_stream_stage_seconds_count"} <= names
    # Labelled families without children yet are listed too: the dashboard test relies on it.
    assert "article_stream_articles_dead_lettered_total" in names
    assert "article_stream_consumer_lag_records" in names


def test_two_workers_in_one_process_do_not_collide():
    first, second = Metrics(), Metrics()  # the default registry would raise "Duplicated timeseries"
    first.consumed.inc(3)
    assert _samples(first, "article_stream_articles_consumed_total")[()] == 3
    assert _samples(second, "article_stream_articles_consumed_total")[()] == 0


def test_topics_are_counted_by_top_level_once_per_article_and_unknown_ones_become_other():
    metrics = Metrics()
    topics = [_item("politics/diplomacy"), _item("politics/elections"), _item("economy"), _item("made-up/thing")]
    metrics.observe_tags(topics, [], LABELS)
    counts = _samples(metrics, "article_stream_topic_assignments_total")
    assert counts == {(("topic", "politics"),): 1.0, (("topic", "economy"),): 1.0, (("topic", OTHER),): 1.0}


def test_regions_are_counted_by_subregion_with_primary_if_any_region_there_is_primary():
    metrics = Metrics()
    regions = [_item("KR", primary=True), _item("KP"), _item("US-CA"), _item("ZZ")]
    metrics.observe_tags([], regions, LABELS)
    counts = _samples(metrics, "article_stream_region_assignments_total")
    assert counts == {
        (("primary", "true"), ("subregion", "eastern-asia")): 1.0,
        (("primary", "false"), ("subregion", "northern-america")): 1.0,  # US-CA: its country's sub-region
        (("primary", "false"), ("subregion", OTHER)): 1.0,
    }


def test_label_sets_from_the_tagger_data_are_bounded():
    labels = tag_labels()
    assert 5 <= len(labels.top_topics) <= 40
    assert all("/" not in topic for topic in labels.top_topics)
    subregions = set(labels.subregion_of.values())
    assert 10 <= len(subregions) <= 30  # UN M49 has 22 sub-regions (plus Antarctica)
    assert labels.subregion("FR") == labels.subregion("DE") == "western-europe"


def test_set_lag_drops_partitions_no_longer_assigned():
    metrics = Metrics()
    metrics.set_lag({("raw", 0): 5, ("raw", 1): 0})
    metrics.set_lag({("raw", 1): 7})
    assert _samples(metrics, "article_stream_consumer_lag_records") == {(("partition", "1"), ("topic", "raw")): 7.0}


def test_watchdog_an_idle_partition_is_never_stalled():
    watchdog = ProgressWatchdog(stall_seconds=10)
    for t in range(0, 100, 5):
        watchdog.update({("raw", 0): (42, 42)}, now=t)
    assert watchdog.stalled(now=100) == []
    assert watchdog.lags() == {("raw", 0): 0}


def test_watchdog_records_waiting_and_offset_not_moving_is_stalled():
    watchdog = ProgressWatchdog(stall_seconds=10)
    watchdog.update({("raw", 0): (40, 40), ("raw", 1): (7, 9)}, now=0)
    watchdog.update({("raw", 0): (40, 50), ("raw", 1): (9, 12)}, now=5)  # raw-0 gets records
    assert watchdog.stalled(now=5) == []
    watchdog.update({("raw", 0): (40, 55), ("raw", 1): (12, 14)}, now=16)
    assert watchdog.stalled(now=16) == [("raw", 0)]  # waiting since t=5, no commit since
    assert watchdog.lags() == {("raw", 0): 15, ("raw", 1): 2}
    watchdog.update({("raw", 0): (55, 55), ("raw", 1): (14, 14)}, now=17)  # caught up
    assert watchdog.stalled(now=40) == []


def test_watchdog_forgets_revoked_partitions_and_counts_unknown_commits_from_zero():
    watchdog = ProgressWatchdog(stall_seconds=1)
    watchdog.update({("raw", 0): (None, 3)}, now=0)
    assert watchdog.lags() == {("raw", 0): 3}
    watchdog.update({}, now=5)
    assert watchdog.stalled(now=5) == [] and watchdog.lags() == {}
