"""Canonical URLs: one spelling per article page, so the id derived from it is stable.

Rules: scheme and host lower-cased (IDNA host kept as given but lower-cased), default ports (80 for
http, 443 for https) and user info removed, empty path -> ``/``, dot segments resolved, percent
escapes upper-cased, tracking parameters (``data/tracking_params.json``: ``utm_*``, ``fbclid``,
``gclid``, ``mc_cid``, ...) dropped, the remaining query sorted (stable for equal keys), fragment
dropped. Anything that is not an absolute http(s) URL is returned as ``None``.
"""

from __future__ import annotations

import json
import posixpath
import re
from functools import lru_cache
from importlib import resources
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
# Characters left unescaped in a path: RFC 3986 unreserved and sub-delims, plus existing escapes.
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


@lru_cache(maxsize=1)
def _tracking() -> tuple[frozenset[str], tuple[str, ...]]:
    path = resources.files("stream.core.normalize") / "data" / "tracking_params.json"
    data = json.loads(path.read_text("utf-8"))
    return frozenset(n.lower() for n in data["names"]), tuple(p.lower() for p in data["prefixes"])


def is_tracking_param(name: str) -> bool:
    names, prefixes = _tracking()
    lowered = name.lower()
    return lowered in names or lowered.startswith(prefixes)


# Already canonical (the common case): http(s), lower-case host without port or user, a path of
# characters that need no escaping and no dot segments, no query, no fragment. Returned as is.
_PLAIN = re.compile(
    r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*"
    r"(?:/(?:[A-Za-z0-9_~!$&'()*+,;=:@-][A-Za-z0-9_.~!$&'()*+,;=:@-]*)?)+\Z"
)


def canonical_url(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if _PLAIN.match(url):
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"

    path = parts.path or "/"
    if "/." in path:
        trailing = path.endswith("/")
        path = posixpath.normpath(path)
        if path.startswith("//"):
            path = "/" + path.lstrip("/")
        if trailing and not path.endswith("/"):
            path += "/"
    path = quote(path, safe=_PATH_SAFE)
    path = _PERCENT.sub(lambda m: m.group(0).upper(), path)

    query = ""
    if parts.query:
        pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
        pairs.sort(key=lambda kv: kv[0])
        query = urlencode(pairs, doseq=False)
    return urlunsplit((scheme, netloc, path, query, ""))
