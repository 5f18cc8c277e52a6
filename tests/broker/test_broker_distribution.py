"""Jar cache logic without touching Maven: pom rendering, the completeness marker, missing tools."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from stream.broker.config import BrokerConfig
from stream.broker.distribution import (
    KAFKA_HOME_ENV,
    KAFKA_VERSION,
    LOG4J_VERSION,
    BrokerSetupError,
    KafkaDistribution,
    data_file,
    default_kafka_home,
    ensure_kafka,
    render_pom,
)
from stream.broker.embedded import EmbeddedBroker

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def test_pom_asks_for_the_broker_and_the_slf4j_binding(tmp_path):
    root = ET.fromstring(render_pom(tmp_path / "lib"))
    deps = {
        (dep.findtext("m:groupId", namespaces=POM_NS), dep.findtext("m:artifactId", namespaces=POM_NS)): dep.findtext(
            "m:version", namespaces=POM_NS
        )
        for dep in root.iterfind("m:dependencies/m:dependency", POM_NS)
    }
    assert deps[("org.apache.kafka", "kafka_2.13")] == KAFKA_VERSION
    assert deps[("org.apache.logging.log4j", "log4j-slf4j-impl")] == LOG4J_VERSION
    output = root.find(".//m:outputDirectory", POM_NS)
    assert output is not None and output.text == str(tmp_path / "lib")
    assert root.find(".//m:goal", POM_NS).text == "copy-dependencies"


def test_log4j_config_writes_to_the_data_dir_log_file():
    root = ET.fromstring(data_file("log4j2.xml"))
    appender = root.find("Appenders/RollingFile")
    assert appender is not None and appender.get("fileName").startswith("${sys:kafka.logs.dir}/")
    assert root.find("Loggers/Root").get("level") in ("WARN", "INFO")
    assert root.find("Appenders/Console") is None


def test_kafka_home_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv(KAFKA_HOME_ENV, str(tmp_path / "k"))
    assert default_kafka_home() == tmp_path / "k"
    monkeypatch.delenv(KAFKA_HOME_ENV)
    assert default_kafka_home().parts[-3:] == (".cache", "article-stream", f"kafka-{KAFKA_VERSION}")


def _fake_complete_install(home: Path, marker: bool) -> None:
    (home / "lib").mkdir(parents=True)
    (home / "lib" / f"kafka_2.13-{KAFKA_VERSION}.jar").write_bytes(b"")
    if marker:
        (home / ".complete").write_text("done")


def test_complete_cache_is_reused_without_maven(monkeypatch, tmp_path):
    _fake_complete_install(tmp_path, marker=True)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no mvn reachable: a fetch would fail
    dist = ensure_kafka(home=tmp_path)
    assert dist.lib_dir == tmp_path / "lib"
    assert dist.classpath.endswith("/lib/*")


def test_half_done_fetch_is_redone(monkeypatch, tmp_path):
    _fake_complete_install(tmp_path, marker=False)
    assert not KafkaDistribution(tmp_path).is_complete()
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(BrokerSetupError, match="`mvn` was not found"):
        ensure_kafka(home=tmp_path)


def test_missing_java_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    broker = EmbeddedBroker(BrokerConfig(data_dir=tmp_path / "data"))
    with pytest.raises(BrokerSetupError, match="`java` was not found.*Java 17"):
        broker.start()
    assert broker.process is None
