"""Everything on the worker's HTTP port: probes and metrics (``probes``), the JSON look-ups and the
newsroom page with its live events (``routes``), all declared in ``stream.contracts.api`` (the OpenAPI document is
generated from it) and served by ``server``'s hardened aiohttp driver.

Nothing is registered at import: ``stream.worker.app.create_app`` calls :func:`register_web`."""

from __future__ import annotations

from typing import Any


def register_web(app: Any, services: Any) -> None:
    """The probes, the sensor and every view, on ``app``."""
    from stream.worker.web.probes import register_probes
    from stream.worker.web.routes import register_routes

    progress = register_probes(app, services.metrics, services.settings)
    register_routes(app, services, progress)
