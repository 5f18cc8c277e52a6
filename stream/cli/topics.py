"""``article-stream topics create|describe``: the service's topics, their configuration and consumer lag."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any

import typer

from stream.cli.kafka_options import KafkaOptions, complete_topic, current_settings, fail, kafka_command, resolve_topic, run_kafka
from stream.contracts.topics import TopicCreationError, create_service_topics, service_topics

topics_app = typer.Typer(no_args_is_help=True, help="Create the service's topics and show their configuration and consumer lag.")

SHOWN_CONFIGS = ("cleanup.policy", "retention.ms", "retention.bytes", "segment.ms", "min.insync.replicas", "max.message.bytes")


async def _admin(kafka: KafkaOptions):
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**kafka.client_kwargs(), request_timeout_ms=30_000)
    await admin.start()
    return admin


@dataclass
class PartitionInfo:
    partition: int
    leader: int
    replicas: list[int]
    end_offset: int
    committed: int | None  # the group's committed offset; None: never committed
    lag: int | None


@dataclass
class TopicInfo:
    name: str
    exists: bool
    configs: dict[str, str] = field(default_factory=dict)
    partitions: list[PartitionInfo] = field(default_factory=list)

    @property
    def total_lag(self) -> int | None:
        lags = [p.lag for p in self.partitions if p.lag is not None]
        return sum(lags) if lags else None


async def describe_topics(kafka: KafkaOptions, names: list[str], group: str) -> list[TopicInfo]:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    admin = await _admin(kafka)
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    infos: list[TopicInfo] = []
    try:
        described = {t["topic"]: t for t in await admin.describe_topics(names)}
        present = [n for n in names if described.get(n, {}).get("error_code", 1) == 0 and described[n].get("partitions")]
        configs: dict[str, dict[str, str]] = {n: {} for n in present}
        if present:
            responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, n) for n in present])
            for response in responses:
                for resource in response.resources:
                    # (error_code, error_message, resource_type, resource_name, config_entries)
                    name, entries = resource[3], resource[4]
                    for entry in entries:
                        configs.setdefault(name, {})[entry[0]] = entry[1]
        tps = [TopicPartition(n, p["partition"]) for n in present for p in described[n]["partitions"]]
        ends = await consumer.end_offsets(tps) if tps else {}
        try:
            committed = await admin.list_consumer_group_offsets(group, partitions=tps) if tps else {}
        except Exception:  # no such group yet, or not allowed to read it: lag unknown
            committed = {}
        for name in names:
            if name not in present:
                infos.append(TopicInfo(name, exists=False))
                continue
            info = TopicInfo(name, exists=True, configs=configs.get(name, {}))
            for p in sorted(described[name]["partitions"], key=lambda p: p["partition"]):
                tp = TopicPartition(name, p["partition"])
                meta = committed.get(tp)
                offset = meta.offset if meta is not None and meta.offset >= 0 else None
                end = ends.get(tp, 0)
                info.partitions.append(
                    PartitionInfo(p["partition"], p.get("leader", -1), list(p.get("replicas", [])), end, offset, None if offset is None else max(0, end - offset))
                )
            infos.append(info)
    finally:
        await consumer.stop()
        await admin.close()
    return infos


@topics_app.command("create")
@kafka_command
def create(
    partitions: Annotated[int | None, typer.Option("--partitions", min=1, help="Partitions of each topic (default: $ARTICLE_STREAM_PARTITIONS, 2).")] = None,
    replication: Annotated[int | None, typer.Option("--replication", min=1, help="Replication factor (default: $ARTICLE_STREAM_REPLICATION, 1).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per topic: outcome, partitions, configs, differences from the service's.")] = False,
    *,
    kafka: KafkaOptions,
) -> None:
    """Create the service's topics (articles.raw, articles.enriched, stories, articles.dlq) with their partitions, retention and compaction. Existing topics are left as they are; a configuration that differs from the service's is reported.

    Exit codes: 0 created or already there; 2 usage or connection error, or the broker refused.
    """
    settings = current_settings()
    wanted = service_topics(settings)
    if partitions is not None:
        wanted = {name: (partitions, configs) for name, (_, configs) in wanted.items()}
    bootstrap = kafka.client_kwargs()["bootstrap_servers"]  # exits 2 before any work when options are wrong
    outcome, infos = run_kafka(_create_and_describe(kafka, wanted, replication or settings.replication, settings.app_id), bootstrap)
    for info in infos:
        want_partitions, want_configs = wanted[info.name]
        notes = [f"{len(info.partitions)} partitions"] + [f"{k}={info.configs.get(k, '?')}" for k in want_configs]
        drift = [f"{k} is {info.configs.get(k)!r}, the service wants {v!r}" for k, v in want_configs.items() if info.configs.get(k) != v]
        if len(info.partitions) != want_partitions:
            drift.append(f"has {len(info.partitions)} partitions, the service wants {want_partitions}")
        if as_json:
            configs = {k: info.configs.get(k) for k in want_configs}
            typer.echo(json.dumps({"name": info.name, "outcome": outcome.get(info.name), "partitions": len(info.partitions), "configs": configs, "drift": drift}))
        else:
            typer.echo(f"{outcome.get(info.name, '?'):8} {info.name}  ({', '.join(notes)})")
        for line in drift:
            typer.echo(f"warning: {info.name}: {line}", err=True)


async def _create_and_describe(kafka: KafkaOptions, wanted, replication: int, group: str):
    try:
        outcome = await create_service_topics(kafka.client_kwargs(), wanted, replication)
    except TopicCreationError as error:
        fail(str(error))
    return outcome, await describe_topics(kafka, list(wanted), group)


@topics_app.command("describe")
@kafka_command
def describe(
    topics: Annotated[
        list[str] | None,
        typer.Argument(help="Topics to show (default: the service's four). Short names raw, enriched, stories, dlq work.", autocompletion=complete_topic),
    ] = None,
    group: Annotated[str | None, typer.Option("--group", "-g", help="Consumer group whose lag to show (default: the worker's, $ARTICLE_STREAM_APP_ID).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per topic.")] = False,
    *,
    kafka: KafkaOptions,
) -> None:
    """Show each topic's partitions (leader, replicas), configuration (cleanup.policy, retention.ms, …) and the consumer group's lag per partition.

    Lag is the end offset minus the group's committed offset; '-' means the group has not committed on that partition. In a pipe or a log the tables are printed at full width; --json prints one object per topic. Exit codes: 0 all topics exist; 1 some do not (article-stream topics create); 2 usage or connection error.
    """
    settings = current_settings()
    names = [resolve_topic(t, settings) for t in topics] if topics else list(service_topics(settings))
    group_id = group or settings.app_id
    bootstrap = kafka.client_kwargs()["bootstrap_servers"]  # exits 2 before any work when options are wrong
    infos = run_kafka(describe_topics(kafka, names, group_id), bootstrap)
    if as_json:
        for info in infos:
            typer.echo(json.dumps({**asdict(info), "group": group_id, "total_lag": info.total_lag}))
    else:
        _print_tables(infos, group_id)
    if not all(info.exists for info in infos):
        raise typer.Exit(1)


def _print_tables(infos: list[TopicInfo], group: str) -> None:
    from rich.table import Table

    from stream.cli.output import console as make_console, fit

    console = make_console()
    for info in infos:
        if not info.exists:
            console.print(f"[bold]{info.name}[/bold]: does not exist (article-stream topics create)")
            continue
        shown = {k: info.configs[k] for k in SHOWN_CONFIGS if k in info.configs}
        lag = info.total_lag
        console.print(
            f"[bold]{info.name}[/bold]  partitions={len(info.partitions)}  "
            + "  ".join(f"{k}={_readable_config(k, v)}" for k, v in shown.items())
            + f"  lag({group})={'-' if lag is None else lag}"
        )
        table = Table(show_edge=False, pad_edge=False)
        for column in ("partition", "leader", "replicas", "end offset", "committed", "lag"):
            table.add_column(column, justify="right")
        for p in info.partitions:
            table.add_row(
                str(p.partition), str(p.leader), ",".join(map(str, p.replicas)), str(p.end_offset),
                "-" if p.committed is None else str(p.committed), "-" if p.lag is None else str(p.lag),
            )
        console.print(fit(table))


def _readable_config(key: str, value: Any) -> str:
    if key.endswith(".ms") and str(value).lstrip("-").isdigit() and int(value) > 0:
        ms = int(value)
        for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000)):
            if ms % size == 0:
                return f"{value} ({ms // size}{unit})"
    return str(value)
