"""The committed JSON Schemas are what the models generate, and real messages validate against them."""

import json

import jsonschema
import pytest

from stream.contracts import DeadLetter, ErrorCode, RawArticle
from stream.contracts.schemas import SCHEMA_DIR, drift, render, write
from stream.contracts.topics import MESSAGE_TYPES, headers_for


def test_committed_schemas_match_models():
    assert drift() == [], "run `article-stream schemas` and commit the result"


def test_drift_is_detected(tmp_path):
    write(tmp_path)
    assert drift(tmp_path) == []
    (tmp_path / "article.enriched.v1.json").write_text("{}")
    (tmp_path / "story.update.v1.json").unlink()
    assert sorted(drift(tmp_path)) == ["article.enriched.v1", "story.update.v1"]


@pytest.mark.parametrize("name", sorted(MESSAGE_TYPES))
def test_schema_files_are_valid_json_schema(name):
    schema = json.loads((SCHEMA_DIR / f"{name}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(name)


def test_raw_article_examples_against_schema():
    schema = json.loads(render("article.raw.v1"))
    good = RawArticle(body="text", tags=["a"], published_at="2024-12-05 11:27").model_dump(mode="json")
    jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"body": "x", "authors": 5}, schema)


def test_dead_letter_round_trip_against_schema():
    letter = DeadLetter(error_code=ErrorCode.invalid_json, reason="bad", original_value="{", failed_at="2024-01-01T00:00:00Z")
    jsonschema.validate(letter.model_dump(mode="json"), json.loads(render("article.deadletter.v1")))


def test_headers_are_cloudevents_binary_mode():
    headers = dict(headers_for(RawArticle, event_id="abc:1", time="2024-12-05T02:27:00Z"))
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_id"] == b"abc:1"
    assert headers["ce_type"] == b"io.article-stream.article.raw.v1"
    assert headers["ce_time"] == b"2024-12-05T02:27:00Z"
    assert headers["content-type"].startswith(b"application/json")
    assert set(headers) >= {"ce_source", "ce_dataschema"}
