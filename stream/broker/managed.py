"""The broker the CLI manages: started once, outliving the command, found again through a state file.

State lives in ``~/.cache/article-stream/broker/`` (or ``$ARTICLE_STREAM_BROKER_STATE``):
``state.json`` with pid, ports and data dir, and a lock file so two concurrent starts do not race.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from stream.broker.config import BrokerConfig
from stream.broker.admin import wait_until_ready
from stream.broker.embedded import SERVER_PROPERTIES, EmbeddedBroker, Log, is_broker_process, run_coroutine_blocking, terminate

STATE_ENV = "ARTICLE_STREAM_BROKER_STATE"
STATE_FILE = "state.json"
LOCK_FILE = "lock"


@dataclass
class BrokerState:
    pid: int
    port: int
    controller_port: int
    data_dir: str
    # True when the start made a fresh temp data dir: `stop` deletes it then.
    ephemeral_data_dir: bool
    started_at: float

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def properties_path(self) -> Path:
        return Path(self.data_dir) / SERVER_PROPERTIES

    def is_running(self) -> bool:
        return is_broker_process(self.pid, self.properties_path)


def state_dir() -> Path:
    override = os.environ.get(STATE_ENV)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "article-stream" / "broker"


def load_state() -> BrokerState | None:
    path = state_dir() / STATE_FILE
    try:
        return BrokerState(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def save_state(state: BrokerState) -> None:
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n", encoding="utf-8")
    tmp.replace(directory / STATE_FILE)


def clear_state() -> None:
    (state_dir() / STATE_FILE).unlink(missing_ok=True)


@contextmanager
def _state_lock() -> Iterator[None]:
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK_FILE, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def running_broker() -> BrokerState | None:
    """The managed broker if its process is alive, else None."""
    state = load_state()
    return state if state is not None and state.is_running() else None


def start_managed(data_dir: Path | None = None, port: int = 0, log: Log | None = None, timeout_s: float = 90.0) -> tuple[BrokerState, bool]:
    """Start the managed broker, or reuse the running one. Returns (state, reused)."""
    log = log or _stderr_log
    with _state_lock():
        state = running_broker()
        if state is not None:
            if data_dir is not None and Path(data_dir).resolve() != Path(state.data_dir).resolve():
                log(f"a broker is already running with data dir {state.data_dir}; reusing it (stop it first to switch)")
            if not run_coroutine_blocking(wait_until_ready(state.bootstrap, timeout_s, still_alive=state.is_running)):
                raise RuntimeError(f"broker pid {state.pid} is running but not answering on {state.bootstrap}")
            return state, True
        stale = load_state()
        if stale is not None:
            _discard(stale, log)
        broker = EmbeddedBroker(BrokerConfig(data_dir=data_dir, port=port, start_timeout_s=timeout_s), log=log)
        try:
            broker.start()
        except BaseException:
            broker.close()  # deletes the data dir only if it was a fresh temp one
            raise
        # Deliberately no stop: the JVM runs in its own session and outlives this process.
        pid = broker.detach() or 0
        state = BrokerState(
            pid=pid,
            port=broker.config.port,
            controller_port=broker.config.controller_port,
            data_dir=str(broker.data_dir),
            ephemeral_data_dir=data_dir is None,
            started_at=time.time(),
        )
        save_state(state)
        return state, False


def stop_managed(timeout_s: float = 30.0, log: Log | None = None) -> BrokerState | None:
    """Stop the managed broker (SIGTERM, SIGKILL after ``timeout_s``). Returns what was stopped, or None."""
    log = log or _stderr_log
    with _state_lock():
        state = load_state()
        if state is None:
            return None
        if state.is_running():
            log(f"stopping Kafka broker pid {state.pid} on {state.bootstrap} ...")
            terminate(state.pid, timeout_s)
        _discard(state, log)
        return state


def _stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _discard(state: BrokerState, log: Log) -> None:
    if state.ephemeral_data_dir and not state.is_running():
        shutil.rmtree(state.data_dir, ignore_errors=True)
    clear_state()


def ensure_broker(log: Log | None = None) -> str:
    """Bootstrap address to use: ``$ARTICLE_STREAM_BROKER`` when set, else the managed local broker
    (started if needed; it keeps running after the caller exits until ``article-stream broker stop``)."""
    from stream.config import KafkaSettings

    configured = KafkaSettings().broker.strip()
    if configured:
        return configured
    state, _ = start_managed(log=log)
    return state.bootstrap
