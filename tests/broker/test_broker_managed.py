"""State-file handling of the CLI-managed broker, without starting one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stream.broker import managed
from stream.broker.managed import BrokerState, ensure_broker, load_state, running_broker, save_state, stop_managed


@pytest.fixture(autouse=True)
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(managed.STATE_ENV, str(tmp_path / "state"))
    return tmp_path / "state"


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_state_round_trips(tmp_path):
    state = BrokerState(pid=123, port=9092, controller_port=9093, data_dir=str(tmp_path), ephemeral_data_dir=False, started_at=1.0)
    save_state(state)
    assert load_state() == state
    assert state.bootstrap == "127.0.0.1:9092"


def test_corrupt_state_reads_as_none(state_dir):
    state_dir.mkdir()
    (state_dir / "state.json").write_text("{not json")
    assert load_state() is None
    (state_dir / "state.json").write_text(json.dumps({"pid": 1}))
    assert load_state() is None


def test_dead_pid_is_not_running_and_stop_cleans_up(tmp_path, state_dir):
    data_dir = tmp_path / "ephemeral"
    data_dir.mkdir()
    save_state(BrokerState(pid=_dead_pid(), port=1, controller_port=2, data_dir=str(data_dir), ephemeral_data_dir=True, started_at=0))
    assert running_broker() is None
    assert stop_managed(timeout_s=1, log=lambda _: None) is not None
    assert not (state_dir / "state.json").exists()
    assert not data_dir.exists()


def test_unrelated_process_with_the_recorded_pid_is_not_taken_for_the_broker(tmp_path):
    # Our own pid is alive but is no Kafka broker: it must never be signalled.
    save_state(BrokerState(pid=os.getpid(), port=1, controller_port=2, data_dir=str(tmp_path), ephemeral_data_dir=False, started_at=0))
    assert running_broker() is None


def test_stop_without_state_reports_nothing_stopped():
    assert stop_managed(log=lambda _: None) is None


def test_ensure_broker_prefers_the_configured_address(monkeypatch):
    monkeypatch.setenv("ARTICLE_STREAM_BROKER", "kafka.example:9092")
    monkeypatch.setattr(managed, "start_managed", lambda **_: pytest.fail("must not start a broker"))
    assert ensure_broker() == "kafka.example:9092"
