"""CPU per article of the worker shell's own work around the core, in this process (no broker).

``python -m benchmarks.shell [--articles 300] [--rounds 7]`` prepares bench articles with the real
core, then times, interleaved round by round (CPU time, ``time.process_time``), what the agents do
per article besides the core: the tagged record's JSON, getting the relate agent's article back
(handed over by ``TaggedHandoff`` vs. validated from the bytes, as for a record this process did not
produce), the enriched record's JSON and headers, the metrics, and the hand-off to the enrich child
(``stream/budget.py``): the request's frame, the answer's JSON (in the child) and frame; the parent
validates the answer as "article back, validated from bytes". Kafka, Faust and the emitter are
not in it: ``article-stream bench`` measures those (the framework ceiling rows).
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any


def measure(articles: int = 300, rounds: int = 7) -> dict[str, Any]:
    from benchmarks import corpus
    from stream import budget
    from stream.contracts import EnrichedArticle
    from stream.contracts.topics import headers_for
    from stream.core.pipeline import Pipeline
    from stream.metrics import Metrics
    from stream.worker import agents

    values = corpus.generate(articles, start=datetime(2026, 11, 27, tzinfo=UTC))
    pipeline = Pipeline()  # its own relator: the worker's tables are only writable inside a stream
    records = []
    for value in values:
        prepared = pipeline.prepare(value)
        if prepared.enriched is None:
            continue
        linked = pipeline.link(prepared.enriched)
        records.append((prepared, prepared.enriched.id.encode(), agents._json(prepared.enriched), linked,
                        linked.enriched or linked.restated, value))
    event = _Event(agents.INGEST_HEADER)
    handoff = agents.TaggedHandoff()
    metrics = Metrics()

    def handed_over(r: tuple) -> None:
        prepared, key, value = r[0], r[1], r[2]
        handoff.put(key, value, prepared.enriched)
        handoff.validated(key, value)

    def request_frame(r: tuple) -> bytes:  # the parent's message to the enrich child (stream/budget.py)
        return budget._FRAME.pack(0) + pickle.dumps((r[5], ("articles.raw", 0, 1, 2, r[1])), protocol=pickle.HIGHEST_PROTOCOL)

    def answer_frame(r: tuple) -> Any:  # the child's answer, framed and read back (its JSON is timed apart)
        data = pickle.dumps(("enriched", r[2], {"validate": 0.001, "normalize": 0.002, "tag": 0.003}, 0.006, 1.0),
                            protocol=pickle.HIGHEST_PROTOCOL)
        return pickle.loads(data)

    pieces: dict[str, Callable[[tuple], Any]] = {
        "IPC: request framed (parent)": request_frame,
        "IPC: answer JSON (child)": lambda r: budget._json(r[0].enriched),
        "IPC: answer framed + read (both)": answer_frame,
        "tagged JSON (enrich)": lambda r: agents._json(r[0].enriched),
        "article back, handed over": handed_over,
        "article back, validated from bytes": lambda r: EnrichedArticle.model_validate_json(r[2]),
        "enriched JSON + headers (relate)": lambda r: (
            agents._json(r[4]), headers_for(EnrichedArticle, event_id=f"{r[4].id}:{r[4].revision}", time=r[4].processed_at)),
        "metrics (stages, emit, tags)": lambda r: (
            metrics.observe_outcome(r[0], final=False), metrics.observe_outcome(r[3], final=True),
            agents.observe_latency(metrics, r[4], event, 0.001)),
    }
    samples: dict[str, list[float]] = {name: [] for name in pieces}
    for fn in pieces.values():  # warm-up
        for r in records:
            fn(r)
    for _ in range(rounds):
        for name, fn in pieces.items():
            t0 = time.process_time()
            for r in records:
                fn(r)
            samples[name].append((time.process_time() - t0) / len(records) * 1e6)
    return {
        "articles": len(records),
        "rounds": rounds,
        "cpu_us": {name: {"best": round(min(v), 1), "median": round(statistics.median(v), 1)} for name, v in samples.items()},
    }


class _Message:
    def __init__(self, header: str) -> None:
        self.headers = [(header, b"1764201600000")]
        self.timestamp = 1764201600.0


class _Event:
    def __init__(self, header: str) -> None:
        self.message = _Message(header)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    result = measure(args.articles, args.rounds)
    print(f"{result['articles']} articles, {result['rounds']} interleaved rounds, CPU µs per article (best / median):")
    for name, figures in result["cpu_us"].items():
        print(f"  {name:38s} {figures['best']:8.1f} / {figures['median']:8.1f}")


if __name__ == "__main__":
    main()
