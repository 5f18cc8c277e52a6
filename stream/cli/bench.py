"""``article-stream bench``: pipeline throughput against the passthrough ceiling, latency, memory.

The benchmarks live in the checkout's top-level ``benchmarks/`` package, outside the runtime package
and the wheel. This command runs them as ``python -m benchmarks`` in a process of their own, so the
runtime never imports them; an installed wheel has no such folder and the command says so.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

# stream/cli/bench.py -> the checkout root, when the package runs from a checkout (make venv).
CHECKOUT = Path(__file__).resolve().parents[2]
EXIT_NO_BENCHMARKS = 2


def bench(
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the figures as JSON to this file.")] = None,
    articles: Annotated[int | None, typer.Option("--articles", help="Backlog size of the throughput phases (default 2000).")] = None,
    prefill: Annotated[int | None, typer.Option("--prefill", help="Articles pre-filled into the window (default 100,000).")] = None,
    large: Annotated[bool, typer.Option("--large", help="Pre-fill the window with 1,000,000 articles (slow).")] = False,
    quick: Annotated[bool, typer.Option("--quick", help="Small sizes: a smoke run of every phase in about a minute.")] = False,
    rate: Annotated[float | None, typer.Option("--rate", help="Offered rate of the fixed-rate latency phase (default 200/s).")] = None,
) -> None:
    """Measure the worker against a bare consumer->producer ceiling on the same broker and bytes:
    throughput, end-to-end latency (fixed rate and saturation), offline articles/s, RSS per article held,
    and 1 vs 2 workers. Uses $ARTICLE_STREAM_BROKER or starts (and stops) an embedded broker.
    Runs from a source checkout (make bench): the benchmarks are its benchmarks/ folder, not part of the wheel.

    Exit codes: 0 measured; 1 a phase failed; 2 a bad option, or no benchmarks/ folder (an installed wheel)."""
    if quick and large:
        raise typer.BadParameter("--quick and --large exclude each other")
    if not (CHECKOUT / "benchmarks" / "__main__.py").is_file():
        typer.echo(
            "article-stream bench runs from a source checkout (make bench): the benchmarks/ folder is not installed with the package",
            err=True,
        )
        raise typer.Exit(EXIT_NO_BENCHMARKS)
    argv = bench_argv(json_path=json_path, articles=articles, prefill=prefill, large=large, quick=quick, rate=rate)
    raise typer.Exit(_run([sys.executable, "-m", "benchmarks", *argv]))


def bench_argv(
    *, json_path: Path | None, articles: int | None, prefill: int | None, large: bool, quick: bool, rate: float | None,
) -> list[str]:
    """The options as ``python -m benchmarks`` takes them."""
    argv = ["--quick"] if quick else ["--large"] if large else []
    for flag, value in (("--json", json_path), ("--articles", articles), ("--prefill", prefill), ("--rate", rate)):
        if value is not None:
            argv += [flag, str(value)]
    return argv


def _run(command: list[str]) -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CHECKOUT), env.get("PYTHONPATH")) if p)
    process = subprocess.Popen(command, env=env)
    while True:
        try:
            code = process.wait()
            break
        except KeyboardInterrupt:
            # The bench got the same Ctrl-C: wait while it stops its broker and workers itself.
            continue
    return 128 - code if code < 0 else code  # killed by a signal: the shell's 128 + signal number
