"""A throwaway certificate authority and certificates for TLS tests and demos of the embedded broker.

    pki = make_test_pki(tmp_dir, key_password="...", clients=["stream-worker"])
    pki.ca_cert            # PEM: what clients trust (ARTICLE_STREAM_SSL_CAFILE)
    pki.broker_keystore    # the broker's key and certificate chain (PKCS#12, or PEM without a password)
    pki.clients["stream-worker"].cert / .key   # PEM, for mutual TLS (key encrypted with the same password)

What clients read is PEM (Python's ``ssl`` module); the broker trusts the CA through
``ssl.truststore.type=PEM``. Its own key is a PKCS#12 key store when a password is given: Kafka's PEM
key store decrypts only keys whose algorithm has a JDK ``SecretKeyFactory``, and JDK 17 has none for
PBES2, the encryption every current tool writes ("PBES2 SecretKeyFactory not available"), while it
reads PBES2-protected PKCS#12. Without a password the key store is plain PEM (``ssl.keystore.type=PEM``).
The server certificate names ``127.0.0.1`` (an IP SAN) and ``localhost``, so clients verify the host
name on loopback.

Keys are EC P-256: generated in microseconds, and accepted by Java's ``KeyFactory("EC")``.
Needs the ``cryptography`` package, imported only when certificates are made.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_HOSTS = ("127.0.0.1", "localhost")
CA_NAME = "article-stream test CA"
BROKER_NAME = "article-stream test broker"


@dataclass(frozen=True)
class ClientCertificate:
    """A client's certificate (PEM, signed by the test CA) and its private key (PEM)."""

    name: str
    cert: Path
    key: Path


@dataclass(frozen=True)
class TestPki:
    """The files :func:`make_test_pki` wrote. ``key_password`` encrypts every private key (None: plain keys)."""

    __test__ = False  # a data class named Test*: not a pytest test class

    directory: Path
    ca_cert: Path
    broker_keystore: Path
    key_password: str | None = field(default=None, repr=False)
    clients: dict[str, ClientCertificate] = field(default_factory=dict)

    @property
    def broker_keystore_type(self) -> str:
        """Kafka's ``ssl.keystore.type`` for :attr:`broker_keystore`."""
        return "PKCS12" if self.key_password else "PEM"


def make_test_pki(
    directory: Path | str,
    *,
    hosts: Iterable[str] = DEFAULT_HOSTS,
    key_password: str | None = None,
    clients: Iterable[str] = (),
    valid_days: int = 2,
    ca_name: str = CA_NAME,
) -> TestPki:
    """A new CA and, signed by it, a server certificate for ``hosts`` and one client certificate per
    name in ``clients`` (its subject CN, which Kafka's default mapping turns into ``User:CN=<name>``).

    Files are written to ``directory`` (created; private keys with mode 0600).
    """
    from cryptography.hazmat.primitives import serialization

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    ca_key = _new_key()
    ca_cert = _ca_certificate(ca_key, ca_name, valid_days)
    ca_path = directory / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))

    broker_key = _new_key()
    broker_cert = _leaf_certificate(broker_key, BROKER_NAME, ca_cert, ca_key, valid_days, hosts=list(hosts), server=True)
    if key_password:
        keystore = directory / "broker-keystore.p12"
        _write_private(keystore, _pkcs12(broker_key, broker_cert, ca_cert, key_password))
    else:
        keystore = directory / "broker-keystore.pem"
        # Kafka's PEM key store: the key first (PKCS#8), then the chain.
        _write_private(keystore, _private_pem(broker_key, None) + _cert_pem(broker_cert) + _cert_pem(ca_cert))

    issued: dict[str, ClientCertificate] = {}
    for name in clients:
        client_key = _new_key()
        client_cert = _leaf_certificate(client_key, name, ca_cert, ca_key, valid_days, hosts=[], server=False)
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)
        cert_path, key_path = directory / f"client-{safe}.pem", directory / f"client-{safe}-key.pem"
        cert_path.write_bytes(_cert_pem(client_cert))
        _write_private(key_path, _private_pem(client_key, key_password))
        issued[name] = ClientCertificate(name, cert_path, key_path)
    return TestPki(directory, ca_path, keystore, key_password, issued)


# --- certificate building -----------------------------------------------------------------------------
def _new_key():
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _validity(valid_days: int) -> tuple[dt.datetime, dt.datetime]:
    now = dt.datetime.now(dt.timezone.utc)
    # Backdated an hour: a client whose clock is a little behind still accepts the certificate.
    return now - dt.timedelta(hours=1), now + dt.timedelta(days=valid_days)


def _ca_certificate(key, common_name: str, valid_days: int):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    not_before, not_after = _validity(valid_days)
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _leaf_certificate(key, common_name: str, ca_cert, ca_key, valid_days: int, *, hosts: list[str], server: bool):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import ExtendedKeyUsageOID

    not_before, not_after = _validity(valid_days)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _key_usage(*, cert_sign: bool):
    from cryptography import x509

    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not cert_sign,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _general_name(host: str):
    from cryptography import x509

    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _cert_pem(cert) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM)


def _private_pem(key, password: str | None) -> bytes:
    from cryptography.hazmat.primitives import serialization

    encryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    # PKCS#8 is the only private key format Kafka's PEM key store reads.
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _pkcs12(key, cert, ca_cert, password: str) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    # Key store and key share one password (Kafka: ssl.keystore.password and ssl.key.password).
    encryption = serialization.BestAvailableEncryption(password.encode())
    return pkcs12.serialize_key_and_certificates(b"broker", key, cert, [ca_cert], encryption)


def _write_private(path: Path, data: bytes) -> None:
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_bytes(data)
