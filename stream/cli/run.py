"""``article-stream worker`` and ``article-stream demo`` (the README's run command)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import orjson
import typer

from stream.config import get_settings
from stream.sources import SAMPLES_DIR, iter_inputs


def worker() -> None:
    """Run the Faust worker: consume articles.raw, emit enriched articles, stories and dead letters."""
    settings = get_settings()
    if not settings.broker:
        typer.echo("ARTICLE_STREAM_BROKER is not set (host:port of a Kafka broker)", err=True)
        raise typer.Exit(2)
    from stream.cli.kafka_options import quiet_kafka_logs, run_kafka
    from stream.contracts.topics import ensure_service_topics
    from stream.logs import logging_config
    from stream.worker.shutdown import BoundedWorker, install_early_deadline

    install_early_deadline(settings.shutdown_grace_seconds)
    # An unreachable broker: one line and exit 2, as every other Kafka command (not a traceback).
    quiet_kafka_logs()
    run_kafka(ensure_service_topics(settings.broker, settings), settings.broker)
    aiokafka_log = logging.getLogger("aiokafka")  # the worker logs aiokafka as it logs itself
    aiokafka_log.setLevel(logging.NOTSET)
    aiokafka_log.propagate = True

    from stream.worker import app

    faust_worker = BoundedWorker(
        app,
        grace_seconds=settings.shutdown_grace_seconds,
        loglevel=settings.log_level.lower(),
        logging_config=logging_config(settings.log_format, settings.log_level),
        quiet=True,
    )
    if settings.log_format == "json" or not sys.stdout.isatty():
        faust_worker.spinner = None  # its terminal escape codes would corrupt the first log line
    faust_worker.execute_from_commandline()


def summary_line(record: dict) -> str:
    """One readable line for an enriched article."""
    topics = ", ".join(t["id"] for t in record.get("topics", [])[:3]) or "-"
    regions = ", ".join(r["id"] + ("*" if r.get("primary") else "") for r in record.get("regions", [])[:5]) or "-"
    return (
        f"{record.get('published_at') or '(no date)'}  {record['title'][:70]}\n"
        f"    id={record['id']} story={record.get('story_id')} related={len(record.get('related', []))}"
        f" topics=[{topics}] regions=[{regions}]"
    )


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for p in described.get("partitions") or [])


async def _feed_and_follow(bootstrap: str, inputs: list[tuple[str, bytes]], *, stop_after: bool, as_json: bool, timeout: float) -> int:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    from stream.contracts.topics import ensure_service_topics

    settings = get_settings()
    await ensure_service_topics(bootstrap, settings)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        outputs = [settings.topic_enriched, settings.topic_dlq]
        tps = [TopicPartition(t, p) for t in outputs for p in await _partitions(bootstrap, t)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)  # only what this run causes
        for tp in tps:
            await consumer.position(tp)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for _, value in inputs:
                await producer.send_and_wait(settings.topic_raw, value)
        finally:
            await producer.stop()
        typer.echo(f"published {len(inputs)} sample articles to {settings.topic_raw}; waiting for results…", err=True)
        seen = 0
        deadline = time.monotonic() + timeout if stop_after else None
        while not stop_after or seen < len(inputs):
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                typer.echo(f"timed out: {seen} of {len(inputs)} results after {timeout:.0f}s", err=True)
                return 1
            batch = await consumer.getmany(timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    seen += 1
                    value = orjson.loads(record.value)
                    if as_json:
                        typer.echo(record.value.decode())
                    elif tp.topic == settings.topic_dlq:
                        typer.echo(f"DEAD LETTER {value['error_code']}: {value['reason']}")
                    else:
                        typer.echo(summary_line(value))
        return 0
    finally:
        await consumer.stop()


def demo(
    paths: Annotated[list[Path] | None, typer.Argument(help="Articles to feed (default: the bundled samples).")] = None,
    stop_after_samples: Annotated[bool, typer.Option("--stop-after-samples", help="Exit once every sample has a result.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the enriched records as JSON lines.")] = False,
    timeout: Annotated[float, typer.Option(help="With --stop-after-samples: give up after this many seconds.")] = 180.0,
) -> None:
    """Start everything (a fresh embedded broker unless ARTICLE_STREAM_BROKER is set, and a worker), feed
    the sample articles, and print the enriched records as they arrive until Ctrl-C.

    The worker's log goes to a file (its path is printed). With your own broker, note that the worker
    does not emit an identical re-send of an article it has already processed."""
    settings = get_settings()
    with contextlib.ExitStack() as stack:
        bootstrap = settings.broker
        if not bootstrap:
            from stream.broker import EmbeddedBroker

            # A fresh broker per run: every run shows the same results, and nothing is left behind.
            bootstrap = stack.enter_context(EmbeddedBroker()).bootstrap
        typer.echo(f"broker: {bootstrap}", err=True)
        inputs = list(iter_inputs(paths or [SAMPLES_DIR]))
        env = {**os.environ, "ARTICLE_STREAM_BROKER": bootstrap}
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="article-stream-demo-")))
        log_path = log_dir / "worker.log"
        log_file = stack.enter_context(log_path.open("wb"))
        worker_proc = subprocess.Popen([sys.executable, "-m", "stream", "worker"], env=env, stdout=log_file, stderr=subprocess.STDOUT)
        stack.callback(_stop_process, worker_proc)
        typer.echo(f"worker: pid {worker_proc.pid}, http://{settings.web_host}:{settings.web_port}/ready, log {log_path}", err=True)
        code = 0
        try:
            code = asyncio.run(_feed_and_follow(bootstrap, inputs, stop_after=stop_after_samples, as_json=as_json, timeout=timeout))
        except KeyboardInterrupt:
            pass
        if code:
            typer.echo("worker log (last lines):\n" + "\n".join(log_path.read_text(errors="replace").splitlines()[-30:]), err=True)
    raise typer.Exit(code)


def _stop_process(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
