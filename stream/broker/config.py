"""What the embedded broker runs with, rendered into Kafka's ``server.properties``.

One KRaft node that is both broker and controller, bound to loopback only. Extra listeners (e.g. a
SASL_PLAINTEXT or SASL_SSL one with JAAS settings) are added as :class:`ListenerSpec` entries plus
``extra_properties``; they are rendered next to the PLAINTEXT and CONTROLLER listeners.
"""

from __future__ import annotations

import base64
import re
import socket
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"
CLIENT_LISTENER = "PLAINTEXT"
CONTROLLER_LISTENER = "CONTROLLER"
NODE_ID = 1
_LISTENER_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_SECURITY_PROTOCOLS = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}


@dataclass(frozen=True)
class ListenerSpec:
    """One more client listener, e.g. ``ListenerSpec("SASL_PLAIN", 9095, "SASL_PLAINTEXT")``.

    ``properties`` are listener-scoped settings written as ``listener.name.<name lower>.<key>=value``
    (how Kafka scopes e.g. ``plain.sasl.jaas.config`` or ``ssl.keystore.location`` to one listener).
    """

    name: str
    port: int
    security_protocol: str = "PLAINTEXT"
    host: str = LOOPBACK
    properties: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _LISTENER_NAME.match(self.name):
            raise ValueError(f"listener name must be upper-case letters, digits and _: {self.name!r}")
        if self.name in (CLIENT_LISTENER, CONTROLLER_LISTENER):
            raise ValueError(f"listener name {self.name!r} is reserved for the built-in listeners")
        if self.security_protocol not in _SECURITY_PROTOCOLS:
            raise ValueError(f"unknown security protocol {self.security_protocol!r}")
        if not 0 < self.port < 65536:
            raise ValueError(f"listener port out of range: {self.port}")

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass
class BrokerConfig:
    """Everything needed to render ``server.properties`` and start the broker process.

    ``port``/``controller_port`` of 0 mean "pick a free port at start"; once picked they are kept,
    so stopping and starting the same broker (same data dir) comes back on the same address.
    """

    data_dir: Path | None = None
    port: int = 0
    controller_port: int = 0
    extra_listeners: list[ListenerSpec] = field(default_factory=list)
    extra_properties: dict[str, str] = field(default_factory=dict)
    heap_max: str = "512m"
    heap_initial: str = "256m"
    jvm_options: list[str] = field(default_factory=list)
    start_timeout_s: float = 90.0
    stop_timeout_s: float = 30.0
    # SCRAM users (name -> password) created when the storage is formatted (the first start of a
    # data dir): see stream.broker.security. Kept out of repr so a logged config shows no password.
    scram_users: dict[str, str] = field(default_factory=dict, repr=False)
    scram_mechanisms: tuple[str, ...] = ("SCRAM-SHA-256",)

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def with_free_ports(self) -> BrokerConfig:
        """Fill ports that are still 0 with distinct free loopback ports (in place; returns self)."""
        missing = [name for name in ("port", "controller_port") if getattr(self, name) == 0]
        taken = {self.port, self.controller_port} | {spec.port for spec in self.extra_listeners}
        for name, port in zip(missing, free_ports(len(missing), exclude=taken)):
            setattr(self, name, port)
        return self


def free_ports(count: int, host: str = LOOPBACK, exclude: set[int] | None = None) -> list[int]:
    """``count`` distinct ports that were free on ``host`` a moment ago.

    All sockets stay bound until every port is chosen, so the kernel cannot hand out one port twice.
    """
    exclude = exclude or set()
    ports: list[int] = []
    with ExitStack() as stack:
        while len(ports) < count:
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            sock.bind((host, 0))
            port = sock.getsockname()[1]
            if port not in exclude and port not in ports:
                ports.append(port)
    return ports


def new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (like ``Uuid.randomUuid``).

    Kafka rejects ids whose text starts with '-', so those are drawn again.
    """
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
        if not text.startswith("-"):
            return text


def server_properties(config: BrokerConfig, log_dir: Path) -> dict[str, str]:
    """The broker's settings as an ordered mapping; ``extra_properties`` override the defaults."""
    if config.port == 0 or config.controller_port == 0:
        raise ValueError("choose ports first (BrokerConfig.with_free_ports())")
    names = [CLIENT_LISTENER, *(spec.name for spec in config.extra_listeners), CONTROLLER_LISTENER]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate listener names: {names}")
    listeners = [f"{CLIENT_LISTENER}://{LOOPBACK}:{config.port}"]
    listeners += [f"{spec.name}://{spec.address}" for spec in config.extra_listeners]
    advertised = list(listeners)
    listeners.append(f"{CONTROLLER_LISTENER}://{LOOPBACK}:{config.controller_port}")
    protocol_map = [f"{CLIENT_LISTENER}:PLAINTEXT", f"{CONTROLLER_LISTENER}:PLAINTEXT"]
    protocol_map += [f"{spec.name}:{spec.security_protocol}" for spec in config.extra_listeners]

    props: dict[str, str] = {
        "process.roles": "broker,controller",
        "node.id": str(NODE_ID),
        # Static voter set: the quorum is read from this file on every start, so the node restarts
        # on its data dir without depending on a voter endpoint recorded at format time.
        "controller.quorum.voters": f"{NODE_ID}@{LOOPBACK}:{config.controller_port}",
        "controller.listener.names": CONTROLLER_LISTENER,
        "listeners": ",".join(listeners),
        "advertised.listeners": ",".join(advertised),
        "inter.broker.listener.name": CLIENT_LISTENER,
        "listener.security.protocol.map": ",".join(protocol_map),
        "log.dirs": str(log_dir),
        "num.partitions": "1",
        "auto.create.topics.enable": "true",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        "offsets.topic.replication.factor": "1",
        # Fewer internal partitions: the first consumer group joins seconds faster on one node.
        "offsets.topic.num.partitions": "4",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "4",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "log.retention.hours": "168",
        "log.flush.offset.checkpoint.interval.ms": "1000",
        "log.segment.bytes": str(64 * 1024 * 1024),
    }
    for spec in config.extra_listeners:
        prefix = f"listener.name.{spec.name.lower()}."
        for key, value in spec.properties.items():
            props[prefix + key] = value
    props.update(config.extra_properties)
    return props


def render_properties(props: dict[str, str]) -> str:
    """Java properties text; values are escaped so a JAAS line or a Windows path survives intact."""
    lines = ["# Generated by article-stream (stream/broker/config.py); rewritten on every start."]
    lines += [f"{_escape(key, is_key=True)}={_escape(value)}" for key, value in props.items()]
    return "\n".join(lines) + "\n"


def parse_properties(text: str) -> dict[str, str]:
    """Read back what :func:`render_properties` wrote (one ``key=value`` a line, no continuations)."""
    props: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        key, _, value = _split_unescaped(line)
        props[_unescape(key)] = _unescape(value)
    return props


def _escape(text: str, is_key: bool = False) -> str:
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char in "=:#!" or (is_key and char == " "):
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _unescape(text: str) -> str:
    mapping = {"n": "\n", "r": "\r", "t": "\t"}
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(mapping.get(text[i + 1], text[i + 1]))
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _split_unescaped(line: str) -> tuple[str, str, str]:
    i = 0
    while i < len(line):
        if line[i] == "\\":
            i += 2
            continue
        if line[i] in "=:":
            return line[:i].rstrip(), line[i], line[i + 1 :].lstrip()
        i += 1
    return line, "", ""
