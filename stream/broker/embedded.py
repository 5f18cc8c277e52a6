"""Run a real Apache Kafka broker (KRaft, one node) as a detached JVM child process.

Data dir layout (everything the broker writes stays inside it):

    server.properties   rendered from BrokerConfig on every start
    broker.json         ports and cluster id, so a restart on this dir comes back on the same address
    log4j2.xml          copy of the package's logging config
    kafka-logs/         Kafka's log.dirs (topic data, KRaft metadata log)
    logs/server.log     broker log (log4j2), logs/broker.out the JVM's stdout/stderr
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from stream.broker.admin import wait_for_group_coordinator, wait_until_ready
from stream.broker.config import BrokerConfig, new_cluster_id, render_properties, server_properties
from stream.broker.security import scram_format_arguments
from stream.broker.distribution import (
    BrokerSetupError,
    KafkaDistribution,
    data_file,
    ensure_kafka,
    require_tool,
)

SERVER_PROPERTIES = "server.properties"
BROKER_META = "broker.json"
LOG4J_CONFIG = "log4j2.xml"
KAFKA_LOG_DIR = "kafka-logs"
LOGS_DIR = "logs"
SERVER_LOG = "server.log"
CONSOLE_LOG = "broker.out"
BROKER_MAIN_CLASS = "kafka.Kafka"
STORAGE_TOOL_CLASS = "kafka.tools.StorageTool"
# Kafka's own launcher defaults (kafka-run-class.sh), minus the 1 GiB heap.
JVM_DEFAULTS = ["-server", "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:+ExplicitGCInvokesConcurrent", "-Djava.awt.headless=true"]
# The format step is a short-lived JVM: a small heap and the C1 compiler only start it faster.
FORMAT_JVM_OPTIONS = ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true"]

Log = Callable[[str], None]

# Brokers this process started and still owns: stopped at interpreter exit, so an interrupted test
# run does not leave JVMs behind. (A CLI-started broker is released from this set on purpose.)
_OWNED: weakref.WeakSet[EmbeddedBroker] = weakref.WeakSet()


@atexit.register
def _stop_owned_brokers() -> None:
    for broker in list(_OWNED):
        try:
            broker.stop(timeout_s=10.0)
        except Exception:  # best effort at exit
            pass


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class BrokerStartError(BrokerSetupError):
    """The broker process failed or did not become ready; the message carries its log tail."""


class EmbeddedBroker:
    """One local Kafka broker.

    >>> with EmbeddedBroker() as broker:      # doctest: +SKIP
    ...     produce_to(broker.bootstrap)

    ``start()`` returns the bootstrap address once clients can connect. ``stop()`` ends the process and
    keeps the data dir, so ``start()`` again comes back on the same ports with the same topics.
    ``close()`` (and leaving the ``with`` block) also deletes the data dir when this object created it.
    """

    def __init__(self, config: BrokerConfig | None = None, distribution: KafkaDistribution | None = None, log: Log | None = None):
        self.config = config or BrokerConfig()
        self._distribution = distribution
        self._log = log or _stderr
        self._owns_data_dir = self.config.data_dir is None
        if self.config.data_dir is None:
            self.config.data_dir = Path(tempfile.mkdtemp(prefix="article-stream-kafka-"))
        self.data_dir = Path(self.config.data_dir).resolve()
        self.process: subprocess.Popen | None = None

    # --- paths ---------------------------------------------------------------------------------
    @property
    def properties_path(self) -> Path:
        return self.data_dir / SERVER_PROPERTIES

    @property
    def server_log(self) -> Path:
        return self.data_dir / LOGS_DIR / SERVER_LOG

    @property
    def console_log(self) -> Path:
        return self.data_dir / LOGS_DIR / CONSOLE_LOG

    @property
    def bootstrap(self) -> str:
        return self.config.bootstrap

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> str:
        """Start the broker (no-op when already running) and return ``127.0.0.1:PORT`` once it serves clients."""
        if self.is_running():
            return self.bootstrap
        java = require_tool("java", "run the Kafka broker")
        dist = self._distribution or ensure_kafka(log=self._log)
        self._distribution = dist
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / LOGS_DIR).mkdir(exist_ok=True)
        cluster_id = self._restore_identity()
        self.config.with_free_ports()
        self._write_files(cluster_id)
        if not (self.data_dir / KAFKA_LOG_DIR / "meta.properties").is_file():
            self._format_storage(java, dist, cluster_id)
        self._log(f"starting Kafka {dist.version} on {self.bootstrap} (data dir {self.data_dir}) ...")
        started = time.monotonic()
        self._spawn(java, dist)
        ready = run_coroutine_blocking(self._wait_ready())
        if not ready:
            exit_code = self.process.poll() if self.process else None
            reason = f"exited with code {exit_code}" if exit_code is not None else f"not ready after {self.config.start_timeout_s:.0f}s"
            self._kill()
            raise BrokerStartError(f"Kafka broker {reason} (data dir {self.data_dir}).\n{self.log_tail()}")
        self._log(f"Kafka ready on {self.bootstrap} in {time.monotonic() - started:.1f}s (pid {self.pid})")
        return self.bootstrap

    def detach(self) -> int | None:
        """Let the running broker outlive this process (the CLI's ``start``); returns its pid."""
        pid = self.pid
        self.process = None
        _OWNED.discard(self)
        return pid

    async def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.config.start_timeout_s
        if not await wait_until_ready(self.bootstrap, self.config.start_timeout_s, still_alive=self.is_running):
            return False
        return await wait_for_group_coordinator(self.bootstrap, max(deadline - time.monotonic(), 1.0))

    def stop(self, timeout_s: float | None = None) -> None:
        """SIGTERM (a controlled shutdown), then SIGKILL after ``timeout_s``. Keeps the data dir."""
        if self.process is None:
            return
        terminate(self.process.pid, timeout_s if timeout_s is not None else self.config.stop_timeout_s, popen=self.process)
        self.process = None
        _OWNED.discard(self)

    def kill(self) -> None:
        """SIGKILL at once: a crash, for fault tests (no controlled shutdown, data dir kept)."""
        if self.process is None:
            return
        terminate(self.process.pid, 0.0, popen=self.process, first_signal=signal.SIGKILL)
        self.process = None
        _OWNED.discard(self)

    def suspend(self) -> None:
        """SIGSTOP: the broker hangs with its sockets open (clients see timeouts, not refusals)."""
        if self.is_running():
            os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self.is_running():
            os.kill(self.process.pid, signal.SIGCONT)

    def restart(self) -> str:
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop, and delete the data dir if this object made it."""
        self.stop()
        if self._owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    async def start_async(self) -> str:
        """``start()`` off the event loop, for async callers (e.g. a test that restarts mid-stream)."""
        return await asyncio.to_thread(self.start)

    async def stop_async(self, timeout_s: float | None = None) -> None:
        await asyncio.to_thread(self.stop, timeout_s)

    def __enter__(self) -> EmbeddedBroker:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for path in (self.server_log, self.console_log):
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
                if text:
                    parts.append(f"--- last lines of {path} ---\n" + "\n".join(text))
        return "\n".join(parts) or f"(no broker log in {self.data_dir / LOGS_DIR})"

    # --- internals -----------------------------------------------------------------------------
    def _restore_identity(self) -> str:
        """Reuse the ports and cluster id of an earlier start on this data dir (unless set explicitly)."""
        meta_path = self.data_dir / BROKER_META
        if not meta_path.is_file():
            return new_cluster_id()
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if self.config.port == 0:
            self.config.port = int(meta.get("port", 0))
        if self.config.controller_port == 0:
            self.config.controller_port = int(meta.get("controller_port", 0))
        return meta.get("cluster_id") or new_cluster_id()

    def _write_files(self, cluster_id: str) -> None:
        props = server_properties(self.config, self.data_dir / KAFKA_LOG_DIR)
        self.properties_path.write_text(render_properties(props), encoding="utf-8")
        (self.data_dir / LOG4J_CONFIG).write_text(data_file(LOG4J_CONFIG), encoding="utf-8")
        meta = {"cluster_id": cluster_id, "port": self.config.port, "controller_port": self.config.controller_port}
        (self.data_dir / BROKER_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    def _logging_options(self) -> list[str]:
        return [
            f"-Dlog4j2.configurationFile={self.data_dir / LOG4J_CONFIG}",
            f"-Dkafka.logs.dir={self.data_dir / LOGS_DIR}",
        ]

    def _format_storage(self, java: str, dist: KafkaDistribution, cluster_id: str) -> None:
        command = [
            java, *FORMAT_JVM_OPTIONS, *self._logging_options(), "-cp", dist.classpath,
            STORAGE_TOOL_CLASS, "format", "--cluster-id", cluster_id, "--config", str(self.properties_path),
        ]  # fmt: skip
        if self.config.scram_users:
            command += scram_format_arguments(self.config.scram_users, self.config.scram_mechanisms)
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            output = (result.stdout + result.stderr).strip()
            for password in self.config.scram_users.values():  # never echo a credential into an error
                output = output.replace(password, "***")
            raise BrokerStartError(f"formatting Kafka storage in {self.data_dir} failed (exit {result.returncode}):\n{output}")

    def _spawn(self, java: str, dist: KafkaDistribution) -> None:
        command = [
            java, f"-Xmx{self.config.heap_max}", f"-Xms{self.config.heap_initial}", *JVM_DEFAULTS,
            *self.config.jvm_options, *self._logging_options(), "-cp", dist.classpath,
            BROKER_MAIN_CLASS, str(self.properties_path),
        ]  # fmt: skip
        with open(self.console_log, "ab") as console:
            # A new session: the broker outlives a CLI that started it and gets no terminal signals.
            self.process = subprocess.Popen(
                command, cwd=self.data_dir, stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
                start_new_session=True, close_fds=True,
            )  # fmt: skip
        _OWNED.add(self)

    def _kill(self) -> None:
        if self.process is not None:
            terminate(self.process.pid, 5.0, popen=self.process)
            self.process = None
            _OWNED.discard(self)


# --- processes by pid (the CLI stops a broker another invocation started) ----------------------------
def pid_alive(pid: int) -> bool:
    """True while ``pid`` is a live (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        # A dead child that nobody has reaped yet still answers kill(0); its state letter is Z.
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return True


def is_broker_process(pid: int, properties_path: Path | str) -> bool:
    """True when ``pid`` is alive and is the Kafka broker started with ``properties_path``
    (guards against signalling an unrelated process that reused the pid)."""
    if not pid_alive(pid):
        return False
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    decoded = [arg.decode("utf-8", "replace") for arg in args]
    return BROKER_MAIN_CLASS in decoded and str(properties_path) in decoded


def terminate(pid: int, timeout_s: float, popen: subprocess.Popen | None = None, first_signal: signal.Signals = signal.SIGTERM) -> None:
    """SIGTERM, wait up to ``timeout_s``, then SIGKILL; returns once the process is gone."""
    # A stopped (SIGSTOP) process would never act on SIGTERM: let it run first.
    _signal(pid, signal.SIGCONT)
    if not _signal(pid, first_signal):
        _reap(popen)
        return
    if _wait_gone(pid, timeout_s, popen):
        return
    _signal(pid, signal.SIGKILL)
    if not _wait_gone(pid, 10.0, popen):
        raise BrokerSetupError(f"Kafka broker pid {pid} survived SIGKILL")


def _signal(pid: int, sig: signal.Signals) -> bool:
    try:
        os.kill(pid, sig)
        return True
    except ProcessLookupError:
        return False


def _wait_gone(pid: int, timeout_s: float, popen: subprocess.Popen | None) -> bool:
    if popen is not None:
        try:
            popen.wait(timeout=timeout_s)
            return True
        except subprocess.TimeoutExpired:
            return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.1)
    return not pid_alive(pid)


def _reap(popen: subprocess.Popen | None) -> None:
    if popen is not None:
        try:
            popen.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass


def run_coroutine_blocking(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run ``coro`` to completion from sync code, also when called inside a running event loop
    (then on a helper thread with its own loop, so the caller's loop is not re-entered)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    result: dict[str, Any] = {}

    def runner() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as error:  # re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=runner, name="kafka-ready-probe", daemon=True)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")
