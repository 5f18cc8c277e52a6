"""The emitter without a broker: retries with backoff, dead-lettering after the limit, ordered acks."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka.errors import KafkaConnectionError, MessageSizeTooLargeError

from stream.worker.emit import DEAD_LETTER_VALUE_BYTES, Emitter, Outgoing, RetryPolicy, deliver, is_retriable, truncated

FAST = RetryPolicy(retries=3, backoff_ms=1, timeout_s=0.5)


class FakeTopic:
    """A topic whose sends follow a script: an exception to raise at delivery, "hang", or None (delivered)."""

    def __init__(self, name: str, script: list | None = None) -> None:
        self.name = name
        self.script = list(script or [])
        self.attempts = 0
        self.delivered: list[bytes] = []
        self.gate: asyncio.Event | None = None  # when set, deliveries wait for it

    def get_topic_name(self) -> str:
        return self.name

    async def send(self, key=None, value=None, headers=None):
        self.attempts += 1
        step = self.script.pop(0) if self.script else None
        future = asyncio.get_running_loop().create_future()
        if step == "hang":
            return future  # never resolves: the attempt times out
        if step == "cancel":
            asyncio.get_running_loop().call_soon(future.cancel)  # the client gives up on it
            return future
        if isinstance(step, BaseException):
            future.set_exception(step)
            return future

        async def complete() -> None:
            if self.gate is not None:
                await self.gate.wait()
            self.delivered.append(value)
            future.set_result("ok")

        asyncio.ensure_future(complete())
        return future


def make_emitter(dlq: FakeTopic, **kwargs) -> tuple[Emitter, list[str]]:
    retried: list[str] = []

    def dead_letter(record: Outgoing, error: BaseException) -> Outgoing | None:
        if record.kind == "dlq":
            return None
        value, _ = truncated(record.value)
        return Outgoing(dlq, record.key, b"DL:" + type(error).__name__.encode() + b":" + value, None, "dlq")

    return Emitter(kwargs.pop("policy", FAST), dead_letter, on_retry=retried.append, **kwargs), retried


def test_backoff_doubles_is_capped_and_jittered():
    policy = RetryPolicy(retries=10, backoff_ms=100, max_backoff_s=1.0)
    assert [policy.delay(n, rng=lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.8, 1.0]
    assert policy.delay(1, rng=lambda: 0.0) == pytest.approx(0.05)


def test_retriable_errors():
    assert is_retriable(asyncio.TimeoutError())
    assert is_retriable(KafkaConnectionError())
    assert not is_retriable(MessageSizeTooLargeError())


async def test_transient_errors_are_retried_then_delivered():
    topic = FakeTopic("out", [KafkaConnectionError(), "hang", None])
    retries: list[int] = []
    error = await deliver(lambda: topic.send(value=b"v"), FAST, lambda exc, n: retries.append(n))
    assert error is None
    assert retries == [1, 2] and topic.delivered == [b"v"]


async def test_non_retriable_error_goes_to_the_dead_letter_topic_at_once():
    out, dlq = FakeTopic("out", [MessageSizeTooLargeError()]), FakeTopic("dlq")
    emitter, retried = make_emitter(dlq)
    acked: list[int] = []
    await emitter.emit([Outgoing(out, b"k", b"big", None, "enriched")], lambda: acked.append(1))
    assert await emitter.drain(5)
    assert out.attempts == 1 and retried == []
    assert dlq.delivered == [b"DL:MessageSizeTooLargeError:big"]
    assert acked == [1] and emitter.stats.dead_lettered == 1


async def test_after_the_retry_limit_the_record_is_dead_lettered():
    out, dlq = FakeTopic("out", [KafkaConnectionError()] * 10), FakeTopic("dlq")
    emitter, retried = make_emitter(dlq)
    acked: list[int] = []
    await emitter.emit([Outgoing(out, b"k", b"v", None, "stories")], lambda: acked.append(1))
    assert await emitter.drain(5)
    assert out.attempts == FAST.retries + 1
    assert retried == ["stories"] * FAST.retries
    assert dlq.delivered == [b"DL:KafkaConnectionError:v"] and acked == [1]


async def test_a_hanging_broker_times_out_instead_of_blocking():
    out, dlq = FakeTopic("out", ["hang"] * 10), FakeTopic("dlq")
    emitter, _ = make_emitter(dlq, policy=RetryPolicy(retries=1, backoff_ms=1, timeout_s=0.05))
    acked: list[int] = []
    await emitter.emit([Outgoing(out, None, b"v", None, "tagged")], lambda: acked.append(1))
    assert await emitter.drain(5)
    assert out.attempts == 2 and dlq.delivered == [b"DL:TimeoutError:v"] and acked == [1]


async def test_when_even_the_dead_letter_fails_the_input_is_not_acknowledged():
    out = FakeTopic("out", [MessageSizeTooLargeError(), None])
    dlq = FakeTopic("dlq", [KafkaConnectionError()] * 10)
    emitter, _ = make_emitter(dlq)
    acked: list[str] = []
    await emitter.emit([Outgoing(out, None, b"first", None, "enriched")], lambda: acked.append("first"))
    await emitter.emit([Outgoing(out, None, b"second", None, "enriched")], lambda: acked.append("second"))
    assert await emitter.drain(5)
    # Neither is acknowledged: the committed offset stays before "first", so nothing is lost.
    assert acked == [] and emitter.stats.lost == 1 and emitter.in_flight == 2


async def test_acks_follow_input_order_and_in_flight_is_bounded():
    slow, fast = FakeTopic("slow"), FakeTopic("fast")
    slow.gate = asyncio.Event()
    emitter, _ = make_emitter(FakeTopic("dlq"), max_in_flight=3)
    acked: list[int] = []
    await emitter.emit([Outgoing(slow, None, b"0", None, "enriched")], lambda: acked.append(0))
    await emitter.emit([Outgoing(fast, None, b"1", None, "enriched")], lambda: acked.append(1))
    await emitter.emit([], lambda: acked.append(2))
    await asyncio.sleep(0.05)
    assert fast.delivered == [b"1"] and acked == []  # 1 and 2 are done but wait for 0
    fourth = asyncio.ensure_future(emitter.emit([], lambda: acked.append(3)))
    await asyncio.sleep(0.05)
    assert not fourth.done() and emitter.in_flight == 3  # full: the stream waits
    slow.gate.set()
    await asyncio.wait_for(fourth, 5)
    assert await emitter.drain(5)
    assert acked == [0, 1, 2, 3]


def test_truncated_keeps_whole_characters():
    value = ("é" * DEAD_LETTER_VALUE_BYTES).encode()
    cut, was_cut = truncated(value)
    assert was_cut and len(cut) <= DEAD_LETTER_VALUE_BYTES
    cut.decode("utf-8")  # no split character
    assert truncated(b"short") == (b"short", False)


async def test_a_stuck_partition_does_not_hold_back_another():
    out = FakeTopic("out", [MessageSizeTooLargeError()])
    dlq = FakeTopic("dlq", [KafkaConnectionError()] * 10)
    emitter, _ = make_emitter(dlq)
    acked: list[str] = []
    await emitter.emit([Outgoing(out, None, b"a0", None, "tagged")], lambda: acked.append("a0"), lane=("raw", 0))
    await emitter.emit([Outgoing(out, None, b"b0", None, "tagged")], lambda: acked.append("b0"), lane=("raw", 1))
    await emitter.emit([Outgoing(out, None, b"a1", None, "tagged")], lambda: acked.append("a1"), lane=("raw", 0))
    assert await emitter.drain(5)
    assert acked == ["b0"] and emitter.in_flight == 2


async def test_a_delivery_the_client_cancels_is_retried_not_lost():
    out, dlq = FakeTopic("out", ["cancel", "cancel", None]), FakeTopic("dlq")
    emitter, retried = make_emitter(dlq)
    acked: list[int] = []
    await emitter.emit([Outgoing(out, None, b"v", None, "enriched")], lambda: acked.append(1))
    assert await emitter.drain(5)
    assert out.delivered == [b"v"] and retried == ["enriched", "enriched"] and acked == [1]
