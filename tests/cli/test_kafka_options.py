"""The options every Kafka command shares: --broker with its variable, and the security options."""

from __future__ import annotations

import pytest

from tests.support.worker import free_port

# (command words, arguments that make the command otherwise valid)
KAFKA_COMMANDS = [(["produce"], ["INPUT"]), (["tail"], []), (["replay"], ["--yes"]), (["topics", "create"], []), (["topics", "describe"], [])]


@pytest.mark.parametrize("command, extra", KAFKA_COMMANDS, ids=lambda a: " ".join(a))
def test_without_a_broker_commands_exit_2_and_say_how_to_get_one(invoke, command, extra, tmp_path):
    (tmp_path / "x.jsonl").write_text('{"body": "text"}\n')
    result = invoke([*command, *[str(tmp_path / "x.jsonl") if a == "INPUT" else a for a in extra]])
    assert result.exit_code == 2
    assert "ARTICLE_STREAM_BROKER" in result.stderr and "article-stream broker start" in result.stderr


@pytest.mark.parametrize("command, extra", KAFKA_COMMANDS, ids=lambda a: " ".join(a))
def test_help_lists_the_shared_options_and_their_variables(invoke, command, extra):
    result = invoke([*command, "--help"])
    assert result.exit_code == 0
    for option in ("--broker", "--security-protocol", "--sasl-mechanism", "--sasl-username", "--sasl-password-file",
                   "--ssl-cafile", "--ssl-certfile", "--ssl-keyfile"):
        assert option in result.stdout, option
    assert "ARTICLE_STREAM_BROKER" in result.stdout
    assert "Exit codes" in result.stdout


def test_unreachable_broker_is_exit_2(invoke):
    result = invoke(["topics", "describe"], env={"ARTICLE_STREAM_BROKER": f"127.0.0.1:{free_port()}"})
    assert result.exit_code == 2
    assert "cannot reach the Kafka broker" in result.stderr


def test_inconsistent_security_options_are_exit_2_without_the_password(invoke):
    result = invoke(
        ["topics", "describe", "--broker", "127.0.0.1:9", "--security-protocol", "SASL_SSL", "--sasl-username", "u"],
        env={"ARTICLE_STREAM_SASL_PASSWORD": ""},
    )
    assert result.exit_code == 2
    assert "needs a SASL username and password" in result.stderr


def test_security_options_come_from_the_environment_too(invoke):
    result = invoke(["topics", "describe", "--broker", "127.0.0.1:9"], env={"ARTICLE_STREAM_SECURITY_PROTOCOL": "SASL_PLAINTEXT"})
    assert result.exit_code == 2
    assert "needs a SASL username and password" in result.stderr


def test_shell_completion_is_offered(invoke):
    result = invoke(["--help"])
    assert "--install-completion" in result.stdout


def test_topic_completion_offers_service_topics_and_short_names(monkeypatch):
    from stream.cli.kafka_options import complete_topic, resolve_topic
    from stream.config import Settings

    monkeypatch.setenv("ARTICLE_STREAM_TOPIC_STORIES", "prod.stories")
    assert set(complete_topic("s")) == {"stories"}
    assert "prod.stories" in complete_topic("prod")
    assert resolve_topic("stories", Settings()) == "prod.stories"
    assert resolve_topic("other.topic", Settings()) == "other.topic"
