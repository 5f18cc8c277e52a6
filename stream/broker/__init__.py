"""An embedded, real Apache Kafka broker (KRaft, one node) for development, demos and tests.

    from stream.broker import BrokerConfig, EmbeddedBroker
    with EmbeddedBroker(BrokerConfig()) as broker:
        use(broker.bootstrap)          # "127.0.0.1:PORT"

TLS listeners with a throwaway CA: ``make_test_pki`` and ``ssl_listener`` / ``sasl_listener(tls=...)``.

``ensure_broker()`` returns ``$ARTICLE_STREAM_BROKER`` or starts/reuses the CLI-managed broker.
"""

from stream.broker.admin import create_topics, probe, wait_until_ready
from stream.broker.config import BrokerConfig, ListenerSpec, free_ports, render_properties, server_properties
from stream.broker.distribution import BrokerSetupError, KafkaDistribution, ensure_kafka
from stream.broker.embedded import BrokerStartError, EmbeddedBroker
from stream.broker.managed import ensure_broker, running_broker, start_managed, stop_managed
from stream.broker.security import sasl_listener, ssl_listener
from stream.broker.tls import TestPki, make_test_pki

__all__ = [
    "BrokerConfig",
    "BrokerSetupError",
    "BrokerStartError",
    "EmbeddedBroker",
    "KafkaDistribution",
    "ListenerSpec",
    "TestPki",
    "create_topics",
    "ensure_broker",
    "ensure_kafka",
    "free_ports",
    "make_test_pki",
    "probe",
    "render_properties",
    "running_broker",
    "sasl_listener",
    "server_properties",
    "ssl_listener",
    "start_managed",
    "stop_managed",
    "wait_until_ready",
]
