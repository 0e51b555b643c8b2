"""The process's memory allocator, set for the bayesian sampler's arrays.

glibc's malloc serves a block of ``M_MMAP_THRESHOLD`` or more with a mapping of its own
(128 KiB at first; each such block freed raises it to that block's size, up to 32 MiB), and
hands the top of its heap back to the kernel once more than ``M_TRIM_THRESHOLD`` of it is
free (twice the first). A suggestion allocates and frees arrays of a few hundred KiB to a
few MiB hundreds of times (the kernel's fit alone evaluates its likelihood some 30 times,
each on a dozen 187 x 187 matrices at 200 results), so with those defaults much of that
memory goes back to the kernel and returns as fresh pages that it zeroes and maps again:
about 2600 page faults per suggestion at 200 results. With blocks up to 32 MiB from the
heap, and up to 16 MiB of it kept free, 164, and a suggestion there takes 41-43 ms instead
of 45-46 with a refit, 14-15 instead of 18-19 without (four runs of five; at 1000 results,
where glibc's own thresholds have risen past these, the same within the noise); the process's
peak memory is the same (``python benchmarks/threads.py --allocator``).
"""

from __future__ import annotations

import ctypes
import os

MMAP_THRESHOLD = 32 << 20
"""Blocks up to this size come from the heap (glibc's largest dynamic threshold)."""

TRIM_THRESHOLD = 16 << 20
"""Up to this much free memory at the top of a heap stays with the process: enough for a
suggestion at 200 results, and less than glibc itself keeps once a suggestion at 1000 has
freed its arrays (twice the largest of them: 24 MiB). The operator runs its handlers on a pool of
threads, each with a heap of its own (glibc's arenas), and each keeps up to this much."""

_M_TRIM_THRESHOLD = -1  # mallopt's parameters, from glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def malloc_set_by_environment() -> bool:
    """Whether the environment gives malloc settings of its own (glibc reads ``MALLOC_*_``
    variables and ``glibc.malloc`` tunables when the process starts), which then stand."""
    return any(name.startswith("MALLOC_") for name in os.environ) or (
        "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")
    )


def keep_freed_memory() -> bool:
    """Set glibc's malloc to serve blocks up to ``MMAP_THRESHOLD`` from its heap and to keep
    up to ``TRIM_THRESHOLD`` of it free, unless the environment sets malloc up itself;
    whether it did. Elsewhere than glibc (musl's ``mallopt`` does nothing, macOS has none)
    nothing changes. For every thread, from the next block each allocates."""
    if malloc_set_by_environment():
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library the process runs on
    except (AttributeError, OSError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
