"""Kafka connection security (TLS and SASL) for every aiokafka client of the service: CLI and worker.

One function, :func:`client_kwargs`, turns settings or command-line options into the keyword
arguments of ``AIOKafkaProducer`` / ``AIOKafkaConsumer`` / ``AIOKafkaAdminClient``. It accepts any
object with the attributes of :class:`KafkaSecurity` (missing ones take the defaults), so a
``Settings`` with fields of the same names works unchanged.

Environment variables (read once, into ``stream.config.KafkaSettings``; the CLI options' fallbacks):

    ARTICLE_STREAM_SECURITY_PROTOCOL    PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    ARTICLE_STREAM_SASL_MECHANISM       PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
    ARTICLE_STREAM_SASL_USERNAME
    ARTICLE_STREAM_SASL_PASSWORD        the password itself (prefer the file in production)
    ARTICLE_STREAM_SASL_PASSWORD_FILE   a file whose first line is the password
    ARTICLE_STREAM_SSL_CAFILE           PEM: the CAs that sign the broker's certificate (else the system's)
    ARTICLE_STREAM_SSL_CERTFILE / _SSL_KEYFILE   PEM client certificate and key, for mutual TLS
    ARTICLE_STREAM_SSL_KEY_PASSWORD     the password of an encrypted client key
    ARTICLE_STREAM_SSL_KEY_PASSWORD_FILE   a file whose first line is that password

TLS always verifies the broker's certificate and host name (a certificate for ``127.0.0.1`` needs an
IP subject alternative name). No password (SASL or key) appears in ``repr``, in error messages or in
:func:`describe`.
"""

from __future__ import annotations

import asyncio
import ssl
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
    ssl_key_password: str | None = field(default=None, repr=False)
    ssl_key_password_file: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> KafkaSecurity:
        """The settings a given environment mapping (``ARTICLE_STREAM_*`` names) holds; the process's
        own environment is read by ``stream.config.KafkaSettings`` only."""
        env = environ
        values = {f.name: env.get(ENV_PREFIX + f.name.upper()) or None for f in fields(cls)}
        values["security_protocol"] = values["security_protocol"] or "PLAINTEXT"
        return cls(**values)


def _get(source: Any, name: str) -> Any:
    if isinstance(source, Mapping):
        value = source.get(name)
    else:
        value = getattr(source, name, None)
    if value is not None and hasattr(value, "get_secret_value"):  # pydantic SecretStr
        value = value.get_secret_value()
    if isinstance(value, str):
        value = value.strip() or None
    return value


def _existing_file(name: str, path: str | None) -> str | None:
    if path is None:
        return None
    if not Path(path).is_file():
        raise SecurityConfigError(f"{name}: no such file: {path}")
    return str(path)


def _secret(source: Any, name: str, what: str) -> str | None:
    """``name`` if set, else the first line of the file ``<name>_file``."""
    value = _get(source, name)
    if value:
        return value
    path = _existing_file(f"{what} file", _get(source, f"{name}_file"))
    if path is None:
        return None
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return lines[0].strip() if lines and lines[0].strip() else None


def read_password(source: Any) -> str | None:
    """The SASL password: ``sasl_password`` if set, else the first line of ``sasl_password_file``."""
    return _secret(source, "sasl_password", "sasl password")


def read_key_password(source: Any) -> str | None:
    """The client key's password: ``ssl_key_password``, else the first line of ``ssl_key_password_file``."""
    return _secret(source, "ssl_key_password", "ssl key password")


def _no_key_password() -> str:
    # Without this callback OpenSSL would prompt on the terminal for an encrypted key's pass phrase
    # (a hang in a service); raising makes load_cert_chain fail at once instead.
    raise SecurityConfigError(
        f"the client key is encrypted: set {ENV_PREFIX}SSL_KEY_PASSWORD or --ssl-key-password-file"
    )


def ssl_context(cafile: str | None, certfile: str | None, keyfile: str | None, key_password: str | None) -> ssl.SSLContext:
    """A client TLS context that verifies the broker's certificate chain and host name.

    A CA file that holds no certificate, a wrong key password or a key that does not match the
    certificate raise :class:`SecurityConfigError` naming the problem (never the password).
    """
    try:
        # Without a CA file the system's trust store verifies the broker.
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    except ssl.SSLError as error:
        raise SecurityConfigError(f"CA file {cafile}: no PEM certificate in it ({error.reason or error})") from None
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    if certfile and keyfile:
        try:
            context.load_cert_chain(certfile, keyfile, password=key_password or _no_key_password)
        except ssl.SSLError as error:
            raise SecurityConfigError(
                f"cannot load the client certificate {certfile} with the key {keyfile}: wrong key password, "
                f"not PEM, or the key does not belong to the certificate ({error.reason or error})"
            ) from None
    return context


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
        key_password = read_key_password(source) if keyfile else None
        kwargs["ssl_context"] = ssl_context(cafile, certfile, keyfile, key_password)
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


async def tls_handshake_error(bootstrap: str, context: ssl.SSLContext, timeout_s: float = 10.0) -> str | None:
    """Why a TLS connection to the first ``host:port`` of ``bootstrap`` is refused (e.g. "certificate
    verify failed: unable to get local issuer certificate", or the broker's "certificate required"
    alert), or None when it is not refused or the failure is not TLS (nothing listening, a timeout).

    aiokafka reports a refused handshake only as "Unable to bootstrap"; this names the cause.
    """
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    host = host.strip("[]")
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, int(port), ssl=context, server_hostname=host), timeout_s
        )
    except ssl.SSLCertVerificationError as error:
        return f"certificate verify failed: {error.verify_message}"
    except (ConnectionResetError, ssl.SSLEOFError, asyncio.IncompleteReadError):
        # Connected, then cut off mid-handshake: typically a listener that does not speak TLS.
        return f"the broker closed the connection during the TLS handshake (is {host}:{port} a TLS listener?)"
    except ssl.SSLError as error:
        return f"TLS handshake failed: {error.reason or error}"
    except (OSError, ValueError, asyncio.TimeoutError):
        return None
    try:
        # With TLS 1.3 the server checks the client's certificate after the handshake completes: a
        # refusal (no or an untrusted client certificate) arrives as an alert on the first read. A
        # broker that accepted us sends nothing before a request, so the read just times out.
        if await asyncio.wait_for(reader.read(1), min(timeout_s, 2.0)) == b"":
            return (
                "the broker closed the connection right after the TLS handshake: it probably requires a client "
                "certificate (--ssl-certfile and --ssl-keyfile) that it did not get or does not trust"
            )
    except ssl.SSLError as error:
        return f"the broker refused the client certificate: {error.reason or error}"
    except (OSError, asyncio.TimeoutError):
        pass
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass
    return None
