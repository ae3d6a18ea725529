"""`vqa train` under torchrun: DistributedDataParallel over the ranks torchrun starts.

``torchrun --nproc_per_node N -m vqa train reasoner ...`` starts N copies with ``RANK``,
``LOCAL_RANK`` and ``WORLD_SIZE`` set. Each copy builds the same data and model; DDP makes the
starting weights rank 0's and averages the gradients of every step over the ranks, so all ranks
take the same steps. Each rank draws its own batches (``rank_seed``) of ``batch_size / N`` questions:
a step still sees ``batch_size`` questions. Rank 0 alone writes checkpoints, weights and model card.
The backend is gloo on CPU and nccl on GPU.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn

from ..errors import DataError

__all__ = ["rank", "world_size", "start", "begin", "wrap", "local_batch", "rank_seed", "agree", "barrier", "stop"]


def rank() -> int:
    """This process's rank (0 outside torchrun)."""
    return int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many ranks torchrun started (1 outside torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def start(device: str = "cpu") -> str:
    """Join torchrun's process group when there is more than one rank; the device this rank uses
    (``cuda`` becomes ``cuda:<LOCAL_RANK>``)."""
    if world_size() < 2:
        return device
    if device.startswith("cuda"):
        device = f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    return device


def begin(log: Callable, batch_size: int, workdir: str | Path, fresh: bool, threads: int, seed: int
          ) -> tuple[Callable, int]:
    """How every reasoner training run starts, under torchrun or not: the batch is checked to split over
    the ranks (before any data is built), rank 0 clears ``workdir`` when ``fresh`` while the others wait,
    and torch gets ``threads`` and ``seed``. Returns the log (a no-op on ranks other than 0) and this
    rank's share of ``batch_size``."""
    per_rank = local_batch(batch_size)
    if fresh and rank() == 0:
        shutil.rmtree(workdir, ignore_errors=True)
    barrier()  # no rank reads the work folder before it is cleared
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    return (log if rank() == 0 else (lambda *a, **k: None)), per_rank


def wrap(model: nn.Module, device: str = "cpu") -> nn.Module:
    """``model`` in DistributedDataParallel when there are several ranks, else itself."""
    if not dist.is_initialized():
        return model
    ids = [torch.device(device).index] if device.startswith("cuda") else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def local_batch(batch_size: int) -> int:
    """Questions per step on this rank: ``batch_size`` shared out over the ranks."""
    n = world_size()
    if batch_size % n:
        raise DataError(f"--batch-size {batch_size} does not split evenly over {n} ranks; give a multiple of {n}")
    return batch_size // n


def rank_seed(seed: int) -> int | str:
    """``seed`` in one process (the draws of a run without torchrun); a seed of its own per rank otherwise."""
    return seed if world_size() < 2 else f"{seed}/rank {rank()} of {world_size()}"


def agree(flag: bool) -> bool:
    """Rank 0's ``flag`` on every rank (a decision all ranks must take together, e.g. stopping)."""
    if not dist.is_initialized():
        return flag
    t = torch.tensor([int(flag)], device="cuda" if dist.get_backend() == "nccl" else "cpu")
    dist.broadcast(t, src=0)
    return bool(t.item())


def barrier() -> None:
    """Wait until every rank is here (e.g. rank 0 has cleared the work folder)."""
    if dist.is_initialized():
        dist.barrier()


def stop() -> None:
    """Leave the process group."""
    if dist.is_initialized():
        dist.destroy_process_group()
