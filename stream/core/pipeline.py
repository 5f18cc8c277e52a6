"""The pipeline core: bytes in, an ``Outcome`` out. The Faust worker and ``article-stream process`` share it.

Two halves, so the worker can run them in separate agents:

- ``prepare`` (validate -> normalize -> tag) is stateless and CPU-heavy: it scales with partitions.
- ``link`` (relate) owns the window state: related articles, stories, duplicates, revisions.

``process`` runs both, for offline use and tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from stream.contracts import DeadLetter, EnrichedArticle, StoryUpdate
from stream.contracts.raw import bounded_extra
from stream.contracts.topics import iso_utc, utc_now_iso
from stream.core.config import CoreConfig
from stream.core.deadletters import Origin, dead_letter, dead_letter_for  # noqa: F401  (Origin, dead_letter_for: re-exported)
from stream.core.normalize import normalize
from stream.core.relate import RelateInput, Relator
from stream.core.tag import Tagger
from stream.core.validate import decode_raw


# Clocks disagree by minutes and time zones get mislabelled by hours: only a date further ahead than this is "future".
FUTURE_TOLERANCE = timedelta(days=1)


@dataclass(slots=True)
class Outcome:
    """Exactly one of: ``enriched`` (new or revised article), ``dead_letter``, or ``unchanged``
    (an identical re-send, recognised and not re-emitted)."""

    enriched: EnrichedArticle | None = None
    dead_letter: DeadLetter | None = None
    story_updates: list[StoryUpdate] = field(default_factory=list)
    unchanged: bool = False
    # With ``unchanged``: the article as last emitted (same revision); None when the input is not the one
    # the state was made from (a superseded replay, or an identical re-send at another input position).
    restated: EnrichedArticle | None = None
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds


class Pipeline:
    def __init__(self, config: CoreConfig | None = None, *, tagger: Tagger | None = None, relator: Relator | None = None) -> None:
        self.config = config or CoreConfig()
        self.tagger = tagger if tagger is not None else Tagger(topic_model="packaged" if self.config.tag.topic_model else None)
        # `is not None`: an empty Relator has len() 0 and would be replaced by a fresh one.
        self.relator = relator if relator is not None else Relator(self.config.relate)
        # Told each stage's name as ``prepare`` enters it: a supervisor that stops a run over its CPU
        # budget says where it was (stream.worker.budget).
        self.on_stage: Callable[[str], None] | None = None

    # -- stateless half ----------------------------------------------------------------------
    def prepare(self, value: bytes, origin: Origin | None = None) -> Outcome:
        """validate -> normalize -> tag. Returns an enriched article without relate fields, or a dead letter."""
        timings: dict[str, float] = {}
        stage = "validate"
        on_stage = self.on_stage
        if on_stage is not None:
            on_stage(stage)
        t0 = time.perf_counter()
        try:
            raw = decode_raw(
                value, max_message_bytes=self.config.validate.max_message_bytes, max_body_bytes=self.config.validate.max_body_bytes
            )
            t1 = time.perf_counter()
            stage = "normalize"
            if on_stage is not None:
                on_stage(stage)
            article = normalize(raw, self.config.normalize)
            t2 = time.perf_counter()
            stage = "tag"
            if on_stage is not None:
                on_stage(stage)
            tagging = self.tagger.tag(article)
            t3 = time.perf_counter()
        except Exception as exc:  # bad input, or a bug: the stream goes on, the input is kept (stream.core.deadletters)
            return Outcome(dead_letter=dead_letter(exc, value, stage, origin))
        timings.update(validate=t1 - t0, normalize=t2 - t1, tag=t3 - t2)
        extra, extra_warning = bounded_extra(raw.extra)  # unknown top-level fields are in raw.extra too
        enriched = EnrichedArticle(
            id=article.id,
            url=article.url,
            source=article.source,
            title=article.title,
            body=article.body,
            published_at=iso_utc(article.published_at) if article.published_at else None,
            published_at_original=article.published_at_original,
            language=article.language,
            authors=article.authors,
            credits=article.credits,
            section=article.section,
            topics=tagging.topics,
            regions=tagging.regions,
            entities=tagging.entities,
            tags=tagging.tags,
            publisher_tags=article.publisher_tags,
            fingerprint=article.fingerprint,
            simhash=f"{article.simhash:016x}",
            processed_at=utc_now_iso(),
            warnings=article.warnings + [extra_warning] if extra_warning else article.warnings,
            extra=extra,
        )
        return Outcome(enriched=enriched, timings=timings)

    # -- stateful half -----------------------------------------------------------------------
    def link(
        self, prepared: EnrichedArticle, *, now: datetime | None = None, source: Hashable | None = None,
        position: tuple[int, int] | None = None,
    ) -> Outcome:
        """relate: fill related, story_id, duplicate_of and revision from the window state. ``source``: the
        input partition the article came through, if several feed relate (see stream/core/relate/sources.py).
        ``position``: the input's (partition, offset), in the worker: a replayed input older than the one
        the state was made from is ``unchanged`` with nothing to restate (``Relator.superseded``), and so
        is an identical re-send at a position other than that input's."""
        t0 = time.perf_counter()
        if position is not None and self.relator.superseded(prepared.id, position):
            return Outcome(unchanged=True, timings={"relate": time.perf_counter() - t0})
        published = datetime.fromisoformat(prepared.published_at) if prepared.published_at else None
        if published is not None:
            clamped = self._clamp_future(prepared, published, now)
            if clamped is not prepared:  # related as an undated article: a clamped date must not move the window
                prepared, published = clamped, None
        result = self.relator.relate(
            RelateInput(
                id=prepared.id,
                title=prepared.title,
                published_at=published,
                tags=prepared.tags,
                simhash=int(prepared.simhash, 16),
                fingerprint=prepared.fingerprint,
                text=f"{prepared.title}\n{prepared.body}",
            ),
            now=now,
            source=source,
            position=position,
        )
        timings = {"relate": time.perf_counter() - t0}
        enriched = prepared.model_copy(
            update={
                "related": result.related,
                "story_id": result.story_id,
                "duplicate_of": result.duplicate_of,
                "duplicate_similarity": result.duplicate_similarity,
                "revision": result.revision,
                **({"warnings": [*prepared.warnings, result.note]} if result.note else {}),
            }
        )
        if result.unchanged:  # the article as it was emitted before, for a worker that must re-emit it
            # Only the input the state was made from can have lost its output (to a kill between the state
            # and the output); an identical re-send at another position never needs one (Relator.relate).
            restated = enriched if result.same_input is not False else None
            return Outcome(unchanged=True, restated=restated, timings=timings)
        return Outcome(enriched=enriched, story_updates=result.story_updates, timings=timings)

    @staticmethod
    def _clamp_future(prepared: EnrichedArticle, published: datetime, now: datetime | None) -> EnrichedArticle:
        """A date ahead of the ingestion clock (a typo, a wrong zone, an embargo time) is clamped to it: one
        such article would otherwise move the window past every article after it."""
        ingested = now or datetime.now(UTC)
        if published <= ingested + FUTURE_TOLERANCE:
            return prepared
        warning = f"published_at {prepared.published_at} is in the future: clamped to the ingestion time"
        return prepared.model_copy(update={"published_at": iso_utc(ingested), "warnings": [*prepared.warnings, warning]})

    def process(self, value: bytes, origin: Origin | None = None, *, now: datetime | None = None) -> Outcome:
        prepared = self.prepare(value, origin)
        if prepared.enriched is None:
            return prepared
        try:
            linked = self.link(prepared.enriched, now=now)
        except Exception as exc:
            return Outcome(dead_letter=dead_letter(exc, value, "relate", origin))
        linked.timings = {**prepared.timings, **linked.timings}
        return linked
