"""The server's memory after a class: ask glibc's allocator to keep less of what a busy hour freed.

glibc gives each thread that allocates at once an arena of its own (up to 8 per core) and keeps freed
blocks in them for reuse, so after 30 students' requests ran on many threads the server's resident
memory stays near its peak. Fewer arenas and a trim when sessions go leave less behind. Both are
no-ops where the C library is not glibc.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc

M_ARENA_MAX = -8  # mallopt's parameter number (glibc malloc.h)
ARENAS = 2  # enough for the training thread and the server's handlers not to wait on one lock


def _glibc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    return libc if libc is not None and hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_allocator_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; True if it took effect."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, arenas))


def return_freed_memory() -> None:
    """Collect reference cycles (a closed run's objects), then hand glibc's free pages back to the OS."""
    gc.collect()
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
