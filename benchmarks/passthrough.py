"""The ceiling: a bare aiokafka consumer -> producer copy of a topic, no parsing, no processing.

``python -m benchmarks.passthrough --bootstrap H:P --source T --sink S --expected N`` copies records
(key, value, headers) from ``source`` to ``sink`` until ``expected`` were copied, then prints one
JSON object. It runs as its own process, like a worker, so it measures what one Python process can
move through this broker on this machine: the most any Python worker could do.

It consumes in batches (``getmany``) and sends without waiting per record, the way an efficient
worker would; offsets are committed per batch, as Faust does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

import orjson


async def passthrough(bootstrap: str, source: str, sink: str, expected: int, group: str, timeout_s: float) -> dict:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
        enable_auto_commit=False, max_partition_fetch_bytes=8 << 20, fetch_max_bytes=64 << 20,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, max_batch_size=1 << 20, max_request_size=16 << 20)
    await consumer.start()
    await producer.start()
    copied = 0
    first = last = None
    first_cpu = last_cpu = 0.0
    deadline = time.monotonic() + timeout_s
    try:
        while copied < expected and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500, max_records=1000)
            if not batch:
                continue
            if first is None:
                first, first_cpu = time.time(), time.process_time()
            futures = []
            for records in batch.values():
                for record in records:
                    futures.append(await producer.send(sink, record.value, key=record.key, headers=list(record.headers or ())))
            for future in futures:
                await future
            await consumer.commit()
            copied += len(futures)
            last, last_cpu = time.time(), time.process_time()
    finally:
        await producer.stop()
        await consumer.stop()
    elapsed = (last - first) if first and last else 0.0
    return {"first": first, "last": last, **copy_result(copied, elapsed, last_cpu - first_cpu)}


def copy_result(copied: int, elapsed: float, cpu: float) -> dict[str, Any]:
    """What a copy program of the bench reports of itself, from its first record in to its last out."""
    return {"copied": copied, "elapsed_s": elapsed, "records_per_s": copied / elapsed if elapsed > 0 else None,
            "cpu_s": cpu, "cpu_us_per_record": cpu / copied * 1e6 if copied else None}


def copy_arguments(doc: str | None) -> argparse.ArgumentParser:
    """The command line every copy program of the bench shares: where from, where to, how many."""
    parser = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--source", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--expected", type=int, required=True)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = copy_arguments(__doc__)
    parser.add_argument("--group", default="article-stream-bench-passthrough")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop when installed")
    args = parser.parse_args(argv)
    if args.uvloop:
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
    result = asyncio.run(passthrough(args.bootstrap, args.source, args.sink, args.expected, args.group, args.timeout))
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
