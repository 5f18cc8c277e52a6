"""``article-stream produce``: validate articles and publish them to ``articles.raw``, keyed by article id."""

from __future__ import annotations

import asyncio
import hashlib
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Annotated

import typer

from stream.cli.kafka_options import (
    EXIT_USAGE,
    KafkaOptions,
    current_settings,
    fail,
    kafka_command,
    partitions_of,
    resolve_topic,
    run_kafka,
)
from stream.config import Settings
from stream.contracts import RawArticle
from stream.contracts.topics import headers_for
from stream.core.validate import Rejected, decode_raw
from stream.sources import iter_inputs

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_STRICT_STOP = 3
_IN_FLIGHT = 500  # sends awaited in batches: bounded memory, still pipelined


def article_key(raw: RawArticle, settings: Settings) -> str:
    """The id the worker will give this article (``stream.core.normalize``'s rules).

    The publisher's id with a plain ``source`` field, or an http(s) URL without a publisher id,
    decide the id without reading the body; any other article is normalized in full, exactly as
    the worker does, because its id depends on the title and date found in the text.
    Raises ``NormalizationError`` when no story text is left (the worker would dead-letter it).
    """
    from stream.core.normalize import normalize
    from stream.core.normalize.pipeline import article_id
    from stream.core.normalize.text import clean_inline
    from stream.core.normalize.urls import canonical_url

    has_publisher_id = bool(raw.id and raw.id.strip())
    if has_publisher_id and raw.source and clean_inline(raw.source):
        return article_id(raw.id, clean_inline(raw.source), None, "", None, "")
    if not has_publisher_id and raw.url:
        url = canonical_url(raw.url)
        if url:
            return article_id(None, None, url, "", None, "")
    return normalize(raw, settings).id


@dataclass
class Prepared:
    where: str
    value: bytes
    key: str


@dataclass
class Tally:
    sent: int = 0
    rejected: int = 0
    failed: int = 0
    bytes_sent: int = 0
    stopped_at: str | None = None  # --strict: where it stopped

    def reject(self, where: str, reason: str, *, strict: bool) -> bool:
        """Report an invalid input; True when the run must stop here (--strict)."""
        self.rejected += 1
        typer.echo(f"{where}: rejected: {reason}", err=True)
        if strict:
            self.stopped_at = where
        return strict


def check(where: str, value: bytes, settings: Settings) -> Prepared | tuple[str, str]:
    """A record ready to send, or ``(where, reason)`` when the worker would dead-letter it."""
    from stream.core.normalize import NormalizationError

    try:
        raw = decode_raw(value, max_message_bytes=settings.max_message_bytes, max_body_bytes=settings.max_body_bytes)
        return Prepared(where, value, article_key(raw, settings))
    except Rejected as exc:
        return where, f"{exc.code.value}: {exc.reason}"
    except NormalizationError as exc:
        return where, f"missing_content: {exc}"
    except Exception as exc:  # a bug in a stage: the worker would dead-letter it as processing_error too
        return where, f"processing_error: {type(exc).__name__}: {exc}"


def _progress(enabled: bool, total: int | None):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total else TextColumn("{task.completed}"),
        TextColumn("{task.fields[rate]} articles/s"),
        TimeElapsedColumn(),
    ]
    return Progress(*columns, console=Console(stderr=True), disable=not enabled, transient=False)


def _count(paths: list[str]) -> int | None:
    """How many inputs there are (a second pass over the files), or None when reading stdin."""
    if any(p == "-" for p in paths):
        return None
    return sum(1 for _ in iter_inputs(paths))


def refusal(error: BaseException, size: int, topic: str) -> str:
    """What a publisher reads when a record is not delivered: for a record over the topic's size
    limit, that the broker refused it and why, not an exception's name."""
    from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError

    if isinstance(error, (MessageSizeTooLargeError, RecordTooLargeError)):
        return (f"the broker refused the record: {size:,} bytes is more than topic {topic} accepts (its "
                f"max.message.bytes; the worker accepts up to ARTICLE_STREAM_MAX_MESSAGE_BYTES, see docs/limits.md)")
    return f"delivery failed: {type(error).__name__}: {error}"


async def topic_record_limit(kafka: KafkaOptions, topic: str) -> int | None:
    """The topic's ``max.message.bytes``, or None when the broker does not say (no permission)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = AIOKafkaAdminClient(**kafka.client_kwargs(), request_timeout_ms=15_000)
    await admin.start()
    try:
        for response in await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)]):
            for resource in response.resources:  # (error_code, error_message, type, name, entries)
                for entry in resource[4]:
                    if entry[0] == "max.message.bytes" and entry[1]:
                        return int(entry[1])
    except Exception:
        return None
    finally:
        await admin.close()
    return None


# A record's size on the wire beyond its key, value and headers (a batch of one: the batch header,
# the record's varints), so a record is checked the way the broker will check it.
_RECORD_OVERHEAD = 128


async def _send_all(
    kafka: KafkaOptions, topic: str, records: Iterable[Prepared | tuple[str, str]], tally: Tally, *, strict: bool, on_step
) -> None:
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    settings = current_settings()
    # A missing topic would be auto-created by some brokers with the wrong partitions: refuse instead.
    await partitions_of(kafka, topic)
    # A record over the topic's limit is refused by the broker, and with idempotence that refusal also
    # fails the record sent after it (out-of-order sequence): check the limit before sending.
    limit = await topic_record_limit(kafka, topic)
    producer = AIOKafkaProducer(
        **kafka.client_kwargs(),
        acks="all",
        enable_idempotence=True,
        # Room for the largest message the worker accepts, plus key and headers.
        max_request_size=settings.max_message_bytes + 64 * 1024,
        request_timeout_ms=30_000,
    )
    await producer.start()
    pending: list[tuple[asyncio.Future, int, str]] = []

    def refused(where: str, size: int, error: BaseException) -> None:
        tally.failed += 1
        typer.echo(f"{where}: not sent: {refusal(error, size, topic)}", err=True)

    async def drain() -> None:
        for future, size, where in pending:
            try:
                await future
                tally.sent += 1
                tally.bytes_sent += size
            except Exception as error:  # a record the broker refused; the rest may still go through
                refused(where, size, error)
        pending.clear()

    try:
        for item in records:
            if isinstance(item, tuple):
                if tally.reject(*item, strict=strict):
                    break
            else:
                key = item.key.encode()
                # ce_id is stable for the same bytes under the same key, so consumers can drop redeliveries.
                event_id = hashlib.sha256(key + b"\0" + item.value).hexdigest()[:32]
                headers = headers_for(RawArticle, event_id=event_id)
                size = len(item.value) + len(key) + sum(len(k) + len(v) for k, v in headers) + _RECORD_OVERHEAD
                if limit is not None and size > limit:
                    tally.failed += 1
                    typer.echo(f"{item.where}: not sent: the broker refuses the record: {len(item.value):,} bytes is more "
                               f"than topic {topic} accepts (max.message.bytes {limit:,}; see docs/limits.md)", err=True)
                    on_step()
                    continue
                try:
                    future = await producer.send(topic, item.value, key=key, headers=headers)
                except KafkaError as error:  # refused before sending (larger than a request may be)
                    refused(item.where, len(item.value), error)
                else:
                    pending.append((future, len(item.value), item.where))
                if len(pending) >= _IN_FLIGHT:
                    await drain()
            on_step()
        await drain()
    finally:
        await producer.stop()


def produce(
    paths: Annotated[
        list[str],
        typer.Argument(help="JSONL files (one RawArticle a line), .html/.txt pages, directories of them, or - for stdin."),
    ],
    topic: Annotated[str, typer.Option("--topic", "-t", help="Target topic (default: $ARTICLE_STREAM_TOPIC_RAW, articles.raw).")] = "",
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first invalid input (exit 3); what came before it is sent.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate and print each input's key; send nothing (no broker needed).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    *,
    kafka: KafkaOptions,
) -> None:
    """Publish articles to articles.raw: validated first (the worker's own checks), keyed by article id.

    Each invalid input is reported on stderr with its file and line number and the reason, and is not sent. Keys are the ids the worker will give the articles, so all versions of an article land on one partition. A progress bar with the rate shows on a terminal; a summary (sent, rejected, bytes) ends the run on stdout.

    Exit codes: 0 all sent; 1 some inputs rejected (the valid ones were sent); 2 usage or connection error, or the broker refused records; 3 stopped by --strict at an invalid input.
    """
    settings = current_settings()
    target = resolve_topic(topic, settings) if topic else settings.topic_raw
    if not dry_run:
        kafka.client_kwargs()  # fail fast (exit 2) on a missing broker or bad security options
    try:
        total = _count(paths)
    except OSError as error:
        fail(str(error))
    tally = Tally()
    started = time.monotonic()
    show = not quiet and sys.stderr.isatty()

    with _progress(show, total) as progress:
        task = progress.add_task("sending" if not dry_run else "checking", total=total, rate="0")

        def step() -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            done = progress.tasks[0].completed + 1
            progress.update(task, advance=1, rate=f"{done / elapsed:,.0f}")

        def records() -> Iterator[Prepared | tuple[str, str]]:
            try:
                for where, value in iter_inputs(paths):
                    yield check(where, value, settings)
            except OSError as error:
                fail(str(error))

        if dry_run:
            for item in records():
                if isinstance(item, tuple):
                    if tally.reject(*item, strict=strict):
                        break
                else:
                    tally.sent += 1
                    tally.bytes_sent += len(item.value)
                    typer.echo(f"{item.where}\t{item.key}")
                step()
        else:
            run_kafka(_send_all(kafka, target, records(), tally, strict=strict, on_step=step), kafka.bootstrap())

    elapsed = time.monotonic() - started
    verb = "valid" if dry_run else f"sent to {target}"
    summary = f"{verb}: {tally.sent}, rejected: {tally.rejected}, bytes: {tally.bytes_sent:,}, in {elapsed:.1f}s"
    if tally.failed:
        summary += f", delivery failed: {tally.failed}"
    typer.echo(summary)
    if tally.stopped_at:
        typer.echo(f"stopped at {tally.stopped_at} (--strict)", err=True)
        raise typer.Exit(EXIT_STRICT_STOP)
    if tally.failed:
        raise typer.Exit(EXIT_USAGE)
    if tally.rejected:
        raise typer.Exit(EXIT_REJECTED)


produce = kafka_command(produce)
