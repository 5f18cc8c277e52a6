"""TLS on the real broker: a throwaway CA signs the broker's certificate (SANs 127.0.0.1 and localhost)
and one client certificate. The broker serves SASL_SSL (SCRAM) and SSL with client certificates
required (mutual TLS).

- The CLI (``topics create``, ``produce``, ``tail``) and a real worker connect over SASL_SSL with the
  CA file, user and password file from the environment, and process articles end to end.
- Mutual TLS: the CLI with a client certificate and its encrypted key gets in; without the
  certificate, or without the key's password, it is refused at once with a clear error.
- A client that does not trust the CA (another CA's file, or the system store) is refused with
  "certificate verify failed", in bounded time: the CLI exits 2, the library clients raise, a worker
  stops with the reason in its log.
- Neither the SASL password nor the key password reaches the CLI's output, the worker's log or the
  broker's log.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError

from stream.broker import BrokerConfig, EmbeddedBroker, create_topics, free_ports, sasl_listener
from stream.broker.security import ssl_listener
from stream.broker.tls import TestPki, make_test_pki
from stream.kafka_security import KafkaSecurity, client_kwargs, tls_handshake_error
from tests.faults.conftest import report
from tests.support.articles import make_values
from tests.support.worker import Deployment, start_worker

pytest.importorskip("cryptography", reason="the test CA is made with the cryptography package")

pytestmark = [pytest.mark.faults, pytest.mark.timeout(420)]

# Secrets made up for this test broker; distinctive so a leak into any output is easy to find.
SASL_USER, SASL_PASSWORD = "stream-worker", "tls-w0rker-Pa55-93ab1e"
KEY_PASSWORD = "k3y-Pa55-5d20c8"  # the broker's key store and the client's private key
CLIENT_NAME = "article-stream-cli"
SECRETS = (SASL_PASSWORD, KEY_PASSWORD)
# A refused client must give up within this (the handshake fails at once; generous for a busy machine).
REFUSAL_BOUND_S = 45.0


@dataclass
class TlsBroker:
    broker: EmbeddedBroker
    pki: TestPki
    sasl_ssl: str  # host:port of the SASL_SSL listener
    mtls: str  # host:port of the SSL listener that requires a client certificate

    def broker_logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in (self.broker.server_log, self.broker.console_log) if p.is_file())


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory) -> TlsBroker:
    pki = make_test_pki(tmp_path_factory.mktemp("pki"), key_password=KEY_PASSWORD, clients=[CLIENT_NAME])
    users = {SASL_USER: SASL_PASSWORD}
    sasl_port, mtls_port = free_ports(2)
    sasl, props = sasl_listener(sasl_port, users, name="SASL_SSL", mechanisms=("PLAIN", "SCRAM-SHA-256"), tls=pki)
    mtls = ssl_listener(mtls_port, pki, name="MTLS", client_auth="required")
    config = BrokerConfig(
        data_dir=tmp_path_factory.mktemp("kafka-tls"), extra_listeners=[sasl, mtls], extra_properties=props, scram_users=users
    )
    broker = EmbeddedBroker(config)
    broker.start()
    try:
        yield TlsBroker(broker, pki, sasl.address, mtls.address)
    finally:
        broker.stop()


def _secret_file(directory: Path, name: str, secret: str) -> Path:
    path = directory / name
    path.write_text(secret + "\n")
    path.chmod(0o600)
    return path


def _sasl_ssl_env(tls: TlsBroker, tmp_path: Path, cafile: Path | None = None) -> dict[str, str]:
    """What an operator sets for SASL_SSL: the CA file, the user and a password file."""
    return {
        "ARTICLE_STREAM_SECURITY_PROTOCOL": "SASL_SSL",
        "ARTICLE_STREAM_SASL_MECHANISM": "SCRAM-SHA-256",
        "ARTICLE_STREAM_SASL_USERNAME": SASL_USER,
        "ARTICLE_STREAM_SASL_PASSWORD_FILE": str(_secret_file(tmp_path, "sasl-password", SASL_PASSWORD)),
        "ARTICLE_STREAM_SSL_CAFILE": str(cafile or tls.pki.ca_cert),
    }


@dataclass
class CliRun:
    args: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _cli(args: list[str], env: dict[str, str], timeout: float = 180.0) -> CliRun:
    """``article-stream ARGS`` in a child process with only ``env``'s ARTICLE_STREAM_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLE_STREAM_")}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "stream", *args], env={**clean, **env}, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return CliRun(args, done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def _assert_no_secrets(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"a secret leaked into {where}"


async def test_cli_and_worker_process_articles_over_sasl_ssl(tls_broker: TlsBroker, tmp_path: Path):
    security = _sasl_ssl_env(tls_broker, tmp_path)
    deployment = Deployment(tls_broker.sasl_ssl, name="tls", extra_env={**security, "ARTICLE_STREAM_LOG_LEVEL": "INFO"})
    env = {k: v for k, v in deployment.env(web_port=0).items() if k.startswith("ARTICLE_STREAM_")}
    runs: list[CliRun] = []

    created = _cli(["topics", "create"], env)
    runs.append(created)
    assert created.code == 0, created.output
    values = make_values(5, seed=23)
    articles = tmp_path / "articles.jsonl"
    articles.write_bytes(b"\n".join(values) + b"\n")

    worker = start_worker(deployment, tmp_path, name="tls-worker")
    try:
        ready_s = await asyncio.to_thread(worker.wait_ready, 150)
        produced = _cli(["produce", str(articles), "--quiet"], env)
        runs.append(produced)
        assert produced.code == 0, produced.output
        tailed = _cli(["tail", "enriched", "--from-beginning", "--max", str(len(values)), "--timeout", "120", "--json"], env)
        runs.append(tailed)
        assert tailed.code == 0, tailed.output + worker.log_tail()
    finally:
        worker.stop()

    enriched = [json.loads(line) for line in tailed.stdout.splitlines() if line.strip()]
    want_titles = {json.loads(v)["title"] for v in values}
    assert {article["title"] for article in enriched} == want_titles
    assert len({article["id"] for article in enriched}) == len(values)
    report(
        "tls",
        protocol="SASL_SSL/SCRAM-SHA-256",
        articles_in=len(values),
        enriched=len(enriched),
        worker_ready_s=round(ready_s, 1),
        cli_s="/".join(f"{run.seconds:.1f}" for run in runs),
    )

    worker_log = worker.log_path.read_text(errors="replace")
    assert "Ready" in worker_log  # the INFO log of the whole run, so the check below means something
    _assert_no_secrets(worker_log, "the worker's log")
    for run in runs:
        _assert_no_secrets(run.output, f"the output of article-stream {' '.join(run.args)}")
    _assert_no_secrets(tls_broker.broker_logs(), "the broker's log")


async def test_mutual_tls_needs_the_client_certificate_and_its_key_password(tls_broker: TlsBroker, tmp_path: Path):
    topic = "mtls-topic"
    await create_topics(tls_broker.broker.bootstrap, {topic: 2})
    client = tls_broker.pki.clients[CLIENT_NAME]
    env = {
        "ARTICLE_STREAM_BROKER": tls_broker.mtls,
        "ARTICLE_STREAM_SECURITY_PROTOCOL": "SSL",
        "ARTICLE_STREAM_SSL_CAFILE": str(tls_broker.pki.ca_cert),
        "ARTICLE_STREAM_SSL_CERTFILE": str(client.cert),
        "ARTICLE_STREAM_SSL_KEYFILE": str(client.key),
    }
    key_password_file = _secret_file(tmp_path, "key-password", KEY_PASSWORD)

    # Certificate, key and the key's password (from a file): in.
    described = _cli(["topics", "describe", topic, "--json", "--ssl-key-password-file", str(key_password_file)], env)
    assert described.code == 0, described.output
    [info] = [json.loads(line) for line in described.stdout.splitlines() if line.strip()]
    assert info["name"] == topic and len(info["partitions"]) == 2
    # ... and with the password from the environment instead.
    from_env = _cli(["topics", "describe", topic, "--json"], {**env, "ARTICLE_STREAM_SSL_KEY_PASSWORD": KEY_PASSWORD})
    assert from_env.code == 0, from_env.output

    # The encrypted key without its password: exit 2 before connecting, no pass-phrase prompt.
    no_password = _cli(["topics", "describe", topic], env, timeout=60)
    assert no_password.code == 2 and "client key is encrypted" in no_password.stderr

    # No client certificate at all: the broker refuses the connection, and the CLI says why.
    no_cert = _cli(["topics", "describe", topic], {k: v for k, v in env.items() if "CERTFILE" not in k and "KEYFILE" not in k})
    assert no_cert.code == 2, no_cert.output
    assert "client certificate" in no_cert.stderr, no_cert.stderr
    assert no_cert.seconds < REFUSAL_BOUND_S
    report("mtls", accepted_s=round(described.seconds, 1), refused_without_cert_s=round(no_cert.seconds, 1))

    for run in (described, from_env, no_password, no_cert):
        _assert_no_secrets(run.output, f"the output of article-stream {' '.join(run.args)}")
    _assert_no_secrets(tls_broker.broker_logs(), "the broker's log")


async def test_a_client_that_does_not_trust_the_ca_is_refused_quickly(tls_broker: TlsBroker, tmp_path: Path):
    impostor = make_test_pki(tmp_path / "other-ca", ca_name="some other CA")

    # The CLI with another CA's file: exit 2, the reason named, well within the bound.
    env = {"ARTICLE_STREAM_BROKER": tls_broker.sasl_ssl, **_sasl_ssl_env(tls_broker, tmp_path, cafile=impostor.ca_cert)}
    refused = _cli(["topics", "describe", "raw"], env)
    assert refused.code == 2, refused.output
    assert "certificate verify failed" in refused.stderr, refused.stderr
    assert refused.seconds < REFUSAL_BOUND_S
    _assert_no_secrets(refused.output, "the output of a refused CLI")

    # The library clients the worker and the CLI share: the same refusal, as a connection error.
    for cafile in (str(impostor.ca_cert), None):  # another CA; the system's trust store
        security = KafkaSecurity(
            security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-256", sasl_username=SASL_USER,
            sasl_password=SASL_PASSWORD, ssl_cafile=cafile,
        )  # fmt: skip
        kwargs = client_kwargs(security)
        assert "certificate verify failed" in (await tls_handshake_error(tls_broker.sasl_ssl, kwargs["ssl_context"]) or "")
        admin = AIOKafkaAdminClient(bootstrap_servers=tls_broker.sasl_ssl, request_timeout_ms=10_000, **kwargs)
        started = time.monotonic()
        try:
            with pytest.raises(KafkaConnectionError) as error:
                await asyncio.wait_for(admin.start(), REFUSAL_BOUND_S)
        finally:
            await admin.close()
        assert time.monotonic() - started < REFUSAL_BOUND_S
        _assert_no_secrets(str(error.value), "a connection error")

    # A worker that does not trust the CA stops with the reason in its log instead of hanging.
    deployment = Deployment(tls_broker.sasl_ssl, name="tls-untrusted", extra_env={**env, "ARTICLE_STREAM_LOG_LEVEL": "INFO"})
    worker = start_worker(deployment, tmp_path, name="untrusting-worker")
    started = time.monotonic()
    try:
        exit_code = await asyncio.to_thread(worker.proc.wait, REFUSAL_BOUND_S * 2)
    finally:
        worker.stop()
    worker_s = time.monotonic() - started
    worker_log = worker.log_path.read_text(errors="replace")
    assert exit_code != 0 and "certificate verify failed" in worker_log, worker.log_tail()
    _assert_no_secrets(worker_log, "the log of a refused worker")

    # The right CA through the same code path: accepted (so the refusals above are about trust).
    kwargs = client_kwargs(KafkaSecurity.from_env(_sasl_ssl_env(tls_broker, tmp_path)))
    assert await tls_handshake_error(tls_broker.sasl_ssl, kwargs["ssl_context"]) is None
    admin = AIOKafkaAdminClient(bootstrap_servers=tls_broker.sasl_ssl, request_timeout_ms=10_000, **kwargs)
    try:
        await asyncio.wait_for(admin.start(), 60)
        assert (await admin.describe_cluster())["brokers"]
    finally:
        await admin.close()
    report("tls-untrusted-ca", cli_refused_s=round(refused.seconds, 1), worker_stopped_s=round(worker_s, 1))
