"""``article-stream process`` (the offline twin of the worker) and ``article-stream schemas``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from stream.contracts.schemas import SCHEMA_DIR, drift, write
from stream.sources import iter_inputs


def process(
    inputs: Annotated[list[str], typer.Argument(help="JSONL files (one RawArticle a line), pages (.html/.txt), directories, or - for stdin.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Enriched JSONL; default stdout.")] = None,
    dlq: Annotated[Path | None, typer.Option("--dlq", help="Dead letters as JSONL; default stderr summary only.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
) -> None:
    """Run the pipeline core on files, no Kafka: one enriched line per good input, in input order.

    Exit codes: 0 done (dead letters are results too: counted on stderr, written with --dlq); 1 an input could not be read; 2 usage error.
    """
    from stream.config import Settings
    from stream.core.pipeline import Origin, Pipeline

    pipeline = Pipeline(Settings().core())  # the environment's stage settings (time zones, limits, window)
    out = output.open("wb") if output else sys.stdout.buffer
    dead = dlq.open("wb") if dlq else None
    counts = {"enriched": 0, "dead_lettered": 0, "unchanged": 0}
    try:
        for number, (where, value) in enumerate(iter_inputs(inputs), start=1):
            outcome = pipeline.process(value, Origin(topic=where.rsplit(":", 1)[0], offset=number))
            if outcome.enriched is not None:
                out.write(orjson.dumps(outcome.enriched.model_dump(mode="json")) + b"\n")
                counts["enriched"] += 1
            elif outcome.dead_letter is not None:
                counts["dead_lettered"] += 1
                if dead:
                    dead.write(orjson.dumps(outcome.dead_letter.model_dump(mode="json")) + b"\n")
                if not quiet:
                    typer.echo(f"{where}: {outcome.dead_letter.error_code.value}: {outcome.dead_letter.reason}", err=True)
            else:
                counts["unchanged"] += 1
            if not quiet and number % 1000 == 0:
                typer.echo(f"... {number} inputs", err=True)
    finally:
        if output:
            out.close()
        if dead:
            dead.close()
    if not quiet:
        typer.echo(" ".join(f"{k}={v}" for k, v in counts.items()), err=True)


def schemas(
    check: Annotated[bool, typer.Option("--check", help="Exit 1 if the committed schemas differ from the models.")] = False,
    directory: Annotated[Path, typer.Option(help="Where the schema files live.")] = SCHEMA_DIR,
) -> None:
    """Regenerate the JSON Schema files of every message type from the pydantic models, and the HTTP
    API's OpenAPI document (openapi.json) from its declarations.

    Exit codes: 0 written, or up to date with --check; 1 --check found a schema out of date.
    """
    from stream.contracts.api import openapi_drift, write_openapi

    if check:
        stale = drift(directory) + (["openapi"] if openapi_drift(directory / "openapi.json") else [])
        if stale:
            typer.echo(f"schemas out of date: {', '.join(stale)} (run: article-stream schemas)", err=True)
            raise typer.Exit(1)
        typer.echo("schemas up to date")
        return
    for path in [*write(directory), write_openapi(directory / "openapi.json")]:
        typer.echo(str(path))


def config(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the documentation table instead.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the effective values as one JSON object.")] = False,
) -> None:
    """Show the effective configuration (from ARTICLE_STREAM_* environment variables).

    Exit codes: 0 shown; 1 a variable holds an invalid value (the error names it).
    """
    from stream.config import Settings, settings_table

    if markdown:
        typer.echo(settings_table())
        return
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as error:  # name the variable and the problem, not a traceback
        for problem in error.errors():
            typer.echo(f"ARTICLE_STREAM_{str(problem['loc'][0]).upper()}: {problem['msg']}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(orjson.dumps(settings.env_values(mode="json")).decode())
        return
    for name, value in settings.env_values().items():
        typer.echo(f"{name}={value}")
