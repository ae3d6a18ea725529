"""``vqa batch``: answer many questions about many images in one process, one JSON line per answer.

The models load once: one ``vqa.pipeline.pixels.PixelQA`` (one ``SceneBuilder``, whose cache
lets later questions about an image skip detection, and one ``GraphQA``) serves every row. Each line is ``vqa ask IMAGE QUESTION --json``'s
object with ``"image"`` (the path as given) first; a row that cannot be answered (missing or bad
image, empty question) is ``{"image", "question", "error"}`` and the run goes on.

``--out F`` is never half-written: the lines go to ``F.partial`` as they are answered (each flushed,
so a stopped run shows what it did), and ``F.partial`` is renamed to ``F`` when every row is answered.
A run killed or stopped leaves the old ``F`` (or none) and a ``F.partial`` whose last line may be cut;
there is no resume: the next run starts ``F.partial`` afresh.
"""
from __future__ import annotations

import csv
import json
import logging
import os
import sys
from pathlib import Path

from ..errors import DataError, VqaError
from .ask import answer_json
from .common import (DEFAULT_WEIGHTS, EPILOG, add_detector_argument, add_max_pixels_argument, apply_max_pixels,
                     check_output, positive_int)
from .logs import add_log_arguments

__all__ = ["add_parser", "run", "read_rows", "grid_rows"]

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")  # what --images DIR reads


def add_parser(sub) -> None:
    b = sub.add_parser("batch", help="answer many questions about many images, one JSON line each", epilog=EPILOG,
                       description="Answer every (image, question) row of --input, or every question of --questions "
                                   "about every image of --images, loading the models once. Each answer is a JSON "
                                   "line with the fields of `vqa ask IMAGE QUESTION --json` plus \"image\"; a row "
                                   "that fails is {\"image\", \"question\", \"error\"}. Exit status 2 when some "
                                   "rows failed.")
    b.add_argument("--input", metavar="F", help="CSV (header: image,question) or JSONL ({\"image\", \"question\"} "
                                                 "per line) of rows; image paths are relative to F's folder")
    b.add_argument("--images", metavar="DIR", help="ask every question of --questions about every image in DIR "
                                                   f"(sorted by name; {', '.join(IMAGE_SUFFIXES)})")
    b.add_argument("--questions", metavar="Q.txt", help="with --images: the questions, one per line")
    b.add_argument("--out", metavar="F.jsonl", help="write the JSON lines here (default: stdout)")
    b.add_argument("--top-k", type=positive_int, default=5, help="how many answers per question (default 5)")
    b.add_argument("--weights", default=DEFAULT_WEIGHTS, help="reasoner .safetensors (config JSON beside it)")
    b.add_argument("--threads", type=positive_int, default=1, help="torch threads (default 1)")
    add_detector_argument(b, "detector (default auto: 'clevr' for CLEVR-like renders, 'coco' for photos, per image)")
    b.add_argument("--detector-weights", help="CLEVR detector .safetensors (default weights/clevr-detector.safetensors)")
    b.add_argument("--no-closer-look", action="store_true",
                   help="photos: answer from the detector's first pass only (see vqa ask --help)")
    b.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_max_pixels_argument(b)
    add_log_arguments(b)
    b.set_defaults(func=run)


def read_rows(path: str | Path) -> list[tuple[str, str, Path]]:
    """The rows of a CSV (``.csv``: header ``image,question``) or JSONL file (any other suffix), as
    ``(image as given, question, image path)``; relative image paths are taken from ``path``'s folder.

    Raises:
        DataError: the file is missing, or a line or the header is malformed (names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"input file not found: {path}")
    text = _text(path)
    pairs = []
    if path.suffix.lower() == ".csv":
        reader = csv.reader(text.splitlines())
        header = [h.strip() for h in next(reader, [])]
        if header != ["image", "question"]:
            raise DataError(f"{path}: the first line must be the header 'image,question', not {','.join(header)!r}")
        for row in reader:
            if not row:
                continue
            if len(row) != 2:
                raise DataError(f"{path}:{reader.line_num}: expected 2 fields (image,question), got {len(row)}; "
                                "quote a question that holds a comma")
            pairs.append((row[0].strip(), row[1].strip()))
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except (ValueError, RecursionError) as e:  # JSONDecodeError; also 4,300-digit numbers and deep nesting
                raise DataError(f"{path}:{number}: not JSON ({getattr(e, 'msg', None) or type(e).__name__})") from None
            if not isinstance(row, dict) or not isinstance(row.get("image"), str) \
                    or not isinstance(row.get("question", ""), str):
                raise DataError(f"{path}:{number}: expected an object with the strings \"image\" and \"question\"")
            pairs.append((row["image"], row.get("question", "").strip()))
    if not pairs:
        raise DataError(f"{path} has no rows")
    return [(image, question, path.parent / image) for image, question in pairs]


def grid_rows(images: str | Path, questions: str | Path) -> list[tuple[str, str, Path]]:
    """Every question of the file ``questions`` (one per line, blank lines skipped) about every image
    of the folder ``images`` (sorted by name), image by image, as ``read_rows`` returns them."""
    images, questions = Path(images), Path(questions)
    if not images.is_dir():
        raise DataError(f"image folder not found: {images}")
    if not questions.is_file():
        raise DataError(f"questions file not found: {questions}")
    files = sorted(p for p in images.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    asked = [q.strip() for q in _text(questions).splitlines() if q.strip()]
    if not files:
        raise DataError(f"{images} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    if not asked:
        raise DataError(f"{questions} holds no questions")
    return [(str(p), q, p) for p in files for q in asked]


def _text(path: Path) -> str:
    """The UTF-8 text of ``path`` (a byte-order mark skipped), or a DataError saying where it is not UTF-8."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError(f"{path} is not UTF-8 text (byte 0x{e.object[e.start]:02x} at offset {e.start}); "
                        "save it as UTF-8") from None


def run(args) -> int:
    if args.input and (args.images or args.questions):
        raise DataError("give either --input, or --images with --questions, not both")
    if args.input:
        rows = read_rows(args.input)
    elif args.images and args.questions:
        rows = grid_rows(args.images, args.questions)
    else:
        raise DataError("give --input F (CSV or JSONL of image,question rows), or --images DIR with --questions Q.txt")
    check_output(args.out, "--out")
    apply_max_pixels(args)

    from tqdm import tqdm  # defers tqdm: `vqa --help` stays light

    from ..pipeline.ask import describe_steps  # defers torch
    from ..pipeline.pixels import PixelQA  # defers torch and detectron2

    pixels = PixelQA(args.detector, weights=args.weights, detector_weights=args.detector_weights,
                     closer_look=not args.no_closer_look, threads=args.threads)

    partial = Path(str(args.out) + ".partial") if args.out else None
    out = open(partial, "w", encoding="utf-8") if partial else sys.stdout
    failed = 0
    try:
        for image, question, path in tqdm(rows, unit="q", desc="answering", file=sys.stderr,
                                          disable=args.no_progress):
            try:
                e, graph, timings = pixels.explain(path, question, top_k=args.top_k)
                line = {"image": image, **answer_json(e.prediction, graph, timings, args.detector,
                                                      describe_steps(e, graph))}
            except VqaError as e:
                failed += 1
                line = {"image": image, "question": question, "error": str(e).splitlines()[0] if str(e) else
                        type(e).__name__}
            out.write(json.dumps(line) + "\n")
            out.flush()  # an interrupted run keeps what it answered, in F.partial
        if partial:
            os.fsync(out.fileno())
    finally:
        if out is not sys.stdout:
            out.close()
    if partial:
        os.replace(partial, args.out)  # the whole answer file, or (killed before this) the old one
    if failed:
        source = args.input or f"--images {args.images} --questions {args.questions}"
        log.error("%s: %d of %d rows failed (their lines hold \"error\")", source, failed, len(rows))
        return 2
    return 0
