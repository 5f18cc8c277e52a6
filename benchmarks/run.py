"""``article-stream bench``: the pipeline against the ceiling, in one run on one broker.

Phases (each is a function below; ``run_bench`` strings them together):

1. corpus      realistic raw articles (3-5 KB bodies of real news text, see ``benchmarks.corpus``),
               written once as RawArticle JSON bytes: the ceiling and the pipeline move the same bytes.
2. prefill     the related-story window of the pipeline's app id pre-filled with ``prefill`` articles
               through the tables' changelogs (see ``benchmarks.prefill``): the worker recovers them.
3. ceiling     a bare aiokafka consumer -> producer process copies the N raw records (``passthrough``);
               then the framework ceiling: a stock Faust app copies the same records, with one agent
               and with two agents and an internal hop, the worker's shape (``faust_ceiling``).
4. pipeline    the real worker (``article-stream worker``) consumes the same N raw records as a
               backlog: throughput from the first to the last output record's producer timestamp.
5. latency     publish -> receive of the enriched record at a fixed offered rate, and for a burst
               (saturation), on the same worker with its full window.
6. scale       1 and 2 workers on a 2-partition input (fresh app ids, empty windows).
7. offline     ``Pipeline.process`` in this process (articles/s on one core, per-stage µs), and the
               ``article-stream process`` command on a JSONL file (wall time, including start-up).
8. memory      worker RSS with an empty window and with the pre-filled one: bytes per article held.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from benchmarks import corpus, prefill
from benchmarks.workers import (
    Deployment,
    Worker,
    count_records,
    publish,
    record_timestamps,
    start_worker,
    wait_for_records,
)

MB = 1024 * 1024


@dataclass
class BenchOptions:
    articles: int = 2000  # backlog for the throughput phases (ceiling, pipeline)
    prefill: int = 100_000  # articles held in the window before the pipeline starts
    rate: float = 200.0  # offered rate of the fixed-rate latency phase (articles/s)
    rate_seconds: float = 5.0  # how long it is offered
    burst: int = 1000  # articles published at once for the saturation latency
    half_load: int = 1000  # at most this many for the latency at half the measured throughput
    scale_articles: int = 1000  # per 1-worker / 2-worker run
    offline_articles: int = 2000  # of the backlog: at most all of it
    cli_articles: int = 300
    # The framework ceilings' producer linger: the worker's (ARTICLE_STREAM_PRODUCE_LINGER_MS, 5 ms).
    faust_linger_ms: float = field(default_factory=lambda: _worker_linger_ms())
    timeout: float = 300.0  # per phase: give up waiting for outputs after this long
    broker: str = ""  # empty: start an embedded broker for the run
    log: Any = None

    @classmethod
    def quick(cls) -> BenchOptions:
        return cls(articles=400, prefill=10_000, rate_seconds=2.0, burst=200, half_load=200, scale_articles=200,
                   offline_articles=200, cli_articles=100, timeout=120.0)

    @classmethod
    def large(cls) -> BenchOptions:
        # ~1.3 million changelog records to write and to recover (~1,500 records/s): allow for it.
        return cls(prefill=1_000_000, timeout=2400.0)


def _worker_linger_ms() -> float:
    from stream.config import get_settings

    return get_settings().produce_linger_ms


@dataclass
class Report:
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def put(self, section: str, **values: Any) -> None:
        self.figures.setdefault(section, {}).update(values)


def quantiles(samples: list[float]) -> dict[str, float | None]:
    if not samples:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None, "count": 0}
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50_ms": round(at(0.50) * 1000, 1), "p99_ms": round(at(0.99) * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1), "count": len(ordered)}


def rate_from_stamps(stamps: list[int]) -> float | None:
    """Records per second between the first and the last producer timestamp (ms)."""
    if len(stamps) < 2:
        return None
    span = (max(stamps) - min(stamps)) / 1000
    return (len(stamps) - 1) / span if span > 0 else None


def article_key(value: bytes) -> bytes:
    return orjson.loads(value)["id"].encode()


def _log(options: BenchOptions, message: str) -> None:
    (options.log or (lambda m: print(m, file=sys.stderr, flush=True)))(message)


# ------------------------------------------------------------------------------------- phases

async def ceiling_source(
    bootstrap: str, deployment: Deployment, values: list[bytes], min_records: int = 20_000
) -> tuple[str, int, int]:
    """The ceilings' source topic (same partitions as the raw topic): ``values`` repeated to at least
    ``min_records``. Returns (topic, records, copies of each value)."""
    from stream.broker.admin import create_topics

    copies = max(1, -(-min_records // max(len(values), 1)))
    source = f"{deployment.app_id}.ceiling-source"
    await create_topics(bootstrap, {source: deployment.partitions})
    await publish_keyed(bootstrap, source, values * copies)
    return source, len(values) * copies, copies


async def ceiling(
    bootstrap: str, deployment: Deployment, values: list[bytes], timeout: float, min_records: int = 20_000,
    source: tuple[str, int, int] | None = None,
) -> dict[str, Any]:
    """Copy raw records with a bare consumer -> producer process; rate from the sink's timestamps.

    A few thousand records copy in tens of milliseconds, too short to time, so the ceiling's source
    topic holds the same records repeated to ``min_records`` (``ceiling_source``; pass ``source`` to
    reuse one)."""
    from stream.broker.admin import create_topics

    topic, expected, copies = source or await ceiling_source(bootstrap, deployment, values, min_records)
    sink = f"{deployment.app_id}.passthrough"
    await create_topics(bootstrap, {sink: deployment.partitions})
    cmd = [sys.executable, "-m", "benchmarks.passthrough", "--bootstrap", bootstrap, "--source", topic,
           "--sink", sink, "--expected", str(expected), "--group", f"{deployment.app_id}-passthrough",
           "--timeout", str(timeout)]
    proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    inside = orjson.loads(out.splitlines()[-1]) if out.strip() else {}
    stamps = await record_timestamps(bootstrap, sink, expected)
    return {**_copy_figures(stamps, inside), "copies_of_each_article": copies}


def _copy_figures(stamps: list[float], inside: dict[str, Any]) -> dict[str, Any]:
    """A copy process's figures: its rate from the sink's producer timestamps, and what it reported of
    itself (``{}`` when it reported nothing)."""
    cpu, elapsed, cpu_us = inside.get("cpu_s"), inside.get("elapsed_s"), inside.get("cpu_us_per_record")
    return {
        "records": len(stamps),
        "articles_per_s": rate_from_stamps(stamps),
        "articles_per_s_in_process": inside.get("records_per_s"),
        "process_elapsed_s": elapsed,
        "cpu_us_per_article": round(cpu_us, 1) if cpu_us is not None else None,
        # CPU seconds per wall second while copying: well below 1, the process waits (not CPU-bound).
        "cpu_busy": round(cpu / elapsed, 2) if cpu is not None and elapsed else None,
    }


async def framework_ceiling(
    bootstrap: str, deployment: Deployment, source: tuple[str, int, int], *, hops: int, timeout: float,
    log_dir: Path, linger_ms: float = 5.0, uvloop: bool = False,
) -> dict[str, Any]:
    """A stock Faust app copies the ceiling's source topic, raw bytes in and out (``benchmarks.faust_ceiling``):
    ``hops`` 1 is one agent, 2 is two agents with an internal 1-partition topic between them (the
    worker's shape); ``uvloop`` runs it on uvloop's event loop. Measured like the ceiling: rate from the
    sink's producer timestamps."""
    from stream.broker.admin import create_topics

    topic, expected, _ = source
    variant = f"{hops}{'-uvloop' if uvloop else ''}"
    app_id = f"{deployment.app_id}-faust{variant}"
    sink = f"{deployment.app_id}.faust-{variant}"
    await create_topics(bootstrap, {sink: deployment.partitions})
    cmd = [sys.executable, "-m", "benchmarks.faust_ceiling", "--bootstrap", bootstrap, "--source", topic,
           "--sink", sink, "--expected", str(expected), "--app-id", app_id, "--hops", str(hops),
           "--linger-ms", str(linger_ms), *(["--uvloop"] if uvloop else [])]
    log_path = log_dir / f"{app_id}.log"
    with log_path.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(*cmd, stdout=asyncio.subprocess.PIPE, stderr=stderr)
        inside = await _read_result(proc, timeout)
        if proc.returncode is None:
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    stamps = await record_timestamps(bootstrap, sink, expected, timeout=30 if inside else 10)
    result = {
        "agents": hops,
        "uvloop": uvloop,
        **_copy_figures(stamps, inside),
        "event_loop": inside.get("event_loop"),
        "complete": len(stamps) >= expected,
        "producer_linger_ms": linger_ms,
    }
    if not inside:
        result["error"] = f"no result from the Faust app (log: {log_path})"
    return result


# The stock Faust copies, in the order they run: (figure key, agents, uvloop).
FRAMEWORK_VARIANTS = (("agents_1", 1, False), ("agents_1_uvloop", 1, True), ("agents_2", 2, False))


async def _read_result(proc: asyncio.subprocess.Process, timeout: float) -> dict[str, Any]:
    """The faust_ceiling result line, or {} when the process ends or ``timeout`` passes without one."""
    from benchmarks.faust_ceiling import parse_result

    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), left)
        except TimeoutError:
            break
        if not line:  # EOF: the process exited
            break
        found = parse_result(line)
        if found:
            return found
    return {}


def add_ratios(figures: dict[str, Any]) -> None:
    """Ratios of one run's rates: each framework ceiling and the pipeline against the bare ceiling,
    and the pipeline against the framework ceiling of its own shape (two agents, an internal hop)."""
    ceiling_rate = figures.get("ceiling", {}).get("articles_per_s")
    framework = figures.get("framework_ceiling", {})
    pipeline = figures.get("pipeline")

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 4) if a and b else None

    for variant in framework.values():
        variant["ratio_to_ceiling"] = ratio(variant.get("articles_per_s"), ceiling_rate)
        # The rate if the app had a whole core and never waited: its own CPU per record is the bound.
        cpu_us = variant.get("cpu_us_per_article")
        variant["articles_per_cpu_s"] = round(1e6 / cpu_us, 1) if cpu_us else None
        variant["ratio_to_ceiling_at_full_core"] = ratio(variant["articles_per_cpu_s"], ceiling_rate)
    if framework:
        def best(key: str) -> float | None:
            return max((v[key] for v in framework.values() if v.get(key)), default=None)

        # Whether any Faust app, even one that does nothing, reaches half the bare ceiling here,
        # as measured and even with a whole core to itself.
        measured, at_full_core = best("ratio_to_ceiling"), best("ratio_to_ceiling_at_full_core")
        figures["framework_ceiling_summary"] = {
            "best_ratio_to_ceiling": measured,
            "reaches_half_ceiling": None if measured is None else measured >= 0.5,
            "best_ratio_to_ceiling_at_full_core": at_full_core,
        }
    if pipeline is not None:
        pipeline["ratio_to_ceiling"] = ratio(pipeline.get("articles_per_s"), ceiling_rate)
        same_shape = framework.get("agents_2") or framework.get("agents_1") or {}
        pipeline["ratio_to_framework_ceiling"] = ratio(pipeline.get("articles_per_s"), same_shape.get("articles_per_s"))


async def pipeline_backlog(bootstrap: str, deployment: Deployment, worker: Worker, expected: int, timeout: float) -> dict[str, Any]:
    """Wait until every backlog record has an output (enriched or dead letter); rate from output timestamps."""
    t = deployment.topics
    started, cpu0, main0 = time.monotonic(), worker.cpu_seconds, worker.main_cpu_seconds
    seen = await wait_for_records(bootstrap, [t["enriched"], t["dlq"]], expected, timeout)
    waited, cpu = time.monotonic() - started, worker.cpu_seconds - cpu0
    main_cpu = worker.main_cpu_seconds - main0
    enriched = await record_timestamps(bootstrap, t["enriched"], seen)
    dead = await record_timestamps(bootstrap, t["dlq"], max(seen - len(enriched), 0), timeout=5) if seen > len(enriched) else []
    return {
        "outputs": seen,
        "enriched": len(enriched),
        "dead_lettered": len(dead),
        "complete": seen >= expected,
        "missing": max(expected - seen, 0),  # inputs with no output at all (should be 0)
        "articles_per_s": rate_from_stamps(enriched + dead),
        "waited_s": round(waited, 1),
        # The worker's CPU (all threads, the main process and its enrich child) from ready to the
        # last output, per output: includes the polls of up to a second after the last one, not the
        # recovery before ready.
        "cpu_us_per_article": round(cpu / seen * 1e6, 1) if seen else None,
        "cpu_us_per_article_main_process": round(main_cpu / seen * 1e6, 1) if seen else None,
    }


async def latency(
    bootstrap: str, deployment: Deployment, values: list[bytes], *, rate: float | None, timeout: float, idle: float = 30.0
) -> dict[str, Any]:
    """Publish ``values`` (at ``rate`` per second, or all at once when None) and time each until its
    enriched record (or dead letter) is received here."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    t = deployment.topics
    keys = [article_key(v) for v in values]
    wanted = {k.decode() for k in keys}
    sent: dict[str, float] = {}
    received: dict[str, float] = {}
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=5)
    await consumer.start()
    tps = [TopicPartition(topic, p) for topic in (t["enriched"], t["dlq"]) for p in range(deployment.partitions)]
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, max_request_size=16 << 20)
    await producer.start()
    done = asyncio.Event()

    async def receive() -> None:
        while not done.is_set():
            batch = await consumer.getmany(timeout_ms=100)
            now = time.time()
            for records in batch.values():
                for record in records:
                    # Enriched keys are the article id "pub:<source>:<publisher id>"; dead letters keep the raw key.
                    key = (record.key or b"").decode(errors="replace").rsplit(":", 1)[-1]
                    if key in wanted and key not in received:
                        received[key] = now
            if len(received) >= len(wanted):
                done.set()

    receiver = asyncio.create_task(receive())
    try:
        t0 = time.monotonic()
        futures = []
        for i, (key, value) in enumerate(zip(keys, values)):
            if rate:
                delay = t0 + i / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent[key.decode()] = time.time()
            futures.append(await producer.send(t["raw"], value, key=key))
        await asyncio.gather(*futures)
        offered = len(values) / (time.monotonic() - t0)
        # Until all arrived, the timeout, or nothing new for ``idle`` s (a lost record must not stall the run).
        deadline, last_count, last_change = time.monotonic() + timeout, -1, time.monotonic()
        while not done.is_set() and time.monotonic() < deadline:
            if len(received) != last_count:
                last_count, last_change = len(received), time.monotonic()
            elif time.monotonic() - last_change > idle:
                break
            await asyncio.sleep(0.5)
        done.set()
        await receiver
    finally:
        await producer.stop()
        await consumer.stop()
    samples = [received[k] - sent[k] for k in received]
    result = quantiles(samples)
    result.update(published=len(values), received=len(received), offered_per_s=round(offered, 1))
    if received:
        span = max(received.values()) - min(sent.values())
        result["delivered_per_s"] = round(len(received) / span, 1) if span > 0 else None
    return result


async def scale(bootstrap: str, values: list[bytes], workers: int, log_dir: Path, timeout: float, partitions: int = 2) -> dict[str, Any]:
    """``workers`` workers on a fresh ``partitions``-partition deployment; backlog published once all are ready."""
    deployment = Deployment(bootstrap, name=f"scale{workers}", partitions=partitions)
    await deployment.create_topics()
    procs = [start_worker(deployment, log_dir, name=f"w{i}") for i in range(workers)]
    try:
        ready_s = [round(await asyncio.to_thread(w.wait_ready), 1) for w in procs]
        await asyncio.sleep(3.0)  # let the group settle after the last join
        rss_idle = [w.rss for w in procs]
        cpu0 = sum(w.cpu_seconds for w in procs)
        await publish(bootstrap, deployment.topics["raw"], values)
        result = await pipeline_backlog(bootstrap, deployment, procs[0], len(values), timeout)
        cpu = sum(w.cpu_seconds for w in procs) - cpu0
        # Every worker's CPU (main processes and enrich children) over the run, per output.
        result["cpu_us_per_article"] = round(cpu / result["outputs"] * 1e6, 1) if result["outputs"] else None
        result.pop("cpu_us_per_article_main_process")  # the first worker's only
        result.update(workers=workers, partitions=partitions, ready_s=ready_s, rss_idle_mb=[round(r / MB, 1) for r in rss_idle])
        return result
    finally:
        for w in procs:
            await asyncio.to_thread(w.stop)


async def idle_cpu_per_s(worker: Worker, seconds: float = 3.0) -> float:
    """CPU seconds per wall second of a ready worker with nothing to do (main process and child)."""
    cpu0, t0 = worker.cpu_seconds, time.monotonic()
    await asyncio.sleep(seconds)
    return (worker.cpu_seconds - cpu0) / (time.monotonic() - t0)


def offline(values: list[bytes]) -> dict[str, Any]:
    """``Pipeline.process`` over ``values`` in this process: articles/s on one core, µs per stage."""
    from stream.core.pipeline import Pipeline

    pipeline = Pipeline()
    pipeline.process(values[0])  # load lexicons and matchers outside the timing
    pipeline = Pipeline(tagger=pipeline.tagger)
    stages: dict[str, float] = {}
    dead = 0
    cpu0, t0 = time.process_time(), time.perf_counter()
    for value in values:
        outcome = pipeline.process(value)
        dead += outcome.dead_letter is not None
        for stage, seconds in outcome.timings.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "articles": len(values),
        "dead_lettered": dead,
        "articles_per_s": round(len(values) / wall, 1),
        "articles_per_cpu_s": round(len(values) / cpu, 1) if cpu > 0 else None,
        "stage_us": {stage: round(seconds / len(values) * 1e6) for stage, seconds in stages.items()},
    }


def offline_cli(values: list[bytes], workdir: Path) -> dict[str, Any]:
    """``article-stream process`` on a JSONL file, as a user would run it (wall time includes start-up)."""
    source = workdir / "bench-input.jsonl"
    source.write_bytes(b"\n".join(values) + b"\n")
    target = workdir / "bench-output.jsonl"
    exe = shutil.which("article-stream", path=str(Path(sys.executable).parent)) or ""
    cmd = [exe] if exe else [sys.executable, "-m", "stream"]
    t0 = time.perf_counter()
    done = subprocess.run([*cmd, "process", str(source), "-o", str(target), "--quiet"], capture_output=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        return {"error": done.stderr.decode(errors="replace")[-500:]}
    outputs = sum(1 for _ in target.open("rb"))
    return {"articles": len(values), "enriched": outputs, "wall_s": round(wall, 2),
            "articles_per_s_incl_startup": round(len(values) / wall, 1)}


# ------------------------------------------------------------------------------------ the run

async def _run(options: BenchOptions, bootstrap: str, report: Report, workdir: Path) -> list[bytes]:
    """The broker phases; returns the backlog (the offline core is timed on the same articles)."""
    log = lambda m: _log(options, m)  # noqa: E731
    log_dir = workdir / "logs"
    log_dir.mkdir(exist_ok=True)
    log(f"worker logs: {log_dir} (kept when the run fails)")

    # 1. corpus: one list, sliced per phase, so no article is sent twice to one deployment.
    t0 = time.perf_counter()
    docs, used = corpus.load_documents()
    now = datetime.now(UTC).replace(microsecond=0)
    total = options.articles + int(options.rate * options.rate_seconds) + options.burst + options.half_load
    values = corpus.generate(total, start=now, spacing_s=2.0, documents=docs)
    backlog = values[: options.articles]
    at_rate = values[options.articles : options.articles + int(options.rate * options.rate_seconds)]
    burst = values[options.articles + len(at_rate) : options.articles + len(at_rate) + options.burst]
    half_load = values[options.articles + len(at_rate) + len(burst) :]
    sizes = [len(orjson.loads(v)["body"].encode()) for v in backlog]
    report.put("corpus", documents=used, articles=total, body_bytes_median=statistics.median(sizes),
               body_bytes_min=min(sizes), body_bytes_max=max(sizes),
               record_bytes_mean=round(sum(map(len, backlog)) / len(backlog)))
    log(f"corpus: {total} articles from {used} in {time.perf_counter() - t0:.1f}s")

    # 2. prefill the pipeline deployment's window.
    deployment = Deployment(bootstrap, name="pipeline", partitions=2)
    await deployment.create_topics()
    if options.prefill > 0:
        t0 = time.perf_counter()
        pool = prefill.tag_pool(backlog, limit=300)
        # Held articles span 6.5 days ending a minute before the first benchmark article: all stay in
        # the 7-day window while the benchmark runs.
        end = (now - timedelta(minutes=1)).timestamp()
        state = prefill.synthesize(options.prefill, pool, end_epoch=end, span_s=6.5 * 86400)
        written = await prefill.write_changelogs(bootstrap, deployment.app_id, state)
        report.put("prefill", articles=len(state.articles), stories=len(state.stories), records=written,
                   tag_lists=len(pool), seconds=round(time.perf_counter() - t0, 1))
        del state
        log(f"prefill: {written} changelog records in {time.perf_counter() - t0:.1f}s")

    # 3. ceilings: the bare aiokafka copy, then stock Faust apps copying the same records.
    source = await ceiling_source(bootstrap, deployment, backlog)
    result = await ceiling(bootstrap, deployment, backlog, options.timeout, source=source)
    report.put("ceiling", **result)
    log(f"ceiling: {result['articles_per_s'] or 0:.0f} articles/s")
    for key, hops, uvloop in FRAMEWORK_VARIANTS:
        result = await framework_ceiling(bootstrap, deployment, source, hops=hops, timeout=options.timeout,
                                         log_dir=log_dir, linger_ms=options.faust_linger_ms, uvloop=uvloop)
        report.put("framework_ceiling", **{key: result})
        log(f"framework ceiling, {key}: {result['articles_per_s'] or 0:.0f} articles/s, "
            f"{result['cpu_us_per_article'] or 0:.0f} µs CPU/record")
    add_ratios(report.figures)

    # 4. pipeline on the same records, with the full window.
    worker = start_worker(deployment, log_dir, name="pipeline")
    try:
        ready_s = await asyncio.to_thread(worker.wait_ready, options.timeout)
        rss_ready = worker.rss
        held = worker.metric("article_stream_window_articles")
        log(f"worker ready in {ready_s:.1f}s, window {held}, RSS {rss_ready / MB:.0f} MB")
        idle_cpu = await idle_cpu_per_s(worker)
        # The backlog goes out only now: the RSS at ready is then the window's, as the empty-window
        # worker's it is compared with is (a backlog already waiting would add the fetch buffers of
        # records being read). The rate is timed from the outputs, so it is not affected.
        await publish_keyed(bootstrap, deployment.topics["raw"], backlog)
        log(f"published {len(backlog)} raw articles")
        result = await pipeline_backlog(bootstrap, deployment, worker, len(backlog), options.timeout)
        result.update(ready_s=round(ready_s, 1), window_at_ready=held, idle_cpu_per_s=round(idle_cpu, 3))
        if result["cpu_us_per_article"] is not None and result["outputs"]:
            # Without the CPU the worker spends anyway while it waits (commit and heartbeat timers,
            # polls, probes) over the same wall time: the CPU the articles themselves cost.
            idle_us = idle_cpu * result["waited_s"] / result["outputs"] * 1e6
            result["cpu_us_per_article_less_idle"] = round(result["cpu_us_per_article"] - idle_us, 1)
        report.put("pipeline", **result)
        add_ratios(report.figures)
        log(f"pipeline: {result['articles_per_s'] or 0:.0f} articles/s ({result['outputs']}/{len(backlog)} outputs)")
        report.put("memory", worker_rss_ready_mb=round(rss_ready / MB, 1), window_held=held,
                   worker_rss_after_backlog_mb=round(worker.rss / MB, 1))

        # 5. latency on the same worker: at half the measured throughput (the pipeline's own
        # comfortable load), at the fixed rate, and for a burst (saturation).
        sustainable = result["articles_per_s"]
        if sustainable and half_load:
            rate = max(sustainable / 2, 1.0)
            count = max(20, min(len(half_load), int(rate * options.rate_seconds * 2)))
            result = await latency(bootstrap, deployment, half_load[:count], rate=rate, timeout=options.timeout)
            report.put("latency_half_load", rate=round(rate, 1), **result)
            log(f"latency at {rate:.0f}/s (half the measured throughput): {result}")
        if sustainable and sustainable < options.rate:
            # Above the measured throughput the latency is a queue growing for as long as the rate is
            # offered: one second of it shows that; longer only makes the run slow.
            at_rate = at_rate[: max(int(options.rate), 1)]
            burst = burst[: max(100, int(10 * sustainable))]
            report.notes.append(f"offered rate {options.rate:.0f}/s is above the measured throughput "
                                f"({sustainable:.0f}/s): fixed-rate phase cut to 1 s, burst to {len(burst)}")
        if at_rate:
            result = await latency(bootstrap, deployment, at_rate, rate=options.rate, timeout=options.timeout)
            report.put("latency_fixed_rate", rate=options.rate, **result)
            log(f"latency at {options.rate:.0f}/s: {result}")
        if burst:
            result = await latency(bootstrap, deployment, burst, rate=None, timeout=options.timeout)
            report.put("latency_saturation", **result)
            log(f"latency at saturation: {result}")
        report.put("memory", worker_rss_end_mb=round(worker.rss / MB, 1),
                   window_end=worker.metric("article_stream_window_articles"))
        # The relate state's durability traffic: changelog records the worker wrote beyond the pre-fill.
        await asyncio.sleep(3.0)
        articles_log = await count_records(bootstrap, [prefill.changelog_topic(deployment.app_id, prefill.ARTICLES_TABLE)])
        stories_log = await count_records(bootstrap, [prefill.changelog_topic(deployment.app_id, prefill.STORIES_TABLE)])
        held0 = report.figures.get("prefill", {})
        report.put("changelog", articles_written=articles_log - held0.get("articles", 0),
                   stories_written=stories_log - held0.get("stories", 0))
    finally:
        await asyncio.to_thread(worker.stop)

    # 6. scale: 1 and 2 workers, 2 input partitions, empty windows.
    scale_values = backlog[: options.scale_articles]
    for workers in (1, 2):
        result = await scale(bootstrap, scale_values, workers, log_dir, options.timeout)
        report.put("scale", **{f"workers_{workers}": result})
        log(f"scale: {workers} worker(s): {result['articles_per_s'] or 0:.0f} articles/s")

    # 7. memory per article held: pre-filled worker at ready vs. an empty one at ready.
    empty = report.figures["scale"]["workers_1"]["rss_idle_mb"][0]
    memory = report.figures["memory"]
    if memory.get("window_held"):
        per_article = (memory["worker_rss_ready_mb"] - empty) * MB / memory["window_held"]
        report.put("memory", worker_rss_empty_window_mb=empty, bytes_per_article_held=round(per_article))
    return backlog


async def publish_keyed(bootstrap: str, topic: str, values: list[bytes]) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=10, max_batch_size=1 << 20, max_request_size=16 << 20)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=article_key(value)) for value in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def add_shell_cost(figures: dict[str, Any]) -> None:
    """The worker's shell cost: its CPU per article (main process and enrich child) minus the offline
    core's on the same articles, and that against the stock one-agent Faust copies' CPU per record.

    The offline core relates against an empty window, the worker against the pre-filled one: a
    window-size cost in relate counts here as shell, so the figure errs high, never low."""
    pipeline, offline_ = figures.get("pipeline", {}), figures.get("offline", {})
    worker_us, core_rate = pipeline.get("cpu_us_per_article"), offline_.get("articles_per_cpu_s")
    if not worker_us or not core_rate:
        return
    core_us = 1e6 / core_rate
    shell_us = worker_us - core_us
    framework = figures.get("framework_ceiling", {})
    shell: dict[str, Any] = {"worker_cpu_us_per_article": worker_us, "core_cpu_us_per_article": round(core_us, 1),
                             "shell_cpu_us_per_article": round(shell_us, 1)}
    less_idle = pipeline.get("cpu_us_per_article_less_idle")
    if less_idle is not None:  # the same without the worker's idle CPU over the backlog's wall time
        shell["shell_cpu_us_per_article_less_idle"] = round(less_idle - core_us, 1)
    for key in ("agents_1", "agents_1_uvloop"):
        faust_us = framework.get(key, {}).get("cpu_us_per_article")
        shell[f"faust_{key}_cpu_us_per_record"] = faust_us
        shell[f"ratio_to_faust_{key}"] = round(shell_us / faust_us, 2) if faust_us else None
    figures["shell"] = shell


# The floors (issue 18): name -> (limit, comparison).
FLOORS = {
    "shell <= 2.5 x stock 1-agent Faust CPU/record": (2.5, "<="),
    "offline core >= 800 articles/CPU-s": (800, ">="),
    "p99 at 200/s <= 100 ms": (100, "<="),
    "window RSS <= 1536 B/article": (1536, "<="),
}


def floors(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The issue's floors, each with the measured value and whether it holds. The p99 counts only at
    the 200/s the floor names and when every record arrived; the RSS only with 100,000 held."""
    fixed = figures.get("latency_fixed_rate", {})
    memory = figures.get("memory", {})
    complete = fixed.get("received") == fixed.get("published") and fixed.get("rate") in (None, 200, 200.0)
    held = memory.get("window_held")
    checks = {
        "shell <= 2.5 x stock 1-agent Faust CPU/record": figures.get("shell", {}).get("ratio_to_faust_agents_1"),
        "offline core >= 800 articles/CPU-s": figures.get("offline", {}).get("articles_per_cpu_s"),
        "p99 at 200/s <= 100 ms": fixed.get("p99_ms") if complete else None,
        "window RSS <= 1536 B/article": memory.get("bytes_per_article_held") if held is None or held >= 100_000 else None,
    }
    out = {}
    for name, value in checks.items():
        limit, op = FLOORS[name]
        holds = None if value is None else (value >= limit if op == ">=" else value <= limit)
        out[name] = {"value": value, "limit": limit, "holds": holds}
    return out


def run_bench(options: BenchOptions) -> dict[str, Any]:
    report = Report()
    workdir = Path(tempfile.mkdtemp(prefix="article-stream-bench-"))
    started = time.perf_counter()
    broker = None
    from stream.config import KafkaSettings

    bootstrap = options.broker or KafkaSettings().broker
    try:
        if not bootstrap:
            from stream.broker import BrokerConfig, EmbeddedBroker

            broker = EmbeddedBroker(BrokerConfig(data_dir=workdir / "kafka"), log=lambda m: _log(options, m))
            bootstrap = broker.start()
        report.put("run", broker=bootstrap, embedded_broker=broker is not None, cpus=os.cpu_count(),
                   load_avg_start=[round(x, 2) for x in os.getloadavg()], python=sys.version.split()[0],
                   started_at=datetime.now(UTC).isoformat(timespec="seconds"))
        backlog = asyncio.run(_run(options, bootstrap, report, workdir))
    finally:
        if broker is not None:
            broker.stop()
    # Offline last, with the broker stopped: one process, one core, on the pipeline's own backlog
    # (the shell cost is the worker's CPU per article minus this, so both see the same articles).
    report.put("offline", **offline(backlog[: options.offline_articles]))
    docs_values = corpus.generate(options.cli_articles, seed=99, prefix="offline")
    report.put("offline_cli", **offline_cli(docs_values, workdir))
    add_shell_cost(report.figures)
    report.put("run", seconds=round(time.perf_counter() - started, 1), load_avg_end=[round(x, 2) for x in os.getloadavg()])
    report.figures["floors"] = floors(report.figures)
    report.figures["notes"] = report.notes
    shutil.rmtree(workdir, ignore_errors=True)
    return report.figures
