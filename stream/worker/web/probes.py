"""Health and progress of the worker, for its probes and metrics (the views are in ``routes``).

Probes (for Kubernetes): ``/health`` answers while the event loop runs (liveness). ``/ready`` is 200
only when partitions are assigned, the tables are recovered, the broker answered an offset query
recently, and no assigned partition is stalled (records waiting, committed offset not moving for
``ARTICLE_STREAM_STALL_SECONDS``): Faust consumers are known to stall with the port still open.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from faust.exceptions import ConsumerNotStarted
from faust.sensors import Sensor

from stream.config import Settings
from stream.metrics import Metrics, ProgressWatchdog

log = logging.getLogger("article_stream.worker")


# One offset query may take this long; shorter than a probe's timeout so the probe still answers.
QUERY_TIMEOUT_SECONDS = 3.0


class Progress:
    """Offsets of the assigned input partitions, refreshed from the broker on a timer and on demand."""

    def __init__(self, app: Any, metrics: Metrics, settings: Settings) -> None:
        self.app, self.metrics, self.settings = app, metrics, settings
        self.watchdog = ProgressWatchdog(settings.stall_seconds)
        self.last_broker_ok: float | None = None  # monotonic time of the last successful offset query
        self.last_refresh = float("-inf")
        self._lock = asyncio.Lock()

    def _assigned_inputs(self) -> list[Any]:
        """Assigned partitions the agents consume (not changelogs or Faust's assignor topic)."""
        app = self.app
        inputs = {name for agent in app.agents.values() for name in getattr(agent.channel, "topics", ())}
        return [tp for tp in app.consumer.assignment() if tp.topic in inputs]

    async def refresh(self) -> None:
        app, metrics = self.app, self.metrics
        async with self._lock:
            self.last_refresh = time.monotonic()
            try:
                tps = self._assigned_inputs()
            except ConsumerNotStarted:
                tps = []
            if tps:
                try:
                    highwaters = await asyncio.wait_for(app.consumer.highwaters(*tps), timeout=QUERY_TIMEOUT_SECONDS)
                except Exception as exc:
                    log.warning("offset query to the broker failed: %s", exc)
                    metrics.broker_reachable.set(0)
                    return
                self.last_broker_ok = time.monotonic()
                # Faust's own record of what it committed (offset of the next record to process).
                committed = getattr(app.consumer, "_committed_offset", {})
                self.watchdog.update({(tp.topic, tp.partition): (committed.get(tp), highwaters.get(tp, 0)) for tp in tps})
            else:
                self.watchdog.update({})
            metrics.set_lag(self.watchdog.lags())
            metrics.consumer_stalled.set(len(self.watchdog.stalled()))
            metrics.broker_reachable.set(1 if self.broker_reachable() else 0)

    async def refresh_if_stale(self, max_age: float = 1.0) -> None:
        """Refresh unless a refresh is running or ran within ``max_age`` seconds (probes must answer fast)."""
        if not self._lock.locked() and time.monotonic() - self.last_refresh >= max_age:
            try:
                await self.refresh()
            except Exception:  # a probe answers with what it knows; the failure is in the log
                log.exception("progress check failed")

    def broker_reachable(self) -> bool:
        return self.last_broker_ok is not None and time.monotonic() - self.last_broker_ok <= self.settings.broker_timeout_seconds

    def readiness(self) -> dict[str, Any]:
        return readiness(self.app, self)


def readiness(app: Any, progress: Progress) -> dict[str, Any]:
    """What the readiness probe checks."""
    try:
        assignment = app.consumer.assignment() if app.consumer else set()
    except Exception:  # consumer not started yet
        assignment = set()
    recovered = app.tables.recovery.completed.is_set() if app.tables else False
    stalled = progress.watchdog.stalled()
    checks: dict[str, Any] = {
        "partitions_assigned": len(assignment),
        "tables_recovered": recovered,
        "broker_reachable": progress.broker_reachable(),
        "stalled_partitions": [f"{topic}[{partition}]" for topic, partition in stalled],
        "lag": sum(progress.watchdog.lags().values()),
    }
    checks["ready"] = bool(assignment) and recovered and checks["broker_reachable"] and not stalled
    return checks


class FaustSensor(Sensor):
    """Faust's own events that matter to an operator: rebalances, commit time, failed sends."""

    def __init__(self, metrics: Metrics, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.metrics, self.settings = metrics, settings

    def on_rebalance_start(self, app_: Any) -> dict:
        self.metrics.rebalances.inc()
        return super().on_rebalance_start(app_)

    def on_commit_initiated(self, consumer: Any) -> float:
        return time.perf_counter()

    def on_commit_completed(self, consumer: Any, state: Any) -> None:
        if isinstance(state, float):
            self.metrics.commit_seconds.observe(time.perf_counter() - state)

    def on_send_initiated(self, producer: Any, topic: str, message: Any, keysize: int, valsize: int) -> str:
        return topic_kind(topic, self.settings)

    def on_send_error(self, producer: Any, exc: BaseException, state: Any) -> None:
        self.metrics.send_errors.labels(state if isinstance(state, str) else "other").inc()


def topic_kind(topic: str, settings: Settings) -> str:
    """A bounded label for a topic name."""
    kinds = {
        settings.topic_raw: "raw",
        settings.topic_enriched: "enriched",
        settings.topic_stories: "stories",
        settings.topic_dlq: "dlq",
    }
    if topic in kinds:
        return kinds[topic]
    if topic.endswith("-changelog"):
        return "changelog"
    return "internal" if topic.startswith(settings.app_id) else "other"



def register_probes(app: Any, metrics: Metrics, settings: Settings) -> Progress:
    """The progress watchdog on a timer, and the sensor, on ``app``."""
    progress = Progress(app, metrics, settings)

    @app.timer(settings.progress_interval_seconds, name="stream.worker.web.probes.check_progress")
    async def check_progress() -> None:
        await progress.refresh_if_stale(max_age=0)  # never raises: the watchdog must not kill the worker

    app.sensors.add(FaustSensor(metrics, settings))
    return progress
