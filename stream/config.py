"""Configuration from the environment (12-factor): every setting is ``ARTICLE_STREAM_<NAME>``.

The one place the service reads its environment: the CLI (or the worker it starts) builds one
``Settings`` and hands its parts down, the Kafka connection (``Settings.kafka``) to every client and
the stages' values (``Settings.core()``) to the pure core, which reads no environment itself.

The configuration table of docs/operations.md is generated from this class (``article-stream config``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from stream.core.config import CoreConfig

ENV_PREFIX = "ARTICLE_STREAM_"
BROKER_ENV = ENV_PREFIX + "BROKER"


class KafkaSettings(BaseSettings):
    """The Kafka connection of every client, worker included: bootstrap address, security protocol,
    SASL and TLS (``stream.kafka_security.client_kwargs`` turns it into aiokafka's arguments).

    The security variables are documented with the CLI options that override them (docs/operations.md);
    the passwords have no option and no ``repr``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    broker: str = Field("", description="Kafka bootstrap address host:port. Empty: the CLI starts the embedded broker.")
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    sasl_password_file: str | None = None
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_key_password: SecretStr | None = None
    ssl_key_password_file: str | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    # --- Kafka -----------------------------------------------------------------------------
    kafka: KafkaSettings = Field(default_factory=KafkaSettings, description="The Kafka connection (KafkaSettings).")
    app_id: str = Field("article-stream", description="Faust app id: consumer group and prefix of internal topics.")
    topic_raw: str = Field("articles.raw", description="Input topic publishers write to.")
    topic_enriched: str = Field("articles.enriched", description="Enriched articles, keyed by article id.")
    topic_stories: str = Field("stories", description="Story updates, keyed by story id (compacted).")
    topic_dlq: str = Field("articles.dlq", description="Dead letters: inputs that could not be processed.")
    partitions: int = Field(2, ge=1, description="Partitions of the service topics when it creates them.")
    replication: int = Field(1, ge=1, description="Replication factor of the service topics when it creates them.")

    # --- Worker ----------------------------------------------------------------------------
    web_host: str = Field("127.0.0.1", description="Interface the worker's HTTP server binds to.")
    web_port: int = Field(6066, ge=0, le=65535, description="HTTP port: metrics, health, look-ups.")
    web_debug: bool = Field(False, description="Also serve Faust's /router and /table debug views (internal topology and raw table state).")
    web_idle_timeout_seconds: float = Field(
        15.0, gt=0, description="HTTP: a connection without a complete request for this long is closed (idle keep-alive, slow headers)."
    )
    web_page_articles: int = Field(
        5000, ge=0, description="Most recent enriched articles each worker holds for the page (/newsroom/…, /events); 0 turns the page's feed off."
    )
    web_heartbeat_seconds: float = Field(15.0, gt=0, description="/events: a comment line this often on a quiet stream.")
    store: str = Field("memory://", description="Faust table store: memory:// (tests) or rocksdb:// (production).")
    data_dir: str = Field("", description="Directory for worker state (RocksDB). Empty: a temp dir per worker.")
    log_format: str = Field("text", description="Log format: text or json (one JSON object a line).")
    log_level: str = Field("INFO", description="Log level.")
    progress_interval_seconds: float = Field(
        5.0, gt=0, description="How often the worker asks the broker for offsets (lag gauges, readiness)."
    )
    stall_seconds: float = Field(
        60.0, gt=0, description="Readiness: not ready when records wait in a partition whose offset has not moved this long."
    )
    broker_timeout_seconds: float = Field(
        30.0, gt=0, description="Readiness: not ready when no offset query to the broker succeeded for this long."
    )
    session_timeout_seconds: float = Field(
        6.0, gt=0, description="Consumer group session: a worker that stops heartbeating (killed) loses its partitions "
        "to the others after this long (the broker's group.min.session.timeout.ms is 6 s by default).",
    )
    heartbeat_interval_seconds: float = Field(
        1.0, gt=0, description="How often the worker heartbeats to the group (well under the session timeout).",
    )
    group_instance_id: str = Field(
        "", description="Static group membership (Kafka 2.3+): a stable name per worker (the pod name); a worker "
        "restarted under the same name, host and port takes its partitions back without a rebalance (member id "
        "NAME@host:port). Empty: dynamic membership.",
    )
    shutdown_grace_seconds: float = Field(
        10.0, gt=0, description="SIGTERM or Ctrl-C: the worker exits within this long, at any moment (start-up and "
        "rebalances included); work not committed by then is redone by the next owner.",
    )
    produce_retries: int = Field(
        5, ge=0, description="Retries of a failed or timed-out produce before the record is dead-lettered (produce_failed)."
    )
    produce_backoff_ms: float = Field(
        200.0, ge=0, description="Backoff before the first produce retry; doubles each retry (capped at 10 s, with jitter)."
    )
    produce_timeout_s: float = Field(30.0, gt=0, description="How long one produce attempt may wait for the broker's ack.")
    produce_linger_ms: float = Field(
        5.0, ge=0, description="How long the producer waits to fill a batch: a few ms turns one request per record into one per batch."
    )
    raw_transactional: bool = Field(
        False,
        description="Set when producers write the input topic in transactions: a commit may then pass one unprocessed "
        "offset (a transaction marker), as Faust does. Unset, a commit never passes an unprocessed offset.",
    )

    processing_budget_seconds: float = Field(
        5.0, gt=0, description="CPU seconds one article may take in validate, normalize and tag; above it the article is "
        "dead-lettered (processing_budget_exceeded) and the partition moves on.",
    )

    # --- Validation ------------------------------------------------------------------------
    max_message_bytes: int = Field(4 * 1024 * 1024, description="Largest raw message accepted (bytes).")
    max_body_bytes: int = Field(1024 * 1024, description="Largest body or html accepted (bytes, UTF-8).")

    # --- Normalization ---------------------------------------------------------------------
    default_timezone: str = Field("UTC", description="Zone for zone-less dates when the source has none configured.")
    source_timezones: dict[str, str] = Field(
        default_factory=lambda: {"Korea JoongAng Daily": "Asia/Seoul", "Yonhap": "Asia/Seoul"},
        description="JSON object: source name -> IANA zone used for that source's zone-less dates.",
    )

    # --- Related stories -------------------------------------------------------------------
    window_days: float = Field(7.0, gt=0, description="Related-story window over published_at, in days.")
    related_k: int = Field(10, ge=1, description="How many related articles to emit.")


    @model_validator(mode="before")
    @classmethod
    def _kafka_section(cls, data: Any) -> Any:
        """``Settings(broker=..., security_protocol=...)``: the connection's fields go to its section."""
        if isinstance(data, dict) and (moved := {k: data[k] for k in data if k in KafkaSettings.model_fields}):
            rest = {k: v for k, v in data.items() if k not in moved}
            section = data.get("kafka") or KafkaSettings()
            return {**rest, "kafka": section.model_copy(update=moved) if isinstance(section, KafkaSettings) else section}
        return data

    def with_kafka(self, **changes: Any) -> Settings:
        """A copy whose Kafka section has ``changes`` (None values are left out): the CLI's options."""
        given = {k: v for k, v in changes.items() if v is not None}
        return self.model_copy(update={"kafka": self.kafka.model_copy(update=given)}) if given else self

    def core(self) -> CoreConfig:
        """The values the pure core receives, one per stage."""
        from stream.core.config import CoreConfig, ValidateConfig
        from stream.core.normalize.config import NormalizeConfig
        from stream.core.relate import RelateConfig

        return CoreConfig(
            validate=ValidateConfig(max_message_bytes=self.max_message_bytes, max_body_bytes=self.max_body_bytes),
            normalize=NormalizeConfig(default_timezone=self.default_timezone, source_timezones=dict(self.source_timezones)),
            relate=RelateConfig(window_days=self.window_days, k=self.related_k),
        )

    def env_values(self, mode: str = "python") -> dict[str, Any]:
        """The effective values by variable name, the Kafka section's flattened (passwords masked)."""
        values = self.model_dump(mode=mode)
        kafka = values.pop("kafka")
        return {ENV_PREFIX + name.upper(): value for name, value in {**kafka, **values}.items()}

    @classmethod
    def env_names(cls) -> set[str]:
        """Every ``ARTICLE_STREAM_*`` variable a setting reads."""
        names = [n for n in cls.model_fields if n != "kafka"] + list(KafkaSettings.model_fields)
        return {ENV_PREFIX + name.upper() for name in names}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def settings_table() -> str:
    """The configuration table of docs/operations.md, generated from the fields above (a test keeps them in sync)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    fields = []
    for name, info in Settings.model_fields.items():
        if name == "kafka":  # its documented fields; the security ones have their own table with the CLI options
            fields += [(n, i) for n, i in KafkaSettings.model_fields.items() if i.description]
        else:
            fields.append((name, info))
    for name, info in fields:
        default = info.default_factory() if info.default_factory else info.default
        shown = f"`{default}`" if default not in ("", None) else "(empty)"
        if isinstance(default, dict):
            shown = "`" + ", ".join(f"{k}={v}" for k, v in default.items()) + "`"
        rows.append(f"| `ARTICLE_STREAM_{name.upper()}` | {shown} | {info.description or ''} |")
    return "\n".join(rows)
