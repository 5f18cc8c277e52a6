"""``article-stream tail``: follow articles.enriched, stories or articles.dlq, readable or as JSON lines."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
import typer

from stream.cli.kafka_options import (
    EXIT_USAGE,
    KafkaOptions,
    complete_topic,
    current_settings,
    fail,
    kafka_command,
    partitions_of,
    resolve_topic,
    run_kafka,
)
from stream.cli.run import related_lines, summary_line

EXIT_NOTHING = 1  # --timeout passed and not one (matching) record arrived

# Record kinds, from the CloudEvents ce_type header (set by every producer of the service).
ENRICHED, STORY, DEAD_LETTER, RAW, OTHER = "enriched", "story", "dead_letter", "raw", "other"
_CE_TYPES = {
    b"io.article-stream.article.enriched.v1": ENRICHED,
    b"io.article-stream.story.update.v1": STORY,
    b"io.article-stream.article.deadletter.v1": DEAD_LETTER,
    b"io.article-stream.article.raw.v1": RAW,
}


def record_kind(value: dict[str, Any], headers: dict[str, bytes]) -> str:
    """What a record is: from its ce_type header, else from its shape (records without headers)."""
    kind = _CE_TYPES.get(headers.get("ce_type", b""))
    if kind:
        return kind
    if "error_code" in value and "original_value" in value:
        return DEAD_LETTER
    if "story_id" in value and "event" in value:
        return STORY
    if "fingerprint" in value and "title" in value:
        return ENRICHED
    if "body" in value or "html" in value:
        return RAW
    return OTHER


# --- filters: FIELD:VALUE, all must match -------------------------------------------------------


def _tags_of(value: dict[str, Any]) -> list[str]:
    return list(value.get("tags") or []) + list(value.get("top_tags") or [])


def _tag_matches(wanted: str, tags: list[str]) -> bool:
    # A parent matches its children: tag:topic:politics matches topic:politics/diplomacy.
    return any(t == wanted or t.startswith(wanted + "/") for t in tags)


_FILTERS: dict[str, Callable[[str, dict[str, Any]], bool]] = {
    "tag": lambda want, v: _tag_matches(want, _tags_of(v)),
    "story": lambda want, v: v.get("story_id") == want,
    "id": lambda want, v: want in (v.get("id"), v.get("article_id")),
    "source": lambda want, v: (v.get("source") or "").casefold() == want.casefold(),
    "code": lambda want, v: v.get("error_code") == want,
    "title": lambda want, v: want.casefold() in (v.get("title") or "").casefold(),
}
FILTER_HELP = (
    "Show only matching records; repeat to require all. FIELD:VALUE with FIELD one of: "
    "tag (tag:region:KP, tag:topic:politics matches its subtopics too), story (story id), id (article id), "
    "source, code (dead-letter error code), title (case-insensitive substring)."
)


@dataclass(frozen=True)
class Filter:
    field: str
    value: str

    @classmethod
    def parse(cls, text: str) -> Filter:
        name, sep, value = text.partition(":")
        if not sep or not value or name not in _FILTERS:
            raise ValueError(f"bad filter {text!r}: use FIELD:VALUE with FIELD in {', '.join(_FILTERS)}")
        return cls(name, value)

    def __call__(self, value: dict[str, Any]) -> bool:
        return _FILTERS[self.field](self.value, value)


# --- readable output ----------------------------------------------------------------------------


def readable(kind: str, value: dict[str, Any]) -> str:
    if kind == ENRICHED:
        return "\n".join([summary_line(value), *related_lines(value)])
    if kind == STORY:
        tags = ", ".join((value.get("top_tags") or [])[:5]) or "-"
        span = f"{value.get('first_seen') or '?'} .. {value.get('last_seen') or '?'}"
        merged = f" -> {value['merged_into']}" if value.get("merged_into") else ""
        return (
            f"{value.get('updated_at', '')}  STORY {value.get('event', '?')}{merged}  {str(value.get('title', ''))[:70]}\n"
            f"    story={value.get('story_id')} size={value.get('size')} article={value.get('article_id')} seen={span} tags=[{tags}]"
        )
    if kind == DEAD_LETTER:
        where = f"{value.get('original_topic')}/{value.get('original_partition')}@{value.get('original_offset')}"
        return (
            f"{value.get('failed_at', '')}  DEAD LETTER {value.get('error_code')} at {value.get('stage')}: {value.get('reason')}\n"
            f"    from {where} key={value.get('original_key')} value={str(value.get('original_value', ''))[:80]!r}"
        )
    if kind == RAW:
        title = value.get("title") or (value.get("extra") or {}).get("file") or "(no title)"
        return f"{value.get('published_at') or '(no date)'}  RAW {str(title)[:70]}  id={value.get('id')} url={value.get('url')}"
    return orjson.dumps(value).decode()


def _one_line(value: bytes | None) -> str:
    """The record as one JSON line: as stored when it is one line already, else re-serialized compactly."""
    if value is None:
        return "null"
    if b"\n" not in value and b"\r" not in value:
        return value.decode("utf-8", "replace")
    try:
        return orjson.dumps(orjson.loads(value)).decode()
    except orjson.JSONDecodeError:
        return orjson.dumps(value.decode("utf-8", "replace")).decode()


# --- the consumer -------------------------------------------------------------------------------


async def follow(
    kafka: KafkaOptions,
    topic: str,
    emit: Callable[[str], None],
    *,
    from_beginning: bool,
    max_records: int | None,
    idle_timeout: float | None,
    filters: list[Filter],
    as_json: bool,
) -> int:
    """Print records of ``topic`` until ``max_records`` matched or ``idle_timeout`` seconds pass without
    a record. Returns how many were printed."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False, request_timeout_ms=15_000)
    await consumer.start()
    printed = 0
    try:
        tps = [TopicPartition(topic, p) for p in await partitions_of(kafka, topic)]
        consumer.assign(tps)
        if from_beginning:
            await consumer.seek_to_beginning(*tps)
        else:
            await consumer.seek_to_end(*tps)
        for tp in tps:  # resolve positions now, so records produced from here on are seen
            await consumer.position(tp)
        last_record = time.monotonic()
        while max_records is None or printed < max_records:
            if idle_timeout is not None and time.monotonic() - last_record >= idle_timeout:
                break
            batch = await consumer.getmany(timeout_ms=200, max_records=500)
            for records in batch.values():
                for record in records:
                    last_record = time.monotonic()
                    try:
                        value = orjson.loads(record.value) if record.value is not None else {}
                    except orjson.JSONDecodeError:
                        value = {"undecodable": record.value.decode("utf-8", "replace")}
                    if not isinstance(value, dict) or not all(f(value) for f in filters):
                        continue
                    if as_json:
                        emit(_one_line(record.value))
                    else:
                        try:
                            emit(readable(record_kind(value, dict(record.headers or ())), value))
                        except (KeyError, TypeError, AttributeError):  # claims a type but lacks its fields
                            emit(orjson.dumps(value).decode())
                    printed += 1
                    if max_records is not None and printed >= max_records:
                        return printed
        return printed
    finally:
        await consumer.stop()


def tail(
    topic: Annotated[
        str,
        typer.Argument(
            help="Topic to follow: articles.enriched, stories, articles.dlq (or the short names enriched, stories, dlq, raw), or any topic.",
            autocompletion=complete_topic,
        ),
    ] = "enriched",
    from_beginning: Annotated[bool, typer.Option("--from-beginning", help="Start at the oldest record instead of only new ones.")] = False,
    max_records: Annotated[int | None, typer.Option("--max", "-n", min=1, help="Stop after N records (after filtering).")] = None,
    timeout: Annotated[float | None, typer.Option("--timeout", min=0.0, help="Stop after S seconds without a new record.")] = None,
    filters: Annotated[list[str] | None, typer.Option("--filter", "-f", help=FILTER_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record a line, as stored (for jq and pipes).")] = False,
    *,
    kafka: KafkaOptions,
) -> None:
    """Follow a topic of the service and print its records as they arrive, until Ctrl-C, --max or --timeout.

    Readable by default: an enriched article shows its time, title, story, related count, top topics and regions (* marks primary regions), and its strongest related links with the tags they share; a story update its event, size, first/last seen and top tags; a dead letter its error code, reason and origin.

    Exit codes: 0 done: Ctrl-C, --max reached, or --timeout after at least one record (fewer than --max is noted on stderr); 1 --timeout passed and no record (matching the filters) came; 2 usage or connection error.
    """
    settings = current_settings()
    try:
        parsed = [Filter.parse(f) for f in filters or []]
    except ValueError as error:
        fail(str(error), EXIT_USAGE)
    name = resolve_topic(topic, settings)
    kwargs = kafka.client_kwargs()
    printed = run_kafka(
        follow(
            kafka,
            name,
            lambda line: typer.echo(line),
            from_beginning=from_beginning,
            max_records=max_records,
            idle_timeout=timeout,
            filters=parsed,
            as_json=as_json,
        ),
        kwargs["bootstrap_servers"],
        on_interrupt=-1,
    )
    if printed == -1:  # Ctrl-C: the normal way to stop following
        return
    if printed == 0:  # only a --timeout ends a read without records
        typer.echo(f"no records in {timeout:g}s", err=True)
        raise typer.Exit(EXIT_NOTHING)
    if max_records is not None and printed < max_records:  # a normal end of a read: what there was
        typer.echo(f"{printed} of {max_records} records before the {timeout:g}s timeout", err=True)


tail = kafka_command(tail)
