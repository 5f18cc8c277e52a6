"""``python -m benchmarks``: the benchmark run behind ``article-stream bench`` and ``make bench``.

    python -m benchmarks [--quick | --large] [--articles N] [--prefill N] [--rate R] [--json FILE]

Exit codes: 0 measured; 1 a phase failed; 2 a bad option.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from benchmarks.report import render
from benchmarks.run import BenchOptions, run_bench


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description="Throughput, latency and memory against a bare Kafka ceiling.")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes: a smoke run of every phase in about a minute")
    size.add_argument("--large", action="store_true", help="pre-fill the window with 1,000,000 articles (slow)")
    parser.add_argument("--articles", type=int, help="backlog size of the throughput phases (default 2000)")
    parser.add_argument("--prefill", type=int, help="articles pre-filled into the window (default 100,000)")
    parser.add_argument("--rate", type=float, help="offered rate of the fixed-rate latency phase (default 200/s)")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the figures as JSON to this file")
    return parser


def options_from(args: argparse.Namespace) -> BenchOptions:
    options = BenchOptions.quick() if args.quick else BenchOptions.large() if args.large else BenchOptions()
    if args.articles is not None:
        options.articles = args.articles
        options.scale_articles = min(options.scale_articles, args.articles)
    if args.prefill is not None:
        options.prefill = args.prefill
    if args.rate is not None:
        options.rate = args.rate
    return options


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    options = options_from(args)
    options.log = lambda message: print(message, file=sys.stderr, flush=True)
    figures = run_bench(options)
    print(render(figures))
    if args.json_path is not None:
        args.json_path.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2) + b"\n")
        print(f"figures written to {args.json_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
