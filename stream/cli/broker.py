"""``article-stream broker start|stop|status``: the embedded Kafka broker."""

from __future__ import annotations

import typer

broker_app = typer.Typer(no_args_is_help=True, help="Run a local Apache Kafka broker (KRaft) for development and tests.")
