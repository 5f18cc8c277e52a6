"""Options shared by every command that talks to Kafka: ``--broker`` and the TLS/SASL options.

Decorate a command with :func:`kafka_command`: the options are appended to its signature (so Typer
shows them in ``--help``, each with its environment variable) and the command receives one
:class:`KafkaOptions` as its ``kafka`` argument instead.

Exit codes shared by these commands: 2 means a usage or connection problem (no broker given, broker
unreachable, a refused TLS handshake, inconsistent security options).

Secrets have no command-line option (they would show in ``ps``): the SASL password and the client
key's password come from ``ARTICLE_STREAM_SASL_PASSWORD`` / ``ARTICLE_STREAM_SSL_KEY_PASSWORD`` or from
the files named by ``--sasl-password-file`` / ``--ssl-key-password-file``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from stream.config import BROKER_ENV, Settings
from stream.kafka_security import (
    PROTOCOLS,
    SASL_MECHANISMS,
    KafkaSecurity,
    SecurityConfigError,
    client_kwargs,
    tls_handshake_error,
)

EXIT_USAGE = 2  # usage or connection error, for every command
PANEL = "Kafka connection"

T = TypeVar("T")

# Choices for --help and completion; the values are what kafka_security accepts.
Protocol = Enum("Protocol", {name: name for name in PROTOCOLS}, type=str)
Mechanism = Enum("Mechanism", {name.replace("-", "_"): name for name in SASL_MECHANISMS}, type=str)


@dataclass(frozen=True)
class KafkaOptions(KafkaSecurity):
    """One invocation's connection: the shared security settings plus the broker address."""

    broker: str | None = None

    def bootstrap(self) -> str:
        """The broker address, or exit 2 with a hint when none is given."""
        if not self.broker:
            fail(f"no Kafka broker: pass --broker HOST:PORT or set {BROKER_ENV} (a local one: article-stream broker start)")
        return self.broker

    def client_kwargs(self) -> dict[str, Any]:
        """``bootstrap_servers`` plus the security kwargs; exits 2 on inconsistent options."""
        try:
            return {"bootstrap_servers": self.bootstrap(), **client_kwargs(self)}
        except SecurityConfigError as error:
            fail(str(error))


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _option(*names: str, envvar: str, help: str, **extra: Any) -> Any:
    return typer.Option(*names, envvar=envvar, help=help, rich_help_panel=PANEL, show_default=False, **extra)


# name -> (annotation, default). The password itself has no option (it would show in `ps`): only
# the file option and the environment variable.
_SHARED: dict[str, tuple[Any, Any]] = {
    "broker": (
        Annotated[str | None, _option("--broker", "-b", envvar=BROKER_ENV, help="Kafka bootstrap address HOST:PORT.")],
        None,
    ),
    "security_protocol": (
        Annotated[
            Protocol,
            _option(
                "--security-protocol",
                envvar="ARTICLE_STREAM_SECURITY_PROTOCOL",
                help="How to connect: plain, TLS, SASL, or SASL over TLS.",
            ),
        ],
        Protocol.PLAINTEXT,
    ),
    "sasl_mechanism": (
        Annotated[
            Mechanism | None,
            _option(
                "--sasl-mechanism",
                envvar="ARTICLE_STREAM_SASL_MECHANISM",
                help="SASL mechanism (default PLAIN with SASL_*).",
            ),
        ],
        None,
    ),
    "sasl_username": (
        Annotated[str | None, _option("--sasl-username", envvar="ARTICLE_STREAM_SASL_USERNAME", help="SASL user name.")],
        None,
    ),
    "sasl_password_file": (
        Annotated[
            str | None,
            _option(
                "--sasl-password-file",
                envvar="ARTICLE_STREAM_SASL_PASSWORD_FILE",
                help="File whose first line is the SASL password (or set ARTICLE_STREAM_SASL_PASSWORD).",
            ),
        ],
        None,
    ),
    "ssl_cafile": (
        Annotated[str | None, _option("--ssl-cafile", envvar="ARTICLE_STREAM_SSL_CAFILE", help="CA certificates (PEM) to verify the broker.")],
        None,
    ),
    "ssl_certfile": (
        Annotated[str | None, _option("--ssl-certfile", envvar="ARTICLE_STREAM_SSL_CERTFILE", help="Client certificate (PEM) for mutual TLS.")],
        None,
    ),
    "ssl_keyfile": (
        Annotated[str | None, _option("--ssl-keyfile", envvar="ARTICLE_STREAM_SSL_KEYFILE", help="Client private key (PEM) for mutual TLS.")],
        None,
    ),
    "ssl_key_password_file": (
        Annotated[
            str | None,
            _option(
                "--ssl-key-password-file",
                envvar="ARTICLE_STREAM_SSL_KEY_PASSWORD_FILE",
                help="File whose first line is the password of an encrypted --ssl-keyfile (or set ARTICLE_STREAM_SSL_KEY_PASSWORD).",
            ),
        ],
        None,
    ),
}
# The options of the command running now: run_kafka reads them to explain a refused TLS handshake.
_current_options: ContextVar[KafkaOptions | None] = ContextVar("kafka_options", default=None)
# The settings the command running now was given (built once, by kafka_command).
_current_settings: ContextVar[Settings | None] = ContextVar("settings", default=None)


def _secret(value: Any) -> str | None:
    return value.get_secret_value() or None if value is not None else None


def kafka_command(func: Callable[..., T]) -> Callable[..., T]:
    """Give a Typer command the shared Kafka options; it receives them as ``kafka: KafkaOptions``."""
    signature = inspect.signature(func, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "kafka"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
        for name, (annotation, default) in _SHARED.items()
    ]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        shared = {name: kwargs.pop(name) for name in _SHARED}
        shared = {name: value.value if isinstance(value, Enum) else value for name, value in shared.items()}
        # The one Settings of this invocation: the environment, then the options over its Kafka section.
        settings = Settings().with_kafka(**shared)
        options = KafkaOptions(
            **shared,
            sasl_password=_secret(settings.kafka.sasl_password),
            ssl_key_password=_secret(settings.kafka.ssl_key_password),
        )
        quiet_kafka_logs()
        token = _current_options.set(options)
        settings_token = _current_settings.set(settings)
        try:
            return func(*args, kafka=options, **kwargs)
        finally:
            _current_settings.reset(settings_token)
            _current_options.reset(token)

    wrapper.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*own, *added]}
    return wrapper


class _LastConnectionError(logging.Handler):
    """Keeps the reason of aiokafka's last failed connection (its "Unable connect to ...: <error>"
    log line, e.g. a refused SASL authentication) instead of printing it."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.reason: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if isinstance(record.msg, str) and record.msg.startswith("Unable connect") and record.args:
            self.reason = str(record.args[-1])


_connection_errors = _LastConnectionError()


def quiet_kafka_logs() -> None:
    """aiokafka logs every refused connection at ERROR; commands report connection problems
    themselves (with the last reason aiokafka gave, see run_kafka), so none of it is printed."""
    logger = logging.getLogger("aiokafka")
    logger.setLevel(logging.ERROR)
    logger.propagate = False
    if _connection_errors not in logger.handlers:
        logger.addHandler(_connection_errors)
    _connection_errors.reason = None


def current_settings() -> Settings:
    """The settings of the command running now: built once by :func:`kafka_command`, from the
    environment as set for this invocation (not the process-wide cache) and the Kafka options.
    Outside a Kafka command (shell completion), read from the environment now."""
    return _current_settings.get() or Settings()


def run_kafka(coroutine: Awaitable[T], broker: str, *, on_interrupt: T | None = None) -> T:
    """Run ``coroutine``; a broker that cannot be reached ends the command with exit 2. Ctrl-C
    returns ``on_interrupt`` when given (for commands that run until stopped), else exits 130."""
    from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError

    try:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    except (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError, ConnectionError) as error:
        refused = _tls_refusal(broker)
        if refused:
            hint = ""
            if "certificate verify failed" in refused:
                hint = (
                    " (--ssl-cafile / ARTICLE_STREAM_SSL_CAFILE must hold the CA that signed the broker's "
                    "certificate, issued for the host name or IP address in --broker)"
                )
            fail(f"TLS connection to the Kafka broker at {broker} refused: {refused}{hint}")
        last = _connection_errors.reason
        if last and "Authentication" in last:
            hint = "check --sasl-username, --sasl-mechanism and the password"
        else:
            hint = "is it running? article-stream broker status"
        reason = f"; last connection error: {last}" if last else ""
        fail(f"cannot reach the Kafka broker at {broker}: {error or type(error).__name__}{reason} ({hint})")
    except KeyboardInterrupt:
        if on_interrupt is not None:
            return on_interrupt
        raise typer.Exit(130) from None


def _tls_refusal(broker: str) -> str | None:
    """The TLS reason a connection failed (aiokafka only says "Unable to bootstrap"), or None."""
    options = _current_options.get()
    if options is None or not options.security_protocol.upper().endswith("SSL"):
        return None
    try:
        context = client_kwargs(options)["ssl_context"]
        return asyncio.run(tls_handshake_error(broker, context))
    except (SecurityConfigError, OSError, ValueError):
        return None


def topic_names(settings: Settings) -> dict[str, str]:
    """Short names for the service topics, accepted wherever a topic is given: raw, enriched, stories, dlq."""
    return {
        "raw": settings.topic_raw,
        "enriched": settings.topic_enriched,
        "stories": settings.topic_stories,
        "dlq": settings.topic_dlq,
    }


def resolve_topic(name: str, settings: Settings) -> str:
    return topic_names(settings).get(name, name)


def complete_topic(incomplete: str) -> list[str]:
    """Shell completion for topic arguments: the service topics and their short names."""
    settings = current_settings()
    names = [*topic_names(settings).values(), *topic_names(settings)]
    return [n for n in names if n.startswith(incomplete)]


async def partitions_of(kafka: KafkaOptions, topic: str) -> list[int]:
    """The partition numbers of ``topic``; exits 2 when it does not exist."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**kafka.client_kwargs(), request_timeout_ms=15_000)
    await admin.start()
    try:
        [described] = await admin.describe_topics([topic])
    finally:
        await admin.close()
    partitions = sorted(p["partition"] for p in described.get("partitions") or [])
    if described.get("error_code", 0) != 0 or not partitions:
        fail(f"topic {topic!r} does not exist (the service topics: article-stream topics create)")
    return partitions
