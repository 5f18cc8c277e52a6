"""DeadLetter: an input that could not be processed, with its original bytes and the reason."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ErrorCode(str, Enum):
    undecodable_bytes = "undecodable_bytes"  # not UTF-8
    invalid_json = "invalid_json"
    not_an_object = "not_an_object"  # valid JSON, but not a JSON object
    schema_violation = "schema_violation"  # wrong types or shapes
    missing_content = "missing_content"  # neither body nor html
    body_too_large = "body_too_large"
    field_too_large = "field_too_large"  # absurd sizes: title, lists, extra, message
    processing_error = "processing_error"  # a pipeline stage raised: a bug, kept with its input
    produce_failed = "produce_failed"  # downstream kept refusing the record
    processing_budget_exceeded = "processing_budget_exceeded"  # validate/normalize/tag used more CPU than allowed


class DeadLetter(BaseModel):
    model_config = ConfigDict(title="DeadLetter")

    error_code: ErrorCode
    reason: str = Field(description="Human-readable explanation.")
    stage: str = Field("validate", description="Pipeline stage that rejected the input.")
    original_value: str = Field(description="The input's bytes: UTF-8 text, or base64 when not UTF-8.")
    original_encoding: Literal["utf-8", "base64"] = "utf-8"
    original_key: str | None = None
    original_topic: str | None = None
    original_partition: int | None = None
    original_offset: int | None = None
    original_timestamp: str | None = None
    failed_at: str
    schema_version: int = 1
