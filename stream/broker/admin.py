"""Small aiokafka admin helpers: wait for a broker to serve clients, create topics and wait for leaders."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError

# Errors meaning "not ready yet, ask again": connection refused, no metadata, request timed out.
_RETRYABLE = (KafkaConnectionError, KafkaError, OSError, asyncio.TimeoutError)


async def port_open(bootstrap: str, timeout_s: float = 1.0) -> bool:
    """True when something accepts TCP connections on ``host:port``."""
    host, _, port = bootstrap.rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), timeout_s)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True


async def probe(bootstrap: str, request_timeout_ms: int = 3000) -> bool:
    """True when the broker accepts a Kafka connection and reports at least one live broker."""
    # A plain TCP check first: aiokafka logs every refused connection at ERROR level.
    if not await port_open(bootstrap):
        return False
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=request_timeout_ms)
    try:
        await admin.start()
        cluster = await admin.describe_cluster()
        return bool(cluster.get("brokers"))
    except _RETRYABLE:
        return False
    finally:
        await _close_quietly(admin)


async def wait_until_ready(bootstrap: str, timeout_s: float, still_alive=None, interval_s: float = 0.25) -> bool:
    """Poll :func:`probe` until it succeeds (True) or ``timeout_s`` passes or ``still_alive()`` is False."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if still_alive is not None and not still_alive():
            return False
        if await probe(bootstrap):
            return True
        await asyncio.sleep(interval_s)
    return False


async def wait_for_group_coordinator(bootstrap: str, timeout_s: float, group_id: str = "article-stream-probe") -> bool:
    """Ask for a group coordinator until one answers. The first ask makes the broker create
    ``__consumer_offsets``; doing it here spares the first real consumer a burst of
    "coordinator not available" errors."""
    deadline = time.monotonic() + timeout_s
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
    try:
        await admin.start()
        while time.monotonic() < deadline:
            try:
                await admin.find_coordinator(group_id)
                return True
            except _RETRYABLE:
                await asyncio.sleep(0.2)
        return False
    except _RETRYABLE:
        return False
    finally:
        await _close_quietly(admin)


async def create_topics(
    bootstrap: str,
    topics: Mapping[str, int] | Iterable[str],
    replication: int = 1,
    configs: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
    security: Mapping[str, object] | None = None,
) -> None:
    """Create topics (name -> partitions; a plain list means 1 partition each), skipping existing ones,
    and return once every partition has a leader, so producers can write at once.

    ``security``: aiokafka TLS/SASL kwargs (``stream.kafka_security.client_kwargs``); PLAINTEXT when
    None. The worker passes those of its settings, so it creates its topics over the same
    authenticated connection it consumes with.
    """
    from stream.contracts.topics import create_service_topics  # one topic-creation path for the service and the tools

    wanted = dict(topics) if isinstance(topics, Mapping) else {name: 1 for name in topics}
    client = {"bootstrap_servers": bootstrap, **(security or {})}
    await create_service_topics(client, {name: (n, configs or {}) for name, n in wanted.items()}, replication, timeout_s)


async def _close_quietly(admin: AIOKafkaAdminClient) -> None:
    try:
        await admin.close()
    except Exception:  # closing a client that never connected may raise; nothing to clean up then
        pass
