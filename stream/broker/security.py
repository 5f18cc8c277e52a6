"""SASL and TLS listeners for the embedded broker (tests and demos of authenticated clients).

    users = {"alice": "alice-secret"}
    listener, props = sasl_listener(port, users, mechanisms=("PLAIN", "SCRAM-SHA-256"))
    config = BrokerConfig(extra_listeners=[listener], extra_properties=props, scram_users=users)

    pki = make_test_pki(tmp_dir, key_password="...")          # stream.broker.tls
    listener, props = sasl_listener(port, users, tls=pki)      # SASL_SSL
    mtls = ssl_listener(other_port, pki, client_auth="required")  # SSL, client certificates required

- PLAIN: the users and passwords are in the listener's JAAS line (Kafka's built-in PLAIN callback
  handler checks them against ``user_<name>="<password>"`` entries).
- SCRAM-SHA-256/512: the credentials live in the cluster metadata; the embedded broker adds them when
  it formats its storage (``StorageTool format --add-scram``), so ``scram_users`` must be set before
  the first start of a data dir.
- ``authorize=True`` turns on KRaft's ``StandardAuthorizer`` with no ACLs: only ``super_users`` (and
  the broker itself, which talks PLAINTEXT as ``User:ANONYMOUS``) may do anything; any other
  authenticated user is refused authorization.

- TLS: the listener presents ``pki.broker_keystore`` (PKCS#12, or PEM without a key password) and, for
  client certificates, trusts ``pki.ca_cert`` (``ssl.truststore.type=PEM``). All ``ssl.*`` settings are
  scoped to the listener, so the PLAINTEXT listener the tests and the broker itself use stays as it is.

The PLAIN passwords and the TLS key password end up in ``server.properties`` in the data dir: a test
broker, not a vault. Kafka itself logs them as ``[hidden]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from stream.broker.config import ListenerSpec

if TYPE_CHECKING:
    from stream.broker.tls import TestPki

PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
CLIENT_AUTH = ("none", "requested", "required")


def _jaas_quote(text: str) -> str:
    if '"' in text or "\\" in text or "\n" in text:
        raise ValueError("SASL user names and passwords for the embedded broker may not contain quotes, backslashes or newlines")
    return f'"{text}"'


def plain_jaas(users: Mapping[str, str]) -> str:
    entries = " ".join(f"user_{name}={_jaas_quote(password)}" for name, password in users.items())
    return f"{PLAIN_MODULE} required {entries};"


def sasl_listener(
    port: int,
    users: Mapping[str, str],
    *,
    name: str = "SASL",
    mechanisms: Iterable[str] = ("PLAIN", "SCRAM-SHA-256"),
    authorize: bool = False,
    super_users: Iterable[str] = (),
    tls: TestPki | None = None,
    client_auth: str = "none",
) -> tuple[ListenerSpec, dict[str, str]]:
    """A SASL_PLAINTEXT listener (SASL_SSL with ``tls``) and the broker-wide properties it needs
    (``extra_properties``)."""
    mechanisms = [m.upper() for m in mechanisms]
    unknown = [m for m in mechanisms if m != "PLAIN" and m not in SCRAM_MECHANISMS]
    if unknown or not mechanisms:
        raise ValueError(f"unsupported SASL mechanisms: {unknown or 'none given'}")
    listener_props: dict[str, str] = {}
    if "PLAIN" in mechanisms:
        listener_props["plain.sasl.jaas.config"] = plain_jaas(users)
    for mechanism in mechanisms:
        if mechanism in SCRAM_MECHANISMS:
            listener_props[f"{mechanism.lower()}.sasl.jaas.config"] = f"{SCRAM_MODULE} required;"
    if tls is not None:
        listener_props.update(tls_properties(tls, client_auth=client_auth))
    listener = ListenerSpec(name, port, "SASL_SSL" if tls is not None else "SASL_PLAINTEXT", properties=listener_props)
    props = {"sasl.enabled.mechanisms": ",".join(mechanisms)}
    if authorize:
        principals = ["User:ANONYMOUS", *(f"User:{user}" for user in super_users)]
        props.update(
            {
                "authorizer.class.name": STANDARD_AUTHORIZER,
                "super.users": ";".join(principals),
                "allow.everyone.if.no.acl.found": "false",
            }
        )
    return listener, props


def tls_properties(pki: TestPki, *, client_auth: str = "none") -> dict[str, str]:
    """Listener-scoped ``ssl.*`` settings: the broker's PEM key store, the CA it trusts for client
    certificates, and whether clients must present one (``none``, ``requested``, ``required``)."""
    if client_auth not in CLIENT_AUTH:
        raise ValueError(f"client_auth must be one of {', '.join(CLIENT_AUTH)}: {client_auth!r}")
    props = {
        "ssl.keystore.type": pki.broker_keystore_type,
        "ssl.keystore.location": str(pki.broker_keystore),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(pki.ca_cert),
        "ssl.client.auth": client_auth,
    }
    if pki.key_password:
        props["ssl.keystore.password"] = pki.key_password
        props["ssl.key.password"] = pki.key_password
    return props


def ssl_listener(port: int, pki: TestPki, *, name: str = "SSL", client_auth: str = "required") -> ListenerSpec:
    """A TLS listener (no SASL). With ``client_auth="required"`` (the default) only clients with a
    certificate signed by ``pki``'s CA get in, as ``User:CN=<their name>``."""
    return ListenerSpec(name, port, "SSL", properties=tls_properties(pki, client_auth=client_auth))


def scram_format_arguments(users: Mapping[str, str], mechanisms: Iterable[str] = ("SCRAM-SHA-256",)) -> list[str]:
    """``StorageTool format`` arguments that create SCRAM credentials for ``users``."""
    args: list[str] = []
    for mechanism in mechanisms:
        if mechanism not in SCRAM_MECHANISMS:
            raise ValueError(f"not a SCRAM mechanism: {mechanism}")
        for name, password in users.items():
            if any(ch in text for text in (name, password) for ch in ",[]=\"\\\n"):
                raise ValueError("SCRAM user names and passwords may not contain , [ ] = quotes, backslashes or newlines")
            args += ["--add-scram", f"{mechanism}=[name={name},password={password}]"]
    return args
