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
  letter cannot be written, the event stays unacknowledged: the committed offset stops there (the
  stall watchdog reports it) and the input is processed again after a restart, never dropped.

Why not rely on the client's own retries: aiokafka retries retriable errors silently until its
request timeout (20 minutes in Faust's defaults), which blocks the partition with no trace in metrics.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
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


# Enqueue one record; returns the future that resolves when the broker acknowledged it.
SendFn = Callable[[], Awaitable[Awaitable[Any]]]


async def enqueue(send: SendFn, policy: RetryPolicy) -> Awaitable[Any] | BaseException:
    """The first attempt's enqueue step: the delivery future, or the error enqueueing raised."""
    try:
        return await asyncio.wait_for(send(), policy.timeout_s)
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
            await asyncio.wait_for(asyncio.shield(delivery), policy.timeout_s)
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

    def send(self) -> Awaitable[Awaitable[Any]]:
        return self.topic.send(key=self.key, value=self.value, headers=self.headers)


# Builds the dead letter (to the DLQ topic) for a record that could not be produced; None when there
# is no better fallback (e.g. the failed record was itself a dead letter that is already small).
DeadLetterFn = Callable[[Outgoing, BaseException], "Outgoing | None"]


@dataclass
class _Slot:
    ack: Callable[[], Any]
    done: bool = False
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
        self._slots: deque[_Slot] = deque()
        self._room = asyncio.Event()
        self._room.set()
        self._tasks: set[asyncio.Task] = set()
        self.stats = EmitStats()

    @property
    def in_flight(self) -> int:
        return len(self._slots)

    async def emit(self, records: list[Outgoing], ack: Callable[[], Any]) -> None:
        """Produce ``records`` (in this order) for one input; ``ack()`` once all are delivered or
        dead-lettered and every earlier input's records are too. Waits while too many are in flight."""
        while len(self._slots) >= self.max_in_flight:
            self._room.clear()
            await self._room.wait()
        slot = _Slot(ack)
        self._slots.append(slot)
        if not records:
            self._finish(slot, True)
            return
        # Enqueue in input order here (so records of one partition keep their order in the client);
        # waiting for the broker's acks, retries and dead letters continue in the background.
        firsts = [await enqueue(record.send, self.policy) for record in records]
        task = asyncio.ensure_future(self._run(slot, records, firsts))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until everything emitted so far is settled. True when nothing is left in flight."""
        pending = list(self._tasks)
        if pending:
            await asyncio.wait(pending, timeout=timeout)
        return not self._tasks

    async def _run(self, slot: _Slot, records: list[Outgoing], firsts: list) -> None:
        ok = True
        try:
            for record, first in zip(records, firsts):
                ok = await self._deliver_or_dead_letter(record, first) and ok
        except asyncio.CancelledError:  # shutting down: leave the input unacknowledged
            ok = False
            raise
        except Exception:  # a bug here must not kill the agent; the input is processed again
            log.exception("emit failed", extra={"stage": "emit"})
            ok = False
        finally:
            self._finish(slot, ok)

    async def _deliver_or_dead_letter(self, record: Outgoing, first: Any = None) -> bool:
        error = await deliver(record.send, self.policy, lambda exc, n: self._retried(record, exc, n), first)
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
        while self._slots and self._slots[0].done:
            head = self._slots.popleft()
            if head.ok:
                head.ack()
        if len(self._slots) < self.max_in_flight:
            self._room.set()


def _brief(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:300]


def truncated(value: bytes, limit: int = DEAD_LETTER_VALUE_BYTES) -> tuple[bytes, bool]:
    """``value`` cut to ``limit`` bytes on a UTF-8 character boundary, and whether it was cut."""
    if len(value) <= limit:
        return value, False
    return value[:limit].decode("utf-8", errors="ignore").encode("utf-8"), True
