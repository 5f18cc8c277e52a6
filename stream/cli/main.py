"""The ``article-stream`` command line: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from stream.cli.broker import broker_app
from stream.cli.eval import eval_app
from stream.cli.offline import config, process, schemas
from stream.cli.run import demo, worker

app = typer.Typer(
    no_args_is_help=True,
    help="article-stream: raw news articles in, enriched and story-linked articles out.",
    pretty_exceptions_show_locals=False,
)
app.command()(worker)
app.command()(demo)
app.command()(process)
app.command()(schemas)
app.command()(config)
app.add_typer(broker_app, name="broker")
app.add_typer(eval_app, name="eval")


def main() -> None:
    app()
