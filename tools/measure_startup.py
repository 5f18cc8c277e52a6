"""Measure how long ``article-stream broker start`` takes: cold (empty jar cache), warm, and a restart on
the same data dir; and how big the jar cache is.

    python tools/measure_startup.py [--empty-maven-repo] [--runs N]

Cold runs use a fresh ``ARTICLE_STREAM_KAFKA_HOME``; with ``--empty-maven-repo`` Maven also starts from an
empty local repository (every jar downloaded from Maven Central), otherwise from ``~/.m2`` as it is.
Each run goes through the real CLI in a subprocess, so Python start-up is included.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _cli(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "stream", "broker", *args], env=env, capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"`broker {' '.join(args)}` failed:\n{result.stderr}")
    return elapsed, result.stdout.strip()


def _du(path: Path) -> str:
    return subprocess.run(["du", "-sh", str(path)], capture_output=True, text=True).stdout.split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="warm starts to time")
    parser.add_argument("--empty-maven-repo", action="store_true", help="cold run also without ~/.m2")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="article-stream-measure-") as work:
        root = Path(work)
        env = {**os.environ, "ARTICLE_STREAM_KAFKA_HOME": str(root / "kafka-home"), "ARTICLE_STREAM_BROKER_STATE": str(root / "state")}
        if options.empty_maven_repo:
            env["MAVEN_OPTS"] = f"{env.get('MAVEN_OPTS', '')} -Dmaven.repo.local={root / 'm2'}".strip()
        try:
            cold, _ = _cli(env, "start")
            _cli(env, "stop")
            warm = []
            for _ in range(options.runs):
                elapsed, _ = _cli(env, "start")
                warm.append(elapsed)
                _cli(env, "stop")
            data_dir = root / "data"
            _cli(env, "start", "--data-dir", str(data_dir))
            _cli(env, "stop")
            restart, _ = _cli(env, "start", "--data-dir", str(data_dir))
            _cli(env, "stop")
            cache = _du(root / "kafka-home" / "lib")
        finally:
            subprocess.run([sys.executable, "-m", "stream", "broker", "stop"], env=env, capture_output=True)
            shutil.rmtree(root / "m2", ignore_errors=True)
    maven = "empty Maven repo" if options.empty_maven_repo else "~/.m2 as it is"
    print(f"cold start (empty jar cache, {maven}): {cold:.1f}s")
    print(f"warm start: median {statistics.median(warm):.1f}s over {len(warm)} (min {min(warm):.1f}s, max {max(warm):.1f}s)")
    print(f"restart on an existing data dir: {restart:.1f}s")
    print(f"jar cache size (du -sh lib): {cache}")


if __name__ == "__main__":
    main()
