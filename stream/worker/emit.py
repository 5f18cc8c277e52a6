"""Producing with bounded retries, exponential backoff, and dead-lettering after the limit.

Every record an agent produces for one input event goes through an :class:`Emitter`:

- A failed or timed-out send is retried up to ``ARTICLE_STREAM_PRODUCE_RETRIES`` times, sleeping
  ``ARTICLE_STREAM_PRODUCE_BACKOFF_MS * 2**(attempt-1)`` (with jitter, capped) between attempts;
  each retry counts in ``article_stream_produce_retries_total{topic}``. A non-retriable error (e.g. a
  record larger than the topic accepts) is not retried.
- After the limit the record is dead-lettered with code ``produce_failed`` (the dead letter carries
  at most :data:`DEAD_LETTER_VALUE_BYTES` of the record, so an oversized record still fits). The
  dead-letter send has the same bounded retries: nothing waits forever.
- The input event is acknowledged (its offset becomes committable) only once every record it caused
  is delivered or dead-lettered, in input order. Delivery runs concurrently with processing, up to
  ``max_in_flight`` events, so waiting for acks does not serialise the stream. If even the dead
  letter cannot be written, that event and every later one stay unacknowledged: the committed offset
  stops there, the stream stops once ``max_in_flight`` inputs wait (the stall watchdog makes the
  readiness probe fail), and after a restart the input is processed again - never dropped.

Why not rely on the client's own retries: aiokafka retries retriable errors silently until its
request timeout (20 minutes in Faust's defaults), which blocks the partition with no trace in metrics.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from aiokafka.errors import KafkaTimeoutError

log = logging.getLogger("article_stream.worker")

# A produce_failed dead letter keeps this much of the record: enough to identify and replay it,
# small enough to fit any topic (the record itself may have failed for being too large).
DEAD_LETTER_VALUE_BYTES = 64 * 1024
MAX_BACKOFF_S = 10.0


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5
    backoff_ms: float = 200.0
    timeout_s: float = 30.0
    max_backoff_s: float = MAX_BACKOFF_S

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to sleep before retry ``attempt`` (1-based): exponential, capped, 50-100% jitter."""
        base = min(self.backoff_ms / 1000.0 * 2 ** (attempt - 1), self.max_backoff_s)
        return base * (0.5 + rng() / 2)


def is_retriable(exc: BaseException) -> bool:
    """Timeouts and errors Kafka marks retriable are; e.g. a too-large record or a closed producer is not."""
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError, KafkaTimeoutError)):
        return True
    retriable = getattr(exc, "retriable", None)
    return True if retriable is None else bool(retriable)


class DeliveryCancelled(Exception):
    """The client cancelled a record's delivery (e.g. its producer was reset): worth another try."""

    retriable = True


def _own_cancellation() -> bool:
    """True when the running task itself is being cancelled (not just a future it awaited)."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


# Enqueue one record; returns the future that resolves when the broker acknowledged it.
SendFn = Callable[[], Awaitable[Awaitable[Any]]]


async def enqueue(send: SendFn, policy: RetryPolicy) -> Awaitable[Any] | BaseException:
    """The first attempt's enqueue step: the delivery future, or the error enqueueing raised."""
    try:
        async with asyncio.timeout(policy.timeout_s):  # no extra task, unlike wait_for
            return await send()
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        return exc


async def deliver(
    send: SendFn,
    policy: RetryPolicy,
    on_retry: Callable[[BaseException, int], None] | None = None,
    first: Awaitable[Any] | BaseException | None = None,
) -> BaseException | None:
    """Send with bounded retries. Returns None once delivered, else the last error.

    ``first``: the result of :func:`enqueue` when the caller already made the first attempt."""
    attempt = 0
    while True:
        try:
            if first is not None:
                delivery, first = first, None
                if isinstance(delivery, BaseException):
                    raise delivery
            else:
                delivery = await asyncio.wait_for(send(), policy.timeout_s)
            # shield: a timeout here must not cancel the client's future (it may still complete).
            try:
                await asyncio.wait_for(asyncio.shield(delivery), policy.timeout_s)
            except asyncio.CancelledError:
                if _own_cancellation():
                    raise
                raise DeliveryCancelled("the client cancelled the delivery") from None
            return None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if attempt >= policy.retries or not is_retriable(exc):
                return exc
            attempt += 1
            if on_retry is not None:
                on_retry(exc, attempt)
            await asyncio.sleep(policy.delay(attempt))


@dataclass
class Outgoing:
    """One record to produce. ``kind`` is the metric label (raw, tagged, enriched, stories, dlq)."""

    topic: Any  # a faust topic (anything with ``async send(key=, value=, headers=)``)
    key: bytes | None
    value: bytes
    headers: dict[str, bytes] | None = None
    kind: str = "other"
    # Straight to the app's producer (``topic.app.producer.send``), not through ``topic.send``: the
    # values are bytes already (raw codecs), so Faust's per-record message future, codec calls and
    # callback chain buy nothing here. The producer is the same, so the order of records, acks=-1 and
    # the delivery future the emitter watches are the same.
    direct: bool = False

    def send(self) -> Awaitable[Awaitable[Any]]:
        topic = self.topic
        if self.direct:
            return topic.app.producer.send(topic.get_topic_name(), self.key, self.value, None, None, self.headers)
        return topic.send(key=self.key, value=self.value, headers=self.headers)


# Builds the dead letter (to the DLQ topic) for a record that could not be produced; None when there
# is no better fallback (e.g. the failed record was itself a dead letter that is already small).
DeadLetterFn = Callable[[Outgoing, BaseException], "Outgoing | None"]


@dataclass
class _Slot:
    ack: Callable[[], Any]
    lane: deque[_Slot]
    done: bool = False
    ok: bool = True


@dataclass
class _Pending:
    """The records of one input still to settle."""

    slot: _Slot
    remaining: int
    ok: bool = True


@dataclass
class EmitStats:
    retries: int = 0
    dead_lettered: int = 0
    lost: int = 0  # neither delivered nor dead-lettered: the input stays unacknowledged
    by_kind: dict[str, int] = field(default_factory=dict)


class Emitter:
    def __init__(
        self,
        policy: RetryPolicy,
        dead_letter: DeadLetterFn,
        *,
        on_retry: Callable[[str], None] | None = None,
        on_dead_letter: Callable[[Outgoing, BaseException], None] | None = None,
        max_in_flight: int = 1000,
    ) -> None:
        self.policy = policy
        self._dead_letter = dead_letter
        self._on_retry = on_retry
        self._on_dead_letter = on_dead_letter
        self.max_in_flight = max_in_flight
        # One ordered queue per input partition ("lane"): offsets are committed per partition.
        self._lanes: dict[Hashable, deque[_Slot]] = {}
        self._room = asyncio.Event()
        self._room.set()
        self._tasks: set[asyncio.Task] = set()
        self._unsettled = 0  # records neither delivered, dead-lettered nor given up on
        self.stats = EmitStats()

    @property
    def in_flight(self) -> int:
        return sum(len(slots) for slots in self._lanes.values())

    async def emit(self, records: list[Outgoing], ack: Callable[[], Any], lane: Hashable = None) -> None:
        """Produce ``records`` (in this order) for one input; ``ack()`` once all are delivered or
        dead-lettered and so are those of every earlier input of the same ``lane`` (the input's
        topic partition). Waits while ``max_in_flight`` inputs of that lane are unsettled."""
        slots = self._lanes.setdefault(lane, deque())
        while len(slots) >= self.max_in_flight:
            self._room.clear()
            await self._room.wait()
        slot = _Slot(ack, slots)
        slots.append(slot)
        if not records:
            self._finish(slot, True)
            return
        # Enqueue in input order here (so records of one partition keep their order in the client).
        # The broker's acks are then watched with callbacks and a timer; only a failed or late record
        # costs a task (its retries and dead letter), the common case costs none.
        pending = _Pending(slot, len(records))
        for record in records:
            first = await enqueue(record.send, self.policy)
            self._unsettled += 1
            if isinstance(first, asyncio.Future):
                self._watch(pending, record, first)
            else:  # enqueueing failed (or returned something that is not a future): retry in a task
                self._spawn(pending, record, first if isinstance(first, BaseException) else None)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every record emitted so far is delivered, dead-lettered or given up on."""
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        while self._unsettled:
            if deadline is not None and asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def _watch(self, pending: _Pending, record: Outgoing, delivery: asyncio.Future) -> None:
        loop = asyncio.get_running_loop()
        state = {"open": True}

        def settle(error: BaseException | None) -> None:
            if not state["open"]:
                return
            state["open"] = False
            timer.cancel()
            if error is None:
                self._settled(pending, True)
            else:
                self._spawn(pending, record, error)

        def on_done(fut: asyncio.Future) -> None:
            if fut.cancelled():
                settle(DeliveryCancelled("the client cancelled the delivery"))
            else:
                settle(fut.exception())

        timer = loop.call_later(self.policy.timeout_s, lambda: settle(TimeoutError(f"no ack within {self.policy.timeout_s}s")))
        delivery.add_done_callback(on_done)

    def _spawn(self, pending: _Pending, record: Outgoing, error: BaseException | None) -> None:
        task = asyncio.ensure_future(self._retry(pending, record, error))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _retry(self, pending: _Pending, record: Outgoing, error: BaseException | None) -> None:
        ok = False
        try:
            ok = await self._deliver_or_dead_letter(record, error)
        except asyncio.CancelledError:  # shutting down: leave the input unacknowledged
            log.warning("emit cancelled: the input stays unacknowledged and is processed again", extra={"stage": "emit"})
            raise
        except Exception:  # a bug here must not kill the agent; the input is processed again
            log.exception("emit failed", extra={"stage": "emit"})
        finally:
            self._settled(pending, ok)

    def _settled(self, pending: _Pending, ok: bool) -> None:
        self._unsettled -= 1
        pending.remaining -= 1
        pending.ok = pending.ok and ok
        if pending.remaining == 0:
            self._finish(pending.slot, pending.ok)

    async def _deliver_or_dead_letter(self, record: Outgoing, first_error: BaseException | None = None) -> bool:
        """Retry ``record`` (whose first attempt failed with ``first_error``, if given), then dead-letter it."""
        error = await deliver(record.send, self.policy, lambda exc, n: self._retried(record, exc, n), first_error)
        if error is None:
            return True
        log.warning(
            "giving up producing to %s after %d retries: %s", record.kind, self.policy.retries, _brief(error),
            extra={"stage": "emit", "error_code": "produce_failed"},
        )  # fmt: skip
        letter = self._dead_letter(record, error)
        if letter is None:  # e.g. a dead letter that cannot be shrunk: it has nowhere else to go
            self.stats.lost += 1
            log.error("%s record could not be produced nor dead-lettered", record.kind, extra={"stage": "emit"})
            return False
        if await deliver(letter.send, self.policy, lambda exc, n: self._retried(letter, exc, n)) is not None:
            self.stats.lost += 1
            log.error("dead letter for a failed %s record could not be produced either", record.kind, extra={"stage": "emit"})
            return False
        self.stats.dead_lettered += 1
        if self._on_dead_letter is not None:
            self._on_dead_letter(record, error)
        return True

    def _retried(self, record: Outgoing, exc: BaseException, attempt: int) -> None:
        self.stats.retries += 1
        self.stats.by_kind[record.kind] = self.stats.by_kind.get(record.kind, 0) + 1
        if self._on_retry is not None:
            self._on_retry(record.kind)
        log.info("retrying produce to %s (attempt %d): %s", record.kind, attempt, _brief(exc), extra={"stage": "emit"})

    def _finish(self, slot: _Slot, ok: bool) -> None:
        slot.done, slot.ok = True, ok
        # Acknowledge in input order: an offset is committable only when everything before it is.
        # A failed input stays at the head and nothing after it is acknowledged either: Faust would
        # commit past a single missing offset, and that input would be lost.
        slots = slot.lane
        while slots and slots[0].done and slots[0].ok:
            slots.popleft().ack()
        if len(slots) < self.max_in_flight:
            self._room.set()


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def truncated(value: bytes, limit: int = DEAD_LETTER_VALUE_BYTES) -> tuple[bytes, bool]:
    """``value`` cut to ``limit`` bytes on a UTF-8 character boundary, and whether it was cut."""
    if len(value) <= limit:
        return value, False
    return value[:limit].decode("utf-8", errors="ignore").encode("utf-8"), True
