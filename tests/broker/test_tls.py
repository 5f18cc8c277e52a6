"""The test CA (stream.broker.tls) and the client TLS settings it is made for, without a broker: a
local Python TLS server presents the generated certificates."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from stream.broker.config import BrokerConfig, parse_properties, render_properties, server_properties
from stream.broker.security import sasl_listener, ssl_listener, tls_properties
from stream.broker.tls import TestPki, make_test_pki
from stream.kafka_security import KafkaSecurity, SecurityConfigError, client_kwargs, tls_handshake_error

x509 = pytest.importorskip("cryptography.x509", reason="the test CA is made with the cryptography package")

KEY_PASSWORD = "unit-k3y-pa55"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> TestPki:
    return make_test_pki(tmp_path_factory.mktemp("pki"), key_password=KEY_PASSWORD, clients=["alice"])


@pytest.fixture(scope="module")
def plain_pki(tmp_path_factory) -> TestPki:
    """No key password: the broker key store is PEM, which a Python server can load directly."""
    return make_test_pki(tmp_path_factory.mktemp("plain-pki"))


def _certs(path: Path) -> list:
    return x509.load_pem_x509_certificates(path.read_bytes())


def test_the_ca_signs_a_server_certificate_for_loopback(plain_pki: TestPki):
    [ca] = _certs(plain_pki.ca_cert)
    server, chain_ca = _certs(plain_pki.broker_keystore)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert chain_ca == ca and server.issuer == ca.subject
    server.verify_directly_issued_by(ca)  # raises when the signature does not check out
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_each_make_is_a_new_ca(tmp_path: Path, plain_pki: TestPki):
    other = make_test_pki(tmp_path, ca_name="another CA")
    assert other.ca_cert.read_bytes() != plain_pki.ca_cert.read_bytes()
    [other_ca] = _certs(other.ca_cert)
    server = _certs(plain_pki.broker_keystore)[0]
    with pytest.raises(Exception):
        server.verify_directly_issued_by(other_ca)


def test_with_a_password_the_broker_gets_a_pkcs12_store_and_private_files_are_owner_only(pki: TestPki):
    from cryptography.hazmat.primitives.serialization import pkcs12

    assert pki.broker_keystore_type == "PKCS12"
    store = pkcs12.load_key_and_certificates(pki.broker_keystore.read_bytes(), KEY_PASSWORD.encode())
    assert store[0] is not None and store[1] is not None and len(store[2]) == 1
    with pytest.raises(ValueError):
        pkcs12.load_key_and_certificates(pki.broker_keystore.read_bytes(), b"wrong")
    client = pki.clients["alice"]
    assert b"ENCRYPTED PRIVATE KEY" in client.key.read_bytes()
    for path in (pki.broker_keystore, client.key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KEY_PASSWORD not in repr(pki)


def test_tls_listeners_render_scoped_ssl_settings(pki: TestPki, tmp_path: Path):
    users = {"alice": "alice-secret"}
    sasl, props = sasl_listener(19095, users, name="SASL_SSL", tls=pki)
    mtls = ssl_listener(19096, pki, name="MTLS")
    config = BrokerConfig(port=19092, controller_port=19093, extra_listeners=[sasl, mtls], extra_properties=props)
    rendered = parse_properties(render_properties(server_properties(config, tmp_path)))
    protocols = rendered["listener.security.protocol.map"].split(",")
    assert "SASL_SSL:SASL_SSL" in protocols and "MTLS:SSL" in protocols and "PLAINTEXT:PLAINTEXT" in protocols
    for listener, client_auth in (("sasl_ssl", "none"), ("mtls", "required")):
        prefix = f"listener.name.{listener}."
        assert rendered[prefix + "ssl.keystore.type"] == "PKCS12"
        assert rendered[prefix + "ssl.keystore.location"] == str(pki.broker_keystore)
        assert rendered[prefix + "ssl.truststore.type"] == "PEM"
        assert rendered[prefix + "ssl.truststore.location"] == str(pki.ca_cert)
        assert rendered[prefix + "ssl.key.password"] == KEY_PASSWORD
        assert rendered[prefix + "ssl.client.auth"] == client_auth
    assert not any(key.startswith("ssl.") for key in rendered)  # nothing TLS outside the two listeners


def test_without_a_password_the_key_store_is_pem_and_unknown_client_auth_is_refused(plain_pki: TestPki):
    props = tls_properties(plain_pki)
    assert props["ssl.keystore.type"] == "PEM" and "ssl.key.password" not in props
    with pytest.raises(ValueError):
        tls_properties(plain_pki, client_auth="sometimes")


@asynccontextmanager
async def tls_server(keystore: Path, *, client_ca: Path | None = None) -> AsyncIterator[str]:
    """A TLS echo-nothing server on loopback presenting ``keystore`` (PEM key + chain)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(keystore)
    if client_ca is not None:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(1)
        except (OSError, ssl.SSLError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.close()


def _context(**options) -> ssl.SSLContext:
    return client_kwargs(KafkaSecurity(security_protocol="SSL", **options))["ssl_context"]


async def test_a_client_with_the_ca_file_verifies_the_server_and_its_ip(plain_pki: TestPki):
    async with tls_server(plain_pki.broker_keystore) as address:
        assert await tls_handshake_error(address, _context(ssl_cafile=str(plain_pki.ca_cert))) is None


async def test_a_client_without_the_ca_is_refused_with_the_reason(plain_pki: TestPki, tmp_path: Path):
    other = make_test_pki(tmp_path, ca_name="another CA")
    async with tls_server(plain_pki.broker_keystore) as address:
        for context in (_context(ssl_cafile=str(other.ca_cert)), _context()):  # another CA; the system store
            reason = await asyncio.wait_for(tls_handshake_error(address, context), 15)
            assert reason and reason.startswith("certificate verify failed")


async def test_the_host_name_is_checked(tmp_path: Path):
    localhost_only = make_test_pki(tmp_path, hosts=["localhost"])
    async with tls_server(localhost_only.broker_keystore) as address:
        reason = await tls_handshake_error(address, _context(ssl_cafile=str(localhost_only.ca_cert)))
    assert reason and "mismatch" in reason.lower()


async def test_a_server_that_requires_client_certificates(tmp_path: Path):
    pki = make_test_pki(tmp_path, clients=["alice"])
    alice = pki.clients["alice"]
    async with tls_server(pki.broker_keystore, client_ca=pki.ca_cert) as address:
        with_cert = _context(ssl_cafile=str(pki.ca_cert), ssl_certfile=str(alice.cert), ssl_keyfile=str(alice.key))
        assert await tls_handshake_error(address, with_cert) is None
        reason = await tls_handshake_error(address, _context(ssl_cafile=str(pki.ca_cert)))
    assert reason and "client certificate" in reason


def test_an_encrypted_client_key_needs_its_password(pki: TestPki, tmp_path: Path):
    alice = pki.clients["alice"]
    files = {"ssl_cafile": str(pki.ca_cert), "ssl_certfile": str(alice.cert), "ssl_keyfile": str(alice.key)}
    password_file = tmp_path / "key-password"
    password_file.write_text(KEY_PASSWORD + "\n")
    assert isinstance(_context(**files, ssl_key_password=KEY_PASSWORD), ssl.SSLContext)
    assert isinstance(_context(**files, ssl_key_password_file=str(password_file)), ssl.SSLContext)
    # No password: a clear error at once (OpenSSL would otherwise prompt on the terminal).
    with pytest.raises(SecurityConfigError, match="client key is encrypted"):
        _context(**files)
    with pytest.raises(SecurityConfigError, match="wrong key password") as wrong:
        _context(**files, ssl_key_password="not-the-password")
    assert "not-the-password" not in str(wrong.value)


def test_the_key_password_comes_from_the_environment_and_stays_out_of_repr(pki: TestPki):
    security = KafkaSecurity.from_env(
        {"ARTICLE_STREAM_SECURITY_PROTOCOL": "SSL", "ARTICLE_STREAM_SSL_KEY_PASSWORD": KEY_PASSWORD}
    )
    assert security.ssl_key_password == KEY_PASSWORD
    assert KEY_PASSWORD not in repr(security)


def test_a_ca_file_without_certificates_is_a_config_error(pki: TestPki):
    with pytest.raises(SecurityConfigError, match="no PEM certificate"):
        _context(ssl_cafile=str(pki.clients["alice"].key))
