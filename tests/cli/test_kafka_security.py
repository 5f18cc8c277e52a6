"""client_kwargs: TLS/SASL options -> aiokafka client kwargs, with the password kept out of sight."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from stream.kafka_security import KafkaSecurity, SecurityConfigError, client_kwargs, describe

SECRET = "s3cr3t-pa55"


@pytest.fixture(scope="module")
def pem_pair(tmp_path_factory) -> tuple[Path, Path]:
    """A self-signed certificate and its key, made with the openssl command line."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d = tmp_path_factory.mktemp("pem")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


def test_plaintext_is_the_default_and_adds_nothing_else():
    assert client_kwargs(KafkaSecurity()) == {"security_protocol": "PLAINTEXT"}
    assert client_kwargs({}) == {"security_protocol": "PLAINTEXT"}


def test_sasl_plaintext_with_password_file(tmp_path):
    secret_file = tmp_path / "password"
    secret_file.write_text(SECRET + "\n")
    kwargs = client_kwargs(
        KafkaSecurity(security_protocol="sasl_plaintext", sasl_mechanism="scram-sha-512", sasl_username="alice",
                      sasl_password_file=str(secret_file))
    )
    assert kwargs == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "alice",
        "sasl_plain_password": SECRET,
    }


def test_password_itself_wins_over_the_file_and_mechanism_defaults_to_plain(tmp_path):
    secret_file = tmp_path / "password"
    secret_file.write_text("from-file")
    kwargs = client_kwargs({"security_protocol": "SASL_PLAINTEXT", "sasl_username": "bob", "sasl_password": SECRET,
                            "sasl_password_file": str(secret_file)})
    assert kwargs["sasl_plain_password"] == SECRET
    assert kwargs["sasl_mechanism"] == "PLAIN"


def test_sasl_ssl_builds_a_verifying_tls_context(pem_pair):
    cert, key = pem_pair
    kwargs = client_kwargs(KafkaSecurity(security_protocol="SASL_SSL", sasl_username="u", sasl_password=SECRET,
                                         ssl_cafile=str(cert), ssl_certfile=str(cert), ssl_keyfile=str(key)))
    context = kwargs["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert len(context.get_ca_certs()) == 1  # our CA file was loaded
    assert kwargs["security_protocol"] == "SASL_SSL"


@pytest.mark.parametrize(
    "options, message",
    [
        ({"security_protocol": "TLS"}, "not one of"),
        ({"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI", "sasl_username": "u", "sasl_password": SECRET}, "not one of"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_username": "u"}, "needs a SASL username and password"),
        ({"security_protocol": "SASL_PLAINTEXT", "sasl_password": SECRET}, "needs a SASL username and password"),
        ({"security_protocol": "SSL", "ssl_cafile": "/nonexistent/ca.pem"}, "no such file"),
        ({"security_protocol": "PLAINTEXT", "ssl_cafile": "CERT"}, "security protocol is PLAINTEXT"),
        ({"security_protocol": "SSL", "ssl_certfile": "CERT"}, "needs both"),
    ],
)
def test_inconsistent_options_are_refused_without_showing_the_password(options, message, pem_pair):
    cert, _ = pem_pair
    options = {k: (str(cert) if v == "CERT" else v) for k, v in options.items()}
    with pytest.raises(SecurityConfigError) as raised:
        client_kwargs(options)
    assert message in str(raised.value)
    assert SECRET not in str(raised.value)


def test_password_never_shows_in_repr_or_describe():
    security = KafkaSecurity(security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password=SECRET)
    assert SECRET not in repr(security)
    line = describe(client_kwargs(security))
    assert SECRET not in line and "sasl_plain_password=***" in line


def test_from_env_reads_the_documented_variables(tmp_path):
    env = {
        "ARTICLE_STREAM_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "ARTICLE_STREAM_SASL_MECHANISM": "SCRAM-SHA-256",
        "ARTICLE_STREAM_SASL_USERNAME": "carol",
        "ARTICLE_STREAM_SASL_PASSWORD": SECRET,
    }
    kwargs = client_kwargs(KafkaSecurity.from_env(env))
    assert (kwargs["sasl_mechanism"], kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == ("SCRAM-SHA-256", "carol", SECRET)
    assert KafkaSecurity.from_env({}).security_protocol == "PLAINTEXT"


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"security_protocol": "SSL"},
        {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-256", "sasl_username": "u", "sasl_password": SECRET},
        {"security_protocol": "SASL_SSL", "sasl_username": "u", "sasl_password": SECRET, "ssl_cafile": "CERT"},
    ],
    ids=["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"],
)
def test_the_worker_gets_the_same_connection_through_faust(options, pem_pair):
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    from stream.kafka_security import faust_credentials

    options = {k: (str(pem_pair[0]) if v == "CERT" else v) for k, v in options.items()}
    ours = client_kwargs(options)
    via_faust = {k: v for k, v in credentials_to_aiokafka_auth(faust_credentials(options)).items() if v is not None}
    assert set(via_faust) == set(ours)
    for key, value in ours.items():
        if key == "ssl_context":
            assert isinstance(via_faust[key], ssl.SSLContext)
        else:
            assert via_faust[key] == value, key
