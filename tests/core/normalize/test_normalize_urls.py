from __future__ import annotations

import pytest

from stream.core.normalize.urls import canonical_url, is_tracking_param


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443/a/b?utm_source=x&b=2&a=1#frag", "https://example.com/a/b?a=1&b=2"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/x?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&utm_medium=rss", "https://example.com/x"),
        ("https://example.com/x?id=7&utm_campaign=a&page=2", "https://example.com/x?id=7&page=2"),
        ("https://user:pw@example.com/x", "https://example.com/x"),
        ("https://example.com/a/./b/../c/", "https://example.com/a/c/"),
        ("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("  https://example.com/x  ", "https://example.com/x"),
    ],
)
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent():
    once = canonical_url("HTTPS://Example.COM:443/a/../b?z=1&utm_x=2&a=3#f")
    assert canonical_url(once) == once


@pytest.mark.parametrize("url", [None, "", "ftp://example.com/x", "/relative/path", "javascript:alert(1)", "https://"])
def test_non_http_urls_are_none(url):
    assert canonical_url(url) is None


def test_tracking_params_from_data_file():
    assert is_tracking_param("utm_whatever")
    assert is_tracking_param("FBCLID")
    assert not is_tracking_param("id")
