"""SASL on the real broker: the worker authenticates (SCRAM, password from a file), clients with the
right PLAIN/SCRAM credentials get in, clients without or with wrong ones are refused, an authenticated
user without ACLs is refused authorization, and the password never reaches the worker's log."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from stream.broker import BrokerConfig, EmbeddedBroker, create_topics, free_ports, sasl_listener
from stream.kafka_security import KafkaSecurity, client_kwargs
from tests.faults.conftest import OutputReader, report
from tests.support.articles import make_values
from tests.support.worker import Deployment, publish, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(420)]

# Passwords made up for this test broker; distinctive so a leak into a log is easy to find.
WORKER_USER, WORKER_PASSWORD = "stream-worker", "w0rker-Pa55-7f3e91"
READER_USER, READER_PASSWORD = "reader", "r3ader-Pa55-c41d07"  # authenticates, but has no ACLs


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory):
    users = {WORKER_USER: WORKER_PASSWORD, READER_USER: READER_PASSWORD}
    (port,) = free_ports(1)
    listener, props = sasl_listener(
        port, users, mechanisms=("PLAIN", "SCRAM-SHA-256"), authorize=True, super_users=[WORKER_USER]
    )
    config = BrokerConfig(
        data_dir=tmp_path_factory.mktemp("kafka-sasl"), extra_listeners=[listener], extra_properties=props, scram_users=users
    )
    broker = EmbeddedBroker(config)
    broker.start()
    try:
        yield broker, listener.address
    finally:
        broker.stop()


async def _try_produce(address: str, topic: str, **security) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=address, request_timeout_ms=8000, **security)
    await asyncio.wait_for(producer.start(), 30)
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, b"hello"), 30)
    finally:
        await producer.stop()


def _security(mechanism: str, user: str, password: str) -> dict:
    env = {
        "ARTICLE_STREAM_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "ARTICLE_STREAM_SASL_MECHANISM": mechanism,
        "ARTICLE_STREAM_SASL_USERNAME": user,
        "ARTICLE_STREAM_SASL_PASSWORD": password,
    }
    return client_kwargs(KafkaSecurity.from_env(env))


async def test_clients_need_valid_credentials_and_authorization(sasl_broker):
    broker, address = sasl_broker
    topic = "secured-topic"
    await create_topics(broker.bootstrap, {topic: 1})

    # The right credentials, both mechanisms: accepted.
    await _try_produce(address, topic, **_security("PLAIN", WORKER_USER, WORKER_PASSWORD))
    await _try_produce(address, topic, **_security("SCRAM-SHA-256", WORKER_USER, WORKER_PASSWORD))

    # No credentials, a wrong password (each mechanism): refused.
    with pytest.raises((KafkaError, asyncio.TimeoutError)):
        await _try_produce(address, topic)
    for mechanism in ("PLAIN", "SCRAM-SHA-256"):
        with pytest.raises((KafkaError, asyncio.TimeoutError)) as refused:
            await _try_produce(address, topic, **_security(mechanism, WORKER_USER, "wrong-password"))
        assert "wrong-password" not in str(refused.value)

    # Authenticated but not authorised (StandardAuthorizer, no ACL for this user): refused.
    with pytest.raises(KafkaError) as denied:
        await _try_produce(address, topic, **_security("SCRAM-SHA-256", READER_USER, READER_PASSWORD))
    assert "Authorization" in type(denied.value).__name__ or "authoriz" in str(denied.value).lower()


async def test_worker_authenticates_with_scram_and_never_logs_the_password(sasl_broker, tmp_path):
    broker, address = sasl_broker
    password_file = tmp_path / "sasl-password"
    password_file.write_text(WORKER_PASSWORD + "\n")
    password_file.chmod(0o600)
    deployment = Deployment(
        address,  # the worker only knows the SASL listener
        extra_env={
            "ARTICLE_STREAM_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "ARTICLE_STREAM_SASL_MECHANISM": "SCRAM-SHA-256",
            "ARTICLE_STREAM_SASL_USERNAME": WORKER_USER,
            "ARTICLE_STREAM_SASL_PASSWORD_FILE": str(password_file),
            "ARTICLE_STREAM_LOG_LEVEL": "INFO",
        },
    )
    t = deployment.topics
    await create_topics(broker.bootstrap, {t["raw"]: deployment.partitions})
    worker = start_worker(deployment, tmp_path, name="sasl-worker")
    try:
        await asyncio.to_thread(worker.wait_ready, 120)
        values = make_values(30, seed=5)
        await publish(broker.bootstrap, t["raw"], values)  # the test's own clients use the PLAINTEXT listener
        async with OutputReader(broker.bootstrap, t["enriched"], t["dlq"]) as reader:
            done = await reader.until(lambda tally: len(tally.enriched) >= len(values), timeout=120, worker=worker)
        assert done, worker.log_tail()
        assert len(reader.tally.distinct_ids) == len(values) and not reader.tally.dead
        report("sasl", mechanism="SCRAM-SHA-256", articles_in=len(values), enriched=len(reader.tally.enriched))
    finally:
        worker.stop()
    log_text = worker.log_path.read_text(errors="replace")
    assert "Ready" in log_text  # the log holds the whole run (INFO), so the check below means something
    assert WORKER_PASSWORD not in log_text
