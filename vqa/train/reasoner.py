"""`vqa train reasoner`: data, loop, checkpoints, validation and the model card.

Data: fresh CLEVR-rule scenes with template questions from our own generator (gold graphs need
no rendering), plus the shared annotated scenes outside the validation split when given.
Validation: the shared scenes of the validation split (``vqa.data.splits``) and generated scenes
from a seed never used for training.
"""
from __future__ import annotations

import itertools
import json
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.multiprocessing as mp

from .. import atomic
from ..data.executor import ProgramError, SceneIndex
from ..data.generator import generate_questions
from ..data.scenes import sample_scenes
from ..data.splits import is_validation
from ..encode.augment import augment_question
from ..graph.io import load_clevr_scenes, load_json, scene_from_clevr, scene_to_clevr
from ..graph.scene_graph import SceneGraph
from ..reason.batching import Example, GraphCache, collate, make_example
from ..reason.config import ReasonerConfig
from ..reason.inference import run_batches
from ..reason.reasoner import Reasoner
from ..weights import write_model_card
from . import distributed
from .loop import load_checkpoint, scheduler_at, train as train_loop, warmup_cosine

__all__ = ["TrainConfig", "train_reasoner", "evaluate_examples"]

_log = logging.getLogger(__name__)  # where log= sends its lines by default


@dataclass
class TrainConfig:
    out: str = "weights/clevr-reasoner"  # writes <out>.safetensors, <out>.json, <out>.md
    workdir: str = "runs/reasoner"  # data cache and resumable checkpoints
    shared: str | None = None  # folder with CLEVR_train_scenes.json + CLEVR_train_questions.json
    scenes: int = 12000  # generated training scenes
    questions_per_scene: int = 10
    val_scenes: int = 400  # generated validation scenes (separate seed)
    iterations: int = 12000
    batch_size: int = 128
    lr: float = 2e-3
    warmup: int = 300
    weight_decay: float = 0.01
    augment: float = 0.6  # share of training questions reworded by vqa.encode.augment
    seed: int = 0
    threads: int = 2  # measured: 2 threads train ~1.4x faster than 1 at batch 128 on the 2-core machine
    device: str = "cpu"  # "cuda" where a GPU is lent: same recipe, much shorter wall time
    loader_workers: int = 0  # processes that collate batches ahead (for a GPU, whose steps outrun collation)
    eval_every: int = 2000
    checkpoint_every: int = 500
    progress: bool = True
    fresh: bool = False  # delete workdir first instead of resuming (rank 0 deletes, the others wait)
    model: ReasonerConfig = field(default_factory=ReasonerConfig)


def _generated(n: int, qps: int, seed: int, prefix: str, progress: bool) -> tuple[list[SceneGraph], list[dict]]:
    scenes = sample_scenes(n, seed=seed)
    for k, g in enumerate(scenes):
        g.image_filename = f"{prefix}_{k:06d}.png"
        g.image_index = k
    return scenes, generate_questions(scenes, questions_per_scene=qps, seed=seed, progress=progress)


def _examples(questions: list[dict], graphs: dict[str, SceneGraph], cfg: ReasonerConfig) -> list[Example]:
    type_of = dict(zip(cfg.answers, cfg.answer_type_of))
    index = {k: SceneIndex.of(g) for k, g in graphs.items()}
    out = []
    for q in questions:
        try:
            out.append(make_example(q, index[q["image_filename"]], cfg.answers, cfg.answer_types, type_of))
        except (ProgramError, ValueError):
            continue  # a question our executor cannot run on its scene is not training data
    return out


def build_data(tc: TrainConfig) -> dict:
    """Train / validation examples and the scene graphs they refer to (cached under workdir)."""
    cache_file = Path(tc.workdir) / "data.json"
    if cache_file.is_file():
        raw = json.loads(cache_file.read_text())
    else:
        train_scenes, train_q = _generated(tc.scenes, tc.questions_per_scene, tc.seed, "GEN_TRAIN", tc.progress)
        val_scenes, val_q = _generated(tc.val_scenes, tc.questions_per_scene, tc.seed + 10_000, "GEN_VAL", tc.progress)
        raw = {"train_scenes": [scene_to_clevr(g) for g in train_scenes], "train_questions": train_q,
               "val_scenes": [scene_to_clevr(g) for g in val_scenes], "val_questions": val_q}
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        # whole or absent: under torchrun every rank builds the same data, and one may read while another writes
        atomic.write_text(cache_file, json.dumps(raw))
    graphs = {s["image_filename"]: scene_from_clevr(s) for s in raw["train_scenes"] + raw["val_scenes"]}
    train_q, gen_val_q = raw["train_questions"], raw["val_questions"]
    shared_val_q: list[dict] = []
    if tc.shared:
        shared = Path(tc.shared)
        for g in load_clevr_scenes(shared / "CLEVR_train_scenes.json"):
            graphs[g.image_filename] = g
        for q in load_json(shared / "CLEVR_train_questions.json")["questions"]:
            (shared_val_q if is_validation(q["image_index"]) else train_q).append(q)
    cfg = tc.model
    return {"graphs": graphs, "train": _examples(train_q, graphs, cfg),
            "val": {"generated": _examples(gen_val_q, graphs, cfg), "shared": _examples(shared_val_q, graphs, cfg)}}


def evaluate_examples(model: Reasoner, examples: list[Example], cache: GraphCache) -> dict:
    """Accuracy overall and per question family: ``{"accuracy", "count", "per_family": {f: [acc, n]}}``."""
    preds = [0] * len(examples)
    for idx, out in run_batches(model, [e.question for e in examples], [e.scene for e in examples], cache):
        for i, p in zip(idx, out.logits.argmax(-1).tolist()):
            preds[i] = p
    right = [p == e.answer for p, e in zip(preds, examples)]
    result = {"count": len(examples), "accuracy": sum(right) / max(len(right), 1)}
    per = defaultdict(list)
    for e, r in zip(examples, right):
        per[e.family].append(r)
    result["per_family"] = {f: [sum(v) / len(v), len(v)] for f, v in sorted(per.items())}
    return result


def _bucketed_batches(train: list[Example], batch_size: int, rng: random.Random, pool: int = 16) -> list[list[Example]]:
    """``pool`` random batches regrouped by question length: padding, and so encoder time, halves."""
    # small training sets: draw with replacement rather than fail
    n = batch_size * pool
    sample = rng.sample(train, n) if n <= len(train) else rng.choices(train, k=n)
    draw = sorted(sample, key=lambda e: len(e.question))
    batches = [draw[k: k + batch_size] for k in range(0, len(draw), batch_size)]
    rng.shuffle(batches)
    return batches


def bucketed(train: list[Example], batch_size: int, rng: random.Random, count: int):
    """``count`` batches, taken from ``_bucketed_batches`` (16 at a time) as they run out."""
    queue: list[list[Example]] = []
    for _ in range(count):
        if not queue:
            queue = _bucketed_batches(train, batch_size, rng)
        yield queue.pop()


def _draws(train: list[Example], tc: TrainConfig, start: int):
    """(batch, question texts) for iterations ``start..``: bucketed draws, 60 % reworded (under
    torchrun: this rank's own draws of its share of the batch).

    One random stream from iteration 0: a run resumed at ``start`` replays (and drops) the draws of the
    steps it has done, so it trains on the batches an uninterrupted run would have.
    """
    rng = random.Random(distributed.rank_seed(tc.seed * 7919))
    for it, batch in enumerate(bucketed(train, distributed.local_batch(tc.batch_size), rng, tc.iterations)):
        texts = [augment_question(e.question, rng) if rng.random() < tc.augment else e.question for e in batch]
        if it >= start:
            yield batch, texts


def _prefetched(pool, fn, items, window: int = 64):
    """``map(fn, items)`` on ``pool``, at most ``window`` results ahead (imap alone would run ahead unbounded)."""
    items = iter(items)
    while chunk := list(itertools.islice(items, window)):
        yield from pool.imap(fn, chunk)


@dataclass
class _Collate:
    """``collate`` as a picklable callable, for the loader processes."""

    cache: GraphCache
    steps: int

    def __call__(self, draw):
        batch, texts = draw
        return collate(batch, self.cache, self.steps, texts)


def reasoner_optimizer(model: Reasoner, weight_decay: float) -> torch.optim.AdamW:
    """AdamW over the trainable parameters, for ``warmup_cosine(..., peak=lr)``: the rate is all in the
    schedule (lr 1 x rate), so it is computed as the shipped weights' runs computed it."""
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.AdamW(params, lr=1.0, weight_decay=weight_decay)


def train_reasoner(tc: TrainConfig, log=_log.info, on_step=None) -> dict:
    """Train (or resume) and write the weights, config and model card. Returns the report.

    Under torchrun (:mod:`vqa.train.distributed`) every rank trains with DDP; rank 0 checkpoints,
    validates and writes, and the other ranks return ``{}`` after the last step. A checkpoint resumes
    with any number of ranks. ``on_step(steps done)`` is called after every step (the loop's hook).
    """
    tc.device = distributed.start(tc.device)
    try:
        return _train_reasoner(tc, log, on_step)
    finally:
        distributed.stop()


def _train_reasoner(tc: TrainConfig, log, on_step) -> dict:
    first = distributed.rank() == 0
    log, _ = distributed.begin(log, tc.batch_size, tc.workdir, tc.fresh, tc.threads, tc.seed)
    t_start = time.time()
    data = build_data(tc)
    t_data = time.time() - t_start
    cfg = tc.model
    cache = GraphCache(cfg.vocab)
    for k, g in data["graphs"].items():
        cache.add(k, g)
    train = data["train"]
    log(f"training examples: {len(train)}; data built in {t_data:.0f}s")

    model = Reasoner(cfg)
    if cfg.encoder.kind in ("small", "conv"):
        model.encoder.init_from_minilm()
    model.to(tc.device)
    opt = reasoner_optimizer(model, tc.weight_decay)
    meta = load_checkpoint(tc.workdir, model, opt)  # every rank reads the same checkpoint
    ddp = distributed.wrap(model, tc.device)
    start = meta.get("iteration", 0)
    if meta:
        log(f"resumed from iteration {start}")
    sched = scheduler_at(opt, warmup_cosine(tc.warmup, tc.iterations, peak=tc.lr), start)

    def losses(batch):
        ids, mask, graphs, targets = batch
        if tc.device != "cpu":
            ids, mask, graphs = ids.to(tc.device), mask.to(tc.device), graphs.to(tc.device)
            targets = {k: v.to(tc.device) for k, v in targets.items()}
        return ddp(ids, mask, graphs, targets).losses

    def evaluate():
        return {"val_generated_2000": evaluate_examples(model, data["val"]["generated"][:2000], cache)["accuracy"]}

    draws = _draws(train, tc, start)
    pool = None
    if tc.loader_workers > 0:
        # collate in forked processes, in order: the same batches as without them, only sooner;
        # one torch thread each: a forked child entering the parent's OpenMP pool can hang
        pool = mp.get_context("fork").Pool(tc.loader_workers, initializer=torch.set_num_threads, initargs=(1,))
        batches = _prefetched(pool, _Collate(cache, cfg.steps), draws)
    else:
        batches = map(_Collate(cache, cfg.steps), draws)
    try:
        run = train_loop(model, opt, sched, batches, losses, iterations=tc.iterations, start=start, clip=1.0,
                         workdir=tc.workdir if first else None, checkpoint_every=tc.checkpoint_every,
                         seconds_before=meta.get("train_seconds", 0.0), evaluate=evaluate if first else None,
                         eval_every=tc.eval_every, progress=tc.progress and first, log=log, on_step=on_step)
    finally:  # also on Ctrl-C or an error: no loader process outlives the run
        if pool is not None:
            pool.terminate()
    if not first:
        return {}
    model.eval().cpu()
    report = {"train_examples": len(train), "iterations": tc.iterations, "batch_size": tc.batch_size,
              "ranks": distributed.world_size(),
              "train_seconds": round(run["train_seconds"]), "data_seconds": round(t_data), "history": run["history"]}
    for name, ex in data["val"].items():
        if ex:
            report[f"val_{name}"] = evaluate_examples(model, ex, cache)
    # what ships is fp16: measure the accuracy of the weights as they are written
    path = model.save_pretrained(tc.out, metadata={"iterations": tc.iterations})
    shipped = Reasoner.from_pretrained(path)
    for name, ex in data["val"].items():
        if ex:
            report[f"val_{name}_fp16"] = evaluate_examples(shipped, ex, cache)["accuracy"]
    report["total_seconds"] = round(time.time() - t_start)
    _write_card(tc, report)
    atomic.write_text(Path(tc.workdir) / "report.json", json.dumps(report, indent=2))
    return report


def _write_card(tc: TrainConfig, report: dict) -> None:
    data = [f"- {tc.scenes:,} generated CLEVR-rule scenes x {tc.questions_per_scene} template questions "
            "(our generator over the official CLEVR templates, BSD), plus the shared annotated CLEVR scenes "
            "outside the validation split (CLEVR v1.0, CC BY 4.0, Johnson et al. 2017)." if tc.shared else
            f"- {tc.scenes:,} generated CLEVR-rule scenes x {tc.questions_per_scene} template questions.",
            f"- {report['train_examples']:,} training questions; {int(tc.augment * 100)}% reworded per draw "
            "(synonyms, phrase rewrites, typos: `vqa/encode/augment.py`).",
            "- Validation: shared scenes with image_index % 5 == 0 (never trained on) and "
            f"{tc.val_scenes} generated scenes from a separate seed."]
    training = [f"- {tc.iterations:,} iterations x batch {tc.batch_size}, AdamW lr {tc.lr}, cosine, {tc.threads} thread(s)"
                + (f" x {report['ranks']} DDP ranks." if report.get("ranks", 1) > 1 else "."),
                f"- time: {report['data_seconds']} s data generation + {report['train_seconds']} s training "
                f"({report['total_seconds']} s in all, 2-core CPU).",
                f"- config: `{Path(tc.out).name}.json`; rebuild with `vqa train reasoner`."]
    validation = []
    for name in ("shared", "generated"):
        r = report.get(f"val_{name}")
        if r:
            validation.append(f"- {name}: {r['accuracy'] * 100:.2f}% of {r['count']:,} questions "
                              f"(fp16 shipped weights: {report.get(f'val_{name}_fp16', 0) * 100:.2f}%)")
    r = report.get("val_shared") or report.get("val_generated")
    if r and r.get("per_family"):
        validation += ["", "### Per family (" + ("shared" if report.get("val_shared") else "generated") + " validation)",
                       "", "| family | accuracy | n |", "|---|---|---|"]
        validation += [f"| {f} | {acc * 100:.1f}% | {n} |" for f, (acc, n) in r["per_family"].items()]
    write_model_card(tc.out, "clevr-reasoner", "Multi-step question-conditioned graph reasoner (see "
                     "`vqa/reason/reasoner.py`) for CLEVR scene graphs.",
                     {"Data": data, "Training": training, "Validation": validation})
