"""Everything on the worker's HTTP port: probes and metrics (``probes``), the JSON look-ups and the
newsroom page with its live events (``routes``), all declared in ``stream.contracts.api`` (the OpenAPI document is
generated from it) and served by ``server``'s hardened aiohttp driver."""

from stream.worker.web import routes  # noqa: F401  (registers the views on the app)
