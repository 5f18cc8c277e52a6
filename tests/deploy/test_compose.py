"""docker-compose.yml is valid Compose (checked by docker-compose itself; no engine needed)."""

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_validates():
    tool = shutil.which("docker-compose")
    assert tool, "docker-compose is missing: `make test` installs it (Debian package docker-compose)"
    result = subprocess.run([tool, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr


def test_compose_runs_official_kafka_in_kraft_mode_and_the_worker():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
    worker = services["worker"]
    assert worker["environment"]["ARTICLE_STREAM_BROKER"].startswith("kafka:")
    assert (ROOT / worker["build"]["dockerfile"]).exists()
