"""Structured logging: JSON lines with the article id and stage, or readable text."""

from __future__ import annotations

import io
import logging
import logging.config
import sys

import orjson
import pytest

from stream.logs import JsonFormatter, TextFormatter, logging_config


def _record(message: str = "dead letter %s", args: tuple = ("invalid_json",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("article_stream.worker", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_json_line_has_the_fields_and_the_context_passed_with_extra():
    line = JsonFormatter().format(_record(article_id="a1b2", stage="normalize"))
    assert "\n" not in line
    entry = orjson.loads(line)
    assert entry["level"] == "WARNING"
    assert entry["logger"] == "article_stream.worker"
    assert entry["message"] == "dead letter invalid_json"
    assert entry["article_id"] == "a1b2" and entry["stage"] == "normalize"
    assert entry["time"].endswith("Z") and entry["time"][:4].isdigit()


def test_json_line_leaves_out_absent_context_and_carries_exceptions():
    try:
        raise ValueError("boom")
    except ValueError:
        record = _record(message="failed", args=())
        record.exc_info = sys.exc_info()
    entry = orjson.loads(JsonFormatter().format(record))
    assert "article_id" not in entry and "stage" not in entry
    assert "ValueError: boom" in entry["exception"]


def test_text_line_appends_context():
    line = TextFormatter().format(_record(article_id="a1b2", stage="tag"))
    assert line.endswith("dead letter invalid_json [article_id=a1b2 stage=tag]")
    assert "[" not in TextFormatter().format(_record())


def test_config_routes_the_root_logger_through_the_chosen_formatter(monkeypatch):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        logging.config.dictConfig(logging_config("json", "info"))
        logging.getLogger("article_stream.test").info("hello", extra={"article_id": "x9", "stage": "emit"})
        logging.getLogger("article_stream.test").debug("below the level")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert orjson.loads(lines[0])["article_id"] == "x9"


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        logging_config("xml")
