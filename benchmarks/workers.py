"""Worker processes and Kafka helpers for the end-to-end benchmark (no test code imported)."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process used so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """The live processes below ``pid`` (children, their children, ...), from /proc (Linux)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):  # gone meanwhile
            continue
        parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid`` and its live descendants: the worker tags in a child process
    (stream/budget.py), whose CPU is the worker's as much as the parent's is."""
    total = cpu_seconds(pid)
    for child in descendants(pid):
        try:
            total += cpu_seconds(child)
        except OSError:  # exited meanwhile
            pass
    return total


def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize()


@dataclass
class Deployment:
    """One app id with its own topics: what a set of workers share."""

    bootstrap: str
    name: str = "bench"
    partitions: int = 2
    app_id: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.app_id:
            self.app_id = f"{self.name}-{uuid.uuid4().hex[:6]}"

    @property
    def topics(self) -> dict[str, str]:
        return {kind: f"{self.app_id}.{kind}" for kind in ("raw", "enriched", "stories", "dlq")}

    def env(self, web_port: int) -> dict[str, str]:
        t = self.topics
        return {
            **os.environ,
            "ARTICLE_STREAM_BROKER": self.bootstrap,
            "ARTICLE_STREAM_APP_ID": self.app_id,
            "ARTICLE_STREAM_TOPIC_RAW": t["raw"],
            "ARTICLE_STREAM_TOPIC_ENRICHED": t["enriched"],
            "ARTICLE_STREAM_TOPIC_STORIES": t["stories"],
            "ARTICLE_STREAM_TOPIC_DLQ": t["dlq"],
            "ARTICLE_STREAM_PARTITIONS": str(self.partitions),
            "ARTICLE_STREAM_WEB_PORT": str(web_port),
            "ARTICLE_STREAM_LOG_LEVEL": "WARNING",
            **self.extra_env,
        }

    async def create_topics(self) -> None:
        from stream.broker.admin import create_topics

        await create_topics(self.bootstrap, {name: self.partitions for name in self.topics.values()})


@dataclass
class Worker:
    proc: subprocess.Popen
    web_port: int
    log_path: Path
    started: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def wait_ready(self, timeout: float = 300.0) -> float:
        """Block until /ready says 200; returns seconds since the process started."""
        deadline = time.monotonic() + timeout
        last = b""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                status, last = self.get("/ready", timeout=2)
                if status == 200:
                    return time.monotonic() - self.started
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready after {timeout}s (last /ready: {last[:300]!r}):\n{self.log_tail()}")

    def metric(self, name: str) -> float | None:
        """One unlabelled value from /metrics."""
        try:
            status, body = self.get("/metrics")
        except OSError:
            return None
        if status != 200:
            return None
        for line in body.decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return None

    @property
    def rss(self) -> int:
        return rss_bytes(self.proc.pid)

    @property
    def cpu_seconds(self) -> float:
        """The worker's CPU: its own and its enrich child's."""
        return tree_cpu_seconds(self.proc.pid)

    @property
    def main_cpu_seconds(self) -> float:
        """The CPU of the worker's main process only (Faust, relate, emit; not the enrich child)."""
        return cpu_seconds(self.proc.pid)

    def log_tail(self, lines: int = 30) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_worker(deployment: Deployment, log_dir: Path, name: str = "worker") -> Worker:
    port = free_port()
    log_path = log_dir / f"{deployment.app_id}-{name}.log"
    handle = log_path.open("wb")
    env = deployment.env(port)
    # Worker state next to the logs (the bench's temp dir, removed after the run), not a fresh /tmp dir.
    state_dir = log_dir.parent / "state" / f"{deployment.app_id}-{name}"
    state_dir.mkdir(parents=True, exist_ok=True)
    env["ARTICLE_STREAM_DATA_DIR"] = str(state_dir)
    proc = subprocess.Popen([sys.executable, "-m", "stream", "worker", "--broker", deployment.bootstrap], env=env, stdout=handle, stderr=subprocess.STDOUT)
    return Worker(proc, port, log_path, time.monotonic())


async def publish(bootstrap: str, topic: str, values: list[bytes]) -> None:
    """Publish as fast as the producer batches (records spread over partitions by the default partitioner)."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=10, max_batch_size=1 << 20, max_request_size=16 << 20)
    await producer.start()
    try:
        futures = [await producer.send(topic, value) for value in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def count_records(bootstrap: str, topics: list[str]) -> int:
    """Records in ``topics`` (sum of end offsets: the topics are fresh and never compacted here)."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    # Subscribing (without a group) makes the client fetch these topics' metadata at start.
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
        ends = await consumer.end_offsets(tps) if tps else {}
        return sum(ends.values())
    finally:
        await consumer.stop()


async def wait_for_records(
    bootstrap: str, topics: list[str], expected: int, timeout: float, poll: float = 1.0, idle: float = 30.0
) -> int:
    """Wait until ``topics`` hold ``expected`` records, ``timeout`` passed, or (once some arrived) no
    new record came for ``idle`` seconds: a record the worker never processes must not stall the run."""
    deadline = time.monotonic() + timeout
    seen = 0
    last_change = time.monotonic()
    while time.monotonic() < deadline:
        now_seen = await count_records(bootstrap, topics)
        if now_seen != seen:
            seen, last_change = now_seen, time.monotonic()
        if seen >= expected or (seen and time.monotonic() - last_change > idle):
            return seen
        await asyncio.sleep(poll)
    return seen


async def record_timestamps(bootstrap: str, topic: str, limit: int, timeout: float = 60.0) -> list[int]:
    """Producer timestamps (ms) of the first ``limit`` records of ``topic``, read from the beginning."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
        fetch_max_bytes=64 << 20, max_partition_fetch_bytes=16 << 20,
    )
    await consumer.start()
    stamps: list[int] = []
    deadline = time.monotonic() + timeout
    try:
        while len(stamps) < limit and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                stamps.extend(r.timestamp for r in records)
    finally:
        await consumer.stop()
    return stamps
