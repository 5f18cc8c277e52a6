"""RawArticle: what publishers send to ``articles.raw``."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Limits on fields other than body/html (whose limit is configurable): anything beyond these is not
# an article but an accident or an attack, and is dead-lettered as ``field_too_large``.
MAX_TITLE_CHARS = 2_000
MAX_URL_CHARS = 8_192
MAX_SHORT_CHARS = 512
MAX_LIST_ITEMS = 200
MAX_EXTRA_KEYS = 200
MAX_EXTRA_BYTES = 64 * 1024  # the serialized ``extra`` an enriched article carries along


def bounded_extra(extra: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """``extra`` as the enriched article carries it, and a warning when some of it had to go: keys
    are kept in order while the JSON of what is kept stays within ``MAX_EXTRA_BYTES``."""
    if not extra:
        return {}, None
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    size = 2
    for key, value in extra.items():
        try:
            cost = len(orjson.dumps({key: value})) - 1
        except (TypeError, orjson.JSONEncodeError):
            cost = MAX_EXTRA_BYTES + 1
        if size + cost > MAX_EXTRA_BYTES:
            dropped.append(key)
            continue
        kept[key] = value
        size += cost
    if not dropped:
        return kept, None
    names = ", ".join(k[:64] for k in dropped[:10]) + (f" (+{len(dropped) - 10} more)" if len(dropped) > 10 else "")
    return kept, f"extra fields dropped, over {MAX_EXTRA_BYTES} bytes: {names}"


def _split_list(value: Any) -> Any:
    """Publishers send lists as strings often enough ("A, B"); accept both."""
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace(";", ",").split(",")]
        return [p for p in parts if p]
    return value


class RawArticle(BaseModel):
    """One article as a publisher sends it. Only ``body`` or ``html`` is required.

    A top-level field the contract does not name is not dropped: it is kept under ``extra`` (a key
    already in ``extra`` wins), counted in its limit of keys, and carried to the enriched article."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=False, title="RawArticle")

    id: str | None = Field(None, max_length=MAX_SHORT_CHARS, description="Publisher's id; derived when absent.")
    url: str | None = Field(None, max_length=MAX_URL_CHARS, description="Article URL as published.")
    source: str | None = Field(None, max_length=MAX_SHORT_CHARS, description="Publisher or feed name.")
    title: str | None = Field(None, max_length=MAX_TITLE_CHARS)
    body: str | None = Field(None, description="Plain or scraped page text.")
    html: str | None = Field(None, description="Raw HTML of the page.")
    published_at: str | int | float | None = Field(
        None, description="Any common date format, with or without zone; numbers are Unix seconds."
    )
    language: str | None = Field(None, max_length=32, description="Publisher's language code, if known.")
    authors: list[str] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    section: str | None = Field(None, max_length=MAX_SHORT_CHARS)
    tags: list[str] = Field(default_factory=list, max_length=MAX_LIST_ITEMS, description="Publisher keywords.")
    extra: dict[str, Any] = Field(default_factory=dict, description="Free-form publisher metadata.")

    @model_validator(mode="before")
    @classmethod
    def _unknown_into_extra(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        unknown = [key for key in data if key not in cls.model_fields]
        if not unknown or not isinstance(data.get("extra", {}), dict):
            return data  # a non-object ``extra`` is a schema violation, reported as such
        data = dict(data)
        extra = dict(data.get("extra") or {})
        for key in unknown:
            value = data.pop(key)
            extra.setdefault(key, value)
        data["extra"] = extra
        return data

    @field_validator("authors", "tags", mode="before")
    @classmethod
    def _lists_from_strings(cls, value: Any) -> Any:
        return _split_list(value) if value is not None else []

    @field_validator("authors", "tags")
    @classmethod
    def _short_items(cls, value: list[str]) -> list[str]:
        for item in value:
            if len(item) > MAX_SHORT_CHARS:
                raise ValueError(f"list item longer than {MAX_SHORT_CHARS} characters")
        return value

    @field_validator("extra")
    @classmethod
    def _bounded_extra(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_EXTRA_KEYS:
            raise ValueError(f"extra has more than {MAX_EXTRA_KEYS} keys")
        return value

    @model_validator(mode="after")
    def _has_content(self) -> RawArticle:
        if not (self.body and self.body.strip()) and not (self.html and self.html.strip()):
            raise ValueError("missing content: neither body nor html is given")
        return self
