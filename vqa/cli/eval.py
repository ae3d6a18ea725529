"""``vqa eval``: score a predictions file, or run the model on CLEVR questions first (in one process,
or split over torchrun's ranks); ``vqa eval merge``: combine prediction files made elsewhere and score them."""
from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from .. import atomic
from ..errors import DataError
from ..eval import format_table
from ..eval.merge import merge_predictions, question_order
from ..eval.score import clevr_question_list, score
from ..graph.io import load_json
from ..pipeline.longrun import partial_path
from .common import DEFAULT_WEIGHTS, EPILOG, add_max_pixels_argument, apply_max_pixels, check_output
from .logs import add_log_arguments

__all__ = ["add_parser", "run", "run_merge"]

log = logging.getLogger(__name__)

BENCHMARKS = ("clevr", "gqa", "vqav2")
# Files each benchmark's scoring needs besides the predictions.
_SCORING_INPUTS = {"clevr": ("questions",), "vqav2": ("annotations", "questions"), "gqa": ("questions",)}
# The inputs of scoring besides the predictions, by their argument names (DataError.source uses them too).
_INPUT_FILES = ("questions", "annotations", "choices", "scene_graphs", "attentions")
# Checked in run, not by argparse, so that a wrong name gets one line instead of the whole usage.
_BENCHMARK_METAVAR = "{" + ",".join(BENCHMARKS) + "}"


def add_parser(sub) -> None:
    e = sub.add_parser("eval", help="score predictions or run the model on a benchmark", epilog=EPILOG,
                       usage="vqa eval --benchmark {clevr,gqa,vqav2} [options]\n"
                             "       vqa eval merge --benchmark {clevr,gqa,vqav2} [options] SHARD [SHARD ...]",
                       description="Official metrics of CLEVR, GQA and VQA v2. With --predictions, scores that file; "
                                   "with --graphs gold|predicted (CLEVR), runs the model on the questions first; VQA v2 and GQA run the photo pipeline of `vqa ask IMAGE Q` with --graphs predicted --images DIR. Long runs: "
                                   "--predictions-out keeps progress in P.partial for --resume; --nproc N (or `torchrun ... -m vqa eval`) splits "
                                   "the batches over N processes; `vqa eval merge` combines prediction files made elsewhere and scores them.")
    e.add_argument("--benchmark", metavar=_BENCHMARK_METAVAR, help="(required) which benchmark's format and metric")
    e.add_argument("--questions", help="questions file (CLEVR questions JSON, GQA all-questions JSON, VQA v2 questions JSON)")
    e.add_argument("--scenes", help="CLEVR scenes JSON (gold graphs), for --graphs gold")
    e.add_argument("--graphs", choices=["gold", "predicted"],
                   help="run the model on gold scene graphs from --scenes, or on graphs the detector predicts from "
                        "--images (VQA v2 and GQA: predicted only, answered like `vqa ask IMAGE Q`)")
    e.add_argument("--images", help="folder of the questions' images, for --graphs predicted (VQA v2: COCO_val2014_<id:012d>.jpg as released, "
                        "or COCO_train2014_ / <id:012d>.jpg; GQA: <imageId>.jpg)")
    e.add_argument("--skip-missing-images", action="store_true",
                   help="--graphs predicted: skip the questions whose image is not in --images instead of failing "
                        "(counted in a note and, in --metrics-out, as skipped_missing_images)")
    e.add_argument("--detector-weights", help="detector .safetensors for --graphs predicted (default: the shipped one)")
    e.add_argument("--predictions", help="predictions to score: CLEVR [{question_index, answer}], GQA [{questionId, prediction}], "
                                         "VQA v2 [{question_id, answer}]")
    _add_scoring_arguments(e)
    e.add_argument("--predictions-out", help="model mode: write predictions here (official format); while running, "
                                             "finished batches go to PREDICTIONS_OUT.partial")
    e.add_argument("--attention-out", help="model mode: write per-question attention as JSON lines here")
    e.add_argument("--resume", action="store_true", help="model mode: continue an interrupted run from PREDICTIONS_OUT.partial "
                                                         "(same inputs and options; the result is identical)")
    e.add_argument("--limit", type=int, help="model mode: only the first N questions")
    e.add_argument("--batch-size", type=int, default=512, help="model mode: questions per batch (default 512); also the "
                                                                 "unit of --resume and of the work split over ranks")
    e.add_argument("--weights", default=DEFAULT_WEIGHTS, help="model mode: reasoner .safetensors")
    e.add_argument("--nproc", type=int, help="--benchmark clevr model mode: answer with N processes on this machine: runs "
                                             "`torchrun --standalone --nproc_per_node N -m vqa eval ...` (default: one process)")
    e.add_argument("--workers", type=int, help=argparse.SUPPRESS)  # the fork pool's option: now the same as --nproc
    e.add_argument("--threads", type=int, default=1, help="model mode: torch threads per process (default 1: this "
                                                          "model's small matrix products do not split well across threads)")
    e.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_max_pixels_argument(e)
    add_log_arguments(e)
    e.set_defaults(func=run)
    # prog: without it argparse builds merge's usage line from eval's two-line usage
    esub = e.add_subparsers(dest="eval_step", metavar="merge", title="combining prediction files", prog="vqa eval")
    m = esub.add_parser("merge", help="combine shard prediction files, write them in question order and score them",
                        epilog=EPILOG, description="Combine official-format prediction files made elsewhere "
                        "(other machines, other tools) into one in question order, refusing questions "
                        "answered by two files, and score it like `vqa eval --predictions`.")
    m.add_argument("shards", nargs="+", metavar="SHARD", help="prediction files of the shards")
    m.add_argument("--benchmark", required=True, metavar=_BENCHMARK_METAVAR, help="which benchmark's format and metric")
    m.add_argument("--questions", help="questions file the shards answered (sets the order; needed for scoring)")
    _add_scoring_arguments(m)
    m.add_argument("--predictions-out", help="write the merged predictions here")
    add_log_arguments(m)
    m.set_defaults(func=run_merge)


def _add_scoring_arguments(p: argparse.ArgumentParser) -> None:
    """The inputs and outputs of scoring, shared by `vqa eval` and `vqa eval merge`."""
    p.add_argument("--annotations", help="VQA v2 annotations JSON")
    p.add_argument("--choices", help="GQA choices JSON (enables validity and plausibility)")
    p.add_argument("--scene-graphs", help="GQA scene graphs JSON (with --attentions: grounding)")
    p.add_argument("--attentions", help="GQA spatial attention maps JSON (with --scene-graphs: grounding)")
    p.add_argument("--allow-missing", action="store_true", help="count questions without a prediction as wrong instead of failing")
    p.add_argument("--metrics-out", help="write the metrics (unrounded) as JSON here")


def run(args) -> int:
    if not args.benchmark:
        raise DataError("--benchmark is required: clevr, gqa or vqav2 (`vqa eval merge` combines prediction files)")
    _check_benchmark(args)
    _check_outputs(args)
    if args.graphs is None:
        model_only = [f"--{n.replace('_', '-')}" for n in ("predictions_out", "attention_out", "limit", "nproc", "resume",
                                                           "images", "skip_missing_images", "detector_weights",
                                                           "max_pixels")
                      if getattr(args, n) not in (None, False)]
        if model_only:
            raise DataError(f"{' '.join(model_only)} only apply to model mode (--graphs gold|predicted); "
                            "to score a predictions file, pass --predictions")
        _require(args, *_SCORING_INPUTS[args.benchmark], "predictions")
        _report(args, _score_files(args, load_json(args.predictions), _load_inputs(args), args.predictions))
        return 0

    apply_max_pixels(args)
    if args.benchmark != "clevr":
        return _run_photo_benchmark(args)
    if args.predictions:
        raise DataError("pass either --graphs (run the model) or --predictions (score a file), not both")
    _require(args, "questions", "images" if args.graphs == "predicted" else "scenes")
    if args.graphs == "predicted" and args.scenes:
        raise DataError("--graphs predicted detects the graphs in --images; --scenes is for --graphs gold")
    if args.graphs == "gold" and args.skip_missing_images:
        raise DataError("--skip-missing-images is for --graphs predicted, which reads the images in --images")
    if args.nproc is not None or args.workers is not None:
        return _launch(args)
    from ..pipeline.batch import run_clevr_model  # defers torch and detectron2
    from ..pipeline.distributed import rank  # with the pipeline: it loads torch.distributed

    try:
        images = args.images if args.graphs == "predicted" else None
        result = run_clevr_model(args.questions, args.scenes, args.weights, predictions_out=args.predictions_out,
                              images_dir=images, detector_weights=args.detector_weights,
                              skip_missing_images=args.skip_missing_images,
                              attention_out=args.attention_out, limit=args.limit, batch_size=args.batch_size,
                              threads=args.threads, resume=args.resume,
                              allow_missing=args.allow_missing, progress=not args.no_progress)
    except KeyboardInterrupt:
        _say_where_answers_are_kept(args)
        raise
    if rank() != 0:
        return 0  # rank 0 writes and reports
    _run_notes(args, result)
    return _finish_run(args, result, f"{len(result.predictions)} questions answered; they carry no answers, so only "
                                     "predictions were written")


def _launch(args) -> int:
    """`vqa eval --nproc N`: the same command as N torchrun ranks on this machine."""
    n = args.nproc if args.nproc is not None else args.workers
    if args.nproc is not None and args.workers is not None:
        raise DataError("--workers is the old name of --nproc; pass --nproc only")
    if n < 1:
        raise DataError(f"--nproc must be at least 1, got {n}")
    if args.workers is not None:
        log.warning("--workers is now --nproc (torchrun ranks instead of forked workers)")
    from ..pipeline.distributed import launch, world_size  # with the pipeline: it loads torch.distributed

    if world_size() > 1:
        raise DataError("--nproc starts torchrun itself; under torchrun, leave it out")
    argv, skip = [], False
    for a in args.argv:
        if skip:
            skip = False
        elif a in ("--nproc", "--workers"):
            skip = True
        elif not a.startswith(("--nproc=", "--workers=")):
            argv.append(a)
    code = launch(n, argv)
    return 2 if code == 1 else code  # torchrun exits 1 when a rank failed; a rank's own message is above


def _say_where_answers_are_kept(args) -> None:
    if args.predictions_out:
        log.warning("the answers so far are kept in %s; run the same command with --resume to continue",
                    partial_path(args.predictions_out))


def _run_notes(args, result) -> None:
    """What a model-mode run skipped or resumed (both benchmarks' results carry these fields)."""
    if result.skipped_missing_images:
        log.warning("%d of %d questions skipped: their image is not in %s (--skip-missing-images)",
                    result.skipped_missing_images, result.total + result.skipped_missing_images, args.images)
    if result.resumed:
        log.info("resumed: %d answers came from %s", result.resumed, partial_path(args.predictions_out))
    answered, seconds = result.total - result.resumed, getattr(result, "answer_seconds", 0.0)  # CLEVR runs time it
    if answered and seconds > 0:
        log.info("answered %d questions in %.3f s (%.0f questions/s, after loading)", answered,
                 seconds, answered / seconds)


def _finish_run(args, result, unscored: str) -> int:
    """Where a model-mode run wrote its predictions, then its scores, or ``unscored`` when there were none."""
    if args.predictions_out:
        log.info("wrote %d predictions to %s", len(result.predictions), args.predictions_out)
    if result.metrics is None:
        log.warning("%s", unscored)
    else:
        _report(args, result.metrics)
    return 0


def _run_photo_benchmark(args) -> int:
    """VQA v2 / GQA model mode: the photo pipeline of `vqa ask IMAGE Q` on every question's image."""
    if args.graphs == "gold":
        raise DataError(f"--benchmark {args.benchmark} --graphs gold is not available: gold GQA/COCO scene graphs "
                        "need a GQA-trained reasoner, which needs GQA training data (not shipped); use --graphs "
                        "predicted --images DIR (the photo pipeline), or score predictions with --predictions P.json")
    if args.predictions:
        raise DataError("pass either --graphs (run the model) or --predictions (score a file), not both")
    unused = [f"--{n.replace('_', '-')}" for n in ("scenes", "attention_out", "nproc", "workers", "choices",
                                                   "scene_graphs", "attentions") if getattr(args, n) is not None]
    if unused:
        raise DataError(f"{' '.join(unused)} do not apply to --benchmark {args.benchmark} --graphs predicted")
    _require(args, "questions", "images")
    from ..pipeline.photo_eval import run_photo_benchmark  # defers torch and detectron2

    try:
        result = run_photo_benchmark(args.benchmark, args.questions, args.images, annotations_path=args.annotations,
                                     weights=args.weights, detector_weights=args.detector_weights,
                                     predictions_out=args.predictions_out, resume=args.resume,
                                     skip_missing_images=args.skip_missing_images, limit=args.limit,
                                     threads=args.threads, allow_missing=args.allow_missing,
                                     progress=not args.no_progress)
    except KeyboardInterrupt:
        _say_where_answers_are_kept(args)
        raise
    _run_notes(args, result)
    log.info("%d of %d questions declined by the photo answerer: predicted as its best guess", result.declined,
             result.total)
    return _finish_run(args, result, f"{result.total} questions answered; there are no answers to score against, so "
                                     "only predictions were written")


def run_merge(args) -> int:
    """`vqa eval merge`: prediction files made elsewhere -> one file in question order -> scores."""
    _check_benchmark(args)
    _check_outputs(args)
    _require(args, *_SCORING_INPUTS[args.benchmark])
    inputs = _load_inputs(args)
    parts = [(path, load_json(path)) for path in args.shards]
    merged = merge_predictions(args.benchmark, parts, question_order(args.benchmark, inputs["questions"], inputs["annotations"]))
    log.info("merged %d predictions from %d files", len(merged), len(parts))
    if args.predictions_out:
        out = Path(args.predictions_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(out, json.dumps(merged) + "\n")  # the same bytes a single model-mode run writes
        log.info("wrote %s", args.predictions_out)
    if args.benchmark == "clevr" and not all(isinstance(q, dict) and isinstance(q.get("answer"), str)
                                             for q in clevr_question_list(inputs["questions"]) or []):
        log.warning("the questions carry no answers, so nothing was scored")
        return 0
    _report(args, _score_files(args, merged, inputs, f"the merged predictions of {', '.join(args.shards)}"))
    return 0


def _check_outputs(args) -> None:
    for name in ("predictions_out", "metrics_out", "attention_out"):
        check_output(getattr(args, name, None), f"--{name.replace('_', '-')}")


def _check_benchmark(args) -> None:
    if args.benchmark not in BENCHMARKS:
        raise DataError(f"unknown --benchmark {args.benchmark!r}; choose clevr, gqa or vqav2")


def _load_inputs(args) -> dict:
    if bool(args.scene_graphs) != bool(args.attentions):
        raise DataError("grounding needs both --scene-graphs and --attentions")
    if args.benchmark != "gqa" and (args.choices or args.scene_graphs):
        raise DataError(f"--choices, --scene-graphs and --attentions are GQA inputs, not {args.benchmark} ones")
    return {n: load_json(getattr(args, n)) if getattr(args, n) else None for n in _INPUT_FILES}


def _score_files(args, predictions, inputs: dict, predictions_file: str) -> dict:
    """``score``, with the name of the file in front of an error about one input file."""
    try:
        return score(args.benchmark, predictions, **inputs, allow_missing=args.allow_missing)
    except DataError as e:
        files = {"predictions": predictions_file, **{n: getattr(args, n) for n in _INPUT_FILES}}
        if files.get(e.source):
            raise DataError(f"{files[e.source]}: {e}") from None
        raise


def _report(args, metrics: dict) -> None:
    """Notes on stderr, the table on stdout, the unrounded metrics as JSON in --metrics-out."""
    repeated = metrics.get("duplicate_results") or metrics.get("duplicate_predictions")
    if repeated:
        log.warning("%d question ids are predicted more than once; the last prediction counts, as in the official "
                    "evaluator", repeated)
    if metrics.get("missing"):
        log.warning("%d questions have no prediction and count as wrong (--allow-missing)", metrics["missing"])
    print(format_table(metrics, args.benchmark))
    if args.metrics_out:
        out = Path(args.metrics_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic.write_text(out, json.dumps(metrics, indent=2) + "\n")


def _require(args, *names):
    missing = [f"--{n.replace('_', '-')}" for n in names if not getattr(args, n)]
    if missing:
        raise DataError(f"--benchmark {args.benchmark} needs {' '.join(missing)}")
