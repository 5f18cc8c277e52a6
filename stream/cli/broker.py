"""``article-stream broker start|stop|status``: the embedded Kafka broker."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from stream.broker.distribution import BrokerSetupError
from stream.broker.managed import running_broker, start_managed, stop_managed

broker_app = typer.Typer(no_args_is_help=True, help="Run a local Apache Kafka broker (KRaft) for development and tests.")


def _progress(message: str) -> None:
    # stdout carries only the bootstrap address, so scripts can do ADDR=$(article-stream broker start).
    print(message, file=sys.stderr, flush=True)


@broker_app.command()
def start(
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Broker data dir; kept across stop/start. Default: a fresh temp dir, deleted on stop."
    ),
    port: int = typer.Option(
        0, "--port", min=0, max=65535, help="Client (PLAINTEXT) port. 0: a free port, or the one the data dir used before."
    ),
    timeout: float = typer.Option(90.0, "--timeout", min=1.0, help="Seconds to wait for the broker to accept clients."),
) -> None:
    """Start the broker (or reuse the running one) and print its bootstrap address once it is ready.

    Exit codes: 0 ready (the address is on stdout); 2 it could not be set up or started (the reason is on stderr).
    """
    try:
        state, reused = start_managed(data_dir=data_dir, port=port, log=_progress, timeout_s=timeout)
    except (BrokerSetupError, RuntimeError) as error:
        _progress(f"error: {error}")
        raise typer.Exit(2) from error
    if reused:
        _progress(f"reusing the running broker (pid {state.pid}, data dir {state.data_dir})")
    typer.echo(state.bootstrap)


@broker_app.command()
def stop(timeout: float = typer.Option(30.0, "--timeout", min=0.0, help="Seconds between SIGTERM and SIGKILL.")) -> None:
    """Stop the broker started by `broker start`.

    Exit codes: 0 stopped, or none was running.
    """
    stopped = stop_managed(timeout_s=timeout, log=_progress)
    _progress("stopped" if stopped is not None else "no broker was running")


@broker_app.command()
def status() -> None:
    """Print `running ADDRESS` or `stopped`.

    Exit codes: 0 running; 1 stopped.
    """
    state = running_broker()
    if state is None:
        typer.echo("stopped")
        raise typer.Exit(1)
    typer.echo(f"running {state.bootstrap}")
    _progress(f"pid {state.pid}, data dir {state.data_dir}")
