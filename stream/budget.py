"""The enrich half (validate, normalize, tag) in a child process, under a CPU budget per article.

An article whose processing takes more CPU than ``processing_budget_seconds`` must not hold its
partition. Python cannot reliably interrupt a thread: an exception raised into it (a signal handler,
or ``PyThreadState_SetAsyncExc``) is delivered only between bytecodes, so one long C call (a regex
that backtracks, ``str.find`` over a megabyte) runs to its end holding the GIL, and with it the
event loop. A process can always be stopped. So the worker keeps one child process that runs
``Pipeline.prepare``; the parent sends it each record's bytes through a pipe and awaits the answer
without blocking its event loop (heartbeats, HTTP, the relate agent go on). When the child has used
more CPU than the budget on one article, the parent kills it (SIGKILL), dead-letters the article
as ``processing_budget_exceeded`` with the stage the child was in, and starts a new child.

Cost per article: pickling the record's bytes and the Outcome through a pipe (tens of µs, against
1-2 ms of processing), and a second copy of the tagger's resources in memory. In return the parent
runs emit and relate while the child tags the next article, so the two cores are both used.
See docs/design.md ("A CPU budget per article").
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import gc
import logging
import mmap
import os
import pickle
import signal
import struct
import subprocess
import sys
import tempfile
import time
from typing import Any, BinaryIO

from stream.contracts import DeadLetter, EnrichedArticle, ErrorCode
from stream.core.config import CoreConfig
from stream.core.deadletters import StageError, dead_letter
from stream.core.pipeline import Origin, Outcome

log = logging.getLogger("article_stream.worker")

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_FRAME = struct.Struct("<I")  # each message: its length, then a pickle


def _write(out: BinaryIO, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(data)) + data)
    out.flush()


def _read(src: BinaryIO) -> Any:
    head = src.read(_FRAME.size)
    if len(head) < _FRAME.size:
        raise EOFError
    (size,) = _FRAME.unpack(head)
    return pickle.loads(src.read(size))


STAGES = ("validate", "normalize", "tag")


# Python's small-object allocator takes memory from the kernel in 1 MiB arenas and hands an arena
# back as soon as it is empty (keeping one). A 1 MiB article makes some 14 MiB of small objects
# (tokens, matches, spans): on every such article those arenas were mapped and faulted in anew
# (2,000-3,600 page faults), while the objects of a 256 KiB one fitted in arenas that stayed. That
# made CPU grow faster than the input (4.0-4.6x for 4x the bytes). Arenas that each hold one live
# object are never handed back, and their free pools serve objects of every size.
OBJECT_RESERVE_MIB = 48


def _hold_object_arenas(mib: int) -> list[bytes]:
    """Keep about ``mib`` MiB of allocator arenas mapped: fill them with small objects, then keep one
    object in a thousand (a few per arena, each pinning one 16 KiB pool; the other pools are free)."""
    filler = [bytes(200) + i.to_bytes(8, "little") for i in range(mib * 4600)]  # 240-byte blocks: ~4,300 a MiB
    return filler[::1000]


def child_main(stage_path: str) -> None:
    """The child's loop (``python -m stream.budget STAGE_FILE``): the core's configuration first (the
    child reads no environment), then one (value, origin) in, one answer out.

    The stage it is in is written to a one-byte shared file (a memory write, no system call), so a
    parent that stops it knows where it was."""
    # The parent decides when the child ends: Ctrl-C or SIGTERM to the process group must not kill
    # it half-way through an answer. A closed pipe (the parent exited or was killed) ends it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from stream.core.pipeline import Pipeline

    src, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol
    with open(stage_path, "r+b") as handle:
        stage_cell = mmap.mmap(handle.fileno(), 1)
    index = {name: i for i, name in enumerate(STAGES)}

    def on_stage(name: str) -> None:
        stage_cell[0] = index[name]

    try:
        config = _read(src)
    except (EOFError, OSError):
        return
    pipeline = Pipeline(config)
    pipeline.prepare(b'{"title": "Warm-up", "body": "SEOUL - Kim Jong-un met Vladimir Putin in Moscow."}')
    pinned = _hold_object_arenas(OBJECT_RESERVE_MIB)  # noqa: F841 (held for the process's life)
    # The tagger's resources live as long as the process: no garbage collection walks them again.
    gc.freeze()
    pipeline.on_stage = on_stage
    _write(out, ("ready", time.process_time()))
    while True:
        try:
            value, origin = _read(src)
        except (EOFError, OSError):
            return
        started = time.process_time()
        outcome = pipeline.prepare(value, Origin(*origin))
        cpu = time.process_time() - started
        # JSON, not a pickle of the models: a third of the cost, and the parent needs the JSON anyway.
        if outcome.enriched is not None:
            answer = ("enriched", _json(outcome.enriched), outcome.timings, cpu, time.process_time())
        else:
            assert outcome.dead_letter is not None
            answer = ("dead_letter", _json(outcome.dead_letter), outcome.timings, cpu, time.process_time())
        try:
            _write(out, answer)
        except BrokenPipeError:  # the parent is gone
            return


def _json(model: Any) -> bytes:
    return model.__pydantic_serializer__.to_json(model)


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) a process has used so far, from /proc (None where there is none)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime (fields 14, 15 of stat)


class BudgetedPrepare:
    """``await prepare(value, origin)``: the Outcome of ``Pipeline.prepare``, run in a child process
    that is killed (and replaced) when one article takes more than ``budget_s`` of its CPU."""

    def __init__(self, budget_s: float, config: CoreConfig | None = None) -> None:
        self.budget_s = budget_s
        self.config = config or CoreConfig()
        self._proc: subprocess.Popen | None = None
        self._buffer = bytearray()
        self._ready = False
        self.killed = 0
        self.last_cpu = 0.0  # CPU seconds the child spent on the last article it finished
        self._child_cpu = 0.0  # the child's CPU clock (process time) as it last answered
        self._lock = asyncio.Lock()
        self._last_json: bytes | None = None  # the last enriched answer's JSON (see prepare_json)
        handle = tempfile.NamedTemporaryFile(prefix="article-stream-stage-", delete=False)
        handle.write(b"\0")
        handle.close()
        self._stage_path = handle.name
        with open(self._stage_path, "r+b") as f:
            self._stage = mmap.mmap(f.fileno(), 1)
        atexit.register(self._remove_stage_file)
        atexit.register(self._kill)

    def _remove_stage_file(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self._stage_path)

    # -- the child's life ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the child, if none runs (it loads the tagger's resources in the background)."""
        if self._proc is not None and self._proc.poll() is None:
            return
        # glibc hands a large block (a 1 MiB body and its copies) back to the kernel when it is freed,
        # and the next article faults the pages in again: in this process large blocks come from
        # the heap and stay (memory use is the same at the peak; CPU per byte no longer grows with size).
        env = {"MALLOC_MMAP_THRESHOLD_": str(64 << 20), "MALLOC_TRIM_THRESHOLD_": str(256 << 20), **os.environ}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "stream.budget", self._stage_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env,
        )
        _write(self._proc.stdin, self.config)  # a few hundred bytes: the pipe takes them at once
        os.set_blocking(self._proc.stdout.fileno(), False)
        self._buffer = bytearray()
        self._ready = False

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.stdin.close()  # the child reads EOF and returns
        except OSError:
            pass
        try:
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=1.0)
        proc.stdout.close()

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
        self.stop()

    def _messages(self) -> list[Any]:
        """Every whole message the child has written so far (non-blocking)."""
        assert self._proc is not None
        fd = self._proc.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                raise EOFError
            self._buffer += chunk
        found, buf = [], self._buffer
        while len(buf) >= _FRAME.size:
            (size,) = _FRAME.unpack_from(buf)
            if len(buf) < _FRAME.size + size:
                break
            found.append(pickle.loads(bytes(buf[_FRAME.size:_FRAME.size + size])))
            del buf[:_FRAME.size + size]
        return found

    async def _readable(self, timeout: float) -> None:
        """Wait until the child has written something (or closed the pipe), or ``timeout``; the event
        loop goes on meanwhile."""
        assert self._proc is not None
        loop = asyncio.get_running_loop()
        ready = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        fd = self._proc.stdout.fileno()
        loop.add_reader(fd, wake)
        timer = loop.call_later(timeout, wake)
        try:
            await ready
        finally:
            timer.cancel()
            loop.remove_reader(fd)

    async def _wait_ready(self) -> None:
        """The child's "ready": its start-up is not charged to the first article's budget."""
        while not self._ready:
            for message in self._messages():
                if message[0] == "ready":
                    self._ready, self._child_cpu = True, message[1]
            if not self._ready:
                await self._readable(1.0)

    def _stage_name(self) -> str:
        return STAGES[self._stage[0]] if self._stage[0] < len(STAGES) else STAGES[0]

    # -- one article -------------------------------------------------------------------------------
    async def prepare(self, value: bytes, origin: Origin) -> Outcome:
        async with self._lock:  # one article at a time in the child
            return await self._prepare(value, origin)

    async def prepare_json(self, value: bytes, origin: Origin) -> tuple[Outcome, bytes | None]:
        """The Outcome, and for an enriched article the child's JSON of it: the bytes the parent's
        model was validated from, so the tagged record needs no second serialization (and a replay,
        validating the same bytes, gets the same model)."""
        async with self._lock:
            self._last_json = None
            outcome = await self._prepare(value, origin)
            return outcome, self._last_json if outcome.enriched is not None else None

    async def _prepare(self, value: bytes, origin: Origin) -> Outcome:
        self.start()
        try:
            await self._wait_ready()
            assert self._proc is not None
            pid = self._proc.pid
            # The child's CPU clock as it last answered: it has idled since, so this is where the
            # article's CPU starts (no /proc read for the usual article of a few ms).
            cpu_start, wall_start = self._child_cpu, time.monotonic()
            self._stage[0] = 0
            message = (value, (origin.topic, origin.partition, origin.offset, origin.timestamp_ms, origin.key))
            if len(value) < 32_768:  # fits the pipe's buffer, which the idle child keeps empty
                _write(self._proc.stdin, message)
            else:  # would block until the child has read most of it: not on the event loop
                await asyncio.to_thread(_write, self._proc.stdin, message)
            while True:
                for answer in self._messages():
                    return self._outcome(answer)  # one answer per article
                # CPU time accrues no faster than wall time: /proc is read only once the wall time
                # alone could have used the budget.
                waited = time.monotonic() - wall_start
                if waited < self.budget_s:
                    await self._readable(self.budget_s - waited)
                    continue
                cpu = cpu_seconds(pid)
                used = cpu - cpu_start if cpu is not None else waited
                if used >= self.budget_s:
                    break
                await self._readable(max(self.budget_s - used, 0.01))
        except asyncio.CancelledError:  # the worker stops: the article goes back to the next owner
            self._kill()
            raise
        except (EOFError, OSError) as exc:  # the child died (killed from outside, out of memory)
            stage = self._stage_name()
            code = self._proc.poll() if self._proc is not None else None
            self._kill()
            reason = f"the enrich process died in {stage} (exit code {code}): {type(exc).__name__}"
            log.error(reason, extra={"stage": stage, "offset": origin.offset})
            return Outcome(dead_letter=dead_letter(StageError(ErrorCode.processing_error, reason, stage), value, stage, origin))
        stage = self._stage_name()
        self._kill()
        self.killed += 1
        reason = f"processing used more than {self.budget_s:g} s of CPU (stopped in {stage})"
        log.warning("%s; the enrich process is restarted", reason, extra={"stage": stage, "offset": origin.offset})
        exceeded = StageError(ErrorCode.processing_budget_exceeded, reason, stage)
        return Outcome(dead_letter=dead_letter(exceeded, value, stage, origin))

    def _outcome(self, answer: tuple) -> Outcome:
        kind, data, timings, self.last_cpu, self._child_cpu = answer
        if kind == "enriched":
            self._last_json = data
            return Outcome(enriched=EnrichedArticle.model_validate_json(data), timings=timings)
        return Outcome(dead_letter=DeadLetter.model_validate_json(data), timings=timings)


if __name__ == "__main__":
    child_main(sys.argv[1])
