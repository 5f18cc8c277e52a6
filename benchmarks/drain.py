"""One worker draining a backlog into an empty window: its CPU per article, main process and enrich
child apart, against the offline core on the same articles (the shell cost, without the rest of the bench).

``python -m benchmarks.drain [--articles 1500] [--broker HOST:PORT] [--py-spy OUT.svg]``

Uses ``$ARTICLE_STREAM_BROKER`` / ``--broker`` when given, else starts an embedded broker and stops it.
With ``--py-spy`` the worker's main process is sampled while it drains (py-spy must be installed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks import corpus
from benchmarks.run import offline, publish_keyed
from benchmarks.workers import Deployment, cpu_seconds, descendants, start_worker, wait_for_records


async def drain(bootstrap: str, values: list[bytes], workdir: Path, py_spy: str | None = None, perf: str | None = None,
                prefill_articles: int = 0) -> dict[str, Any]:
    deployment = Deployment(bootstrap, name="drain", partitions=2)
    await deployment.create_topics()
    if prefill_articles > 0:  # the window the worker recovers before it is ready, as the bench fills it
        from benchmarks import prefill

        pool = prefill.tag_pool(values, limit=300)
        first = orjson.loads(values[0])["published_at"]
        end = datetime.fromisoformat(first.replace("Z", "+00:00")).timestamp() - 60
        state = prefill.synthesize(prefill_articles, pool, end_epoch=end, span_s=6.5 * 86400)
        await prefill.write_changelogs(bootstrap, deployment.app_id, state)
        del state
    log_dir = workdir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    worker = start_worker(deployment, log_dir)
    spy = None
    try:
        ready_s = await asyncio.to_thread(worker.wait_ready)
        await asyncio.sleep(3.0)
        pid = worker.proc.pid
        children = descendants(pid)
        main0 = cpu_seconds(pid)
        child0 = sum(cpu_seconds(c) for c in children)
        if perf:
            spy = subprocess.Popen(["perf", "record", "-F", "499", "-g", "-p", str(pid), "-o", perf],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        elif py_spy:
            fmt = "raw" if py_spy.endswith(".txt") else "flamegraph"  # raw: collapsed stacks, one per line
            spy = subprocess.Popen(["py-spy", "record", "--gil", "--nonblocking", "-r", "100", "-p", str(pid), "-o", py_spy, "-f", fmt],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        await publish_keyed(bootstrap, deployment.topics["raw"], values)
        t = deployment.topics
        seen = await wait_for_records(bootstrap, [t["enriched"], t["dlq"]], len(values), timeout=1800, poll=0.5)
        wall = time.monotonic() - t0
        main = cpu_seconds(pid) - main0
        child = sum(cpu_seconds(c) for c in descendants(pid) if c in children) - child0
        return {
            "t0": t0, "t1": time.monotonic(), "outputs": seen, "ready_s": round(ready_s, 1), "wall_s": round(wall, 1),
            "main_us_per_article": round(main / seen * 1e6), "child_us_per_article": round(child / seen * 1e6),
            "worker_us_per_article": round((main + child) / seen * 1e6),
        }
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        await asyncio.to_thread(worker.stop)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1500)
    parser.add_argument("--broker", default=os.environ.get("ARTICLE_STREAM_BROKER"))
    parser.add_argument("--py-spy", dest="py_spy", help="sample the worker's main process into this file (.svg or .txt)")
    parser.add_argument("--perf", help="sample the worker's main process's CPU with perf record into this file")
    parser.add_argument("--prefill", type=int, default=0, help="articles held in the window before the worker starts")
    parser.add_argument("--no-offline", action="store_true", help="skip the offline core")
    args = parser.parse_args(argv)
    values = corpus.generate(args.articles, start=datetime.now(UTC).replace(microsecond=0), spacing_s=2.0)
    workdir = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    broker = None
    bootstrap = args.broker
    if not bootstrap:
        from stream.broker import BrokerConfig, EmbeddedBroker

        broker = EmbeddedBroker(BrokerConfig(data_dir=workdir / "kafka"))
        bootstrap = broker.start()
    try:
        result = asyncio.run(drain(bootstrap, values, workdir, args.py_spy, args.perf, args.prefill))
    finally:
        if broker is not None:
            broker.stop()
    if not args.no_offline:
        core = offline(values)
        result["core_us_per_article"] = round(1e6 / core["articles_per_cpu_s"])
        result["shell_us_per_article"] = result["worker_us_per_article"] - result["core_us_per_article"]
    result["loadavg"] = os.getloadavg()[0]
    print(json.dumps(result))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
