"""The training loop of ``vqa train``, and its checkpoints and learning-rate schedule.

Each trainer brings its model, optimiser, scheduler, an iterable of batches and ``losses(batch)``,
the named losses of a batch, whose sum ``train`` minimises: zero the gradients, backward, clip,
step the optimiser, update the averaged weights, step the scheduler. Around that step: the
progress bar, periodic checkpoints and evaluation, and a time limit.

A checkpoint is ``checkpoint.safetensors`` in a work folder: ``model.<key>`` tensors,
``optim.<param index>.<name>`` optimiser state, ``rng.torch`` (torch's random state, for dropout) and,
in its metadata, the JSON of ``iteration`` and what the trainer adds. That one file is replaced whole
(``vqa.atomic``), so a run killed at any moment resumes from one consistent step; ``checkpoint.json``
beside it repeats the JSON for people and is read only for checkpoints older than the metadata.
The detector stage, which detectron2's trainer drives, uses them and the schedule too.
"""
from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch.optim.lr_scheduler import LambdaLR
from tqdm.auto import tqdm

from .distributed import agree
from ..atomic import atomic_path, write_text

__all__ = ["warmup_cosine", "scheduler_at", "save_checkpoint", "load_checkpoint", "train"]

_log = logging.getLogger(__name__)  # where log= sends its lines by default

META_KEY = "vqa.checkpoint"  # the safetensors metadata entry holding the checkpoint's JSON


def warmup_cosine(warmup: int, iterations: int, peak: float = 1.0) -> Callable[[int], float]:
    """``LambdaLR`` multiplier of step ``it`` (from 0): ``peak (it + 1) / warmup`` during the
    warm-up, then a cosine from ``peak`` down to ``0.02 peak`` at step ``iterations``.

    ``peak * (it + 1) / warmup`` and ``lr * ((it + 1) / warmup)`` can differ in the last bit: the
    reasoners' runs computed the rate the first way (optimiser lr 1, ``peak`` their rate), the
    detector's the second (its lr times the multiplier, ``peak`` 1). Either keeps its weights bit for bit.
    """
    def multiplier(it: int) -> float:
        if it < warmup:
            return peak * (it + 1) / warmup
        p = (it - warmup) / max(1, iterations - warmup)
        return peak * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(p, 1.0))))

    return multiplier


def scheduler_at(optimizer: torch.optim.Optimizer, multiplier: Callable[[int], float], start: int) -> LambdaLR:
    """``LambdaLR(optimizer, multiplier)`` whose next step is ``start`` (a resumed run's iteration)."""
    for g in optimizer.param_groups:
        g.setdefault("initial_lr", g["lr"])  # the base rate: LambdaLR asks for it when it starts past 0
    return LambdaLR(optimizer, multiplier, last_epoch=start - 1)


def save_checkpoint(workdir: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer, iteration: int,
                    skip: tuple[str, ...] = (), **extra) -> None:
    """Write the model's tensors (less the keys starting with ``skip``), the optimiser's state,
    ``iteration``, ``extra`` (JSON) and torch's random state to ``workdir``, all in one file replaced whole."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    # clone: tensors that share memory (tied weights) cannot go into one safetensors file
    tensors = {f"model.{k}": v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()
               if not k.startswith(skip)}
    for idx, state in optimizer.state_dict()["state"].items():
        for name, v in state.items():
            tensors[f"optim.{idx}.{name}"] = torch.as_tensor(v).detach().cpu().contiguous()
    tensors["rng.torch"] = torch.get_rng_state()
    meta = json.dumps({"iteration": iteration, **extra}, indent=1)
    with atomic_path(workdir / "checkpoint.safetensors") as tmp:
        save_file(tensors, str(tmp), metadata={META_KEY: meta})
    write_text(workdir / "checkpoint.json", meta)


def load_checkpoint(workdir: str | Path, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                    skip: tuple[str, ...] = ()) -> dict:
    """Load ``workdir``'s checkpoint into ``model`` and ``optimizer``; return its JSON (``iteration``
    and the extras), or ``{}`` where there is none. Keys starting with ``skip`` are neither read nor
    required (modules trained apart, which an older checkpoint may hold in another shape)."""
    workdir = Path(workdir)
    path = workdir / "checkpoint.safetensors"
    if not path.is_file():
        return {}
    with safe_open(str(path), "pt") as f:
        stored = (f.metadata() or {}).get(META_KEY)
    if stored is None:  # an older checkpoint: its JSON is only beside it
        if not (workdir / "checkpoint.json").is_file():
            return {}
        stored = (workdir / "checkpoint.json").read_text()
    meta = json.loads(stored)
    tensors = load_file(str(path))
    missing, unexpected = model.load_state_dict({k[6:]: v for k, v in tensors.items()
                                                 if k.startswith("model.") and not k[6:].startswith(skip)},
                                                strict=False)
    unknown = [k for k in tensors if not k.startswith(("model.", "optim.", "rng."))]  # an older format's optimiser
    if unknown or unexpected or any(not k.startswith(skip) for k in missing):
        raise RuntimeError(f"checkpoint in {workdir} does not fit the model: {(unknown + missing + unexpected)[:3]}; "
                           "delete it (or pass --fresh) to start afresh")
    state: dict[int, dict] = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, idx, name = k.split(".", 2)
            state.setdefault(int(idx), {})[name] = v
    optimizer.load_state_dict({"state": state, "param_groups": optimizer.state_dict()["param_groups"]})
    if "rng.torch" in tensors:  # dropout resumes where the killed run was: the same steps follow
        torch.set_rng_state(tensors["rng.torch"])
    return meta


def train(model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler, batches: Iterable,
          losses: Callable[..., dict], *, iterations: int, start: int = 0, clip: float | None = None,
          ema=None, workdir: str | Path | None = None, checkpoint_every: int = 500, seconds_before: float = 0.0,
          evaluate: Callable[[], dict] | None = None, eval_every: int = 0, max_minutes: float | None = None,
          progress: bool = True, desc: str = "train", log=_log.info,
          on_step: Callable[[int], None] | None = None) -> dict:
    """Train on ``batches`` (those of steps ``start``, ``start + 1``... up to ``iterations``; a few
    more if the trainer's epochs make them: the schedule then stays at its last rate).

    - ``clip``: gradient norm limit; ``ema``: an ``AveragedModel`` of ``model``, updated each step.
    - ``workdir``: checkpoint there every ``checkpoint_every`` steps and after step ``iterations``;
      ``seconds_before``: training time of the run this one resumes, counted in ``train_seconds``.
    - ``evaluate()``: scores (a flat dict of numbers) every ``eval_every`` steps before the last.
    - ``max_minutes``: stop after the step that goes past this much training time (rank 0's clock
      decides under torchrun, so that all ranks stop at the same step).
    - ``on_step(steps done)``: called after each step (and its checkpoint and evaluation).

    Returns ``{"iterations": steps done, "train_seconds", "history": [{"iteration", **scores}],
    "loss": the last step's summed loss}``.
    """
    params = [p for g in optimizer.param_groups for p in g["params"]]
    bar = tqdm(total=iterations, initial=start, disable=not progress, desc=desc)
    history, done, loss = [], start, None
    t0 = time.time()
    model.train()
    for it, batch in enumerate(batches, start):
        named = losses(batch)
        loss = sum(named.values())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(params, clip)
        optimizer.step()
        if ema is not None:
            ema.update_parameters(model)
        if scheduler.last_epoch < iterations - 1:
            scheduler.step()
        done = it + 1
        bar.update(1)
        if it % 50 == 0:
            bar.set_postfix({k: f"{v.item():.3f}" for k, v in named.items()})
        if workdir is not None and (done % checkpoint_every == 0 or done == iterations):
            save_checkpoint(workdir, model, optimizer, done, train_seconds=seconds_before + time.time() - t0)
        if evaluate is not None and done % eval_every == 0 and done < iterations:
            scores = evaluate()
            history.append({"iteration": done, **scores})
            log(f"iteration {done}: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
            model.train()
        if on_step is not None:
            on_step(done)
        if max_minutes is not None and agree(time.time() - t0 > 60 * max_minutes):
            log(f"stopping at iteration {done}: over {max_minutes} minutes of training")
            break
    bar.close()
    return {"iterations": done, "train_seconds": seconds_before + time.time() - t0, "history": history,
            "loss": None if loss is None else loss.item()}
