"""JSON Schema files in ``schemas/``, generated from the models: ``article-stream schemas``."""

from __future__ import annotations

import json
from pathlib import Path

from stream.contracts.topics import MESSAGE_TYPES

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def render(name: str) -> str:
    schema = MESSAGE_TYPES[name].model_json_schema(mode="serialization")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"urn:article-stream:schema:{name}", **schema}
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name in MESSAGE_TYPES:
        path = directory / f"{name}.json"
        path.write_text(render(name), encoding="utf-8")
        written.append(path)
    return written


def drift(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of schema files that are missing or differ from what the models generate."""
    return [
        name
        for name in MESSAGE_TYPES
        if not (directory / f"{name}.json").exists() or (directory / f"{name}.json").read_text(encoding="utf-8") != render(name)
    ]
