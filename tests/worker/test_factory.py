"""The worker is built by ``create_app(settings)``, never at import (issue 19)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stream.config import Settings
from stream.worker.app import create_app

# Imports the worker's modules with an environment that cannot be read (an invalid partition count):
# building Settings would raise. Counts every Settings built, every ARTICLE_STREAM_* variable looked
# up, and the Faust apps alive afterwards.
PROBE = r"""
import gc, json, os, sys
import pydantic_settings

built, looked_up = [], []
original_init = pydantic_settings.BaseSettings.__init__

def counting_init(self, *args, **kwargs):
    built.append(type(self).__name__)
    original_init(self, *args, **kwargs)

pydantic_settings.BaseSettings.__init__ = counting_init

class WatchedEnviron(dict):
    def _note(self, key):
        if isinstance(key, str) and key.startswith("ARTICLE_STREAM_"):
            looked_up.append(key)
    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)
    def get(self, key, default=None):
        self._note(key)
        return super().get(key, default)
    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

os.environ = WatchedEnviron(os.environ)

import stream.worker.agents, stream.worker.app, stream.worker.web, stream.worker.web.routes, stream.worker.web.probes
import stream.worker, stream.budget, stream.core.pipeline
import faust

apps = [o for o in gc.get_objects() if isinstance(o, faust.App)]
print(json.dumps({"settings_built": built, "env_read": looked_up, "apps": len(apps)}))
"""


def test_importing_the_worker_builds_no_app_and_reads_no_environment():
    env = {**os.environ, "ARTICLE_STREAM_PARTITIONS": "not-a-number", "ARTICLE_STREAM_BROKER": "unused.example:9092"}
    run = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert found == {"settings_built": [], "env_read": [], "apps": 0}


def test_the_probe_would_see_an_import_that_reads_the_settings():
    """The probe above is not blind: importing a module that reads the settings fails it."""
    env = {**os.environ, "ARTICLE_STREAM_PARTITIONS": "not-a-number"}
    probe = PROBE.replace("import faust\n", "import faust\nfrom stream.config import get_settings\ntry:\n    get_settings()\nexcept Exception:\n    pass\n")
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert "Settings" in found["settings_built"]


def test_each_app_has_its_own_services_and_connection():
    first, first_services = create_app(Settings(broker="127.0.0.1:9", app_id="factory-a"), web=False)
    second, second_services = create_app(
        Settings(broker="127.0.0.1:8", app_id="factory-b", security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password="p"),
        web=False,
    )
    assert first.conf.id == "factory-a" and second.conf.id == "factory-b"
    assert str(first.conf.broker[0]) == "kafka://127.0.0.1:9" and str(second.conf.broker[0]) == "kafka://127.0.0.1:8"
    assert first.conf.broker_credentials is None
    assert second.conf.broker_credentials.username == "u"  # SASL from the settings' Kafka section
    assert first_services.relator is not second_services.relator
    assert first_services.metrics.registry is not second_services.metrics.registry
    assert first_services.pipeline.relator is first_services.relator
    assert set(first.agents) == {"stream.worker.agents.enrich", "stream.worker.agents.relate"}
    assert first.services is first_services


def test_the_factory_wants_a_broker():
    with pytest.raises(ValueError, match="no Kafka broker"):
        create_app(Settings(broker=""), web=False)


def test_the_views_are_registered_on_the_app_they_serve():
    app, _ = create_app(Settings(broker="127.0.0.1:9", app_id="factory-web"))
    paths = {route.resource.canonical for route in app.web.web_app.router.routes()}
    assert {"/health", "/ready", "/metrics", "/articles/{article_id}", "/stories", "/events"} <= paths
