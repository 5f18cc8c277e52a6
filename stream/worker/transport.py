"""The Kafka transport of the worker: Faust's aiokafka transport, made to lose no record.

Around rebalances and table recovery Faust (0.15) can commit an input offset past records no agent
processed: the committed offset moves on and those records are never seen again. The fixes, all in
:class:`Consumer`:

1. **Stream partitions flow only once they are sought.** After a rebalance Faust resumes the stream
   partitions and only then, after a broker round trip, seeks them to their committed offsets. In
   between, the fetcher hands out records from wherever the client's position was. When the seek
   lands, Faust resets its "last read" offset to the committed one while the rest of that early
   batch is still being delivered: the next record is a few offsets ahead, Faust takes the
   difference for a gap (as left by compaction or transaction markers) and counts the missing
   offsets as acknowledged, and the same records fetched again from the sought position are then
   dropped as "already read". Seen in tests/faults/test_rebalance.py: relate input offsets
   1720-1722 never processed, "gap 1721..1723 (committed 1720)", the next commit 1724. So a newly
   assigned stream partition stays paused until :meth:`perform_seek` has placed it. And a fetch
   still under way when the seek lands (it waits up to a second, longer than a quick rebalance
   takes) returns records from the old position stamped with the new generation: seen as "offsets
   1372..1863 not delivered: counted as a gap" right after a seek to 1371. So after a seek the next
   record handed out for a partition must be the one at the sought offset; others are dropped
   (they are fetched again from there). A dropped record *past* the sought offset means the fetcher
   is already beyond it (records of the sought position were handed out before ``_expect`` was set,
   or a late fetch moved the position on): nothing would bring those records again, and once the
   partition's last record had been dropped it stalled for good with no ack, so no hole (fix 4) to
   notice it (tests/faults/test_rebalance.py: "dropped ...: fetched before the seek", then three
   partitions stuck at 1,613 of 4,000). So such a drop seeks the partition back to that offset.

2. **A partition without a committed offset is sought to the beginning.** Faust does not seek it at
   all, so it stayed wherever the fetcher had got to while recovery ran, and the records fetched
   meanwhile were dropped: a new worker that started on a backlog lost about half of it
   (tests/worker/test_backlog.py). ``consumer_auto_offset_reset="earliest"`` promises the beginning.

3. **Only a record the agent processed counts as acknowledged.** The stream skips an event from an
   earlier generation or one that arrives while flow control is suspended. Faust's pure-Python
   stream iterator acknowledges every skipped event, even on a ``noack()`` stream; the compiled one
   (used when Faust's extension is installed, as here) skips it without an acknowledgement. The
   agents mark what they processed (:meth:`Consumer.processed`); any other acknowledgement is
   refused (and logged), so a skipped record is never committed unprocessed. It is read again from
   the committed offset when the rebalance that caused the skip seeks the partition (fix 1), or by
   fix 4 when later records of the partition were processed.

4. **A commit never passes an offset nothing processed.** Faust commits acknowledged offsets from the
   committed one on, but it also accepts a run that starts one *after* it (meant for a transaction
   marker there). So a record that never reached the agent while the next ones did is committed
   past: seen in tests/faults/test_rebalance.py, relate input 1427 never processed, commits 1427
   then 1609; and raw input 513, the first record after a seek to 513, never processed while 514-542
   were, committed past at the next revocation (Faust forgets a revoked partition's committed offset
   before it waits for the last acks, and then commits whatever run of acks comes). Here such a
   commit waits, also during a revocation (the next owner reads the partition from the committed
   offset, the unprocessed record included); if the hole is still there after
   :data:`HOLE_GRACE_SECONDS`, the partition is read again from the committed offset (the records
   after it come again; the relate stage does not emit again what it has emitted). If the hole
   is still there after :data:`MAX_REREADS` such reads, the offset holds no record (a transaction
   marker) and the commit may pass it, as Faust would. With ``ARTICLE_STREAM_RAW_TRANSACTIONAL`` the
   input topic keeps Faust's rule (there a marker after every transaction would cost a wait each).

5. **The fetcher thread hands out records only of partitions active when it takes them.** Faust
   passes its live set of active partitions to the consumer thread, and aiokafka reads an empty
   collection as "every assigned partition". When that set empties during a fetch - after table
   recovery the changelog partitions are paused while the stream partitions are still held until
   sought - aiokafka hands out the buffered records of every partition, moving their positions on,
   and Faust discards those of the paused ones. If that happens after the seek of fix 1 and before
   its resume, a stream partition resumes behind records it is never given again (nothing was
   processed, so nothing is acked, committed or logged). Seen in tests/faults/test_rebalance.py
   (issue 8): after the second worker left, every stream partition stopped with the remaining
   records behind the committed offsets and nothing in the log after "Worker ready". A probe in a
   run with repeated joins caught it: tagged[0] records 182-678 taken for a held partition between
   the seek to 182 and the resume, then "dropped ...@679: fetched before the seek to 182". So the
   thread gets a view that is never empty and answers membership from the live set. Likewise a
   paused partition stays paused when its agent's buffer drains (Faust's ``on_buffer_drop`` would
   activate it, e.g. a stream partition held until sought).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator
from time import monotonic
from typing import Any

from faust.transport.consumer import ensure_TP, ensure_TPset
from faust.transport.drivers import aiokafka as driver
from faust.types import TP


# How long the committed offset of a partition may stay unprocessed while later offsets are acked
# before the partition is read again from it (a few commit intervals: Faust commits every 2.8 s).
HOLE_GRACE_SECONDS = 10.0
MAX_REREADS = 3


class _ActiveNow:
    """The partitions the consumer thread may take buffered records of: those active at that moment
    (fix 5). Truthy even when none is, so that aiokafka does not read it as "every partition"."""

    __slots__ = ("_consumer",)

    def __init__(self, consumer: Consumer) -> None:
        self._consumer = consumer

    def __bool__(self) -> bool:
        return True

    def __contains__(self, tp: object) -> bool:
        # Called in the consumer thread while the event loop changes the set: looked up on every
        # test (never a copy), and a set membership test is atomic.
        return tp in (self._consumer._active_partitions or ())

    def __iter__(self) -> Iterator[TP]:
        return iter(list(self._consumer._active_partitions or ()))

    def __len__(self) -> int:
        return len(self._consumer._active_partitions or ())


class Consumer(driver.Consumer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._processed: weakref.WeakSet = weakref.WeakSet()
        self._holes: dict[TP, tuple[int, float]] = {}  # partition -> (unprocessed committed offset, since)
        self._rereads: dict[TP, tuple[int, int]] = {}  # partition -> (committed offset read again from, times)
        # partition -> the offset its acks must start from: the committed one, or where a partition
        # without one was sought to. Unlike Faust's committed offsets it survives a revocation, when
        # the acks of the last events still come in and are committed.
        self._floor: dict[TP, int] = {}
        # partition -> the offset it was just sought to: the next record handed out must be that one.
        # A fetch that was under way when the seek landed (Faust's fetch waits up to a second, longer
        # than a quick rebalance) still returns records from the old position; they are dropped, and
        # read again from the sought one.
        self._expect: dict[TP, tuple[int, float]] = {}  # -> (offset, since)
        self._sought_back: dict[TP, float] = {}  # partition -> when a drop last sought it back (fix 1)
        self._seek_pending = True  # from an assignment until perform_seek has placed its stream partitions
        self._held: set[TP] = set()  # stream partitions Faust resumed before they were sought

    def _is_stream_tp(self, tp: TP) -> bool:
        return tp.topic not in self.app.tables.changelog_topics

    def _commits_contiguously(self, tp: TP) -> bool:
        """Whether every offset of ``tp`` is a record, so a commit must not pass an unprocessed one."""
        settings = self.app.services.settings
        return self._is_stream_tp(tp) and not (settings.raw_transactional and tp.topic == settings.topic_raw)

    def _placed(self, tp: TP, offset: int) -> None:
        if self._commits_contiguously(tp):
            self._expect[ensure_TP(tp)] = (offset, monotonic())

    async def getmany(self, timeout: float) -> Any:
        async for tp, message in super().getmany(timeout):
            expected = self._expect.get(ensure_TP(tp))
            if expected is not None:
                offset, since = expected
                # Not for ever: if that offset is gone (retention), the first record is a later one.
                if message.offset != offset and monotonic() - since < 3 * HOLE_GRACE_SECONDS:
                    self.log.info(
                        "dropped %s[%d]@%d: fetched before the seek to %d", tp.topic, tp.partition, message.offset, offset
                    )
                    if message.offset > offset:  # the fetcher is past the sought offset: back to it
                        await self._seek_back(ensure_TP(tp), offset)
                    continue
                del self._expect[ensure_TP(tp)]
            yield tp, message

    async def _seek_back(self, tp: TP, offset: int) -> None:
        """Seek ``tp`` to ``offset`` again, once for a run of dropped records (the rest of that fetch
        comes in the same batch; another late fetch after a second seeks it back again)."""
        now = monotonic()
        if now - self._sought_back.get(tp, -1e9) < 1.0:
            return
        self._sought_back[tp] = now
        self.log.info("%s[%d]: fetched past the sought offset %d, seeking back to it", tp.topic, tp.partition, offset)
        await self.seek(tp, offset)
        self._expect[tp] = (offset, self._expect.get(tp, (offset, now))[1])  # still the record expected

    # --- 5: records only of partitions that are active when the thread takes them --------------

    async def _getmany(self, active_partitions: Any, timeout: float) -> Any:
        if active_partitions is None:  # a client-only app: every partition
            return await super()._getmany(active_partitions, timeout)
        return await super()._getmany(_ActiveNow(self), timeout)

    def on_buffer_drop(self, tp: TP) -> None:
        if ensure_TP(tp) in self._paused_partitions:  # resume_partitions activates it again
            self._buffered_partitions.discard(tp)
            return
        super().on_buffer_drop(tp)

    # --- 3: acknowledgements -------------------------------------------------------------------

    def processed(self, message: Any) -> None:
        """The agent has delivered (or dead-lettered) everything this record caused: it may be acked."""
        self._processed.add(message)

    def ack(self, message: Any) -> bool:
        if message not in self._processed and self.app.topics.acks_enabled_for(message.topic):
            self.log.warning(
                "refused to acknowledge a record no agent processed (skipped by the stream): %s[%d]@%d, "
                "generation %r (current %r)",
                message.topic, message.partition, message.offset, message.generation_id, self.app.consumer_generation_id,
            )  # fmt: skip
            return False
        acked = super().ack(message)
        self.log.debug("ack %s[%d]@%d: %s", message.topic, message.partition, message.offset, acked)
        return acked

    # --- 1: no records before the seek ---------------------------------------------------------

    async def on_partitions_revoked(self, revoked: set[TP]) -> None:
        # Faust forgets the committed offsets and pending acks of revoked partitions before it waits
        # for the last events; their acks then continue from where the forgotten ones left off.
        for tp in revoked:
            floor = self._committed_offset.get(tp)
            floor = self._floor.get(tp) if floor is None else floor
            if floor is not None and self._is_stream_tp(tp):
                for offset in sorted(set(self._acked.get(tp, ()))):
                    if offset == floor:
                        floor += 1
                    elif offset > floor:
                        break
                self._floor[tp] = floor
        await super().on_partitions_revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TP], generation_id: int = 0) -> None:
        # Paused before Faust makes the new assignment active: nothing of it flows until sought.
        self._seek_pending = True
        self._held.clear()
        self._paused_partitions.update(ensure_TP(tp) for tp in assigned if self._is_stream_tp(tp))
        await super().on_partitions_assigned(assigned, generation_id)

    def resume_partitions(self, tps: Iterable[TP]) -> None:
        tps = set(tps)
        if self._seek_pending:
            hold = {ensure_TP(tp) for tp in tps if self._is_stream_tp(tp)}
            self._held |= hold
            tps -= hold
        super().resume_partitions(tps)

    async def perform_seek(self) -> None:
        await super().perform_seek()
        stream_tps = [tp for tp in self.assignment() if self._is_stream_tp(tp)]
        uncommitted = [tp for tp in stream_tps if self._committed_offset.get(tp) is None]
        if uncommitted:
            self.log.info("Seek partitions without a committed offset to the beginning: %r", sorted(uncommitted))
            for tp, offset in (await self.earliest_offsets(*uncommitted)).items():
                await self.seek(tp, offset)
                self._floor[tp] = offset
        for tp in stream_tps:  # everything from the sought offset on is read again: old gaps mean nothing
            self._gap.pop(tp, None)
            committed = self._committed_offset.get(tp)
            if committed is not None:
                self._floor[tp] = committed
            if self._floor.get(tp) is not None:
                self._placed(tp, self._floor[tp])
        if self._held:  # the seek after Faust resumed the stream partitions: now they may flow
            held, self._held = self._held, set()
            self._seek_pending = False
            self.log.info(
                "Stream partitions sought, resuming: %s",
                ", ".join(f"{tp.topic}[{tp.partition}]@{self._committed_offset.get(tp)}" for tp in sorted(held)),
            )
            super().resume_partitions(ensure_TPset(held) & ensure_TPset(self.assignment()))

    # --- 4: no commit past an unprocessed offset ---------------------------------------------

    def _acks_start(self, tp: TP) -> int | None:
        """The offset the acks of ``tp`` must start from: the committed one, or the floor when Faust
        has forgotten it (revoked: the last acks still come in) or there is none (a new group)."""
        committed = self._committed_offset.get(tp)
        return self._floor.get(tp) if committed is None else committed

    def _new_offset(self, tp: TP) -> int | None:
        acked = self._acked.get(tp)
        committed = self._acks_start(tp)
        if acked and committed is not None and self._commits_contiguously(tp) and self._rereads.get(tp) != (committed, None):
            gaps = self._gap.get(tp)
            if min(acked) > committed and not (gaps and gaps.overlaps(committed)):
                hole = self._holes.get(tp)
                if hole is None or hole[0] != committed:
                    self._holes[tp] = (committed, monotonic())
                    self.log.info(
                        "%s[%d]: offset %d not processed yet, %d after it are: commit waits",
                        tp.topic, tp.partition, committed, len(acked),
                    )  # fmt: skip
                return None
        self._holes.pop(tp, None)
        return super()._new_offset(tp)

    async def commit(self, topics: Any = None, start_new_transaction: bool = True) -> bool:
        try:
            await self._read_holes_again()
        except Exception:  # the commit must go on; the hole is looked at again next time
            self.log.exception("reading a partition again from its committed offset failed")
        return await super().commit(topics, start_new_transaction)

    async def _read_holes_again(self) -> None:
        if not self._holes or self.app.rebalancing or not self.flow_active or self._seek_pending:
            return
        now, assignment = monotonic(), self.assignment()
        for tp, (offset, since) in list(self._holes.items()):
            if tp not in assignment or self._acks_start(tp) != offset:
                del self._holes[tp]
                continue
            if now - since < HOLE_GRACE_SECONDS:
                continue
            del self._holes[tp]
            previous, times = self._rereads.get(tp, (offset, 0))
            times = times + 1 if previous == offset else 1
            if times > MAX_REREADS:
                self.log.warning(
                    "offset %d of %s[%d] is still missing after reading it again %d times: it holds no record "
                    "(a transaction marker?), the commit passes it",
                    offset, tp.topic, tp.partition, MAX_REREADS,
                )  # fmt: skip
                self._rereads[tp] = (offset, None)  # None: given up, Faust's rule applies to this offset
                continue
            self._rereads[tp] = (offset, times)
            self.log.warning(
                "offset %d of %s[%d] was never processed, though %d after it were: reading the partition again from it",
                offset, tp.topic, tp.partition, len(self._acked.get(tp, ())),
            )  # fmt: skip
            self.pause_partitions({ensure_TP(tp)})  # what is fetched already is not handed out any more
            try:
                await self.seek(tp, offset)
                self._gap.pop(tp, None)
                self._placed(tp, offset)
            finally:
                super().resume_partitions({ensure_TP(tp)})

    # --- diagnostics ---------------------------------------------------------------------------

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # Faust counts offsets it never saw as acknowledged (right for compaction and transaction
        # markers); logged so that a gap in a topic that cannot have one is visible.
        self.log.info(
            "offsets %d..%d of %s[%d] not delivered: counted as a gap", offset_from, offset_to - 1, tp.topic, tp.partition
        )
        await super()._add_gap(tp, offset_from, offset_to)

    async def _commit_offsets(self, offsets: Any, start_new_transaction: bool = True) -> bool:
        self.log.debug("commit %r", dict(offsets))
        committed = await super()._commit_offsets(offsets, start_new_transaction)
        for tp, offset in offsets.items():
            if self._is_stream_tp(tp) and offset > self._floor.get(tp, -1):
                self._floor[tp] = offset
        return committed


class Transport(driver.Transport):
    Consumer = Consumer
