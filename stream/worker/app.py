"""The Faust app: a thin shell that runs the pipeline core on Kafka.

Data flow (topic names from the environment, see ``stream.config``):

    articles.raw ──enrich (validate, normalize, tag; N partitions)──> <app>-articles.tagged
         │                                                                │
         └──> articles.dlq <── bad input                  relate (window state in tables)
                                                                          │
                                                  articles.enriched <─────┴────> stories

``enrich`` is stateless and CPU-bound, so it scales with the input's partitions. ``relate`` holds
the related-story window and the stories; it reads one partition so every article is related
against every earlier one in one total order (see docs/design.md for the measurement behind this).
Its state lives in changelog-backed tables and the in-memory index is rebuilt from them on recovery.

Nothing happens at import: :func:`create_app` builds the app from one ``Settings`` and returns it with
its :class:`Services` (relator, pipeline, emitter, metrics, ...), which the agents and the views it
registers receive (``stream.worker.agents.register_agents``, ``stream.worker.web.register_web``).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import tempfile
from dataclasses import dataclass

import faust
from faust.stores.memory import Store as MemoryStore

from stream.budget import BudgetedPrepare
from stream.config import Settings
from stream.contracts.topics import record_limits
from stream.core.pipeline import Pipeline
from stream.core.relate import Relator
from stream.kafka_security import faust_credentials
from stream.metrics import Metrics
from stream.worker.codecs import CODEC_NAME as RELATE_CODEC
from stream.worker.codecs import SHARED_KEYS_CODEC_NAME
from stream.worker.emit import Emitter, RetryPolicy
from stream.worker.transport import Transport

log = logging.getLogger("article_stream.worker")


class SinglePartitionStore(MemoryStore):
    """The ``memory://`` store of a one-partition table. Faust's remembers the partition of every key it
    recovers (a second dict as large as the table: ~50 B per held article) only to drop, when a
    recovery completes, the keys of partitions this worker does not own; with one partition that is
    all of them or none."""

    def _create_batch_iterator(self, mark_as_delete, to_key, to_value, batch):  # type: ignore[no-untyped-def]
        for event in batch:
            key = to_key(event.key)
            if event.message.value is None:  # a tombstone: the key is deleted
                mark_as_delete(key)
            yield key, to_value(event.value)

    async def on_recovery_completed(self, active_tps, standby_tps) -> None:  # type: ignore[no-untyped-def]
        if not active_tps:  # the table's one partition belongs to another worker
            self.data.clear()


class RecordTable(faust.Table):
    """A table of relate records read and written with the relate codec (``stream.worker.codecs``).

    Faust derives a table's serializer from its value type and passes it to the changelog topic,
    overriding the schema's; plain dict values would get "json"."""

    def _serializer_from_type(self, typ: object) -> str:
        return RELATE_CODEC

    def send_changelog(self, partition, key, value, key_serializer=None, value_serializer=None):  # type: ignore[no-untyped-def]
        # While the relate agent links an input, its writes are serialized here (Faust's own key and
        # value preparation: the same bytes) and collected; the agent then sends them straight to the
        # producer (ChangelogRecord.send) and its outputs only once they are delivered (AfterState).
        # Faust's send_soon path costs a FutureMessage, a buffer task, the publish sensors and a
        # callback chain per record (~5 % of the worker's main process, ~5 records per article).
        pending = getattr(self.app, "changelog_pending", None)
        if pending is None or partition is None or self.app.in_transaction:
            written = super().send_changelog(partition, key, value, key_serializer, value_serializer)
            sink = getattr(self.app, "changelog_written", None)
            if sink is not None:
                sink.append(written)
            return written
        topic = self.changelog_topic
        headers = topic.prepare_headers(None)
        key_bytes, headers = topic.prepare_key(key, key_serializer or self.key_serializer, None, headers)
        value_bytes, headers = topic.prepare_value(value, value_serializer or self.value_serializer, None, headers)
        record = ChangelogRecord(self, partition, key_bytes, value_bytes, headers or None)
        pending.append(record)
        return record

    def changelog_delivered(self, delivery: asyncio.Future) -> None:
        """What Faust does once a changelog record is delivered (``_on_changelog_sent``): the store
        remembers the offset it has (RocksDB reads it at start-up)."""
        if delivery.cancelled() or delivery.exception() is not None:
            error = "cancelled" if delivery.cancelled() else repr(delivery.exception())
            log.error("changelog record of %s not delivered: %s", self.name, error)
            return
        metadata = delivery.result()
        self.data.set_persisted_offset(metadata.topic_partition, metadata.offset)


class ChangelogRecord:
    """One table write's changelog record, serialized, waiting for the relate agent to send it. Has
    the ``message.partition`` Faust's ``on_key_set`` reads of what ``send_changelog`` returns."""

    __slots__ = ("table", "partition", "key", "value", "headers")

    def __init__(self, table: RecordTable, partition: int, key: bytes | None, value: bytes | None, headers) -> None:  # type: ignore[no-untyped-def]
        self.table, self.partition, self.key, self.value, self.headers = table, partition, key, value, headers

    @property
    def message(self) -> ChangelogRecord:
        return self

    async def send(self) -> asyncio.Future:
        """Enqueue it with the app's producer (the one Faust's path ends in); the delivery future."""
        table = self.table
        topic = table.changelog_topic
        try:
            delivery = await table.app.producer.send(topic.get_topic_name(), self.key, self.value, self.partition, None, self.headers)
        except Exception:  # noqa: BLE001 - enqueueing refused: Faust's own buffered path, as before
            log.warning("changelog record of %s sent through Faust's buffer", table.name, exc_info=True)
            return topic.send_soon(key=self.key, value=self.value, partition=self.partition, headers=self.headers,
                                   key_serializer="raw", value_serializer="raw", callback=table._on_changelog_sent)
        delivery.add_done_callback(table.changelog_delivered)
        return delivery

    def _new_store_by_url(self, url):  # type: ignore[no-untyped-def]
        if self.partitions == 1 and str(url).startswith("memory:"):
            return SinglePartitionStore(
                url, self.app, self, table_name=self.name, key_type=self.key_type, key_serializer=self.key_serializer,
                value_serializer=self.value_serializer, value_type=self.value_type, loop=self.loop, options=self.options,
            )
        return super()._new_store_by_url(url)


class StoryTable(RecordTable):
    """The stories table: its string keys are decoded interned (``SharedKeys``), the same objects as the
    story ids the article records hold."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.key_serializer = SHARED_KEYS_CODEC_NAME  # before the store and the changelog topic are made


def static_member_id(settings) -> str | None:
    """``group.instance.id`` for static membership, or None (dynamic).

    A static member that rejoins is handed back its previous assignment, with the previous member's
    metadata, and Faust's assignor insists that metadata carries this worker's own URL (it stops the
    consumer otherwise). So the id names the URL too: a worker restarted where it ran (a StatefulSet
    pod: same name, host and port) is the same member, one that moved is a new one."""
    if not settings.group_instance_id:
        return None
    return f"{settings.group_instance_id}@{socket.gethostname()}:{settings.web_port}"


class App(faust.App):
    services: Services  # set by create_app: what the agents, views and the consumer work with
    # While the relate agent links one input: the changelog records its table writes were sent as
    # (through Faust's buffer), and those collected to be sent by the agent (ChangelogRecord).
    changelog_written: list | None = None
    changelog_pending: list | None = None

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)

    def _new_web(self):  # type: ignore[no-untyped-def]
        from stream.worker.web.server import Web  # our routes only, JSON errors, timeouts

        return Web(self)


@dataclass(frozen=True)
class Topics:
    raw: faust.TopicT
    tagged: faust.TopicT  # internal: enrich -> relate
    enriched: faust.TopicT
    stories: faust.TopicT
    dlq: faust.TopicT


@dataclass
class Services:
    """What the agents and views of one app work with, made by :func:`create_app` (a test may make
    its own: ``stream.worker.agents.register_agents`` takes any)."""

    settings: Settings
    metrics: Metrics
    topics: Topics
    relator: Relator
    pipeline: Pipeline
    emitter: Emitter
    prepare: BudgetedPrepare  # validate, normalize and tag in a child process under a CPU budget
    articles_table: faust.TableT | None = None


def _new_app(settings: Settings) -> App:
    return App(
        settings.app_id,
        broker=f"kafka://{settings.kafka.broker}",
        # SASL (PLAIN, SCRAM) and TLS from the settings' Kafka section; None for PLAINTEXT.
        broker_credentials=faust_credentials(settings.kafka),
        store=settings.store,
        datadir=settings.data_dir or tempfile.mkdtemp(prefix=f"{settings.app_id}-"),
        web_host=settings.web_host,
        web_bind=settings.web_host,
        web_port=settings.web_port,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication,
        key_serializer="raw",
        value_serializer="raw",
        consumer_auto_offset_reset="earliest",
        producer_max_request_size=record_limits(settings)["dlq"],
        # Batching: with no linger every record is its own produce request (one socket write each).
        # The batch size stays at the 16 KB default: a topic refuses a whole batch above its
        # max.message.bytes, and aiokafka does not split it, so bigger batches would dead-letter records
        # that fit on their own (tests/faults/test_downstream.py).
        producer_linger=settings.produce_linger_ms / 1000.0,
        web_in_thread=False,
        # Faust's /router and /table views expose topology and raw table state: debug only.
        web_router_enabled=settings.web_debug,
        web_tables_enabled=settings.web_debug,
        Table=RecordTable,
        # Fast failover: a killed worker's partitions move after the session timeout (Faust's default is
        # 60 s). Heartbeats run on the event loop, which the enrich work no longer blocks (stream/budget.py).
        broker_session_timeout=settings.session_timeout_seconds,
        broker_heartbeat_interval=settings.heartbeat_interval_seconds,
        consumer_group_instance_id=static_member_id(settings),
    )


def _topics(app: App, settings: Settings) -> Topics:
    return Topics(
        raw=app.topic(settings.topic_raw, partitions=settings.partitions),
        tagged=app.topic(
            f"{settings.app_id}-articles.tagged",
            partitions=1,
            internal=True,
            config={"max.message.bytes": str(record_limits(settings)["enriched"])},
        ),
        enriched=app.topic(settings.topic_enriched, partitions=settings.partitions),
        stories=app.topic(settings.topic_stories, partitions=settings.partitions),
        dlq=app.topic(settings.topic_dlq, partitions=settings.partitions),
    )


def create_app(settings: Settings, *, web: bool = True) -> tuple[App, Services]:
    """The worker's Faust app with its agents (and, with ``web``, its HTTP views) registered, and the
    services they share. The Kafka connection is ``settings.kafka``; its broker must be set."""
    from stream.worker.agents import Records, register_agents

    if not settings.kafka.broker:
        raise ValueError("no Kafka broker: settings.kafka.broker is empty")
    app = _new_app(settings)
    topics = _topics(app, settings)

    # The relate stage's durable state; co-partitioned with the tagged topic (one partition).
    json_records = faust.Schema(key_type=str, key_serializer="json", value_serializer=RELATE_CODEC)
    articles_table = app.Table("relate-articles", partitions=1, schema=json_records)
    stories_table = app.tables.add(
        StoryTable(app, name="relate-stories", partitions=1, schema=json_records, beacon=app.tables.beacon)
    )
    # Each id's latest revision and fingerprint, kept past the window (RevisionLedger): lists, as the codec leaves them.
    ledger_table = app.Table("relate-ledger", partitions=1, schema=json_records)

    core = settings.core()
    relator = Relator(core.relate, articles=articles_table, stories=stories_table, ledger=ledger_table)
    metrics = Metrics()
    records = Records(topics, metrics)
    emitter = Emitter(
        RetryPolicy(settings.produce_retries, settings.produce_backoff_ms, settings.produce_timeout_s),
        records.produce_failed,
        on_retry=lambda kind: metrics.produce_retries.labels(kind).inc(),
    )
    services = Services(
        settings=settings,
        metrics=metrics,
        topics=topics,
        relator=relator,
        pipeline=Pipeline(core, relator=relator),
        emitter=emitter,
        prepare=BudgetedPrepare(settings.processing_budget_seconds, core),
        articles_table=articles_table,
    )
    app.services = services
    register_agents(app, services, records)
    if web:
        from stream.worker.web import register_web

        register_web(app, services)
    return app, services
