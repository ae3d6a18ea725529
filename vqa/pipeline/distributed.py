"""`vqa eval` under ``torch.distributed``: ranks from torchrun's environment, gathers on rank 0.

``torchrun --standalone --nproc_per_node N -m vqa eval ...`` (or ``vqa eval --nproc N``, which runs
that) starts N copies of the command with ``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR`` and ``MASTER_PORT``
in the environment. Each copy loads the questions, graphs and model, answers its share of the
chunks, and sends the answers to rank 0, which alone writes files and prints. Answers travel as
pickled Python objects over gloo, which needs no GPU and works across machines.
"""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import torch.distributed as dist

__all__ = ["rank", "world_size", "start", "gather_to_first", "broadcast_from_first", "stop", "launch"]


def rank() -> int:
    """This process's rank (0 outside torchrun)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes torchrun started (1 outside torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def start() -> bool:
    """Join torchrun's process group (gloo) when there is more than one rank; True when joined."""
    if world_size() < 2:
        return False
    if not dist.is_initialized():
        dist.init_process_group("gloo")
    return True


def gather_to_first(obj: Any) -> list[Any] | None:
    """Every rank's ``obj`` on rank 0, in rank order; None on the others (and ``[obj]`` alone)."""
    if not dist.is_initialized():
        return [obj]
    out = [None] * dist.get_world_size() if dist.get_rank() == 0 else None
    dist.gather_object(obj, out, dst=0)
    return out


def broadcast_from_first(obj: Any) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not dist.is_initialized():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def stop() -> None:
    """Leave the process group (every rank, after the last collective)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def launch(nproc: int, argv: list[str]) -> int:
    """Run ``python -m vqa ARGV`` as ``nproc`` ranks on this machine with torchrun; its exit status."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", "-m", "vqa", *argv]
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    return subprocess.run(cmd, env=env).returncode
