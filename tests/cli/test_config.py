"""article-stream config: the effective values as lines or one JSON object, and the documentation table."""

from __future__ import annotations

import orjson

from stream.config import settings_table


def test_json_holds_the_effective_values(invoke):
    result = invoke(["config", "--json"], env={"ARTICLE_STREAM_PARTITIONS": "6", "ARTICLE_STREAM_APP_ID": "news-eu"})
    assert result.exit_code == 0, result.output
    values = orjson.loads(result.stdout)
    assert values["ARTICLE_STREAM_PARTITIONS"] == 6 and values["ARTICLE_STREAM_APP_ID"] == "news-eu"
    lines = invoke(["config"], env={"ARTICLE_STREAM_PARTITIONS": "6"}).stdout.splitlines()
    assert set(values) == {line.split("=", 1)[0] for line in lines}


def test_markdown_is_the_settings_table(invoke):
    assert invoke(["config", "--markdown"]).stdout.strip() == settings_table().strip()


def test_an_invalid_value_is_exit_1(invoke):
    result = invoke(["config", "--json"], env={"ARTICLE_STREAM_PARTITIONS": "many"})
    assert result.exit_code == 1
    assert "ARTICLE_STREAM_PARTITIONS" in result.stderr and "Traceback" not in result.output


def test_the_kafka_section_is_shown_by_variable_with_the_password_masked(invoke):
    env = {"ARTICLE_STREAM_BROKER": "kafka.example:9093", "ARTICLE_STREAM_SASL_PASSWORD": "s3cret-Pa55"}
    result = invoke(["config", "--json"], env=env)
    assert result.exit_code == 0, result.output
    values = orjson.loads(result.stdout)
    assert values["ARTICLE_STREAM_BROKER"] == "kafka.example:9093"
    assert values["ARTICLE_STREAM_SECURITY_PROTOCOL"] == "PLAINTEXT"
    assert "s3cret-Pa55" not in invoke(["config"], env=env).stdout + result.stdout
