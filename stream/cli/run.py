"""``article-stream worker`` and ``article-stream demo`` (the README's run command)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from stream.cli.kafka_options import KafkaOptions, kafka_command
from stream.config import get_settings
from stream.sources import SAMPLES_DIR, iter_inputs

EXIT_OK, EXIT_INCOMPLETE, EXIT_USAGE = 0, 1, 2


@kafka_command
def worker(kafka: KafkaOptions) -> None:
    """Run the Faust worker: consume articles.raw, emit enriched articles, stories and dead letters.

    Exit codes: 0 stopped (Ctrl-C or SIGTERM); 1 the worker failed (its log says why, e.g. the HTTP port is in use); 2 no broker (--broker or ARTICLE_STREAM_BROKER), the broker is unreachable, or the security options are inconsistent.
    """
    from stream.cli.kafka_options import current_settings, run_kafka
    from stream.contracts.topics import ensure_service_topics
    from stream.logs import logging_config
    from stream.worker.shutdown import BoundedWorker, install_early_deadline

    settings = current_settings()  # built once for this command: the environment and the Kafka options
    bootstrap = kafka.client_kwargs()["bootstrap_servers"]  # exits 2 before any work when options are wrong
    install_early_deadline(settings.shutdown_grace_seconds)
    # An unreachable broker: one line and exit 2, as every other Kafka command (not a traceback).
    run_kafka(ensure_service_topics(bootstrap, settings), bootstrap)
    aiokafka_log = logging.getLogger("aiokafka")  # the worker logs aiokafka as it logs itself
    aiokafka_log.setLevel(logging.NOTSET)
    aiokafka_log.propagate = True

    from stream.worker.app import create_app
    from stream.worker.loop import use_uvloop

    use_uvloop()  # before the app: Faust runs on the loop of the policy in force
    app, _ = create_app(settings)
    from stream.worker.heap import freeze_long_lived, load_relate_resources, tune_collector

    tune_collector()  # see stream/worker/heap.py
    load_relate_resources(settings.core().relate)
    freeze_long_lived()  # modules, lexicons and the app live as long as the process
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


# --- readable records (shared with `tail`) ------------------------------------------------------


def summary_line(record: dict) -> str:
    """One readable entry for an enriched article: time and title, then ids, counts, topics and regions."""
    topics = ", ".join(t["id"] for t in record.get("topics", [])[:3]) or "-"
    regions = ", ".join(r["id"] + ("*" if r.get("primary") else "") for r in record.get("regions", [])[:5]) or "-"
    return (
        f"{record.get('published_at') or '(no date)'}  {record['title']}\n"
        f"    id={record['id']} story={record.get('story_id')} related={len(record.get('related', []))}"
        f" topics=[{topics}] regions=[{regions}]"
    )


def shorten(text: str, width: int) -> str:
    """``text`` cut at a word boundary to at most ``width`` characters, marked with an ellipsis."""
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0] if " " in text[: width - 1] else text[: width - 1]
    return cut.rstrip(" ,;:-") + "…"


def related_lines(record: dict, count: int = 3) -> list[str]:
    """The strongest related links, each with its score and the tags it shares with the article."""
    lines = []
    for link in (record.get("related") or [])[:count]:
        shared = ", ".join((link.get("shared_tags") or [])[:5]) or "-"
        title = shorten(str(link.get("title") or link.get("id")), 72)
        lines.append(f"    related {float(link.get('score') or 0):.2f}: {title}  shared: {shared}")
    return lines


# --- what the demo saw --------------------------------------------------------------------------


@dataclass
class Tally:
    """The demo's results: records it read back, story updates, and the worker's unchanged count."""

    inputs: int
    enriched: int = 0
    dead_lettered: int = 0
    unchanged: int = 0  # from the worker's metrics: identical re-sends are not emitted, only counted
    related_links: int = 0
    titles: dict[str, str] = field(default_factory=dict)  # article id -> title
    article_story: dict[str, str] = field(default_factory=dict)  # article id -> story id when emitted
    stories: dict[str, dict[str, Any]] = field(default_factory=dict)  # story id -> its latest update
    merged_into: dict[str, str] = field(default_factory=dict)

    @property
    def processed(self) -> int:
        return self.enriched + self.dead_lettered + self.unchanged

    def add_enriched(self, record: dict[str, Any]) -> None:
        self.enriched += 1
        self.related_links += len(record.get("related") or [])
        self.titles[record["id"]] = record.get("title") or record["id"]
        if record.get("story_id"):
            self.article_story[record["id"]] = record["story_id"]

    def add_story_update(self, update: dict[str, Any]) -> None:
        story_id = update.get("story_id")
        if not story_id:
            return
        if update.get("event") == "merged" and update.get("merged_into"):
            self.merged_into[story_id] = update["merged_into"]
        else:
            self.stories[story_id] = update

    def _resolve(self, story_id: str) -> str:
        for _ in range(64):  # merge chains are short; bound the walk anyway
            if story_id not in self.merged_into:
                break
            story_id = self.merged_into[story_id]
        return story_id

    def threads(self) -> dict[str, list[str]]:
        """Live story id -> the article ids of this run in it (after merges)."""
        out: dict[str, list[str]] = {}
        for article_id, story_id in self.article_story.items():
            out.setdefault(self._resolve(story_id), []).append(article_id)
        return out

    def multi_article_stories(self) -> list[tuple[str, list[str]]]:
        found = [(sid, ids) for sid, ids in self.threads().items() if len(ids) > 1]
        return sorted(found, key=lambda item: (-len(item[1]), item[0]))


def story_block(tally: Tally) -> list[str]:
    """The stories with several articles: title, size, span, shared top tags and each article's title."""
    multi = tally.multi_article_stories()
    lines = [f"stories with several articles: {len(multi)}"]
    for story_id, article_ids in multi:
        update = tally.stories.get(story_id, {})
        title = update.get("title") or tally.titles.get(article_ids[0], story_id)
        first, last = (str(update.get(k) or "?")[:10] for k in ("first_seen", "last_seen"))
        tags = ", ".join((update.get("top_tags") or [])[:5]) or "-"
        lines.append(f"  {len(article_ids)} articles  {first} .. {last}  {shorten(title, 80)}")
        lines.append(f"      story={story_id} tags: {tags}")
        lines += [f"      - {shorten(tally.titles[a], 100)}" for a in article_ids]
    return lines


def summary(tally: Tally, elapsed: float, first_result: float | None, published: float | None) -> str:
    threads = tally.threads()
    first = "no result" if first_result is None else f"first result after {first_result:.1f}s"
    after = "" if first_result is None or published is None else f" ({first_result - published:.1f}s after publishing)"
    return (
        f"summary: {tally.inputs} inputs in {elapsed:.1f}s: {tally.enriched} enriched, {tally.dead_lettered} dead-lettered, "
        f"{tally.unchanged} unchanged; {len(threads)} stories ({len(tally.multi_article_stories())} with several articles), "
        f"{tally.related_links} related links; {first}{after}"
    )


# --- the worker process -------------------------------------------------------------------------


def in_event_order(inputs: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The inputs as a live feed would bring them: oldest publication first (the pipeline's own reading
    of each date; undated and unreadable inputs last). Fed in file order, a sample from March would
    close the related-story window on the December ones before they arrive."""
    from stream.core.pipeline import Pipeline

    reader = Pipeline(get_settings().core())

    def published(item: tuple[str, bytes]) -> str:
        prepared = reader.prepare(item[1]).enriched
        return (prepared.published_at or "~") if prepared is not None else "~"

    return sorted(inputs, key=published)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class WorkerProcess:
    proc: subprocess.Popen
    url: str
    log_path: Path

    def died(self) -> int | None:
        return self.proc.poll()

    def log_tail(self, lines: int = 20) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, b""

    def poll(self) -> tuple[bool, int | None]:
        """(ready, unchanged count); (False, None) while the HTTP port does not answer."""
        try:
            ready = self.get("/ready")[0] == 200
            status, body = self.get("/metrics")
        except OSError:
            return False, None
        if status != 200:
            return ready, None
        for line in body.decode("utf-8", "replace").splitlines():
            if line.startswith("article_stream_articles_unchanged_total "):
                return ready, int(float(line.split()[1]))
        return ready, 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class WorkerDied(Exception):
    pass


# --- progress -----------------------------------------------------------------------------------


class Progress:
    """A status line on stderr: rewritten in place on a terminal, a plain line every few seconds elsewhere."""

    def __init__(self, every: float = 5.0) -> None:
        self.tty = sys.stderr.isatty()
        self.every = every
        self.last_plain = 0.0
        self.shown = False

    def show(self, text: str) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K" + text)
            sys.stderr.flush()
            self.shown = True
        elif time.monotonic() - self.last_plain >= self.every:
            self.last_plain = time.monotonic()
            print(text, file=sys.stderr, flush=True)

    def clear(self) -> None:
        if self.tty and self.shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self.shown = False


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for p in described.get("partitions") or [])


def _keyed(inputs: list[tuple[str, bytes]]) -> list[tuple[bytes | None, bytes]]:
    """Key each input by the article id the worker will give it, as `produce` does (None when invalid:
    the demo still sends it, to show its dead letter)."""
    from stream.cli.produce import Prepared, check

    settings = get_settings()
    out = []
    for where, value in inputs:
        checked = check(where, value, settings)
        out.append((checked.key.encode() if isinstance(checked, Prepared) else None, value))
    return out


async def _poll_worker(
    worker_process: WorkerProcess, tally: Tally, progress: Progress, started: float, now: float, ready_after: float | None,
) -> float | None:
    """Reads the worker's readiness and unchanged count and shows the progress line; returns when
    the worker first became ready (seconds since the start), or None while it is starting."""
    ready, unchanged = await asyncio.to_thread(worker_process.poll)
    if ready and ready_after is None:
        ready_after = time.monotonic() - started
    if unchanged is not None:
        tally.unchanged = unchanged
    state = "processed" if ready_after is not None else "worker starting;"
    progress.show(
        f"{state} {tally.processed} of {tally.inputs} (enriched {tally.enriched}, dead-lettered {tally.dead_lettered}, "
        f"unchanged {tally.unchanged}) {now - started:.0f}s"
    )
    return ready_after


def _show_output(topic: str, raw: bytes, settings, tally: Tally, out, as_json: bool) -> None:
    """Counts one output record and prints it (an article's result; story updates are only counted)."""
    value = orjson.loads(raw)
    if topic == settings.topic_stories:
        tally.add_story_update(value)
    elif topic == settings.topic_dlq:
        tally.dead_lettered += 1
        out(raw.decode() if as_json else f"DEAD LETTER {value['error_code']}: {value['reason']}")
    else:
        tally.add_enriched(value)
        out(raw.decode() if as_json else "\n".join([summary_line(value), *related_lines(value)]))


async def _feed_and_follow(
    bootstrap: str, inputs: list[tuple[str, bytes]], worker_process: WorkerProcess, *, stop_after: bool, as_json: bool,
    timeout: float, started: float,
) -> int:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    from stream.contracts.topics import ensure_service_topics

    settings = get_settings()
    # Plaintext, as this command's own clients below (its embedded broker, or a development one).
    await ensure_service_topics(bootstrap, settings, security={})
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    progress = Progress()
    tally = Tally(len(inputs))
    first_result: float | None = None
    ready_after: float | None = None
    published: float | None = None
    summarized = False

    def out(text: str) -> None:
        progress.clear()
        typer.echo(text)

    def finish() -> None:
        progress.clear()
        elapsed = time.monotonic() - started
        if not as_json:
            for line in story_block(tally):
                typer.echo(line)
        typer.echo(summary(tally, elapsed, first_result, published), err=as_json)

    try:
        outputs = [settings.topic_enriched, settings.topic_dlq, settings.topic_stories]
        tps = [TopicPartition(t, p) for t in outputs for p in await _partitions(bootstrap, t)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)  # only what this run causes
        for tp in tps:
            await consumer.position(tp)
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
        await producer.start()
        try:
            for key, value in await asyncio.to_thread(_keyed, inputs):
                await producer.send_and_wait(settings.topic_raw, value, key=key)
        finally:
            await producer.stop()
        published = time.monotonic() - started
        typer.echo(f"published {len(inputs)} sample articles to {settings.topic_raw}; waiting for results…", err=True)
        deadline = time.monotonic() + timeout if stop_after else None
        next_poll = 0.0
        while True:
            if (code := worker_process.died()) is not None:
                raise WorkerDied(f"the worker exited with code {code}")
            now = time.monotonic()
            if now >= next_poll:  # the worker's readiness and unchanged count, once a second
                next_poll = now + 1.0
                ready_after = await _poll_worker(worker_process, tally, progress, started, now, ready_after)
            if tally.processed >= tally.inputs and not summarized:
                await _drain_stories(consumer, tally, settings.topic_stories)
                finish()
                summarized = True
                if stop_after:
                    return EXIT_OK
            if deadline is not None and now >= deadline:
                progress.clear()
                typer.echo(f"timed out: {tally.processed} of {tally.inputs} results after {timeout:.0f}s", err=True)
                finish()
                return EXIT_INCOMPLETE
            batch = await consumer.getmany(timeout_ms=250)
            for tp, records in batch.items():
                for record in records:
                    if tp.topic != settings.topic_stories and first_result is None:
                        first_result = time.monotonic() - started
                    _show_output(tp.topic, record.value, settings, tally, out, as_json)
    except asyncio.CancelledError:  # Ctrl-C: what came so far
        if not summarized and published is not None:
            finish()
        raise
    finally:
        progress.clear()
        await consumer.stop()


async def _drain_stories(consumer, tally: Tally, stories_topic: str, quiet: float = 1.0, limit: float = 5.0) -> None:
    """Story updates trail their articles by a moment: read until ``quiet`` seconds pass without one."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        batch = await consumer.getmany(timeout_ms=int(quiet * 1000))
        if not batch:
            return
        for tp, records in batch.items():
            for record in records:
                if tp.topic == stories_topic:
                    tally.add_story_update(orjson.loads(record.value))


def demo(
    paths: Annotated[list[Path] | None, typer.Argument(help="Articles to feed (default: the bundled samples/).")] = None,
    stop_after_samples: Annotated[bool, typer.Option("--stop-after-samples", help="Exit once every sample has a result.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the enriched records and dead letters as JSON lines (the summary goes to stderr).")] = False,
    timeout: Annotated[float, typer.Option(help="With --stop-after-samples: give up after this many seconds.")] = 180.0,
) -> None:
    """Start everything (a fresh embedded broker unless ARTICLE_STREAM_BROKER is set, and a worker), feed the sample articles, and print the enriched records with their related links as they arrive. Once every input has a result, print the stories with several articles and a summary line (enriched, dead-lettered, unchanged re-sends, stories, related links, time to the first result), then follow until Ctrl-C (or exit, with --stop-after-samples).

    The worker's HTTP port is a free one unless ARTICLE_STREAM_WEB_PORT names one; its log goes to a file (the path is printed, and its last lines if it dies). With your own broker, the worker does not emit an identical re-send of an article it has already processed: it counts it as unchanged.

    Exit codes: 0 done (every input had a result, or Ctrl-C); 1 the worker died, or --timeout passed before every input had a result; 2 usage error (no inputs, or ARTICLE_STREAM_WEB_PORT is in use).
    """
    started = time.monotonic()
    # SIGTERM (a closed terminal, a CI job's end) stops the demo like Ctrl-C: the worker and the broker go with it.
    signal.signal(signal.SIGTERM, _interrupt)
    settings = get_settings()
    inputs = in_event_order(list(iter_inputs(paths or [SAMPLES_DIR])))
    if not inputs:
        typer.echo("no inputs to feed", err=True)
        raise typer.Exit(EXIT_USAGE)
    host = "127.0.0.1" if settings.web_host in ("0.0.0.0", "::", "") else settings.web_host
    if "web_port" in settings.model_fields_set:  # set by the user (ARTICLE_STREAM_WEB_PORT), not the default
        port = settings.web_port
        if port_in_use(settings.web_host, port):
            typer.echo(f"port {port} (ARTICLE_STREAM_WEB_PORT) is in use; unset it to use a free port", err=True)
            raise typer.Exit(EXIT_USAGE)
    else:
        port = free_port(settings.web_host)
    with contextlib.ExitStack() as stack:
        bootstrap = settings.kafka.broker
        if not bootstrap:
            from stream.broker import EmbeddedBroker

            typer.echo("starting an embedded Kafka broker…", err=True)
            # A fresh broker per run: every run shows the same results, and nothing is left behind.
            bootstrap = stack.enter_context(EmbeddedBroker()).bootstrap
        typer.echo(f"broker: {bootstrap} (ready after {time.monotonic() - started:.1f}s)", err=True)
        env = {**os.environ, "ARTICLE_STREAM_BROKER": bootstrap, "ARTICLE_STREAM_WEB_PORT": str(port)}
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="article-stream-demo-")))
        log_path = log_dir / "worker.log"
        log_file = stack.enter_context(log_path.open("wb"))
        proc = subprocess.Popen([sys.executable, "-m", "stream", "worker", "--broker", bootstrap], env=env, stdout=log_file, stderr=subprocess.STDOUT)
        stack.callback(_stop_process, proc)
        worker_process = WorkerProcess(proc, f"http://{host}:{port}", log_path)
        typer.echo(f"worker: pid {proc.pid}, http://{host}:{port}/ready, log {log_path}", err=True)
        typer.echo(f"page: http://{host}:{port}/  (the live newsroom: stories, tags and their evidence)", err=True)
        code = EXIT_OK
        try:
            code = asyncio.run(
                _feed_and_follow(bootstrap, inputs, worker_process, stop_after=stop_after_samples, as_json=as_json, timeout=timeout, started=started)
            )
        except KeyboardInterrupt:
            pass
        except WorkerDied as died:
            typer.echo(f"{died} after {time.monotonic() - started:.1f}s; the last lines of its log ({log_path}):\n{worker_process.log_tail()}", err=True)
            code = EXIT_INCOMPLETE
        else:
            if code:
                typer.echo(f"worker log (last lines):\n{worker_process.log_tail(30)}", err=True)
    raise typer.Exit(code)
