"""Kafka connection security (TLS and SASL) for every aiokafka client of the service: CLI and worker.

One function, :func:`client_kwargs`, turns settings or command-line options into the keyword
arguments of ``AIOKafkaProducer`` / ``AIOKafkaConsumer`` / ``AIOKafkaAdminClient``. It accepts any
object with the attributes of :class:`KafkaSecurity` (missing ones take the defaults), so a
``Settings`` with fields of the same names works unchanged.

Environment variables (what :meth:`KafkaSecurity.from_env` reads, and the CLI options' fallbacks):

    ARTICLE_STREAM_SECURITY_PROTOCOL    PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    ARTICLE_STREAM_SASL_MECHANISM       PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
    ARTICLE_STREAM_SASL_USERNAME
    ARTICLE_STREAM_SASL_PASSWORD        the password itself (prefer the file in production)
    ARTICLE_STREAM_SASL_PASSWORD_FILE   a file whose first line is the password
    ARTICLE_STREAM_SSL_CAFILE / _SSL_CERTFILE / _SSL_KEYFILE   PEM files

The password never appears in ``repr``, in error messages or in :func:`describe`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
ENV_PREFIX = "ARTICLE_STREAM_"


class SecurityConfigError(ValueError):
    """The TLS/SASL options are inconsistent or a file is missing. The message never holds the password."""


@dataclass(frozen=True)
class KafkaSecurity:
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    sasl_password_file: str | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KafkaSecurity:
        env = os.environ if environ is None else environ
        values = {f.name: env.get(ENV_PREFIX + f.name.upper()) or None for f in fields(cls)}
        values["security_protocol"] = values["security_protocol"] or "PLAINTEXT"
        return cls(**values)


def _get(source: Any, name: str) -> Any:
    if isinstance(source, Mapping):
        value = source.get(name)
    else:
        value = getattr(source, name, None)
    if isinstance(value, str):
        value = value.strip() or None
    if value is not None and hasattr(value, "get_secret_value"):  # pydantic SecretStr
        value = value.get_secret_value()
    return value


def _existing_file(name: str, path: str | None) -> str | None:
    if path is None:
        return None
    if not Path(path).is_file():
        raise SecurityConfigError(f"{name}: no such file: {path}")
    return str(path)


def read_password(source: Any) -> str | None:
    """The SASL password: ``sasl_password`` if set, else the first line of ``sasl_password_file``."""
    password = _get(source, "sasl_password")
    if password:
        return password
    path = _existing_file("sasl password file", _get(source, "sasl_password_file"))
    if path is None:
        return None
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return lines[0].strip() if lines and lines[0].strip() else None


def client_kwargs(settings_or_options: Any) -> dict[str, Any]:
    """aiokafka client keyword arguments for the security settings of ``settings_or_options``.

    PLAINTEXT (the default) gives ``{"security_protocol": "PLAINTEXT"}``. Raises
    :class:`SecurityConfigError` for an unknown protocol or mechanism, SASL without a username or
    password, a client certificate without its key, or a missing file.
    """
    source = settings_or_options
    protocol = (_get(source, "security_protocol") or "PLAINTEXT").upper()
    if protocol not in PROTOCOLS:
        raise SecurityConfigError(f"security protocol {protocol!r} is not one of {', '.join(PROTOCOLS)}")
    kwargs: dict[str, Any] = {"security_protocol": protocol}

    if protocol.startswith("SASL_"):
        mechanism = (_get(source, "sasl_mechanism") or "PLAIN").upper()
        if mechanism not in SASL_MECHANISMS:
            raise SecurityConfigError(f"SASL mechanism {mechanism!r} is not one of {', '.join(SASL_MECHANISMS)}")
        username = _get(source, "sasl_username")
        password = read_password(source)
        if not username or not password:
            raise SecurityConfigError(
                f"{protocol} needs a SASL username and password "
                f"(--sasl-username and --sasl-password-file, or {ENV_PREFIX}SASL_USERNAME and {ENV_PREFIX}SASL_PASSWORD)"
            )
        kwargs.update(sasl_mechanism=mechanism, sasl_plain_username=username, sasl_plain_password=password)

    cafile = _existing_file("CA file", _get(source, "ssl_cafile"))
    certfile = _existing_file("certificate file", _get(source, "ssl_certfile"))
    keyfile = _existing_file("key file", _get(source, "ssl_keyfile"))
    if protocol.endswith("SSL"):
        if (certfile is None) != (keyfile is None):
            raise SecurityConfigError("a client certificate needs both --ssl-certfile and --ssl-keyfile")
        from aiokafka.helpers import create_ssl_context

        # Without a CA file the system's trust store verifies the broker (create_ssl_context's default).
        kwargs["ssl_context"] = create_ssl_context(cafile=cafile, certfile=certfile, keyfile=keyfile)
    elif cafile or certfile or keyfile:
        raise SecurityConfigError(f"TLS files are given but the security protocol is {protocol} (use SSL or SASL_SSL)")
    return kwargs


def describe(kwargs: Mapping[str, Any]) -> str:
    """A loggable one-liner of client kwargs: the password is masked, the SSL context summarised."""
    shown = []
    for key, value in kwargs.items():
        if key == "sasl_plain_password":
            value = "***"
        elif key == "ssl_context":
            value = "<tls>"
        shown.append(f"{key}={value}")
    return " ".join(shown)


def faust_credentials(settings_or_options: Any):
    """The same settings as Faust ``broker_credentials`` for the worker (None for PLAINTEXT).

    Faust turns these back into aiokafka kwargs equal to :func:`client_kwargs` (a test checks it), so
    the worker and the CLI connect the same way.
    """
    kwargs = client_kwargs(settings_or_options)
    protocol = kwargs["security_protocol"]
    if protocol == "PLAINTEXT":
        return None
    from faust.auth import SASLCredentials, SSLCredentials

    if protocol == "SSL":
        return SSLCredentials(kwargs["ssl_context"])
    return SASLCredentials(
        username=kwargs["sasl_plain_username"],
        password=kwargs["sasl_plain_password"],
        ssl_context=kwargs.get("ssl_context"),  # given: SASL_SSL; absent: SASL_PLAINTEXT
        mechanism=kwargs["sasl_mechanism"],
    )
