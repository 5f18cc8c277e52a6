"""``article-stream replay``: re-publish an offset range or a time range of a topic, keys and headers kept."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from stream.cli.kafka_options import (
    KafkaOptions,
    complete_topic,
    current_settings,
    fail,
    kafka_command,
    partitions_of,
    resolve_topic,
    run_kafka,
)

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_moment(text: str, now: datetime | None = None) -> datetime:
    """ISO-8601 (a zone-less time is UTC; a date alone is its midnight UTC) or a duration ago: 30m, 2h, 7d."""
    now = now or datetime.now(UTC)
    text = text.strip()
    match = _DURATION.match(text)
    if match:
        return now - timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not a time: {text!r} (use ISO-8601 like 2024-12-05T09:00Z, or a duration ago like 2h or 7d)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class Span:
    """Offsets ``[start, end)`` of one partition to replay."""

    partition: int
    start: int
    end: int

    @property
    def size(self) -> int:
        return max(0, self.end - self.start)


async def plan(
    kafka: KafkaOptions,
    topic: str,
    *,
    partitions: list[int] | None,
    from_offset: int | None,
    to_offset: int | None,
    since: datetime | None,
    until: datetime | None,
) -> list[Span]:
    """The offset span of each partition, clipped to what the topic holds now (so a replay into the
    topic it reads from never reads its own output)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    existing = await partitions_of(kafka, topic)
    chosen = partitions if partitions else existing
    missing = sorted(set(chosen) - set(existing))
    if missing:
        fail(f"topic {topic!r} has no partition {', '.join(map(str, missing))} (it has {', '.join(map(str, existing))})")
    tps = [TopicPartition(topic, p) for p in chosen]
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        first = await consumer.beginning_offsets(tps)
        last = await consumer.end_offsets(tps)
        starts = {tp: first[tp] for tp in tps}
        ends = {tp: last[tp] for tp in tps}
        if since is not None:
            found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
            starts = {tp: (found[tp].offset if found.get(tp) else ends[tp]) for tp in tps}
        if until is not None:
            found = await consumer.offsets_for_times({tp: int(until.timestamp() * 1000) for tp in tps})
            ends = {tp: (found[tp].offset if found.get(tp) else ends[tp]) for tp in tps}
        if from_offset is not None:
            starts = {tp: max(from_offset, first[tp]) for tp in tps}
        if to_offset is not None:
            ends = {tp: min(to_offset, last[tp]) for tp in tps}
    finally:
        await consumer.stop()
    return [Span(tp.partition, starts[tp], ends[tp]) for tp in tps]


@dataclass
class Result:
    read: int = 0
    sent: int = 0
    bytes: int = 0


async def copy(kafka: KafkaOptions, source: str, target: str, spans: list[Span], *, dry_run: bool, on_record=None) -> Result:
    """Read each span and (unless ``dry_run``) send every record to ``target`` with its key and headers."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    result = Result()
    todo = {TopicPartition(source, s.partition): s for s in spans if s.size > 0}
    if not todo:
        return result
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False, max_partition_fetch_bytes=16 << 20)
    producer = None
    if not dry_run:
        producer = AIOKafkaProducer(**kafka.client_kwargs(), acks="all", enable_idempotence=True, max_request_size=16 << 20)
        await producer.start()
    await consumer.start()
    pending = []
    try:
        consumer.assign(list(todo))
        for tp, span in todo.items():
            consumer.seek(tp, span.start)
        while todo:
            batch = await consumer.getmany(*todo, timeout_ms=1000, max_records=1000)
            for tp, records in batch.items():
                span = todo.get(tp)
                if span is None:
                    continue
                for record in records:
                    if record.offset >= span.end:
                        break
                    result.read += 1
                    result.bytes += len(record.value or b"")
                    if producer is not None:
                        pending.append(await producer.send(target, record.value, key=record.key, headers=list(record.headers or ())))
                    if on_record:
                        on_record()
                # Done with a partition once its position passes the span (offsets may have gaps:
                # compaction, transaction markers).
                if await consumer.position(tp) >= span.end:
                    todo.pop(tp)
                    consumer.pause(tp)
            if not batch:
                for tp, span in list(todo.items()):
                    if await consumer.position(tp) >= span.end:
                        todo.pop(tp)
            if len(pending) >= 500:
                for future in pending:
                    await future
                result.sent += len(pending)
                pending.clear()
        for future in pending:
            await future
        result.sent += len(pending)
    finally:
        await consumer.stop()
        if producer is not None:
            await producer.stop()
    return result


def replay(
    source: Annotated[
        str, typer.Option("--from-topic", help="Topic to read (default: articles.raw). Short names: raw, enriched, stories, dlq.", autocompletion=complete_topic)
    ] = "raw",
    target: Annotated[str, typer.Option("--to-topic", help="Topic to publish to (default: articles.raw).", autocompletion=complete_topic)] = "raw",
    partitions: Annotated[list[int] | None, typer.Option("--partition", "-p", min=0, help="Only this partition (repeatable). Default: all.")] = None,
    from_offset: Annotated[int | None, typer.Option("--from-offset", min=0, help="First offset to replay, in each chosen partition (inclusive).")] = None,
    to_offset: Annotated[int | None, typer.Option("--to-offset", min=0, help="Offset to stop at, in each chosen partition (exclusive).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Replay records written at or after this time: ISO-8601 (UTC if no zone) or a duration ago (30m, 2h, 7d).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Stop at records written at or after this time (same formats as --since).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and count what would be replayed; send nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Replay the whole topic without a range (otherwise refused).")] = False,
    *,
    kafka: KafkaOptions,
) -> None:
    """Re-publish a range of a topic to a topic (by default articles.raw into itself), keeping each record's key and headers.

    Use it to rebuild the enriched stream after an improvement: replay the raw articles of a time range and the worker processes them again. Choose a range by offsets (--from-offset/--to-offset, per partition) or by record time (--since/--until, via the broker's time index), not both. The range ends at the topic's end as it is when the command starts, so replaying a topic into itself terminates.

    Exit codes: 0 done; 2 usage or connection error.
    """
    settings = current_settings()
    source_topic, target_topic = resolve_topic(source, settings), resolve_topic(target, settings)
    if (from_offset is not None or to_offset is not None) and (since or until):
        fail("choose offsets (--from-offset/--to-offset) or times (--since/--until), not both")
    if from_offset is not None and to_offset is not None and to_offset < from_offset:
        fail("--to-offset is before --from-offset")
    if from_offset is None and to_offset is None and not since and not until and not yes and not dry_run:
        fail("no range given: pass --from-offset/--to-offset or --since/--until, or --yes to replay everything")
    try:
        since_at = parse_moment(since) if since else None
        until_at = parse_moment(until) if until else None
    except ValueError as error:
        fail(str(error))
    if since_at and until_at and until_at < since_at:
        fail("--until is before --since")
    bootstrap = kafka.client_kwargs()["bootstrap_servers"]

    async def run():
        if not dry_run:  # a missing target would be auto-created by some brokers with the wrong partitions
            await partitions_of(kafka, target_topic)
        spans = await plan(
            kafka, source_topic, partitions=partitions, from_offset=from_offset, to_offset=to_offset, since=since_at, until=until_at
        )
        for span in spans:
            typer.echo(f"{source_topic}[{span.partition}]: offsets [{span.start}, {span.end}) ({span.size} records at most)", err=True)
        total = sum(s.size for s in spans)
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, TimeElapsedColumn

        show = sys.stderr.isatty() and total > 0
        with Progress(
            "{task.description}", BarColumn(), MofNCompleteColumn(), TaskProgressColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), disable=not show,
        ) as progress:
            task = progress.add_task("counting" if dry_run else "replaying", total=total)
            return await copy(kafka, source_topic, target_topic, spans, dry_run=dry_run, on_record=lambda: progress.advance(task))

    result = run_kafka(run(), bootstrap)
    if dry_run:
        typer.echo(f"dry run: would replay {result.read} records ({result.bytes:,} bytes) from {source_topic} to {target_topic}")
    else:
        typer.echo(f"replayed {result.sent} records ({result.bytes:,} bytes) from {source_topic} to {target_topic}")


replay = kafka_command(replay)
