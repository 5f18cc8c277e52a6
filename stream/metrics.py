"""Prometheus metrics of one worker process, on their own registry (several workers never collide).

Names follow the Prometheus conventions: one ``article_stream_`` prefix, base units, ``_total``
counters, ``_seconds`` histograms, bounded label sets (never an article id or a free-form tag).

Also here, because it feeds the lag gauges and the readiness probe: ``ProgressWatchdog``, the pure
bookkeeping that tells a stalled consumer (records waiting, offsets not moving) from an idle one.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from stream.contracts import ErrorCode, StoryEvent

if TYPE_CHECKING:
    from stream.contracts import DeadLetter
    from stream.core.pipeline import Outcome

# Per-stage work is tens of µs to a few ms; HTML extraction can take tens of ms.
STAGE_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
# End-to-end: from the input record's timestamp to emit; ms when healthy, minutes when lagging.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
# Publication to emit: wire copy arrives within minutes, feeds re-sending archives days later.
FRESHNESS_BUCKETS = (60.0, 300.0, 900.0, 3600.0, 3 * 3600.0, 6 * 3600.0, 86400.0, 3 * 86400.0, 7 * 86400.0, 30 * 86400.0)
# A Kafka offset commit is a round trip to the group coordinator: ms, seconds when the broker struggles.
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STAGES = ("validate", "normalize", "tag", "relate", "emit")
OTHER = "other"  # the label value for anything outside a bounded label set


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        self.consumed = Counter("article_stream_articles_consumed_total", "Raw input records consumed.", registry=r)
        self.enriched = Counter("article_stream_articles_enriched_total", "Enriched articles emitted.", registry=r)
        self.unchanged = Counter(
            "article_stream_articles_unchanged_total", "Identical re-sends recognised and not re-emitted.", registry=r
        )
        self.dead_lettered = Counter(
            "article_stream_articles_dead_lettered_total", "Inputs sent to the dead-letter topic.", ["code"], registry=r
        )
        self.duplicates = Counter(
            "article_stream_articles_duplicates_total", "Articles marked duplicate_of an earlier one.", registry=r
        )
        self.stage_seconds = Histogram(
            "article_stream_stage_seconds", "Processing time per pipeline stage.", ["stage"], buckets=STAGE_BUCKETS, registry=r
        )
        self.end_to_end_seconds = Histogram(
            "article_stream_end_to_end_latency_seconds",
            "From the input record's timestamp to the enriched record's emit.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.freshness_seconds = Histogram(
            "article_stream_publish_to_emit_seconds",
            "From the article's published_at to the enriched record's emit (articles with a date only).",
            buckets=FRESHNESS_BUCKETS,
            registry=r,
        )
        self.related_links = Counter("article_stream_related_links_total", "Related links emitted.", registry=r)
        self.stories_created = Counter("article_stream_stories_created_total", "Stories created.", registry=r)
        self.stories_merged = Counter("article_stream_stories_merged_total", "Stories merged into another.", registry=r)
        self.produce_retries = Counter(
            "article_stream_produce_retries_total", "Produce attempts retried after an error.", ["topic"], registry=r
        )
        self.topic_assignments = Counter(
            "article_stream_topic_assignments_total",
            "Enriched articles tagged with a topic, by top-level topic of the taxonomy (once per article).",
            ["topic"],
            registry=r,
        )
        self.region_assignments = Counter(
            "article_stream_region_assignments_total",
            "Enriched articles tagged with a region, by UN M49 sub-region (once per article); "
            "primary=true when the story is about it.",
            ["subregion", "primary"],
            registry=r,
        )
        self.window_articles = Gauge("article_stream_window_articles", "Articles held in the related-story window.", registry=r)
        self.window_tags = Gauge("article_stream_window_tags", "Distinct tags in the related-story window.", registry=r)
        self.consumer_lag = Gauge(
            "article_stream_consumer_lag_records",
            "Records waiting in an assigned input partition: highwater minus committed offset.",
            ["topic", "partition"],
            registry=r,
        )
        self.consumer_stalled = Gauge(
            "article_stream_consumer_stalled_partitions",
            "Assigned partitions with records waiting whose committed offset has not advanced for the stall timeout.",
            registry=r,
        )
        self.broker_reachable = Gauge(
            "article_stream_broker_reachable", "1 when the last offset query to the broker succeeded in time.", registry=r
        )
        self.ready = Gauge("article_stream_ready", "1 when the worker reports ready.", registry=r)
        # From Faust's sensor hooks (stream.worker.web.probes.FaustSensor).
        self.rebalances = Counter("article_stream_rebalances_total", "Consumer group rebalances this worker took part in.", registry=r)
        self.commit_seconds = Histogram(
            "article_stream_commit_seconds", "Time to commit consumer offsets.", buckets=COMMIT_BUCKETS, registry=r
        )
        self.send_errors = Counter(
            "article_stream_send_errors_total", "Records Faust failed to produce, by kind of topic.", ["topic_kind"], registry=r
        )
        # Known label values start at zero, so rate() and absent() work from the first scrape.
        for stage in STAGES:
            self.stage_seconds.labels(stage)
        for code in ErrorCode:
            self.dead_lettered.labels(code.value)
        # The labelled histogram of each stage, looked up once: ``labels()`` costs a few µs per call.
        self._stage_histograms: dict[str, Any] = {}

    # -- what the agents count -----------------------------------------------------------------
    def observe_stage(self, stage: str, seconds: float) -> None:
        histogram = self._stage_histograms.get(stage)
        if histogram is None:
            histogram = self._stage_histograms[stage] = self.stage_seconds.labels(stage)
        histogram.observe(seconds)

    def observe_outcome(self, outcome: Outcome, *, final: bool) -> None:
        """Count one input's outcome of a stage: its stage timings and, when ``final`` (the outcome of
        its last stage, relate), what it became: an enriched article (with its related links, a
        duplicate, the stories it created or merged, its tags) or an unchanged re-send. Dead letters
        are counted as they are made (:meth:`observe_dead_letter`), emit failures included."""
        for stage, seconds in outcome.timings.items():
            self.observe_stage(stage, seconds)
        if not final:
            return
        if outcome.unchanged:
            self.unchanged.inc()
            return
        article = outcome.enriched
        if article is None:
            return
        self.enriched.inc()
        self.related_links.inc(len(article.related))
        if article.duplicate_of:
            self.duplicates.inc()
        for update in outcome.story_updates:
            if update.event is StoryEvent.created:
                self.stories_created.inc()
            elif update.event is StoryEvent.merged:
                self.stories_merged.inc()
        self.observe_tags(article.topics, article.regions)

    def observe_dead_letter(self, letter: DeadLetter) -> None:
        self.dead_lettered.labels(letter.error_code.value).inc()

    # -- observations with bounded labels ----------------------------------------------------
    def observe_tags(self, topics: Iterable[object], regions: Iterable[object], labels: TagLabels | None = None) -> None:
        """Count one enriched article's tags: each top-level topic and each sub-region once."""
        labels = labels or tag_labels()
        for topic in {labels.topic(item.id) for item in topics}:
            self.topic_assignments.labels(topic).inc()
        seen: dict[str, bool] = {}
        for item in regions:
            subregion = labels.subregion(item.id)
            seen[subregion] = seen.get(subregion, False) or bool(getattr(item, "primary", False))
        for subregion, primary in seen.items():
            self.region_assignments.labels(subregion, "true" if primary else "false").inc()

    def set_lag(self, lags: Mapping[tuple[str, int], int]) -> None:
        """Replace the per-partition lag gauges (partitions no longer assigned disappear)."""
        self.consumer_lag.clear()
        for (topic, partition), lag in lags.items():
            self.consumer_lag.labels(topic, str(partition)).set(lag)

    def metric_names(self) -> set[str]:
        """Every series name this registry exposes (histograms: _bucket, _sum, _count; counters: _total)."""
        names: set[str] = set()
        for family in self.registry.collect():
            for sample in family.samples:
                names.add(sample.name)
            names.add(family.name + "_total" if family.type == "counter" else family.name)
            if family.type == "histogram":
                names.update(family.name + suffix for suffix in ("_bucket", "_sum", "_count"))
        return names

    def expose(self) -> bytes:
        return generate_latest(self.registry)


@dataclass(frozen=True, slots=True)
class TagLabels:
    """Maps tag ids to bounded label values: top-level topics and UN M49 sub-regions, else ``other``."""

    top_topics: frozenset[str]
    subregion_of: Mapping[str, str]  # region id (country, subdivision, historic, sub-region) -> sub-region slug

    def topic(self, topic_id: str) -> str:
        top = topic_id.split("/", 1)[0]
        return top if top in self.top_topics else OTHER

    def subregion(self, region_id: str) -> str:
        found = self.subregion_of.get(region_id)
        if found is None and "-" in region_id:  # ISO 3166-2 subdivision such as US-CA: its country's
            found = self.subregion_of.get(region_id.split("-", 1)[0])
        return found or OTHER


@lru_cache(maxsize=1)
def tag_labels() -> TagLabels:
    """The label sets from the tagger's own data (taxonomy and region table), loaded once."""
    from stream.core.tag.resources import load_resources

    resources = load_resources()
    top_topics = frozenset(topic_id.split("/", 1)[0] for topic_id in resources.topics)
    subregion_of: dict[str, str] = {}
    for code, region in resources.regions.items():
        if region.kind == "subregion":
            subregion_of[code] = code
        elif region.subregion:
            subregion_of[code] = region.subregion
    return TagLabels(top_topics, subregion_of)


# -- consumer progress -------------------------------------------------------------------------


@dataclass(slots=True)
class PartitionProgress:
    committed: int | None
    highwater: int
    advanced_at: float  # monotonic time the committed offset last moved (or was first seen)

    @property
    def lag(self) -> int:
        return max(self.highwater - (self.committed or 0), 0)


@dataclass
class ProgressWatchdog:
    """Tells a stalled consumer from an idle one: a partition is stalled when records are waiting
    (lag > 0) and its committed offset has not advanced for ``stall_seconds``. An idle partition
    (lag 0) is never stalled, however long nothing arrives."""

    stall_seconds: float
    partitions: dict[tuple[str, int], PartitionProgress] = field(default_factory=dict)

    def update(self, offsets: Mapping[tuple[str, int], tuple[int | None, int]], now: float | None = None) -> None:
        """``offsets``: (topic, partition) -> (committed offset or None, highwater) of every assigned partition."""
        now = time.monotonic() if now is None else now
        fresh: dict[tuple[str, int], PartitionProgress] = {}
        for key, (committed, highwater) in offsets.items():
            previous = self.partitions.get(key)
            if previous is None or previous.committed != committed or previous.lag == 0:
                # New, moved, or was idle: the stall clock starts now.
                fresh[key] = PartitionProgress(committed, highwater, now)
            else:
                fresh[key] = PartitionProgress(committed, highwater, previous.advanced_at)
        self.partitions = fresh

    def stalled(self, now: float | None = None) -> list[tuple[str, int]]:
        now = time.monotonic() if now is None else now
        return sorted(
            key for key, p in self.partitions.items() if p.lag > 0 and now - p.advanced_at >= self.stall_seconds
        )

    def lags(self) -> dict[tuple[str, int], int]:
        return {key: p.lag for key, p in self.partitions.items()}
