"""The worker's event loop: uvloop (a declared dependency), whose loop costs less per callback and
per socket read than asyncio's pure-Python selector loop."""

from __future__ import annotations

import asyncio


def use_uvloop() -> bool:
    """Make uvloop's the event loop of every loop created from now on. Call it before the Faust app
    (or anything that asks for a loop) is made. False when uvloop cannot be imported (not on this
    platform): the worker then runs on asyncio's loop, as before."""
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True
