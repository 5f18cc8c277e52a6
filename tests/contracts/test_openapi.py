"""The HTTP API's OpenAPI document: valid OpenAPI 3.1, committed as generated, and its parameter rules."""

from __future__ import annotations

import orjson
import pytest
from multidict import MultiDict
from openapi_spec_validator import validate

from stream.contracts.api import LIMITS, OPENAPI_PATH, ROUTES, BadRequest, openapi, openapi_drift, render, write_openapi


def test_document_is_valid_openapi_3_1() -> None:
    document = openapi()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) == {route.path for route in ROUTES.values()}


def test_committed_document_matches_the_declarations(tmp_path) -> None:
    assert not openapi_drift(), "run `article-stream schemas` and commit schemas/openapi.json"
    validate(orjson.loads(OPENAPI_PATH.read_bytes()))
    path = write_openapi(tmp_path / "openapi.json")
    assert not openapi_drift(path)
    path.write_bytes(render().replace(b'"maximum": 200', b'"maximum": 201'))
    assert openapi_drift(path)


def test_every_list_route_documents_its_paging() -> None:
    document = openapi()
    for key in ("stories", "tag_recent", "page_stories", "page_story"):
        params = {p["name"]: p for p in document["paths"][ROUTES[key].path]["get"]["parameters"]}
        default, maximum = LIMITS[key]
        assert params["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}
        assert "cursor" in params


@pytest.mark.parametrize("raw", ["abc", "1e3", "1.5", "", "-5", " 5", "9" * 5000, "0x10", "５"])
def test_a_malformed_limit_is_refused(raw: str) -> None:
    with pytest.raises(BadRequest, match="limit"):
        ROUTES["stories"].parse(MultiDict(limit=raw))


def test_limits_are_clamped_to_the_documented_range() -> None:
    route = ROUTES["stories"]
    assert route.parse(MultiDict())["limit"] == LIMITS["stories"][0]
    assert route.parse(MultiDict(limit="0"))["limit"] == 1
    assert route.parse(MultiDict(limit="999999"))["limit"] == LIMITS["stories"][1]


def test_unknown_repeated_and_malformed_parameters_are_refused() -> None:
    with pytest.raises(BadRequest, match="unknown parameter"):
        ROUTES["stories"].parse(MultiDict(limt="5"))
    with pytest.raises(BadRequest, match="more than once"):
        ROUTES["stories"].parse(MultiDict([("limit", "5"), ("limit", "6")]))
    with pytest.raises(BadRequest, match="cursor"):
        ROUTES["stories"].parse(MultiDict(cursor="not-a-cursor"))
    with pytest.raises(BadRequest, match="since"):
        ROUTES["page_stories"].parse(MultiDict(since="yesterday"))
    with pytest.raises(BadRequest, match="tag"):
        ROUTES["page_stories"].parse(MultiDict(tag="a\x00b"))
    assert ROUTES["page_stories"].parse(MultiDict(since="2025-01-14T09:00:00+09:00"))["since"] == "2025-01-14T00:00:00Z"
