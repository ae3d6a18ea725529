"""`vqa eval --benchmark vqav2|gqa --graphs predicted`: answer a photo benchmark from its images, then score.

Every question is answered the way ``vqa ask IMAGE QUESTION`` answers it (``pixels.PixelQA``: the
``auto`` detector, the closer look, the photo answerer). A question the photo answerer declines
("not sure", "unknown") is predicted as its best guess (``pixels.best_guess``) and scored like any
other answer; the metrics count them as ``declined``.

Images: VQA v2 questions name an ``image_id``, read from ``COCO_<data_subtype>_<id:012d>.jpg``
(the questions file's ``data_subtype``, e.g. val2014), else ``COCO_val2014_``, ``COCO_train2014_``
or plain ``<id:012d>.jpg``; GQA questions an ``imageId``, read from ``<imageId>.jpg``.

With ``predictions_out``, each answer goes to ``<predictions_out>.partial`` (``longrun.PartialRun``,
one question per chunk) as it is made, so that ``resume`` continues a killed run with the same answers.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from .. import atomic
from ..errors import DataError, ImageError
from ..eval.score import score
from ..graph.io import load_json
from ..perception.image import check_image_name, image_in_folder
from ..reason.reasoner import DEFAULT_WEIGHTS
from ..weights import file_sha256, weight_files
from .longrun import PartialRun, partial_path
from .pixels import PixelQA, best_guess, declined

__all__ = ["PhotoRun", "image_candidates", "load_photo_questions", "run_photo_benchmark"]

PHOTO_BENCHMARKS = ("vqav2", "gqa")


@dataclass
class PhotoRun:
    """What a photo benchmark run produced: official-layout ``predictions`` in question order,
    ``metrics`` (None without answers to score against), ``total`` questions answered,
    ``declined`` of them predicted by their best guess, ``resumed`` taken from the partial file,
    ``skipped_missing_images`` left out because their image is missing."""

    predictions: list[dict]
    metrics: dict | None
    total: int
    declined: int
    resumed: int = 0
    skipped_missing_images: int = 0


def load_photo_questions(benchmark: str, data, path) -> list[tuple]:
    """(question id, question text, image key) per question, in file order: VQA v2's
    ``{"questions": [{"question_id", "question", "image_id"}]}`` or GQA's ``{qid: {"question", "imageId"}}``."""
    items = []
    if benchmark == "vqav2":
        qs = data.get("questions") if isinstance(data, dict) else None
        if not isinstance(qs, list):
            raise DataError(f"{path}: expected a VQA v2 questions file {{\"questions\": [...]}}")
        seen: dict[int, int] = {}
        for k, q in enumerate(qs):
            if not isinstance(q, dict) or not isinstance(q.get("question"), str) \
                    or not _whole(q.get("question_id")) or not _whole(q.get("image_id")) or q["image_id"] < 0:
                raise DataError(f"{path}: question {k} needs the fields question (string), question_id and image_id "
                                "(integers, image_id 0 or more)")
            if q["question_id"] in seen:
                raise DataError(f"{path}: questions[{k}] repeats the question_id {q['question_id']} of "
                                f"questions[{seen[q['question_id']]}]; give each question its own id")
            seen[q["question_id"]] = k
            items.append((q["question_id"], q["question"].strip(), q["image_id"]))
    else:
        if not isinstance(data, dict) or not data:
            raise DataError(f"{path}: expected a GQA questions file {{questionId: {{\"question\", \"imageId\", ...}}}}")
        for qid, q in data.items():
            if not isinstance(q, dict) or not isinstance(q.get("question"), str) or not q.get("imageId") \
                    or not isinstance(q["imageId"], str):
                raise DataError(f"{path}: question {qid} needs the string fields question and imageId")
            check_image_name(q["imageId"] + ".jpg", f"{path}: question {qid}'s imageId")
            items.append((str(qid), q["question"].strip(), q["imageId"]))
    return items


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def image_candidates(benchmark: str, key, subtype: str | None = None) -> list[str]:
    """The file names a question's image may have, in the order they are tried."""
    if benchmark == "gqa":
        return [f"{key}.jpg"]
    subtypes = ([subtype] if subtype else []) + [s for s in ("val2014", "train2014") if s != subtype]
    return [f"COCO_{s}_{key:012d}.jpg" for s in subtypes] + [f"{key:012d}.jpg"]


def run_photo_benchmark(benchmark: str, questions_path: str | Path, images_dir: str | Path, *,
                        annotations_path: str | Path | None = None, weights: str | Path = DEFAULT_WEIGHTS,
                        detector_weights: str | Path | None = None, predictions_out: str | Path | None = None,
                        resume: bool = False, skip_missing_images: bool = False, limit: int | None = None,
                        threads: int = 1, allow_missing: bool = False, progress: bool = True) -> PhotoRun:
    """Answer every question (the first ``limit``) from its image, write the predictions, score them.

    Raises DataError: malformed questions, ``images_dir`` not a folder, a question's image missing
    (unless ``skip_missing_images``) or unreadable, a partial file of another run.
    """
    if benchmark not in PHOTO_BENCHMARKS:
        raise DataError(f"photo benchmarks are {', '.join(PHOTO_BENCHMARKS)}, not {benchmark!r}")
    if resume and not predictions_out:
        raise DataError("--resume continues from <predictions-out>.partial; pass --predictions-out P.json of the run")
    if limit is not None and limit < 0:
        raise DataError(f"--limit must be 0 or more, got {limit}")
    images_dir = Path(images_dir)
    if not images_dir.is_dir():
        raise DataError(f"--images {images_dir} is not a folder")
    data = load_json(questions_path)
    every = load_photo_questions(benchmark, data, questions_path)
    items = every[:limit]
    subtype = data.get("data_subtype") if benchmark == "vqav2" and isinstance(data.get("data_subtype"), str) else None
    found, missing = [], []
    for qid, question, key in items:
        names = image_candidates(benchmark, key, subtype)
        path = next((p for p in (image_in_folder(images_dir, n, f"question {qid}'s image") for n in names)
                     if p.is_file()), None)
        (found if path else missing).append((qid, question, path or names[0]))
    if missing and not skip_missing_images:
        qid, _, name = missing[0]
        raise DataError(f"{len(missing)} of {len(items)} questions have no image in {images_dir}, e.g. question {qid}: "
                        f"{name} not found; --skip-missing-images leaves their questions out")
    if items and not found:
        raise DataError(f"none of the {len(items)} questions has its image in {images_dir}")

    run = None
    if predictions_out:
        header = {"benchmark": benchmark, "questions": file_sha256(questions_path), "images": str(images_dir.resolve()),
                  "weights": file_sha256(weight_files(weights)[0]), "detector_weights": str(detector_weights or "default"),
                  "count": len(found), "skip_missing_images": skip_missing_images}
        run = PartialRun.open(partial_path(predictions_out), header, resume)
    done = run.done if run else {}
    resumed = sum(1 for k in range(len(found)) if k in done)
    # image by image, so that the builder's cache serves an image's later questions
    todo = sorted((k for k in range(len(found)) if k not in done), key=lambda k: str(found[k][2]))
    try:
        if todo:
            pixels = PixelQA("auto", weights=weights, detector_weights=detector_weights, threads=threads)
        for k in tqdm(todo, total=len(found), initial=resumed, unit="q", desc="answering", disable=not progress):
            qid, question, path = found[k]
            try:
                p, _, _ = pixels.ask(path, question)
            except ImageError as e:
                raise DataError(f"{path}: {e}") from None
            record = [best_guess(p), declined(p)]
            if run:
                run.add(k, record)
            done[k] = record
    finally:
        if run:
            run.close()

    predictions = [_prediction(benchmark, qid, done[k][0]) for k, (qid, _, _) in enumerate(found)]
    if predictions_out:
        atomic.write_text(predictions_out, json.dumps(predictions) + "\n")
    if run:
        run.finish()
    metrics = _score(benchmark, data, annotations_path, predictions, {qid for qid, _, _ in found},
                     cut=len(found) < len(every),
                     allow_missing=allow_missing)
    n_declined = sum(1 for k in range(len(found)) if done[k][1])
    if metrics is not None:
        metrics["declined"] = n_declined
        if skip_missing_images:
            metrics["skipped_missing_images"] = len(missing)
    return PhotoRun(predictions, metrics, len(found), n_declined, resumed, len(missing))


def _prediction(benchmark: str, qid, answer: str) -> dict:
    return {"question_id": qid, "answer": answer} if benchmark == "vqav2" else {"questionId": qid, "prediction": answer}


def _score(benchmark: str, data, annotations_path, predictions: list[dict], answered: set, cut: bool,
           allow_missing: bool) -> dict | None:
    """The official metric over the questions answered (all of them unless ``cut`` by --limit or
    --skip-missing-images); None when there is nothing to score against."""
    if benchmark == "vqav2":
        if not annotations_path:
            return None
        annotations = load_json(annotations_path)
        if cut and isinstance(annotations, dict) and isinstance(annotations.get("annotations"), list):
            annotations = dict(annotations, annotations=[a for a in annotations["annotations"]
                                                         if not isinstance(a, dict) or a.get("question_id") in answered])
            data = dict(data, questions=[q for q in data["questions"] if q["question_id"] in answered])
        return score("vqav2", predictions, questions=data, annotations=annotations, allow_missing=allow_missing)
    if not all("answer" in q for q in data.values()):
        return None  # GQA's test questions carry no answers
    if cut:  # entailed questions left out count as missing, not as an error
        data, allow_missing = {qid: q for qid, q in data.items() if qid in answered}, True
    return score("gqa", predictions, questions=data, allow_missing=allow_missing)
