"""Fast failover and a bounded shutdown (issue 21, deliver 5), with the worker's default settings.

- Failover: two workers share the input while articles keep arriving; one is SIGKILLed. Every input
  partition (the killed worker's too) emits an article published after the kill within 15 s.
- Shutdown: SIGTERM ends a worker within its grace period (10 s by default) at any moment: while it
  starts, while it works through a backlog, and while its group re-balances after a peer was killed
  (which took 51 s before: shutdown waited for the pending re-join).
"""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from stream.config import Settings
from stream.core.pipeline import Pipeline
from tests.faults.conftest import input_ids, report, wait_status
from tests.support.articles import make_values
from tests.support.worker import Deployment, publish, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]

RESUME_LIMIT_S = 15.0
GRACE_S = Settings().shutdown_grace_seconds
EXIT_MARGIN_S = 1.5  # from the signal to the process being gone: the timer fires at the grace period
RATE = 40  # articles per second published during the failover


def _static(name: str) -> dict[str, str]:
    return {"ARTICLE_STREAM_GROUP_INSTANCE_ID": name}


async def _exit_seconds(worker, sig: int = signal.SIGTERM, timeout: float = 60.0) -> float:
    sent = time.monotonic()
    worker.proc.send_signal(sig)
    await asyncio.to_thread(worker.proc.wait, timeout)
    return time.monotonic() - sent


async def test_a_killed_workers_partitions_resume_within_15_s(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap, partitions=2)
    t = deployment.topics
    await deployment.create_topics()  # not by two starting workers at once
    values = make_values(RATE * 60, seed=31)
    ids = input_ids(values, Pipeline())
    published: dict[str, tuple[int, float]] = {}  # article id -> (raw partition, publish time)

    workers = []
    for name in ("f0", "f1"):
        deployment.extra_env = _static(f"{deployment.app_id}-{name}")
        workers.append(start_worker(deployment, tmp_path, name=name))
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, linger_ms=5)
    consumer = AIOKafkaConsumer(t["enriched"], bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
                                group_id=None, metadata_max_age_ms=1000)
    await producer.start()
    await consumer.start()
    try:
        for worker in workers:
            await asyncio.to_thread(worker.wait_ready, 180)

        async def feed() -> None:
            for i, value in enumerate(values):
                meta = await (await producer.send(t["raw"], value))
                published[ids[i]] = (meta.partition, time.monotonic())
                await asyncio.sleep(1 / RATE)

        feeder = asyncio.create_task(feed())
        arrived: dict[str, float] = {}

        async def read(seconds: float) -> None:
            until = time.monotonic() + seconds
            while time.monotonic() < until:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    now = time.monotonic()
                    for record in records:
                        arrived.setdefault(record.key.decode(), now)

        await read(8.0)  # both workers busy
        assert {published[i][0] for i in arrived if i in published} == {0, 1}, "not both partitions flowing"
        victim = workers[0]
        victim.proc.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        victim.proc.wait(10)
        resumed: dict[int, float] = {}
        deadline = killed_at + 60
        while len(resumed) < 2 and time.monotonic() < deadline:
            await read(0.5)
            for article_id, when in arrived.items():
                partition, sent_at = published.get(article_id, (None, 0.0))
                if partition is not None and sent_at > killed_at and partition not in resumed:
                    resumed[partition] = when - killed_at
        feeder.cancel()
        assert len(resumed) == 2, f"partitions resumed: {resumed}\n{workers[1].log_tail()}"
        worst = max(resumed.values())
        report("failover", resume_s_by_partition={p: round(s, 1) for p, s in sorted(resumed.items())},
               session_timeout_s=Settings().session_timeout_seconds)
        assert worst <= RESUME_LIMIT_S, f"partitions resumed after {resumed} s"
    finally:
        await producer.stop()
        await consumer.stop()
        for worker in workers:
            worker.stop(signal.SIGKILL)


async def test_sigterm_exits_within_the_grace_period_at_any_moment(kafka_bootstrap, tmp_path):
    deployment = Deployment(kafka_bootstrap, partitions=2)
    t = deployment.topics
    await deployment.create_topics()
    exits: dict[str, float] = {}

    # While starting: before the group is joined, while tables recover, just before ready.
    for delay in (0.5, 2.0, 5.0):
        worker = start_worker(deployment, tmp_path, name=f"start-{delay}")
        await asyncio.sleep(delay)
        exits[f"starting+{delay}s"] = await _exit_seconds(worker)

    # Busy with a backlog.
    await publish(kafka_bootstrap, t["raw"], make_values(3000, seed=41))
    worker = start_worker(deployment, tmp_path, name="busy")
    await asyncio.to_thread(worker.wait_ready, 180)
    await asyncio.sleep(1.0)
    exits["busy"] = await _exit_seconds(worker)

    # In the window after a peer was killed: the group waits for the dead member's session to expire
    # before the re-balance completes, and a worker joining then (the killed one restarted, without
    # static membership) is stuck in that re-join, as is the survivor.
    deployment.extra_env = {}
    pair = [start_worker(deployment, tmp_path, name=name) for name in ("r0", "r1")]
    for worker in pair:
        await asyncio.to_thread(worker.wait_ready, 180)
    pair[0].proc.send_signal(signal.SIGKILL)
    pair[0].proc.wait(10)
    joining = start_worker(deployment, tmp_path, name="r2")
    # Its HTTP port answers "not ready": it is up, and waiting on the group.
    waiting = await wait_status(joining, 503, timeout=60)
    assert waiting is not None, joining.log_tail()
    exits["joining after a kill"] = await _exit_seconds(joining)
    exits["survivor after a kill"] = await _exit_seconds(pair[1])

    # The case: with a long session (Faust's default was 60 s) the joining worker waits for the
    # dead member's session that long, and its orderly shutdown waited with it (51 s); the grace
    # period bounds it.
    deployment.extra_env = {"ARTICLE_STREAM_SESSION_TIMEOUT_SECONDS": "45"}
    pair = [start_worker(deployment, tmp_path, name=name) for name in ("s0", "s1")]
    for worker in pair:
        await asyncio.to_thread(worker.wait_ready, 180)
    pair[0].proc.send_signal(signal.SIGKILL)
    pair[0].proc.wait(10)
    joining = start_worker(deployment, tmp_path, name="s2")
    assert await wait_status(joining, 503, timeout=60) is not None, joining.log_tail()
    await asyncio.sleep(3.0)  # well inside the 45 s the group waits for the dead member
    exits["joining, 45 s session"] = await _exit_seconds(joining)
    exits["survivor, 45 s session"] = await _exit_seconds(pair[1])
    forced = "exiting now" in joining.log_path.read_text(errors="replace")

    report("shutdown", grace_s=GRACE_S, exit_s={k: round(v, 1) for k, v in exits.items()},
           joining_worker_up_after_s=round(waiting, 1), long_session_exit_forced_by_grace=forced)
    slow = {k: round(v, 1) for k, v in exits.items() if v > GRACE_S + EXIT_MARGIN_S}
    assert not slow, f"SIGTERM took longer than {GRACE_S} s: {slow}"
