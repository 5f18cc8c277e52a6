"""Topic conventions shared by every producer of the service: message types, keys and headers.

Values are UTF-8 JSON. Headers follow the CloudEvents Kafka protocol binding in binary mode
(``ce_*`` attributes), so consumers can route on the type without parsing the value.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from pydantic import BaseModel

from stream.contracts.deadletter import DeadLetter
from stream.contracts.enriched import EnrichedArticle
from stream.contracts.raw import RawArticle
from stream.contracts.story import StoryUpdate

CONTENT_TYPE = "application/json; charset=utf-8"
CE_SOURCE = "urn:article-stream"

# Message type name -> model. The name is the schema id and the schema file's stem.
MESSAGE_TYPES: dict[str, type[BaseModel]] = {
    "article.raw.v1": RawArticle,
    "article.enriched.v1": EnrichedArticle,
    "story.update.v1": StoryUpdate,
    "article.deadletter.v1": DeadLetter,
}
SCHEMA_IDS = {model: name for name, model in MESSAGE_TYPES.items()}


def utc_now_iso() -> str:
    return iso_utc(datetime.now(UTC))


def iso_utc(moment: datetime) -> str:
    """UTC ISO-8601 with a ``Z``, to the second (what every record of the service carries)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def headers_for(model: type[BaseModel], *, event_id: str | None = None, time: str | None = None) -> list[tuple[str, bytes]]:
    """CloudEvents binary-mode headers for a record of ``model``.

    ``event_id`` should be stable for the same logical event (e.g. article id + revision), so a
    consumer can drop redeliveries by ``ce_id``.
    """
    schema_id = SCHEMA_IDS[model]
    return [
        ("content-type", CONTENT_TYPE.encode()),
        ("ce_specversion", b"1.0"),
        ("ce_id", (event_id or uuid.uuid4().hex).encode()),
        ("ce_source", CE_SOURCE.encode()),
        ("ce_type", f"io.article-stream.{schema_id}".encode()),
        ("ce_time", (time or utc_now_iso()).encode()),
        ("ce_dataschema", f"urn:article-stream:schema:{schema_id}".encode()),
    ]


def record_limits(settings) -> dict[str, int]:
    """Largest record each topic must take (``max.message.bytes``), from the validation limits:
    raw holds what validation may still accept, enriched a body at its limit plus the tags, and the
    DLQ the largest raw record base64-encoded."""
    headroom = 64 * 1024
    return {
        "raw": settings.max_message_bytes + headroom,
        "enriched": 2 * settings.max_body_bytes + headroom,
        "dlq": 2 * settings.max_message_bytes + headroom,
    }


def service_topics(settings) -> dict[str, tuple[int, dict[str, str]]]:
    """The service's public topics: name -> (partitions, topic configs). Documented in schemas/README.md."""
    day_ms = 24 * 3600 * 1000
    limits = {k: str(v) for k, v in record_limits(settings).items()}
    return {
        settings.topic_raw: (settings.partitions, {"retention.ms": str(7 * day_ms), "max.message.bytes": limits["raw"]}),
        settings.topic_enriched: (
            settings.partitions,
            {"retention.ms": str(30 * day_ms), "max.message.bytes": limits["enriched"]},
        ),
        # Keyed by story id: compaction keeps each story's latest state for consumers that join late.
        settings.topic_stories: (settings.partitions, {"cleanup.policy": "compact"}),
        settings.topic_dlq: (settings.partitions, {"retention.ms": str(30 * day_ms), "max.message.bytes": limits["dlq"]}),
    }


async def ensure_service_topics(bootstrap: str, settings) -> None:
    """Create the public topics that do not exist yet. The worker does this before it subscribes:
    a consumer does not see a topic auto-created after it started until its next metadata refresh."""
    from stream.broker.admin import create_topics
    from stream.kafka_security import client_kwargs

    security = client_kwargs(settings.kafka)  # the worker's own connection (TLS, SASL)
    for name, (partitions, configs) in service_topics(settings).items():
        await create_topics(bootstrap, {name: partitions}, replication=settings.replication, configs=configs, security=security)
