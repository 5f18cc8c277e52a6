"""Prometheus metrics of one worker process, on their own registry (several workers never collide).

Names follow the Prometheus conventions: one ``article_stream_`` prefix, base units, ``_total``
counters, ``_seconds`` histograms, bounded label sets (never an article id or a free-form tag).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

# Per-stage work is tens of µs to a few ms; HTML extraction can take tens of ms.
STAGE_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
# End-to-end: from the input record's timestamp to emit; ms when healthy, minutes when lagging.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0)
STAGES = ("validate", "normalize", "tag", "relate", "emit")


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
        self.related_links = Counter("article_stream_related_links_total", "Related links emitted.", registry=r)
        self.stories_created = Counter("article_stream_stories_created_total", "Stories created.", registry=r)
        self.stories_merged = Counter("article_stream_stories_merged_total", "Stories merged into another.", registry=r)
        self.produce_retries = Counter(
            "article_stream_produce_retries_total", "Produce attempts retried after an error.", ["topic"], registry=r
        )
        self.window_articles = Gauge("article_stream_window_articles", "Articles held in the related-story window.", registry=r)
        self.window_tags = Gauge("article_stream_window_tags", "Distinct tags in the related-story window.", registry=r)
        self.ready = Gauge("article_stream_ready", "1 when the worker reports ready.", registry=r)

    def expose(self) -> bytes:
        return generate_latest(self.registry)
