"""The Faust worker: ``app`` (wiring), ``agents`` (one per stage), ``web`` (HTTP endpoints)."""

from stream.worker import agents, web  # noqa: F401  (registers agents and views on the app)
from stream.worker.app import app

__all__ = ["app"]
