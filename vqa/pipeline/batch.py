"""`vqa eval --benchmark clevr --graphs gold|predicted`: run the reasoner on CLEVR questions, then score.

Gold graphs come from a scenes file; predicted ones from the images, through the detector
(``predicted_scenes``), so the two modes differ only in where the graphs come from.

Long runs (see :mod:`vqa.pipeline.longrun`): questions, sorted by token count, go in fixed chunks of
``batch_size``; with an output file every finished chunk is appended to
``<predictions_out>.partial`` so that ``resume`` continues a killed run, and ``shard=(i, n)`` runs
every n-th chunk only. The final predictions are the same however the work was split.

Chunks are answered by ``workers`` forked processes of ``threads`` torch threads each. The model's
small matrix products do not split well across threads; processes help as far as the CPU's cores
are really separate (1.56x with two workers here when they were, none when the two vCPUs shared a core).
"""
from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor
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
from ..reason.inference import run_batches
from ..reason.reasoner import Reasoner
from ..weights import file_sha256, stored_sha256, weight_files
from .longrun import PartialRun, partial_path, shard_chunks
from .scenes import SceneBuilder

__all__ = ["run_clevr_model", "load_clevr_questions", "predicted_scenes", "ModelRun"]


@dataclass
class ModelRun:
    """What a model-mode run produced.

    ``predictions``: official CLEVR format ``[{"question_index", "image_filename", "answer"}]`` in
    question order (this shard's questions only), each with the answer's calibrated ``probability``
    and, when the answer is "not sure", the best ``guess`` that probability belongs to (answers as
    ``GraphQA`` gives them: ``vqa.answer.clevr_predictions``); ``metrics``: from
    :func:`vqa.eval.clevr.evaluate` over those questions, None when the questions carry no answers; ``total``: questions in the
    run before sharding; ``resumed``: questions taken from a partial file instead of the model.
    """

    predictions: list[dict]
    metrics: dict | None
    total: int
    shard: tuple[int, int] = (1, 1)
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
    batch_size: int = 1024,
    threads: int = 1,
    workers: int | None = None,
    shard: tuple[int, int] = (1, 1),
    resume: bool = False,
    allow_missing: bool = False,
    progress: bool = True,
    images_dir: str | Path | None = None,
    detector_weights: str | Path | None = None,
    skip_missing_images: bool = False,
) -> ModelRun:
    """Answer every question (of ``shard``) on its gold scene graph, write the outputs, score.

    ``predictions_out`` gets the official-format list and, while running, the partial file that
    ``resume`` continues from (resuming needs the same inputs, ``limit``, ``batch_size``, ``shard``
    and whether attention is written). ``attention_out`` gets one JSON line per question:
    ``question_index``, ``image_filename``, ``node_attn`` [T, N], ``word_attn`` [T, L], ``tokens``.
    With ``images_dir`` instead of ``scenes_path``, the graphs are detected in those images;
    ``skip_missing_images`` leaves out the questions whose image is not there (the metrics count them
    as ``skipped_missing_images``) instead of failing.
    ``workers`` (default: one per CPU core) processes answer the chunks, each with ``threads``.
    """

    
    if resume and not predictions_out:
        raise DataError("--resume continues from <predictions-out>.partial; pass --predictions-out P.json of the run")
    if limit is not None and limit < 0:
        raise DataError(f"--limit must be 0 or more, got {limit}")
    if threads < 1 or (workers is not None and workers < 1):
        raise DataError(f"--threads and --workers must be at least 1, got {threads} and {workers}")
    questions = load_clevr_questions(questions_path)[:limit]
    skipped = 0
    if images_dir is not None and skip_missing_images:
        questions, skipped = _with_images(questions, images_dir)
    torch.set_num_threads(threads)
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
        cache.data(key)  # tensors built once here, shared by the forked workers (not rebuilt in each)
    index = [q.get("question_index", k) for k, q in enumerate(questions)]
    texts, keys = [q["question"] for q in questions], [q["image_filename"] for q in questions]
    rows = token_rows(texts)  # once, before the workers fork
    order = sorted(range(len(questions)), key=lambda p: len(rows[p]))  # a chunk pads to similar lengths
    chunks = shard_chunks(len(questions), batch_size, shard, order)

    run = None
    if predictions_out:
        header = {"benchmark": "clevr", "questions": file_sha256(questions_path), "scenes": source,
                  "weights": file_sha256(weight_files(weights)[0]), "count": len(questions),
                  "batch_size": batch_size, "chunks": "by-token-count", "shard": f"{shard[0]}/{shard[1]}",
                  "attention": bool(attention_out)}
        run = PartialRun.open(partial_path(predictions_out), header, resume)
    done = run.done if run else {}
    resumed = sum(len(done[k]) for k, _ in chunks if k in done)
    todo = [(k, pos) for k, pos in chunks if k not in done]
    # the costliest chunks (questions x padded length) first, so that no worker is left with a long
    # one at the end while the other idles (it was: 0.2 s of a 1.9 s run); results are keyed by chunk
    todo.sort(key=lambda c: -len(c[1]) * max(len(rows[p]) for p in c[1]))
    if todo:
        first = todo[0][1][0]
        _warm_up(model, cache, rows[first], keys[first])  # once here for all the workers

    global _JOB
    _JOB = _Job(model, cache, texts, rows, keys, index, bool(attention_out), calibration_for(stored_sha256(weights)))
    workers = min(workers or _cpu_count(), len(todo))
    pool = None
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        # Forked workers share the loaded model and graphs with this process: only answers are pickled.
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_start_worker, initargs=(threads,))
        answered = pool.map(_answer_chunk, todo)
    else:
        answered = map(_answer_chunk, todo)
    bar = tqdm(total=sum(len(pos) for _, pos in chunks), initial=resumed, unit="q", disable=not progress, desc="answering")
    start = time.perf_counter()
    try:
        for k, records in answered:
            if run:
                run.add(k, records)
            done[k] = records
            bar.update(len(records))
    finally:
        answer_seconds = time.perf_counter() - start
        bar.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if run:
            run.close()
        _JOB = None

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
    return ModelRun(predictions, metrics, len(questions), shard, resumed, attention, answer_seconds, skipped)


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
    """What every chunk needs; a module global so that forked workers inherit it."""

    model: object
    cache: object
    texts: list[str]
    rows: list[list[int]]  # token ids per question
    keys: list[str]
    index: list
    attention: bool
    calibration: object  # vqa.answer.Calibration: restricted, calibrated answers as GraphQA gives them


_JOB: _Job | None = None


def _warm_up(model, cache, row: list[int], key: str) -> None:
    """One question through the model: it builds the encoder's token table and the CPU libraries'
    first-call state, which forked workers then share (each worker's first batch was about 0.08 s slower)."""

    model.eval()
    with torch.inference_mode():
        model(*pad_token_rows([row], model.config.encoder.max_tokens), collate_graphs([cache.data(key)]))


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _start_worker(threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it keeps finished chunks
    torch.set_num_threads(threads)


def _answer_chunk(item: tuple[int, list[int]]) -> tuple[int, list[dict]]:
    """Answer one chunk as one batch: (chunk number, one record per position, in chunk order)."""

    k, pos = item
    job = _JOB
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
            if job.attention:
                n, L = len(job.cache.graphs[keys[p]].objects), len(toks[b])
                records[r]["attention"] = {"question_index": index[p], "image_filename": keys[p],
                                           "node_attn": out.node_attn[b, :, :n].tolist(),
                                           "word_attn": out.word_attn[b, :, :L].tolist(), "tokens": toks[b]}
    return k, records
