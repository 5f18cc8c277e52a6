"""Dead letters: the one place that turns a failure into a ``DeadLetter`` and its error code.

A stage that cannot process an input raises; whoever catches it (the pipeline core, the worker's
agents, the CPU budget, the emitter) calls :func:`dead_letter` with the exception. The code follows
from the exception: a rejection names its own (``Rejected``, ``StageError``), a normalization that
kept no text is ``missing_content``, anything else is a bug kept with its input (``processing_error``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from stream.contracts import DeadLetter, ErrorCode
from stream.contracts.topics import iso_utc, utc_now_iso
from stream.core.normalize import NormalizationError
from stream.core.validate import Rejected

REASON_CHARS = 1000  # a reason quoting an exception is cut here


@dataclass(slots=True)
class Origin:
    """Where an input came from, for dead letters (all None offline)."""

    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    timestamp_ms: int | None = None
    key: bytes | None = None


class StageError(Exception):
    """A failure outside the pure stages that has its own code: the CPU budget ran out, the enrich
    process died, the broker kept refusing a record."""

    def __init__(self, code: ErrorCode, reason: str, stage: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.stage = stage


def classify(exc: BaseException) -> tuple[ErrorCode, str, str | None]:
    """The dead-letter code, reason and (when the exception knows it) stage of a failure."""
    if isinstance(exc, (Rejected, StageError)):
        return exc.code, exc.reason, exc.stage
    if isinstance(exc, NormalizationError):  # nothing to keep (e.g. a page of chrome only)
        return ErrorCode.missing_content, str(exc), "normalize"
    # A bug must not stop the stream: keep the input and say where it failed.
    return ErrorCode.processing_error, f"{type(exc).__name__}: {exc}"[:REASON_CHARS], None


def dead_letter(exc: BaseException, value: bytes, stage: str, origin: Origin | None = None) -> DeadLetter:
    """The dead letter for ``value``, which failed in ``stage`` with ``exc``."""
    code, reason, own_stage = classify(exc)
    return dead_letter_for(value, code, reason, own_stage or stage, origin)


def dead_letter_for(value: bytes, code: ErrorCode, reason: str, stage: str, origin: Origin | None) -> DeadLetter:
    origin = origin or Origin()
    try:
        original, encoding = value.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        original, encoding = base64.b64encode(value).decode("ascii"), "base64"
    key = None
    if origin.key is not None:
        key = origin.key.decode("utf-8", errors="backslashreplace")
    stamp = None
    if origin.timestamp_ms is not None:
        stamp = iso_utc(datetime.fromtimestamp(origin.timestamp_ms / 1000, UTC))
    return DeadLetter(
        error_code=code,
        reason=reason,
        stage=stage,
        original_value=original,
        original_encoding=encoding,
        original_key=key,
        original_topic=origin.topic,
        original_partition=origin.partition,
        original_offset=origin.offset,
        original_timestamp=stamp,
        failed_at=utc_now_iso(),
    )
