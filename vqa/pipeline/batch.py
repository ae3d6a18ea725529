"""`vqa eval --benchmark clevr --graphs gold|predicted`: run the reasoner on CLEVR questions, then score.

Gold graphs come from a scenes file; predicted ones from the images, through the detector
(``predicted_scenes``), so the two modes differ only in where the graphs come from.

Long runs (see :mod:`vqa.pipeline.longrun`): questions, sorted by token count, go in fixed chunks of
``batch_size``; with an output file every finished chunk is appended to
``<predictions_out>.partial`` so that ``resume`` continues a killed run. The final predictions are
the same however the work was split.

Under torchrun (:mod:`vqa.pipeline.distributed`) each rank answers every ``WORLD_SIZE``-th chunk of a
round, with ``threads`` torch threads; rank 0 gathers each round's chunks, writes them to the partial
file and, at the end, writes the outputs. The model's small matrix products do not split well across
threads; processes help as far as the CPU's cores are really separate.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .. import atomic
from ..answer.calibration import NOT_SURE_ANSWER, calibration_for
from ..answer.prediction import clevr_predictions
from ..encode.encoder import pad_token_rows, token_rows, token_strings
from ..errors import DataError, ImageError
from ..eval.clevr import evaluate as evaluate_clevr
from ..graph.io import load_clevr_scenes, load_json
from ..graph.tensors import collate_graphs
from ..perception.clevr.detector import DEFAULT_DETECTOR_WEIGHTS
from ..perception.image import check_image_name, image_in_folder
from ..reason.batching import GraphCache
from ..reason.clevr_rules import ClevrRules
from ..reason.inference import run_batches
from ..reason.reasoner import Reasoner
from ..weights import file_sha256, stored_sha256, weight_files
from . import distributed
from .longrun import PartialRun, chunk_positions, partial_path
from .memory import keep_freed_memory, no_cyclic_gc
from .scenes import SceneBuilder

__all__ = ["run_clevr_model", "load_clevr_questions", "predicted_scenes", "ModelRun"]


@dataclass
class ModelRun:
    """What a model-mode run produced.

    ``predictions``: official CLEVR format ``[{"question_index", "image_filename", "answer"}]`` in
    question order, each with the answer's calibrated ``probability``
    and, when the answer is "not sure", the best ``guess`` that probability belongs to (answers as
    ``GraphQA`` gives them: ``vqa.answer.clevr_predictions``, or for a question the CLEVR rules take,
    ``vqa.reason.clevr_rules``, their answer at probability 1, or "not sure" with the reasoner's guess); ``metrics``: from
    :func:`vqa.eval.clevr.evaluate` over those questions, None when the questions carry no answers; ``total``: questions in the
    run; ``resumed``: questions taken from a partial file instead of the model. Under torchrun, ranks
    other than 0 get empty ``predictions`` and ``attention`` and no metrics (rank 0 holds them).
    """

    predictions: list[dict]
    metrics: dict | None
    total: int
    resumed: int = 0
    attention: list[dict] = field(default_factory=list)
    answer_seconds: float = 0.0  # wall time spent answering (after loading questions, graphs and model)
    skipped_missing_images: int = 0  # questions left out because their image is missing (skip_missing_images)


def load_clevr_questions(path: str | Path) -> list[dict]:
    data = load_json(path)
    qs = data.get("questions") if isinstance(data, dict) else data
    if not isinstance(qs, list) or not all(isinstance(q, dict) for q in qs):
        raise DataError(f"{path}: expected a CLEVR questions file {{\"questions\": [...]}}")
    seen: dict[int, int] = {}  # question_index -> position
    for k, q in enumerate(qs):
        if not isinstance(q.get("question"), str) or not isinstance(q.get("image_filename"), str):
            raise DataError(f"{path}: question {k} needs string fields 'question' and 'image_filename'")
        if not q["question"].strip():
            raise DataError(f"{path}: question {k} is empty; remove it or give its text")
        check_image_name(q["image_filename"], f"{path}: questions[{k}].image_filename")
        index = q.get("question_index", k)
        if isinstance(index, bool) or not isinstance(index, int):
            raise DataError(f"{path}: questions[{k}].question_index must be an integer, got {index!r}")
        if index in seen:
            raise DataError(f"{path}: questions[{k}] repeats the question_index {index} of questions[{seen[index]}]; "
                            "give each question its own index")
        seen[index] = k
    return qs


def predicted_scenes(questions: list[dict], images_dir: str | Path, detector_weights: str | Path | None = None,
                     progress: bool = True) -> list:
    """Scene graphs detected in ``images_dir`` for every image the questions ask about."""


    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise DataError(f"--images {images_dir} is not a folder")
    names = sorted({q["image_filename"] for q in questions})
    paths = {n: image_in_folder(images_dir, n, "image_filename") for n in names}
    missing = [n for n in names if not paths[n].is_file()]
    if missing:
        raise DataError(f"{len(missing)} images the questions ask about are not in {images_dir}, e.g. {missing[0]!r}; "
                        "--skip-missing-images leaves their questions out")
    builder = SceneBuilder("clevr", weights=detector_weights, cache_size=0)
    graphs = []
    for name in tqdm(names, unit="image", disable=not progress, desc="detecting"):
        try:
            graphs.append(builder.build(paths[name]).graph)
        except ImageError as e:
            raise DataError(f"{images_dir / name}: {e}") from None
    return graphs


def _default_detector() -> Path:

    return DEFAULT_DETECTOR_WEIGHTS


def run_clevr_model(
    questions_path: str | Path,
    scenes_path: str | Path | None,
    weights: str | Path,
    *,
    predictions_out: str | Path | None = None,
    attention_out: str | Path | None = None,
    limit: int | None = None,
    batch_size: int = 512,
    threads: int = 1,
    resume: bool = False,
    allow_missing: bool = False,
    progress: bool = True,
    images_dir: str | Path | None = None,
    detector_weights: str | Path | None = None,
    skip_missing_images: bool = False,
) -> ModelRun:
    """Answer every question on its gold scene graph, write the outputs, score.

    ``predictions_out`` gets the official-format list and, while running, the partial file that
    ``resume`` continues from (resuming needs the same inputs, ``limit``, ``batch_size`` and whether attention is written). ``attention_out`` gets one JSON line per question:
    ``question_index``, ``image_filename``, ``node_attn`` [T, N], ``word_attn`` [T, L], ``tokens``.
    With ``images_dir`` instead of ``scenes_path``, the graphs are detected in those images;
    ``skip_missing_images`` leaves out the questions whose image is not there (the metrics count them
    as ``skipped_missing_images``) instead of failing.
    Each process (one, or torchrun's ranks: any number, also when resuming) answers with ``threads``.
    """
    if resume and not predictions_out:
        raise DataError("--resume continues from <predictions-out>.partial; pass --predictions-out P.json of the run")
    if limit is not None and limit < 0:
        raise DataError(f"--limit must be 0 or more, got {limit}")
    if threads < 1:
        raise DataError(f"--threads must be at least 1, got {threads}")
    distributed.start()  # under torchrun: join the other ranks (gloo)
    try:
        with no_cyclic_gc():  # loading makes ~1e6 objects the collector would walk again and again
            return _run_clevr_model(questions_path, scenes_path, weights, predictions_out, attention_out, limit,
                                    batch_size, threads, resume, allow_missing, progress, images_dir,
                                    detector_weights, skip_missing_images)
    finally:
        distributed.stop()


def _run_clevr_model(questions_path, scenes_path, weights, predictions_out, attention_out, limit, batch_size, threads,
                     resume, allow_missing, progress, images_dir, detector_weights, skip_missing_images) -> ModelRun:
    questions = load_clevr_questions(questions_path)[:limit]
    skipped = 0
    if images_dir is not None and skip_missing_images:
        questions, skipped = _with_images(questions, images_dir)
    torch.set_num_threads(threads)
    keep_freed_memory()  # every batch reuses the last one's buffers instead of faulting in fresh pages
    if images_dir is not None:
        scenes = predicted_scenes(questions, images_dir, detector_weights, progress)
        source = f"predicted:{Path(images_dir).resolve()}:{file_sha256(weight_files(detector_weights or _default_detector())[0])}"
    else:
        scenes = load_clevr_scenes(scenes_path)
        source = file_sha256(scenes_path)
    have = {g.image_filename for g in scenes}
    for k, q in enumerate(questions):
        if q["image_filename"] not in have:
            raise DataError(f"question {q.get('question_index', k)}: no scene for image {q['image_filename']!r} in {scenes_path}")
    model = Reasoner.from_pretrained(weights)
    cache = GraphCache(model.config.vocab)
    for g in scenes:
        cache.add(g.image_filename, g)
    for key in {q["image_filename"] for q in questions}:
        cache.data(key)  # tensors built once, before answering
    index = [q.get("question_index", k) for k, q in enumerate(questions)]
    texts, keys = [q["question"] for q in questions], [q["image_filename"] for q in questions]
    rows = token_rows(texts)
    order = sorted(range(len(questions)), key=lambda p: len(rows[p]))  # a chunk pads to similar lengths
    chunks = chunk_positions(len(questions), batch_size, order)

    header = {"benchmark": "clevr", "questions": file_sha256(questions_path), "scenes": source,
              "weights": file_sha256(weight_files(weights)[0]), "count": len(questions),
              "batch_size": batch_size, "chunks": "by-token-count", "attention": bool(attention_out)}
    first = distributed.rank() == 0
    run, done = _open_partial(predictions_out, header, resume)
    resumed = sum(len(done[k]) for k, _ in chunks if k in done)
    todo = [(k, pos) for k, pos in chunks if k not in done]
    # the costliest chunks (questions x padded length) first, so that the rounds stay even and no rank
    # is left with a long one at the end; results are keyed by chunk
    todo.sort(key=lambda c: -len(c[1]) * max(len(rows[p]) for p in c[1]))
    ranks, me = distributed.world_size(), distributed.rank()
    if todo[me::ranks]:
        head = todo[me][1][0]
        _warm_up(model, cache, rows[head], keys[head])  # the first timed chunk pays no first-call cost

    job = _Job(model, cache, texts, rows, keys, index, bool(attention_out), calibration_for(stored_sha256(weights)),
               ClevrRules(cache_size=len(cache.graphs) + 1))
    bar = tqdm(total=sum(len(pos) for _, pos in chunks), initial=resumed, unit="q", disable=not (progress and first),
               desc="answering")
    start = time.perf_counter()
    try:
        # one round: every rank answers one chunk, rank 0 gathers and keeps them (a kill loses one round at most)
        for at in range(0, len(todo), ranks):
            mine = todo[at + me] if at + me < len(todo) else None
            gathered = distributed.gather_to_first(_answer_chunk(job, mine) if mine else None)
            for k, records in sorted(g for g in gathered or [] if g is not None):
                if run:
                    run.add(k, records)
                done[k] = records
                bar.update(len(records))
    finally:
        answer_seconds = time.perf_counter() - start
        bar.close()
        if run:
            run.close()
    if not first:
        return ModelRun([], None, len(questions), resumed, [], answer_seconds, skipped)

    by_position = {p: rec for k, pos in chunks for p, rec in zip(pos, done[k])}
    records = [by_position[p] for p in sorted(by_position)]  # question order
    predictions = [rec["prediction"] for rec in records]
    attention = [rec["attention"] for rec in records] if attention_out else []
    if predictions_out:
        atomic.write_text(predictions_out, json.dumps(predictions) + "\n")
    if attention_out:
        atomic.write_text(attention_out, "".join(json.dumps(a) + "\n" for a in attention))
    if run:
        run.finish()

    positions = sorted(p for _, pos in chunks for p in pos)
    metrics = None
    if all(isinstance(questions[p].get("answer"), str) for p in positions):
        scored = [dict(questions[p], question_index=index[p]) for p in positions]
        for q in scored:
            q.setdefault("template_filename", "unknown")
        metrics = evaluate_clevr(scored, [{k: v for k, v in p.items() if k != "image_filename"} for p in predictions],
                                 allow_missing=allow_missing)
        if skip_missing_images:
            metrics["skipped_missing_images"] = skipped
    return ModelRun(predictions, metrics, len(questions), resumed, attention, answer_seconds, skipped)


def _open_partial(predictions_out, header: dict, resume: bool) -> tuple[PartialRun | None, dict]:
    """Rank 0: the partial file and its finished chunks, their numbers sent to the other ranks (which
    skip them); an error opening it is raised on every rank, so that none waits for the others."""
    run, error = None, None
    if predictions_out and distributed.rank() == 0:
        try:
            run = PartialRun.open(partial_path(predictions_out), header, resume)
        except DataError as e:
            error = str(e)
    done = run.done if run else {}
    # the other ranks receive the finished chunk numbers (their records stay on rank 0)
    error, finished = distributed.broadcast_from_first((error, sorted(done)))
    if error:
        raise DataError(error)
    return run, done if run else {k: [] for k in finished}


def _with_images(questions: list[dict], images_dir: str | Path) -> tuple[list[dict], int]:
    """The questions whose image is in ``images_dir`` (each keeping its ``question_index``, which
    defaults to its position in the file), and how many were left out."""
    kept = [dict(q, question_index=q.get("question_index", k)) for k, q in enumerate(questions)
            if image_in_folder(images_dir, q["image_filename"], "image_filename").is_file()]
    if not kept:
        raise DataError(f"none of the {len(questions)} questions has its image in {images_dir}")
    return kept, len(questions) - len(kept)


@dataclass
class _Job:
    """What every chunk needs."""

    model: object
    cache: object
    texts: list[str]
    rows: list[list[int]]  # token ids per question
    keys: list[str]
    index: list
    attention: bool
    calibration: object  # vqa.answer.Calibration: restricted, calibrated answers as GraphQA gives them
    rules: object = None  # vqa.reason.clevr_rules.ClevrRules: the questions they take, answered as GraphQA does


def _warm_up(model, cache, row: list[int], key: str) -> None:
    """One question through the model: it builds the encoder's token table and the CPU libraries'
    first-call state (a cold first batch was about 0.08 s slower)."""

    model.eval()
    with torch.inference_mode():
        model(*pad_token_rows([row], model.config.encoder.max_tokens), collate_graphs([cache.data(key)]))


def _ruled(ruled, best: tuple[str, float]) -> dict:
    """A prediction's fields for a question the CLEVR rules took (as ``GraphQA`` answers it): their answer at
    probability 1, or "not sure" with the reasoner's best guess and its probability."""
    if ruled.not_sure:
        return {"answer": NOT_SURE_ANSWER, "probability": round(best[1], 6), "guess": best[0]}
    return {"answer": ruled.answer, "probability": 1.0}


def _answer_chunk(job: _Job, item: tuple[int, list[int]]) -> tuple[int, list[dict]]:
    """Answer one chunk as one batch: (chunk number, one record per position, in chunk order)."""
    k, pos = item
    model, texts, keys, index = job.model, job.texts, job.keys, job.index
    records: list[dict] = [{} for _ in pos]
    rows = [job.rows[p] for p in pos]
    # One batch per chunk, whatever batch_size run_batches would pick: the outputs depend on it.
    for batch, out in run_batches(model, [texts[p] for p in pos], [keys[p] for p in pos], job.cache, len(pos), rows=rows):
        answers = clevr_predictions([texts[pos[r]] for r in batch], out.logits, model.config.answers, 2,
                                    job.calibration)
        if job.attention:
            toks = token_strings(*pad_token_rows([rows[r] for r in batch], model.config.encoder.max_tokens))
        for b, r in enumerate(batch):
            p = pos[r]
            ranked = answers[b].answers
            best = ranked[1] if ranked[0][0] == NOT_SURE_ANSWER else ranked[0]
            records[r] = {"prediction": {"question_index": index[p], "image_filename": keys[p],
                                         "answer": ranked[0][0], "probability": round(best[1], 6)}}
            if best is not ranked[0]:
                records[r]["prediction"]["guess"] = best[0]
            ruled = job.rules(texts[p], job.cache.graphs[keys[p]]) if job.rules is not None else None
            if ruled is not None:
                records[r]["prediction"].pop("guess", None)
                records[r]["prediction"].update(_ruled(ruled, best))
            if job.attention:
                n, L = len(job.cache.graphs[keys[p]].objects), len(toks[b])
                records[r]["attention"] = {"question_index": index[p], "image_filename": keys[p],
                                           "node_attn": out.node_attn[b, :, :n].tolist(),
                                           "word_attn": out.word_attn[b, :, :L].tolist(), "tokens": toks[b]}
    return k, records
