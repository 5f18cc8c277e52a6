"""Give the pages a bulk build of the index freed back to the operating system.

Rebuilding the index of a large window grows its arrays, lists and dicts by reallocation; glibc keeps
the blocks they left behind inside its heap, where they hold resident memory nobody uses (~10 MB for
a 100,000-article window, ~100 bytes per held article, measured on the worker). ``malloc_trim(0)``
returns their pages. Elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import lru_cache


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def release_free_heap() -> bool:
    """Return free heap pages to the OS; whether the C library could (glibc)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
