"""The worker's web server: Faust's aiohttp driver with only our routes, JSON errors, security headers
and a connection timeout. Imports nothing of the app (the app makes its web driver from here)."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from aiohttp import web
from aiohttp.web_runner import AppRunner
from faust.web.drivers.aiohttp import Web as AiohttpWeb

from stream.contracts.api import BadRequest

log = logging.getLogger("article_stream.worker")

# The page's own files only: no inline script or style, no other origin, not framed.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SHUTDOWN_TIMEOUT_SECONDS = 2.0

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def json_error(status: int, message: str) -> web.Response:
    return web.Response(
        body=orjson.dumps({"error": message, "status": status}), status=status, content_type="application/json"
    )


@web.middleware
async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every answer is one of ours: a refused parameter is a 400, a route or method that does not exist
    a JSON 404/405, a failure a JSON 500 (logged) - never a traceback page."""
    try:
        response = await handler(request)
    except BadRequest as exc:
        response = json_error(400, str(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = json_error(exc.status, exc.reason or "error")
        if exc.status == 405 and "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
    except Exception:
        log.exception("HTTP %s %s failed", request.method, request.rel_url.path[:200])
        response = json_error(500, "internal error (logged by the worker)")
    if not response.prepared:  # a stream (/events) sets its headers itself
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


class Web(AiohttpWeb):
    """No production index at ``/`` (the page is there); Faust's ``/router`` and ``/table`` views follow
    the app's ``web_router_enabled`` / ``web_tables_enabled`` (``ARTICLE_STREAM_WEB_DEBUG``)."""

    production_blueprints = ()

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.web_app.middlewares.append(guard)
        # aiohttp closes a connection whose request is not complete within keepalive_timeout, from
        # the first byte on, and idle keep-alive connections after it; its default is an hour. A
        # response in progress (an /events stream) is not affected.
        # Stopping waits this long at most for requests in progress (aiohttp's default is a minute);
        # open /events streams are ended first (``routes.end_event_streams``).
        self._runner = AppRunner(
            self.web_app, access_log=None, keepalive_timeout=app.services.settings.web_idle_timeout_seconds,
            handler_cancellation=True, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
        )
