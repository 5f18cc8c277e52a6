"""server.properties rendering, listener specs, port choice and cluster ids (no broker needed)."""

from __future__ import annotations

import base64
import socket
from pathlib import Path

import pytest

from stream.broker.config import (
    BrokerConfig,
    ListenerSpec,
    free_ports,
    new_cluster_id,
    parse_properties,
    render_properties,
    server_properties,
)


def _config(**overrides) -> BrokerConfig:
    return BrokerConfig(data_dir=Path("/data"), port=19092, controller_port=19093, **overrides)


def test_combined_kraft_node_on_loopback_only():
    props = server_properties(_config(), Path("/data/kafka-logs"))
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    # Clients must never be sent to the controller listener.
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["log.dirs"] == "/data/kafka-logs"
    every_host = [part.split("//")[1].rsplit(":", 1)[0] for part in props["listeners"].split(",")]
    assert set(every_host) == {"127.0.0.1"}


def test_single_node_internal_topics_and_fast_groups():
    props = server_properties(_config(), Path("/x"))
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor", "transaction.state.log.min.isr"):
        assert props[key] == "1", key
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert props["auto.create.topics.enable"] == "true"
    assert props["num.partitions"] == "1"


def test_extra_listener_gets_protocol_mapping_and_scoped_settings():
    jaas = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="a" password="b=c";'
    sasl = ListenerSpec("SASL_PLAIN", 19094, "SASL_PLAINTEXT", properties={"plain.sasl.jaas.config": jaas})
    props = server_properties(_config(extra_listeners=[sasl]), Path("/x"))
    assert "SASL_PLAIN://127.0.0.1:19094" in props["listeners"].split(",")
    assert "SASL_PLAIN://127.0.0.1:19094" in props["advertised.listeners"].split(",")
    assert "SASL_PLAIN:SASL_PLAINTEXT" in props["listener.security.protocol.map"].split(",")
    assert props["listener.name.sasl_plain.plain.sasl.jaas.config"] == jaas
    # The inter-broker listener stays plain.
    assert props["inter.broker.listener.name"] == "PLAINTEXT"


def test_extra_properties_override_defaults():
    props = server_properties(_config(extra_properties={"num.partitions": "3", "sasl.enabled.mechanisms": "PLAIN"}), Path("/x"))
    assert props["num.partitions"] == "3"
    assert props["sasl.enabled.mechanisms"] == "PLAIN"


def test_rendering_requires_chosen_ports():
    with pytest.raises(ValueError, match="ports"):
        server_properties(BrokerConfig(), Path("/x"))


def test_rendered_text_reads_back_including_special_characters():
    props = {
        "plain.sasl.jaas.config": 'PlainLoginModule required username="u" password="p=1:2#3";',
        "log.dirs": "/tmp/a b/kafka-logs",
        "odd key": "tab\there\\back",
    }
    text = render_properties(props)
    assert text.startswith("#")
    assert parse_properties(text) == props
    # One setting per line: a value must never spill onto a line of its own.
    assert len([line for line in text.splitlines() if not line.startswith("#")]) == len(props)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "sasl", "port": 1}, "upper-case"),
        ({"name": "PLAINTEXT", "port": 1}, "reserved"),
        ({"name": "CONTROLLER", "port": 1}, "reserved"),
        ({"name": "X", "port": 1, "security_protocol": "KERBEROS"}, "protocol"),
        ({"name": "X", "port": 70000}, "port"),
    ],
)
def test_listener_spec_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ListenerSpec(**kwargs)


def test_duplicate_extra_listener_names_rejected():
    spec = ListenerSpec("SASL_PLAIN", 19094, "SASL_PLAINTEXT")
    with pytest.raises(ValueError, match="duplicate"):
        server_properties(_config(extra_listeners=[spec, spec]), Path("/x"))


def test_free_ports_are_distinct_and_bindable():
    ports = free_ports(5)
    assert len(set(ports)) == 5
    for port in ports:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_free_ports_skip_excluded():
    first = free_ports(3)
    assert not set(free_ports(3, exclude=set(first))) & set(first)


def test_with_free_ports_fills_only_unset_ports():
    config = BrokerConfig(port=19092).with_free_ports()
    assert config.port == 19092
    assert config.controller_port not in (0, 19092)
    both = BrokerConfig().with_free_ports()
    assert 0 not in (both.port, both.controller_port)
    assert both.port != both.controller_port
    assert both.bootstrap == f"127.0.0.1:{both.port}"


def test_cluster_ids_are_kafka_uuids():
    ids = {new_cluster_id() for _ in range(200)}
    assert len(ids) == 200
    for cluster_id in ids:
        assert len(cluster_id) == 22 and not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
