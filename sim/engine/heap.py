"""Freed arrays kept for the next day's, in big runs (glibc's ``malloc``).

A day at a million users makes and frees dozens of per-user arrays of 1 to 8 MB.
By default glibc hands blocks that size back to the kernel when they are freed
(``mmap``, or trimming the heap's top), and the next day's arrays take page
faults to get memory again: 300,000 to 530,000 of them in 120 days of a
million-user run here, with 4.9 to 6.2 s of system time. With a fixed ``mmap``
threshold of 32 MB (glibc's largest) and no trimming, such blocks come from the
heap and are reused: 90,000 faults, 3.1 to 4.7 s of system time, and the peak
11 MiB higher (measured at stop 32, ``docs/PERFORMANCE.md``). Arrays of 32 MB or
more, per-arc arrays among them, are not affected. One arena for every thread
(``M_ARENA_MAX``) keeps the threads from holding free blocks apart: 1,408
against 1,429 MiB after 11 days at a million users (stop 33).

Why by hand: ``mallopt`` is a C library call with no Python binding; numpy
allocates through ``malloc`` and has no setting for this. Other C libraries
(musl, macOS) are left as they are.
"""

from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
MMAP_THRESHOLD = 32 * 1024 * 1024
"""glibc's largest ``mmap`` threshold on 64-bit machines (``DEFAULT_MMAP_THRESHOLD_MAX``)."""

TRIM_THRESHOLD = 2**31 - 1
"""Free memory at the heap's top kept before trimming (the largest ``mallopt`` takes)."""

BIG_RUN_USERS = 100_000
"""Users from which a model keeps freed blocks: its per-user arrays are 0.1 MB and more."""

_kept = False


def keep_freed_blocks() -> bool:
    """Have glibc keep freed blocks up to 32 MB for reuse, once a process; return whether it does.

    Process-wide: called when a model of ``BIG_RUN_USERS`` or more is built
    (``SocialCommerceModel``), not on import, so small runs, tests and notebooks
    keep the C library's defaults.
    """
    global _kept
    if _kept:
        return True
    if os.name != "posix":  # Windows: no C library to load by name None
        return False
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 (glibc only: musl and macOS lack it)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # one arena: the threads' parts (``sim.engine.parallel``) reuse the blocks the calling
    # thread freed instead of keeping free lists of their own (20 MiB less at a million
    # users); their few large allocations barely contend for its lock
    _kept = bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        and mallopt(M_ARENA_MAX, 1)
    )
    return _kept
