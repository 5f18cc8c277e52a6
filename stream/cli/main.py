"""The ``article-stream`` command line: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from stream.cli.bench import bench
from stream.cli.broker import broker_app
from stream.cli.eval import eval_app
from stream.cli.offline import config, process, schemas
from stream.cli.produce import produce
from stream.cli.replay import replay
from stream.cli.run import demo, worker
from stream.cli.stories import stories
from stream.cli.tail import tail
from stream.cli.topics import topics_app
from stream.cli.train import train_app

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
app.command()(produce)
app.command()(tail)
app.command()(replay)
app.command()(stories)
app.add_typer(topics_app, name="topics")
app.add_typer(train_app, name="train")
app.command()(bench)


def main() -> None:
    app()
