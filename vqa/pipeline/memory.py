"""Memory settings for `vqa eval`'s model mode: freed memory kept for the next batch (glibc's
``mallopt``), and the cyclic garbage collector off while a run loads and answers.

glibc's ``malloc`` serves every block over 32 MiB (and, until its threshold has grown, smaller
ones) with its own ``mmap`` and unmaps it when freed. The reasoner's batch of 1,024 questions has
activations of that size, so every batch got fresh pages from the kernel and paid a page fault
per 4 KiB on first touch: about 100,000 faults and 15-20 % of the answering CPU time (measured
over 5,000 CLEVR questions). With ``mmap`` off and a high trim threshold, freed blocks stay in the
heap and the next batch reuses them. The arithmetic is unchanged: only where buffers live.

The setting is process-wide and stays: the process keeps its peak heap until it exits, which
for a model-mode run (a few hundred MB at batch 1,024) is the memory it uses anyway.

Python's cyclic collector runs every few hundred allocations and, now and then, walks every object
the process holds. Loading CLEVR's questions and scenes makes about a million long-lived objects
(the JSON), so over a run of 5,000 questions the collector spent about 1 s of a 3 s run walking
them again and again (measured with ``gc.callbacks``), and more the more questions a run answers.
Nothing a run makes needs it: JSON, records and tensors hold no reference cycles, and reference
counting frees them. ``no_cyclic_gc`` turns it off for the run and back on after.
"""
from __future__ import annotations

import ctypes
import gc
import sys
from contextlib import contextmanager
from collections.abc import Iterator

__all__ = ["keep_freed_memory", "no_cyclic_gc"]

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


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector off inside (module docstring); as it was on exit, which collects
    whatever cycles the run left."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
