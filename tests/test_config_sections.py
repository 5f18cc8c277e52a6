"""One Settings, built once at the edge: its Kafka section, and the values the pure core receives."""

from __future__ import annotations

import dataclasses

from stream.config import KafkaSettings, Settings
from stream.core.config import CoreConfig
from stream.core.normalize.config import NormalizeConfig
from stream.core.pipeline import Pipeline
from stream.kafka_security import KafkaSecurity, client_kwargs


def test_the_kafka_section_reads_the_documented_variables(monkeypatch):
    monkeypatch.setenv("ARTICLE_STREAM_BROKER", "kafka-1.example:9094")
    monkeypatch.setenv("ARTICLE_STREAM_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("ARTICLE_STREAM_SASL_USERNAME", "worker")
    monkeypatch.setenv("ARTICLE_STREAM_SASL_PASSWORD", "Pa55-word")
    settings = Settings()
    assert settings.kafka.broker == "kafka-1.example:9094"
    kwargs = client_kwargs(settings.kafka)
    assert (kwargs["security_protocol"], kwargs["sasl_plain_username"], kwargs["sasl_plain_password"]) == (
        "SASL_PLAINTEXT", "worker", "Pa55-word")
    assert "Pa55-word" not in repr(settings)


def test_the_section_has_the_fields_of_the_security_settings():
    assert set(KafkaSettings.model_fields) == {"broker"} | {f.name for f in dataclasses.fields(KafkaSecurity)}


def test_options_override_the_environment_and_flat_names_reach_the_section(monkeypatch):
    monkeypatch.setenv("ARTICLE_STREAM_BROKER", "from-env:9092")
    monkeypatch.setenv("ARTICLE_STREAM_SSL_CAFILE", "/etc/ca.pem")
    overridden = Settings().with_kafka(broker="from-option:9092", ssl_cafile=None)
    assert (overridden.kafka.broker, overridden.kafka.ssl_cafile) == ("from-option:9092", "/etc/ca.pem")
    assert Settings(broker="given:1", app_id="x").kafka.broker == "given:1"


def test_the_core_receives_the_stage_values_and_reads_no_environment(monkeypatch):
    monkeypatch.setenv("ARTICLE_STREAM_DEFAULT_TIMEZONE", "Asia/Tokyo")
    monkeypatch.setenv("ARTICLE_STREAM_WINDOW_DAYS", "3")
    monkeypatch.setenv("ARTICLE_STREAM_MAX_BODY_BYTES", "5000")
    core = Settings().core()
    assert core.normalize.default_timezone == "Asia/Tokyo"
    assert core.relate.window_days == 3 and core.validate.max_body_bytes == 5000
    given = Pipeline(core)
    assert given.relator.config.window_days == 3
    # Without values the core takes its own defaults, whatever the environment says.
    plain = Pipeline()
    assert plain.config == CoreConfig() and plain.relator.config.window_days == 7.0
    assert plain.config.normalize.default_timezone == "UTC"


def test_the_defaults_of_settings_and_core_agree(monkeypatch):
    for name in list(Settings.env_names()):
        monkeypatch.delenv(name, raising=False)
    core = Settings().core()
    assert core.normalize == NormalizeConfig() and core.validate == CoreConfig().validate
    assert core.relate == CoreConfig().relate and core.tag == CoreConfig().tag
