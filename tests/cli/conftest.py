"""Helpers for the CLI tests: run `article-stream` in-process with a controlled environment."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable

import pytest
from typer.testing import CliRunner, Result

from stream.cli.main import app

Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    """``invoke(["produce", ...], env={...}, input=...)``: the CLI with only the given ARTICLE_STREAM_* variables."""
    runner = CliRunner()

    def _invoke(args: list[str], env: dict[str, str] | None = None, input: str | bytes | None = None) -> Result:
        cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith("ARTICLE_STREAM_")}
        return runner.invoke(app, args, env={**cleared, **(env or {})}, input=input, catch_exceptions=False)

    return _invoke


@pytest.fixture
def service_env(kafka_bootstrap: str) -> dict[str, str]:
    """Environment of a fresh deployment: the session broker and topic names no other test uses."""
    prefix = f"cli-{uuid.uuid4().hex[:8]}"
    return {
        "ARTICLE_STREAM_BROKER": kafka_bootstrap,
        "ARTICLE_STREAM_APP_ID": prefix,
        "ARTICLE_STREAM_TOPIC_RAW": f"{prefix}.raw",
        "ARTICLE_STREAM_TOPIC_ENRICHED": f"{prefix}.enriched",
        "ARTICLE_STREAM_TOPIC_STORIES": f"{prefix}.stories",
        "ARTICLE_STREAM_TOPIC_DLQ": f"{prefix}.dlq",
        "ARTICLE_STREAM_PARTITIONS": "2",
    }
