"""A Faust worker whose shutdown is bounded: SIGTERM or Ctrl-C at any moment ends the process within
``shutdown_grace_seconds``.

Faust stops its services in order when signalled, and some of those steps wait on the group: a
worker in the middle of a rebalance (one whose peer was just killed) waits for the re-join before it
leaves, which took 51 s. The signal also only takes effect when the event loop runs it. So the
signal handler here is a plain one (it runs between any two bytecodes, loop or no loop): it arms a
timer thread that ends the process when the grace period is over, then asks the worker to stop in
order as before. A clean stop within the period exits 0; the timer exits 1 and says so on stderr.
Anything not committed by then is redone by the partition's next owner (at-least-once).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

from faust.worker import Worker


class BoundedWorker(Worker):
    def __init__(self, *args: Any, grace_seconds: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grace_seconds = grace_seconds
        self._deadline: threading.Timer | None = None

    def arm_deadline(self, signum: int) -> None:
        if self._deadline is not None:
            return
        started = time.monotonic()

        def expire() -> None:
            message = (f"article-stream worker: still stopping {time.monotonic() - started:.1f} s after "
                       f"{signal.Signals(signum).name}: exiting now (uncommitted work is redone by the next owner)\n")
            os.write(2, message.encode())
            os._exit(1)

        self._deadline = threading.Timer(self.grace_seconds, expire)
        self._deadline.daemon = True
        self._deadline.start()

    def _install_signal_handlers_unix(self) -> None:
        super()._install_signal_handlers_unix()
        for signum, stop in ((signal.SIGTERM, self._on_sigterm), (signal.SIGINT, self._on_sigint)):
            self.loop.remove_signal_handler(signum)
            signal.signal(signum, self._handler(stop))

    def _handler(self, stop: Any) -> Any:
        def handle(signum: int, frame: Any) -> None:
            self.arm_deadline(signum)
            self.loop.call_soon_threadsafe(stop)

        return handle


def install_early_deadline(grace_seconds: float) -> None:
    """Before the worker installs its own handlers (imports, topic creation): SIGTERM or Ctrl-C ends
    the process at once, there being nothing to hand over yet; SIGTERM's default does that already."""
    signal.signal(signal.SIGINT, lambda signum, frame: os._exit(130))
