"""The SASL listener settings for the embedded broker, without starting one."""

from __future__ import annotations

from pathlib import Path

import pytest

from stream.broker.config import BrokerConfig, parse_properties, render_properties, server_properties
from stream.broker.security import plain_jaas, sasl_listener, scram_format_arguments

USERS = {"alice": "alice-secret", "bob": "b0b-secret"}


def test_listener_and_properties_render_into_server_properties(tmp_path: Path):
    listener, props = sasl_listener(19095, USERS, mechanisms=("PLAIN", "SCRAM-SHA-256"))
    config = BrokerConfig(port=19092, controller_port=19093, extra_listeners=[listener], extra_properties=props)
    rendered = parse_properties(render_properties(server_properties(config, tmp_path)))
    assert "SASL://127.0.0.1:19095" in rendered["listeners"]
    assert "SASL:SASL_PLAINTEXT" in rendered["listener.security.protocol.map"]
    assert rendered["sasl.enabled.mechanisms"] == "PLAIN,SCRAM-SHA-256"
    jaas = rendered["listener.name.sasl.plain.sasl.jaas.config"]
    assert jaas.startswith("org.apache.kafka.common.security.plain.PlainLoginModule required")
    assert 'user_alice="alice-secret"' in jaas and 'user_bob="b0b-secret"' in jaas and jaas.endswith(";")
    assert rendered["listener.name.sasl.scram-sha-256.sasl.jaas.config"].endswith("ScramLoginModule required;")
    assert "authorizer.class.name" not in rendered


def test_authorization_makes_only_super_users_and_the_broker_all_powerful():
    _, props = sasl_listener(19095, USERS, authorize=True, super_users=["alice"])
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["super.users"] == "User:ANONYMOUS;User:alice"
    assert props["allow.everyone.if.no.acl.found"] == "false"


def test_scram_users_become_storage_format_arguments():
    args = scram_format_arguments(USERS, ("SCRAM-SHA-256", "SCRAM-SHA-512"))
    assert args.count("--add-scram") == 4
    assert "SCRAM-SHA-256=[name=alice,password=alice-secret]" in args
    assert "SCRAM-SHA-512=[name=bob,password=b0b-secret]" in args


@pytest.mark.parametrize("password", ['with"quote', "with,comma", "with]bracket", "new\nline"])
def test_credentials_that_would_break_the_syntax_are_refused(password):
    with pytest.raises(ValueError):
        scram_format_arguments({"alice": password})
    if '"' in password or "\n" in password:
        with pytest.raises(ValueError):
            plain_jaas({"alice": password})


def test_unknown_mechanism_is_refused():
    with pytest.raises(ValueError):
        sasl_listener(19095, USERS, mechanisms=("GSSAPI",))


def test_scram_passwords_stay_out_of_the_config_repr():
    config = BrokerConfig(scram_users={"alice": "alice-secret"})
    assert "alice-secret" not in repr(config)
