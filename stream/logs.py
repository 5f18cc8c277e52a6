"""Logging set-up: readable text for people, or JSON lines for log collectors.

``ARTICLE_STREAM_LOG_FORMAT=json`` gives one JSON object a line with ``time``, ``level``, ``logger``,
``message`` and, when the call passed them with ``extra=``, ``article_id`` and ``stage`` (and any
other context fields listed in ``CONTEXT_FIELDS``)::

    log.warning("dead letter", extra={"article_id": "a1", "stage": "normalize", "error_code": "missing_content"})

The Faust worker takes the dictionary from ``logging_config`` (see ``stream.cli.run.worker``).
"""

from __future__ import annotations

import logging
import logging.config
from datetime import UTC, datetime
from typing import Any

import orjson

FORMATS = ("text", "json")
# Context a call may pass with ``extra=``; copied to the JSON object when present.
CONTEXT_FIELDS = ("article_id", "stage", "error_code", "topic", "partition", "offset", "story_id")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s%(context)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """The usual one-line text, with the context fields appended as ``key=value``."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        pairs = [f"{name}={getattr(record, name)}" for name in CONTEXT_FIELDS if getattr(record, name, None) is not None]
        record.context = (" [" + " ".join(pairs) + "]") if pairs else ""
        return super().format(record)


def logging_config(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dictionary: one stderr handler on the root logger."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {FORMATS}, not {log_format!r}")
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": formatter}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"},
        },
        "root": {"level": level.upper(), "handlers": ["default"]},
    }


def configure_logging(log_format: str = "text", level: str = "INFO") -> None:
    """Set up logging for a process that is not the Faust worker (the worker passes the dict to Faust)."""
    logging.config.dictConfig(logging_config(log_format, level))
