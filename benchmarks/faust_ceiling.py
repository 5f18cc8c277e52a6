"""The framework's ceiling: a stock faust-streaming app that copies raw bytes, no parsing, no processing.

``python -m benchmarks.faust_ceiling --bootstrap H:P --source T --sink S --expected N [--hops 2] [--uvloop]``
runs a plain ``faust.App`` (no custom transport, no tables, no web server) in its own process:

- ``--hops 1``: one agent, source -> sink, the same key and value bytes.
- ``--hops 2``: the shape of the worker: an agent copies source -> an internal 1-partition topic
  (``<app id>-hop``, like ``<app>-articles.tagged``), a second agent copies it -> sink.
- ``--uvloop``: the same app on uvloop's event loop (as the worker runs) instead of asyncio's.

Acks and commits are Faust's defaults (``acks=-1``, commit every 2.8 s, stream auto-ack), as in the
worker; the producer linger is the worker's (``--linger-ms``). It measures what Faust itself can move
through this broker on one core: the most any Faust worker could do, whatever its processing costs.

When the last agent has sent ``expected`` records the process prints one JSON line (marked
``"faust_ceiling": true``) with its CPU seconds between the first record in and the last record out;
the caller then stops it (SIGTERM) and times the sink's records itself.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from typing import Any

import orjson

from benchmarks.passthrough import copy_arguments, copy_result

RESULT_MARKER = "faust_ceiling"


class Progress:
    """Counted by the agents: when the first record came in, how many went out."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.copied = 0
        self.first_wall: float | None = None
        self.first_cpu: float | None = None

    def started(self) -> None:
        if self.first_wall is None:
            self.first_wall, self.first_cpu = time.time(), time.process_time()

    def sent(self) -> dict[str, Any] | None:
        """Count one record out; the result once the last expected one is out (exactly once)."""
        self.copied += 1
        if self.copied != self.expected:
            return None
        wall = time.time() - (self.first_wall or time.time())
        cpu = time.process_time() - (self.first_cpu or time.process_time())
        return {RESULT_MARKER: True, **copy_result(self.copied, wall, cpu), "event_loop": _loop_name()}


def _loop_name() -> str | None:
    """The running event loop's class (``uvloop.Loop`` or asyncio's), None outside a loop."""
    try:
        loop = type(asyncio.get_running_loop())
    except RuntimeError:
        return None
    return f"{loop.__module__}.{loop.__name__}"


def build_app(
    app_id: str, bootstrap: str, source: str, sink: str, *, hops: int, expected: int, linger_ms: float, datadir: str,
    on_done: Any = None,
) -> Any:
    """The stock app and its agent(s). ``on_done(result)`` is called once ``expected`` records were sent."""
    import faust

    if hops not in (1, 2):
        raise ValueError(f"hops must be 1 or 2, not {hops}")
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        producer_linger=linger_ms / 1000.0,
        web_enabled=False,
        datadir=datadir,
    )
    progress = Progress(expected)
    done = on_done or (lambda result: None)
    source_topic = app.topic(source)
    sink_topic = app.topic(sink)

    async def copy_out(key: Any, value: Any) -> None:
        await sink_topic.send(key=key, value=value)
        result = progress.sent()
        if result is not None:
            done(result)

    if hops == 1:

        @app.agent(source_topic)
        async def copy(stream: faust.StreamT) -> None:
            async for key, value in stream.items():
                progress.started()
                await copy_out(key, value)

    else:
        hop_topic = app.topic(f"{app_id}-hop", partitions=1, internal=True)

        @app.agent(source_topic)
        async def first(stream: faust.StreamT) -> None:
            async for key, value in stream.items():
                progress.started()
                await hop_topic.send(key=key, value=value)

        @app.agent(hop_topic)
        async def second(stream: faust.StreamT) -> None:
            async for key, value in stream.items():
                await copy_out(key, value)

    return app


def print_result(result: dict[str, Any]) -> None:
    # To file descriptor 1 itself: the Faust worker replaces sys.stdout with a logger.
    os.write(1, orjson.dumps(result) + b"\n")


def parse_result(output: bytes) -> dict[str, Any]:
    """The marked JSON line of a run's stdout ({} when there is none: the run did not finish)."""
    for line in reversed(output.splitlines()):
        line = line.strip()
        if line.startswith(b"{"):
            try:
                parsed = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if isinstance(parsed, dict) and parsed.get(RESULT_MARKER):
                return parsed
    return {}


def main(argv: list[str] | None = None) -> None:
    from faust.worker import Worker

    parser = copy_arguments(__doc__)
    parser.add_argument("--app-id", default="article-stream-bench-faust")
    parser.add_argument("--hops", type=int, choices=(1, 2), default=1)
    parser.add_argument("--linger-ms", type=float, default=5.0, help="producer linger (the worker's default: 5 ms)")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop's event loop")
    args = parser.parse_args(argv)
    if args.uvloop:
        from stream.worker.loop import use_uvloop

        use_uvloop()  # before the app exists: Faust takes the loop of the policy in force
    datadir = tempfile.mkdtemp(prefix=f"{args.app_id}-")
    app = build_app(args.app_id, args.bootstrap, args.source, args.sink, hops=args.hops, expected=args.expected,
                    linger_ms=args.linger_ms, datadir=datadir, on_done=print_result)
    worker = Worker(app, loglevel="warning", quiet=True)
    worker.spinner = None
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
