"""The Kafka transport of the worker: Faust's aiokafka transport with one fix.

After table recovery Faust seeks each stream partition to its committed offset. A partition with no
committed offset yet (a new consumer group) is not sought at all, so it stays wherever the fetcher
had got to while recovery ran, and the records fetched during recovery are dropped: a new worker
that started on a backlog lost about half of it (tests/worker/test_backlog.py). Such partitions are
sought to the beginning instead, as ``consumer_auto_offset_reset="earliest"`` promises.
"""

from __future__ import annotations

from faust.transport.drivers import aiokafka as driver


class Consumer(driver.Consumer):
    async def perform_seek(self) -> None:
        await super().perform_seek()
        changelogs = self.app.tables.changelog_topics
        uncommitted = [tp for tp in self.assignment() if tp.topic not in changelogs and tp not in self._committed_offset]
        if uncommitted:
            self.log.info("Seek partitions without a committed offset to the beginning: %r", sorted(uncommitted))
            for tp, offset in (await self.earliest_offsets(*uncommitted)).items():
                await self.seek(tp, offset)


class Transport(driver.Transport):
    Consumer = Consumer
