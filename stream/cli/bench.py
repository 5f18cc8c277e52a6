"""``article-stream bench``: pipeline throughput against the passthrough ceiling, latency, memory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer


def bench(
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON to this file.")] = None,
    articles: Annotated[int | None, typer.Option("--articles", help="Backlog size of the throughput phases (default 2000).")] = None,
    prefill: Annotated[int | None, typer.Option("--prefill", help="Articles pre-filled into the window (default 100,000).")] = None,
    large: Annotated[bool, typer.Option("--large", help="Pre-fill the window with 1,000,000 articles (slow).")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Small sizes: a smoke run of every phase in about a minute.")] = False,
    rate: Annotated[float | None, typer.Option("--rate", help="Offered rate of the fixed-rate latency phase (default 500/s).")] = None,
) -> None:
    """Measure the worker against a bare consumer->producer ceiling on the same broker and bytes:
    throughput, end-to-end latency (fixed rate and saturation), offline articles/s, RSS per article held,
    and 1 vs 2 workers. Uses $ARTICLE_STREAM_BROKER or starts (and stops) an embedded broker.

    Exit codes: 0 measured; 1 a phase failed; 2 a bad option."""
    from stream.bench.report import render
    from stream.bench.run import BenchOptions, run_bench

    if quick and large:
        raise typer.BadParameter("--quick and --large exclude each other")
    options = BenchOptions.quick() if quick else BenchOptions.large() if large else BenchOptions()
    if articles is not None:
        options.articles = articles
        options.scale_articles = min(options.scale_articles, articles)
    if prefill is not None:
        options.prefill = prefill
    if rate is not None:
        options.rate = rate
    options.log = lambda message: typer.echo(message, err=True)
    figures = run_bench(options)
    typer.echo(render(figures))
    if json_path is not None:
        json_path.write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2) + b"\n")
        typer.echo(f"figures written to {json_path}", err=True)
