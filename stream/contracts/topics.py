"""Topic conventions shared by every producer of the service: message types, keys and headers,
and the service's topics themselves (names, partitions, configs) with their creation in production.

Values are UTF-8 JSON. Headers follow the CloudEvents Kafka protocol binding in binary mode
(``ce_*`` attributes), so consumers can route on the type without parsing the value.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

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


class TopicCreationError(RuntimeError):
    """The broker refused to create a topic, or its partitions got no leader in time."""


async def ensure_service_topics(bootstrap: str, settings, *, security: Mapping[str, Any] | None = None) -> None:
    """Create the public topics that do not exist yet. The worker does this before it subscribes:
    a consumer does not see a topic auto-created after it started until its next metadata refresh.
    The topics are created over the worker's own connection (``settings.kafka``: TLS, SASL) unless
    ``security`` gives other aiokafka kwargs (the demo's own plaintext broker)."""
    from stream.kafka_security import client_kwargs

    if security is None:
        security = client_kwargs(settings.kafka)
    await create_service_topics({"bootstrap_servers": bootstrap, **security}, service_topics(settings), settings.replication)


async def create_service_topics(
    client: Mapping[str, Any], wanted: Mapping[str, tuple[int, Mapping[str, str]]], replication: int, timeout_s: float = 30.0,
) -> dict[str, str]:
    """Create each topic with its partitions and configs (existing ones are left as they are) and
    return once every partition has a leader, so producers can write at once.

    ``client``: aiokafka client kwargs, ``bootstrap_servers`` included. Returns name -> "created" | "exists"."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic
    from aiokafka.errors import TopicAlreadyExistsError

    admin = AIOKafkaAdminClient(**client, request_timeout_ms=int(timeout_s * 1000))
    await admin.start()
    outcome: dict[str, str] = {}
    try:
        for name, (partitions, configs) in wanted.items():
            topic = NewTopic(name, num_partitions=partitions, replication_factor=replication, topic_configs=dict(configs))
            try:
                response = await admin.create_topics([topic], timeout_ms=int(timeout_s * 1000))
            except TopicAlreadyExistsError:
                outcome[name] = "exists"
                continue
            outcome[name] = _creation_outcome(name, response)
        # A created topic must show all its partitions; an existing one keeps the count it has.
        expected = {name: wanted[name][0] if state == "created" else 1 for name, state in outcome.items()}
        await _wait_for_leaders(admin, expected, timeout_s)
    finally:
        try:
            await admin.close()
        except Exception:  # closing a client that never connected may raise; nothing to clean up then
            pass
    return outcome


_ALREADY_EXISTS = 36  # Kafka error code TOPIC_ALREADY_EXISTS


def _creation_outcome(name: str, response) -> str:
    for entry in getattr(response, "topic_errors", None) or getattr(response, "topic_error_codes", None) or []:
        code = entry[1]
        if code == _ALREADY_EXISTS:
            return "exists"
        if code != 0:
            message = entry[2] if len(entry) > 2 else ""
            raise TopicCreationError(f"creating topic {name!r} failed: Kafka error {code} {message or ''}".rstrip())
    return "created"


async def _wait_for_leaders(admin, expected: Mapping[str, int], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    pending = dict(expected)
    while pending:
        for topic in await admin.describe_topics(list(pending)):
            partitions = topic.get("partitions") or []
            led = all(p.get("leader", -1) >= 0 for p in partitions)
            if topic.get("error_code", 0) == 0 and led and len(partitions) >= pending.get(topic["topic"], 1):
                pending.pop(topic["topic"], None)
        if not pending:
            return
        if time.monotonic() > deadline:
            raise TopicCreationError(f"topics without partition leaders after {timeout_s:.0f}s: {sorted(pending)}")
        await asyncio.sleep(0.1)
