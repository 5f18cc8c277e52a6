"""The worker's Kafka consumer (stream.worker.transport) without a broker: which offsets it lets Faust
commit, which acknowledgements it accepts, and when stream partitions may flow."""

from __future__ import annotations

from time import monotonic
from types import SimpleNamespace

import pytest
from aiokafka.consumer.fetcher import Fetcher, FetchResult
from faust.types import TP
from faust.types.tuples import ConsumerMessage

from stream.config import Settings
from stream.worker import transport
from stream.worker.app import create_app
from stream.worker.transport import HOLE_GRACE_SECONDS, MAX_REREADS, Consumer

app, _ = create_app(Settings(broker="127.0.0.1:9"), web=False)  # never started: no broker is contacted

STREAM = TP("test-articles.tagged", 0)


async def _noop(*args: object, **kwargs: object) -> None:
    return None


@pytest.fixture
def consumer(monkeypatch: pytest.MonkeyPatch) -> Consumer:
    made = Consumer(app.transport, callback=_noop, on_partitions_revoked=_noop, on_partitions_assigned=_noop)
    monkeypatch.setattr(app.topics, "acks_enabled_for", lambda topic: True)
    return made


def _message(offset: int, tp: TP = STREAM) -> ConsumerMessage:
    return ConsumerMessage(tp.topic, tp.partition, offset, None, 0, [], None, b"{}", None)


def _ack(consumer: Consumer, *offsets: int) -> None:
    for offset in offsets:
        message = _message(offset)
        consumer.processed(message)
        assert consumer.ack(message)


def test_a_commit_stops_at_an_unprocessed_committed_offset(consumer: Consumer) -> None:
    consumer._committed_offset[STREAM] = 10
    _ack(consumer, 11, 12, 13)  # 10 never reached the agent
    assert consumer._new_offset(STREAM) is None  # Faust alone would commit 14 and lose 10
    _ack(consumer, 10)
    assert consumer._new_offset(STREAM) == 14


def test_a_commit_follows_contiguous_acks(consumer: Consumer) -> None:
    consumer._committed_offset[STREAM] = 10
    _ack(consumer, 10, 11, 12, 14)
    assert consumer._new_offset(STREAM) == 13


def test_an_acknowledgement_of_a_record_no_agent_processed_is_refused(consumer: Consumer) -> None:
    skipped = _message(5)  # e.g. skipped by the stream as belonging to an earlier generation
    assert not consumer.ack(skipped)
    assert 5 not in consumer._acked.get(STREAM, [])
    _ack(consumer, 5)
    assert 5 in consumer._acked[STREAM]


def test_stream_partitions_resumed_before_the_seek_are_held(consumer: Consumer) -> None:
    changelog = TP(sorted(app.tables.changelog_topics)[0], 0)
    consumer._seek_pending = True
    consumer.resume_partitions({STREAM, changelog})
    assert consumer._held == {STREAM}
    assert changelog in consumer._get_active_partitions() and STREAM not in consumer._get_active_partitions()


async def test_a_lasting_hole_is_read_again_then_given_up_on(consumer: Consumer, monkeypatch: pytest.MonkeyPatch) -> None:
    sought: list[tuple[TP, int]] = []

    async def seek(tp: TP, offset: int) -> None:
        sought.append((tp, offset))

    monkeypatch.setattr(consumer, "seek", seek)
    monkeypatch.setattr(consumer, "assignment", lambda: {STREAM})
    consumer._seek_pending = False
    consumer.flow_active = True
    consumer._committed_offset[STREAM] = 10
    _ack(consumer, 11, 12)

    for reread in range(MAX_REREADS):
        assert consumer._new_offset(STREAM) is None
        await consumer._read_holes_again()
        assert len(sought) == reread  # not before the grace period
        offset, _ = consumer._holes[STREAM]
        consumer._holes[STREAM] = (offset, monotonic() - HOLE_GRACE_SECONDS - 1)
        await consumer._read_holes_again()
        assert sought[-1] == (STREAM, 10)
        assert STREAM in consumer._get_active_partitions()  # resumed after the seek

    # Still missing after that: the offset holds no record (a transaction marker), Faust's rule applies.
    assert consumer._new_offset(STREAM) is None
    consumer._holes[STREAM] = (10, monotonic() - HOLE_GRACE_SECONDS - 1)
    await consumer._read_holes_again()
    assert len(sought) == MAX_REREADS
    assert consumer._new_offset(STREAM) == 13


def test_the_transactional_input_keeps_fausts_rule(consumer: Consumer, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = app.services.settings
    raw = TP(settings.topic_raw, 0)
    consumer._committed_offset[raw] = 10
    for offset in (11, 12):
        message = _message(offset, raw)
        consumer.processed(message)
        consumer.ack(message)
    assert consumer._new_offset(raw) is None
    monkeypatch.setattr(settings, "raw_transactional", True)
    assert consumer._new_offset(raw) == 13


async def test_after_a_revocation_the_last_acks_cannot_commit_past_an_unprocessed_offset(consumer: Consumer) -> None:
    consumer._committed_offset[STREAM] = 10
    _ack(consumer, 10, 11)  # acked, not committed yet
    await consumer.on_partitions_revoked({STREAM})
    assert consumer._committed_offset.get(STREAM) is None  # Faust forgot it...
    _ack(consumer, 13)  # ...while the events still in flight are acked: 12 never was
    assert consumer._new_offset(STREAM) is None  # Faust alone would commit 14
    _ack(consumer, 12)
    assert consumer._new_offset(STREAM) == 14


class _PartitionState:
    """aiokafka's per-partition fetch state, as far as handing out buffered records uses it."""

    def __init__(self, position: int) -> None:
        self.paused = False
        self.position = position

    def consumed_to(self, offset: int) -> None:
        self.position = offset


class _Assignment:
    active = True

    def __init__(self, states: dict[TP, _PartitionState]) -> None:
        self.states = states

    def state_value(self, tp: TP) -> _PartitionState:
        return self.states[tp]


class _PartitionRecords:
    """Fetched records of one partition (aiokafka's PartitionRecords: an iterator with a position)."""

    def __init__(self, offsets: range) -> None:
        self._offsets = iter(offsets)
        self.next_fetch_offset = offsets.start

    def __iter__(self) -> _PartitionRecords:
        return self

    def __next__(self) -> ConsumerMessage:
        offset = next(self._offsets)
        self.next_fetch_offset = offset + 1
        return _message(offset)


class _BufferingFetcher:
    """Stands in for aiokafka's Fetcher (records fetched ahead for every assigned partition, paused
    by Faust or not), so that its real ``fetched_records`` decides what the consumer thread takes."""

    def __init__(self, assignment: _Assignment, buffered: dict[TP, range]) -> None:
        self._subscriptions = SimpleNamespace(reassignment_in_progress=False, is_assigned=lambda tp: True)
        self._wait_consume_future = None
        self._records = {
            tp: FetchResult(tp, assignment=assignment, partition_records=_PartitionRecords(offsets), backoff=0)
            for tp, offsets in buffered.items()
        }

    def _notify(self, future: object) -> None:
        return None

    async def fetched_records(self, partitions: object) -> dict:
        return await Fetcher.fetched_records(self, partitions)


async def test_a_partition_held_until_sought_is_not_fetched_when_no_partition_is_active(consumer: Consumer) -> None:
    # After table recovery: the changelog is still active, the stream partition is held (paused)
    # after its seek to 182; aiokafka already fetched 182-678 for it. While the fetch waits, recovery
    # pauses the changelog, and no partition is active any more (issue 8).
    changelog = TP(sorted(app.tables.changelog_topics)[0], 0)
    states = {STREAM: _PartitionState(182), changelog: _PartitionState(0)}
    fetcher = _BufferingFetcher(_Assignment(states), {STREAM: range(182, 679)})
    consumer._set_active_tps({changelog, STREAM})
    consumer.pause_partitions({STREAM})

    async def getmany(active_partitions: object, timeout: float) -> dict:
        consumer.pause_partitions({changelog})  # the event loop, while the thread waits for records
        return await fetcher.fetched_records(active_partitions)

    consumer._thread = SimpleNamespace(getmany=getmany)
    records = await consumer._getmany(active_partitions=consumer._get_active_partitions(), timeout=1.0)

    assert STREAM not in records  # Faust would have dropped them as the partition's are paused...
    assert states[STREAM].position == 182  # ...and the partition would resume at 679, behind them
    consumer._seek_pending = False
    consumer.resume_partitions({STREAM})  # sought: it flows from 182
    records = await consumer._getmany(active_partitions=consumer._get_active_partitions(), timeout=1.0)
    assert [message.offset for message in records[STREAM]] == list(range(182, 679))


def test_a_paused_partition_stays_paused_when_its_buffer_drains(consumer: Consumer) -> None:
    consumer._set_active_tps({STREAM})
    consumer.on_buffer_full(STREAM)  # its agent's buffer filled up: no more fetching for now
    consumer.pause_partitions({STREAM})  # a rebalance: held until sought
    consumer.on_buffer_drop(STREAM)
    assert STREAM not in consumer._get_active_partitions()
    consumer._seek_pending = False
    consumer.resume_partitions({STREAM})  # sought
    assert STREAM in consumer._get_active_partitions()


async def test_a_record_dropped_past_the_sought_offset_seeks_back_to_it(consumer: Consumer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fix 1: the fetcher got past the sought offset (its records handed out before the seek was known):
    the dropped records would never come again, so the partition is sought back, once for the run."""
    sought: list[tuple[TP, int]] = []

    async def seek(tp: TP, offset: int) -> None:
        sought.append((tp, offset))

    batches = [[12, 13, 14], [10, 11, 12]]  # late records past 10, then the fetch from 10 after the seek back

    async def fetched(self, timeout: float):  # the parent's getmany: what the fetcher hands out
        for offset in batches.pop(0):
            yield STREAM, _message(offset)

    monkeypatch.setattr(consumer, "seek", seek)
    monkeypatch.setattr(transport.driver.Consumer, "getmany", fetched)
    consumer._placed(STREAM, 10)
    assert [m.offset async for _, m in consumer.getmany(1.0)] == []  # dropped ...
    assert sought == [(STREAM, 10)]  # ... and sought back once
    assert [m.offset async for _, m in consumer.getmany(1.0)] == [10, 11, 12]
    assert STREAM not in consumer._expect


async def test_records_dropped_before_the_sought_offset_do_not_seek(consumer: Consumer, monkeypatch: pytest.MonkeyPatch) -> None:
    sought: list[tuple[TP, int]] = []

    async def seek(tp: TP, offset: int) -> None:
        sought.append((tp, offset))

    async def fetched(self, timeout: float):
        for offset in (7, 8, 9, 10):  # the old position's records, then the sought one
            yield STREAM, _message(offset)

    monkeypatch.setattr(consumer, "seek", seek)
    monkeypatch.setattr(transport.driver.Consumer, "getmany", fetched)
    consumer._placed(STREAM, 10)
    assert [m.offset async for _, m in consumer.getmany(1.0)] == [10]
    assert sought == []
