"""Fetch the Apache Kafka broker's jars from Maven Central into a cache outside the repo, once.

No Kafka tarball is downloaded: Maven resolves ``org.apache.kafka:kafka_2.13`` and its runtime
dependencies, and maven-dependency-plugin ``copy-dependencies`` copies them into ``<home>/lib``.
A marker file is written last, so an interrupted fetch is redone on the next call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

KAFKA_VERSION = "4.1.1"
SCALA_VERSION = "2.13"
# Matches the log4j-api/core versions kafka_2.13 4.1.1's POM resolves to.
LOG4J_VERSION = "2.24.3"
DEPENDENCY_PLUGIN_VERSION = "3.8.1"

KAFKA_HOME_ENV = "ARTICLE_STREAM_KAFKA_HOME"
COMPLETE_MARKER = ".complete"
BROKER_MAIN_JAR_PREFIX = f"kafka_{SCALA_VERSION}-"


class BrokerSetupError(RuntimeError):
    """The broker cannot be installed or started; the message says what to do."""


@dataclass(frozen=True)
class KafkaDistribution:
    home: Path
    version: str = KAFKA_VERSION

    @property
    def lib_dir(self) -> Path:
        return self.home / "lib"

    @property
    def classpath(self) -> str:
        # The JVM expands a trailing "*" to every jar in the folder.
        return str(self.lib_dir / "*")

    @property
    def marker(self) -> Path:
        return self.home / COMPLETE_MARKER

    def is_complete(self) -> bool:
        return self.marker.is_file() and any(self.lib_dir.glob(f"{BROKER_MAIN_JAR_PREFIX}{self.version}.jar"))


def default_kafka_home(version: str = KAFKA_VERSION) -> Path:
    override = os.environ.get(KAFKA_HOME_ENV)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".cache" / "article-stream" / f"kafka-{version}"


def data_file(name: str) -> str:
    return resources.files("stream.broker").joinpath("data", name).read_text(encoding="utf-8")


def data_file_path(name: str) -> Path:
    return Path(str(resources.files("stream.broker").joinpath("data", name)))


def render_pom(lib_dir: Path, kafka_version: str = KAFKA_VERSION) -> str:
    return Template(data_file("kafka-libs-pom.xml")).substitute(
        kafka_version=kafka_version,
        scala_version=SCALA_VERSION,
        log4j_version=LOG4J_VERSION,
        dependency_plugin_version=DEPENDENCY_PLUGIN_VERSION,
        lib_dir=str(lib_dir),
    )


def require_tool(name: str, purpose: str) -> str:
    path = shutil.which(name)
    if path is None:
        hint = {
            "java": "install a Java 17+ runtime, e.g. `apt-get install openjdk-17-jre-headless`",
            "mvn": "install Apache Maven, e.g. `apt-get install maven`",
        }.get(name, f"install {name}")
        raise BrokerSetupError(f"`{name}` was not found on PATH; it is needed to {purpose}: {hint}.")
    return path


def ensure_kafka(home: Path | None = None, version: str = KAFKA_VERSION, log=None) -> KafkaDistribution:
    """Return the cached distribution, fetching its jars with Maven first when the cache is not complete."""
    dist = KafkaDistribution(home=(home or default_kafka_home(version)), version=version)
    if dist.is_complete():
        return dist
    mvn = require_tool("mvn", f"fetch the Kafka {version} broker jars")
    log = log or _stderr
    log(f"fetching Kafka {version} jars into {dist.lib_dir} (once) ...")
    dist.home.mkdir(parents=True, exist_ok=True)
    # A half-done earlier fetch may have left a partial lib dir: start over cleanly.
    dist.marker.unlink(missing_ok=True)
    if dist.lib_dir.exists():
        shutil.rmtree(dist.lib_dir)
    with tempfile.TemporaryDirectory(prefix="article-stream-kafka-pom-") as work:
        pom = Path(work) / "pom.xml"
        pom.write_text(render_pom(dist.lib_dir, version), encoding="utf-8")
        result = subprocess.run(
            [mvn, "-B", "-q", "-f", str(pom), "package"],
            cwd=work,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
        raise BrokerSetupError(f"Maven could not fetch Kafka {version} (exit {result.returncode}):\n{tail}")
    if not any(dist.lib_dir.glob(f"{BROKER_MAIN_JAR_PREFIX}{version}.jar")):
        raise BrokerSetupError(f"Maven finished but {dist.lib_dir} has no {BROKER_MAIN_JAR_PREFIX}{version}.jar")
    dist.marker.write_text(f"kafka {version}\n", encoding="utf-8")
    log(f"Kafka {version} jars cached in {dist.lib_dir}")
    return dist


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
