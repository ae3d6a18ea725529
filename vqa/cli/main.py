"""``vqa`` subcommands. Each is one same-named function; parsing stays here."""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from ..errors import DataError, VqaError

__all__ = ["main", "build_parser"]

EPILOG = "Errors in the input (missing files, malformed JSON, bad images) exit with status 2 and a one-line message."


# ---------------------------------------------------------------------------------------- ask
def ask(args) -> int:
    import time

    from ..graph.io import load_clevr_scenes
    from ..pipeline.ask import GraphQA, PhotoPrediction

    graph, timings, builder, scene = None, {}, None, None
    if args.scene:
        scenes = load_clevr_scenes(args.scene)
        graph = _pick_scene(scenes, args.image_filename or (Path(args.image).name if args.image else None), args.scene)
    elif args.image:  # from pixels: detector (auto: clevr for renders, coco for photos) -> scene graph
        from ..pipeline.scenes import SceneBuilder
        from ..reason.photo_rules import question_classes

        builder = SceneBuilder(args.detector, weights=args.detector_weights, closer_look=not args.no_closer_look)
        scene = builder.build(args.image, look_for=question_classes(args.question))
        graph = scene.graph
        timings.update(scene.timings)
    qa = GraphQA(args.weights, threads=args.threads)
    t0 = time.perf_counter()
    p = qa.ask(args.question, graph, top_k=args.top_k)
    timings["answer"] = (time.perf_counter() - t0) * 1000
    if args.draw and builder is not None:
        from ..explain.figures import draw_objects

        from ..graph.box_relations import for_display

        draw_objects(scene.image, for_display(graph)).save(args.draw)
    if args.json:
        out = {"question": p.question, "answers": p.to_json()["answers"], "flags": p.flags}
        if isinstance(p, PhotoPrediction):
            out.update(message=p.message, status=p.status)
        if args.image and not args.scene:
            from ..graph.io import scene_to_clevr

            out["detector"] = graph.extra.get("detector", args.detector)
            out["scene_graph"] = scene_to_clevr(graph)
            out["timings_ms"] = {k: round(v, 2) for k, v in timings.items()}
        print(json.dumps(out))
    else:
        if isinstance(p, PhotoPrediction):
            # photos: the sentence first (it says "not sure" or why not), then the guesses
            print(p.message)
            for a, prob in p.answers[1:] if p.status != "answered" else []:
                print(f"{a:>12s}  {prob:6.1%}")
            objects = ", ".join(o.name for o in graph.objects) or "none"
            print(f"note: photo scene graph ({graph.extra.get('detector', 'coco')} detector; objects: {objects}); "
                  "answered from the graph, not by the CLEVR reasoner")
            look = graph.extra.get("closer_look")
            if look:
                print(f"note: closer look for {', '.join(look['classes'])} (the detector again over "
                      f"{look['tiles']} tiles, {timings.get('closer_look', 0):.0f} ms): found {look['found']}")
            return 0
        for a, prob in p.answers:
            print(f"{a:>12s}  {prob:6.1%}")
        for f in p.flags:
            print(f"note: {f.replace('_', ' ')}: answered from the question alone")
    return 0


def _pick_scene(scenes, filename, path):
    if not scenes:
        raise DataError(f"{path} has no scenes")
    if filename is None:
        if len(scenes) == 1:
            return scenes[0]
        raise DataError(f"{path} has {len(scenes)} scenes; choose one with --image-filename")
    for g in scenes:
        if g.image_filename == filename:
            return g
    raise DataError(f"no scene for image {filename!r} in {path}; first ones: {[g.image_filename for g in scenes[:3]]}")


# --------------------------------------------------------------------------------------- eval
def eval(args) -> int:  # noqa: A001 - the subcommand is called eval
    if not args.benchmark:
        raise DataError("--benchmark is required: clevr, gqa or vqav2 (`vqa eval merge` combines shard files)")
    if args.graphs is None:
        model_only = [f"--{n.replace('_', '-')}" for n in ("predictions_out", "attention_out", "limit", "shard", "resume", "images",
                                                               "detector_weights")
                      if getattr(args, n) not in (None, False)]
        if model_only:
            raise DataError(f"{' '.join(model_only)} only apply to model mode (--graphs gold|predicted); "
                            "to score a predictions file, pass --predictions")
        _require(args, *_SCORING_INPUTS[args.benchmark], "predictions")
        from ..eval.score import score
        from ..graph.io import load_json

        metrics = score(args.benchmark, load_json(args.predictions), **_load_inputs(args), allow_missing=args.allow_missing)
        _report(args, metrics)
        return 0

    if args.benchmark == "gqa":
        raise DataError("no GQA reasoner is shipped yet, so --graphs cannot run on GQA; score a GQA model's "
                        "predictions with --predictions P.json instead")
    if args.benchmark != "clevr":
        raise DataError(f"model mode (--graphs) runs on CLEVR scene graphs; for --benchmark {args.benchmark}, "
                        "score a model's predictions with --predictions P.json")
    if args.predictions:
        raise DataError("pass either --graphs (run the model) or --predictions (score a file), not both")
    _require(args, "questions", "images" if args.graphs == "predicted" else "scenes")
    if args.graphs == "predicted" and args.scenes:
        raise DataError("--graphs predicted detects the graphs in --images; --scenes is for --graphs gold")
    from ..pipeline.batch import run_clevr_model
    from ..pipeline.longrun import parse_shard, partial_path

    shard = parse_shard(args.shard)
    try:
        images = args.images if args.graphs == "predicted" else None
        run = run_clevr_model(args.questions, args.scenes, args.weights, predictions_out=args.predictions_out,
                              images_dir=images, detector_weights=args.detector_weights,
                              attention_out=args.attention_out, limit=args.limit, batch_size=args.batch_size,
                              threads=args.threads, workers=args.workers, shard=shard, resume=args.resume,
                              allow_missing=args.allow_missing, progress=not args.no_progress)
    except KeyboardInterrupt:
        if args.predictions_out:
            print(f"vqa eval: finished batches are kept in {partial_path(args.predictions_out)}; "
                  "run the same command with --resume to continue", file=sys.stderr)
        raise
    if run.resumed:
        print(f"resumed: {run.resumed} answers came from {partial_path(args.predictions_out)}")
    if shard != (1, 1):
        print(f"shard {shard[0]}/{shard[1]}: {len(run.predictions)} of {run.total} questions; the scores below cover "
              "this shard only (combine the shards with `vqa eval merge`)")
    if args.predictions_out:
        print(f"wrote {len(run.predictions)} predictions to {args.predictions_out}")
    if run.metrics is None:
        print(f"{len(run.predictions)} questions answered; they carry no answers, so only predictions were written")
    else:
        _report(args, run.metrics)
    return 0


def eval_merge(args) -> int:
    """`vqa eval merge`: shard prediction files -> one file in question order -> scores."""
    from ..eval.merge import merge_predictions, question_order
    from ..eval.score import clevr_question_list, score
    from ..graph.io import load_json

    _require(args, *_SCORING_INPUTS[args.benchmark])
    inputs = _load_inputs(args)
    parts = [(path, load_json(path)) for path in args.shards]
    merged = merge_predictions(args.benchmark, parts, question_order(args.benchmark, inputs["questions"], inputs["annotations"]))
    print(f"merged {len(merged)} predictions from {len(parts)} files")
    if args.predictions_out:
        out = Path(args.predictions_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(merged) + "\n")  # the same bytes a single model-mode run writes
        print(f"wrote {args.predictions_out}")
    if args.benchmark == "clevr" and not all(isinstance(q, dict) and isinstance(q.get("answer"), str)
                                             for q in clevr_question_list(inputs["questions"]) or []):
        print("the questions carry no answers, so nothing was scored")
        return 0
    _report(args, score(args.benchmark, merged, **inputs, allow_missing=args.allow_missing))
    return 0


# Files each benchmark's scoring needs besides the predictions.
_SCORING_INPUTS = {"clevr": ("questions",), "vqav2": ("annotations", "questions"), "gqa": ("questions",)}


def _load_inputs(args) -> dict:
    from ..graph.io import load_json

    if bool(args.scene_graphs) != bool(args.attentions):
        raise DataError("grounding needs both --scene-graphs and --attentions")
    if args.benchmark != "gqa" and (args.choices or args.scene_graphs):
        raise DataError(f"--choices, --scene-graphs and --attentions are GQA inputs, not {args.benchmark} ones")
    names = ("questions", "annotations", "choices", "scene_graphs", "attentions")
    return {n: load_json(getattr(args, n)) if getattr(args, n) else None for n in names}


def _report(args, metrics: dict) -> None:
    """Notes on stderr, the table on stdout, the unrounded metrics as JSON in --metrics-out."""
    from ..eval import format_table

    repeated = metrics.get("duplicate_results") or metrics.get("duplicate_predictions")
    if repeated:
        print(f"vqa eval: note: {repeated} question ids are predicted more than once; the last prediction counts, "
              "as in the official evaluator", file=sys.stderr)
    if metrics.get("missing"):
        print(f"vqa eval: note: {metrics['missing']} questions have no prediction and count as wrong (--allow-missing)",
              file=sys.stderr)
    print(format_table(metrics, args.benchmark))
    if args.metrics_out:
        out = Path(args.metrics_out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(metrics, indent=2) + "\n")


def _require(args, *names):
    missing = [f"--{n.replace('_', '-')}" for n in names if not getattr(args, n)]
    if missing:
        raise DataError(f"--benchmark {args.benchmark} needs {' '.join(missing)}")


# -------------------------------------------------------------------------------------- train
def train(args) -> int:
    if args.what == "reasoner":
        from ..reason.config import ReasonerConfig
        from ..train.reasoner import TrainConfig, train_reasoner

        model = ReasonerConfig(fusion=args.fusion, steps=args.steps, dim=args.dim)
        model.encoder.kind = args.encoder
        model.encoder.dim = args.encoder_dim or args.dim
        model.encoder.layers, model.encoder.heads = args.encoder_layers, args.encoder_heads
        model.encoder.ffn = args.encoder_ffn or 2 * model.encoder.dim
        model.encoder.kernel = args.encoder_kernel
        shared = args.shared
        if shared is None and Path("../shared/data/clevr/CLEVR_train_scenes.json").is_file():
            shared = "../shared/data/clevr"
        tc = TrainConfig(out=args.out, workdir=args.workdir, shared=shared or None, scenes=args.scenes,
                         val_scenes=args.val_scenes, iterations=args.iterations, batch_size=args.batch_size,
                         lr=args.lr, seed=args.seed, threads=args.threads, augment=args.augment,
                         eval_every=args.eval_every, progress=not args.no_progress, model=model, device=args.device,
                         loader_workers=args.loader_workers)
        if args.fresh:
            import shutil

            shutil.rmtree(args.workdir, ignore_errors=True)
        report = train_reasoner(tc)
        for k in ("val_shared", "val_generated"):
            if k in report:
                print(f"{k}: {report[k]['accuracy']:.4f} ({report[k]['count']} questions)")
        print(f"wrote {args.out}.safetensors, .json and .md in {report['total_seconds']} s")
    elif args.what == "detector":
        from ..train.detector import DetectorTrainConfig, train_detector

        if not Path(args.shared, "clevr_renders", "scenes.json").is_file():
            raise DataError(f"training data not found: {args.shared}/clevr_renders/scenes.json; pass --shared DIR")
        if args.init and not Path(args.init).is_file():
            raise DataError(f"--init {args.init}: no such weights file")
        if args.real_repeat < 0:
            raise DataError(f"--real-repeat {args.real_repeat}: give 0 (renders only) or more")
        for flag, value in (("--crop-centre-weight", args.crop_centre_weight), ("--second-stages", args.second_stages)):
            if args.init and value is not None:  # the model config, crop heads included, is the init's
                raise DataError(f"{flag} sets up a model trained from scratch; with --init the "
                                "config of the init weights applies (edit their .json instead)")
        if args.second_stages is not None and args.second_stages < 1:
            raise DataError(f"--second-stages {args.second_stages}: give 1 or more")
        for folder in args.renders + args.crop_renders:
            if not Path(folder, "scenes.json").is_file():
                raise DataError(f"{folder} has no scenes.json: pass folders written by `vqa render` "
                                "(an interrupted render writes it when run again with the same options)")
        if args.fresh:
            import shutil

            shutil.rmtree(args.workdir, ignore_errors=True)
        tc = DetectorTrainConfig(out=args.out, workdir=args.workdir, shared=args.shared, renders=args.renders,
                                 crop_renders=args.crop_renders, init=args.init, iterations=args.iterations,
                                 batch_size=args.batch_size, lr=args.lr, warmup=args.warmup, threads=args.threads,
                                 seed=args.seed, dev_holdout=args.dev_holdout, real_repeat=args.real_repeat,
                                 real_boxes=args.real_boxes,
                                 crop_epochs=args.crop_epochs, progress=not args.no_progress)
        if args.crop_centre_weight is not None:
            tc.model.crop_centre_weight = args.crop_centre_weight
        if args.second_stages is not None:
            tc.model.second_stages = args.second_stages
        report = train_detector(tc)
        for key, title in (("development_real", "development real images"), ("held_out_real", "held-out real images")):
            if key in report:
                r = report[key]
                print(f"{title}: recall {r['recall']:.4f}, precision {r['precision']:.4f}, "
                      f"all attributes {r['all_attributes_accuracy']:.4f}, relations {r['relation_agreement']:.4f}")
        print(f"wrote {args.out}.safetensors, .json and .md")
    elif args.what == "photo-reasoner":
        from ..train.photo_reasoner import PhotoTrainConfig, train_photo_reasoner

        tc = PhotoTrainConfig(out=args.out, workdir=args.workdir, scenes=args.scenes, val_scenes=args.val_scenes,
                              iterations=args.iterations, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                              threads=args.threads, eval_every=args.eval_every, max_minutes=args.max_minutes,
                              progress=not args.no_progress)
        report = train_photo_reasoner(tc)
        print(f"val_generated: {report['val_generated']['accuracy']:.4f} ({report['val_generated']['count']} questions)")
        print(f"wrote {args.out}.safetensors, .json and .md in {report['total_seconds']} s")
    return 0


# -------------------------------------------------------------------------------------- graph
def graph(args) -> int:
    from ..graph.box_relations import for_display, is_photo_graph
    from ..graph.io import scene_to_clevr
    from ..pipeline.scenes import SceneBuilder

    builder = SceneBuilder(args.detector, weights=args.detector_weights, cache_size=0)
    scenes = []
    for k, path in enumerate(args.images):
        built = builder.build(path)
        g = built.graph
        g.image_index = k
        if args.draw:
            from ..perception.clevr.draw import draw_detections

            Path(args.draw).mkdir(parents=True, exist_ok=True)
            out = Path(args.draw) / (Path(path).stem + ".png")
            if is_photo_graph(g):  # photos: the scene graph's objects (class, colour, size)
                from ..explain.figures import draw_objects

                draw_objects(built.image, for_display(g)).save(out)
            else:
                draw_detections(built.image, built.detections).save(out)
        scene = scene_to_clevr(g)
        for o in scene["objects"]:
            o.pop("attribute_probs", None)  # the distributions stay in `vqa ask --json`
        scenes.append(scene)
        if not args.json and not args.out:
            keys = ("size", "color", "class") if is_photo_graph(g) else ("size", "color", "material", "shape")
            print(f"{g.image_filename} ({g.extra.get('detector') or args.detector}): {len(g.objects)} objects: " +
                  ", ".join(" ".join(o.attributes.get(a, "?") for a in keys) for o in g.objects))
    text = json.dumps({"info": {"detector": args.detector}, "scenes": scenes}, indent=None if args.json else 1)
    if args.out:
        Path(args.out).write_text(text + "\n")
        print(f"wrote {len(scenes)} scenes to {args.out}")
    elif args.json:
        print(text)
    return 0


# ------------------------------------------------------------------------------------- render
def render(args) -> int:
    from ..data.render import RenderConfig, render_scenes

    rc = RenderConfig(out_dir=args.out, assets=args.assets, num_images=args.num_images, start_idx=args.start_idx,
                      prefix=args.prefix, seed=args.seed, samples=args.samples, denoise=args.denoise,
                      workers=args.workers, threads=args.threads, min_objects=args.min_objects,
                      max_objects=args.max_objects, width=args.width, height=args.height, blender=args.blender or "")
    path = render_scenes(rc, progress=not args.no_progress)
    print(f"wrote {args.num_images} images to {args.out}/images, masks to {args.out}/masks, scenes to {path}")
    return 0


# ---------------------------------------------------------------------------------------- app
def serve(args) -> int:
    from ..app import launch

    launch(host=args.host, port=args.port, weights=args.weights, concurrency=args.concurrency)
    return 0


# ---------------------------------------------------------------------------------- attention
def attention(args) -> int:
    from ..explain import explain, load_qa
    from ..graph.io import load_clevr_scenes

    graph = None
    if args.scene:
        graph = _pick_scene(load_clevr_scenes(args.scene), args.image_filename or Path(args.image).name, args.scene)
    result = explain(args.question, args.image, graph, qa=load_qa(args.weights, threads=args.threads, trace=False),
                     detector=args.detector, detector_weights=args.detector_weights, top_k=args.top_k)
    written = result.save(args.out)
    for a, prob in result.answers:
        print(f"{a:>12s}  {prob:6.1%}")
    print(f"wrote {len(written)} files to {args.out}: attention.json, overlay_step0..{result.steps - 1}.png, "
          "words_step*.png, words.png, coattention.png, graph.png, objects.png")
    return 0


# ------------------------------------------------------------------------------------- parser
def _add_scoring_arguments(p: argparse.ArgumentParser) -> None:
    """The inputs and outputs of scoring, shared by `vqa eval` and `vqa eval merge`."""
    p.add_argument("--annotations", help="VQA v2 annotations JSON")
    p.add_argument("--choices", help="GQA choices JSON (enables validity and plausibility)")
    p.add_argument("--scene-graphs", help="GQA scene graphs JSON (with --attentions: grounding)")
    p.add_argument("--attentions", help="GQA spatial attention maps JSON (with --scene-graphs: grounding)")
    p.add_argument("--allow-missing", action="store_true", help="count questions without a prediction as wrong instead of failing")
    p.add_argument("--metrics-out", help="write the metrics (unrounded) as JSON here")


def build_parser() -> argparse.ArgumentParser:
    from ..reason.reasoner import DEFAULT_WEIGHTS

    p = argparse.ArgumentParser(prog="vqa", description="Scene-graph visual question answering.", epilog=EPILOG)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    a = sub.add_parser("ask", help="answer a question about a scene", epilog=EPILOG,
                       description="Answer QUESTION about IMAGE (or about a scene graph given with --scene).")
    a.add_argument("image", nargs="?", help="image file (with --scene: only its file name is used to find the scene)")
    a.add_argument("question", help="the question, in quotes")
    a.add_argument("--scene", help="CLEVR scenes JSON: answer from this gold scene graph")
    a.add_argument("--image-filename", help="which scene of --scene (default: the image's file name, or the only scene)")
    a.add_argument("--top-k", type=int, default=5, help="how many answers to print (default 5)")
    a.add_argument("--json", action="store_true", help='print {"question", "answers": [{"answer", "probability"}], ...}')
    a.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="reasoner .safetensors (config JSON beside it)")
    a.add_argument("--threads", type=int, default=1, help="torch threads (default 1: fastest for one question)")
    a.add_argument("--detector", default="auto", choices=["auto", "clevr", "coco"],
                   help="detector for IMAGE without --scene (default auto: 'clevr' for CLEVR-like renders, 'coco' "
                        "for photos, chosen per image by vqa.perception.auto.choose_detector). Photo graphs are "
                        "answered from what they contain (existence, counts, colours, left/right of the 80 COCO "
                        "classes), never by the CLEVR reasoner; other questions get an honest 'unknown'")
    a.add_argument("--no-closer-look", action="store_true",
                   help="photos: answer from the first detector pass only. By default, a question about a COCO class "
                        "the photo's graph lacks ('Is there a spoon?') runs the detector again over 2 x 2 overlapping "
                        "tiles for that class (about 0.5 s); what it finds is added to the graph (marked closer_look; "
                        "--json: timings_ms.closer_look and scene_graph.closer_look)")
    a.add_argument("--detector-weights", help="CLEVR detector .safetensors (default weights/clevr-detector.safetensors)")
    a.add_argument("--draw", metavar="PNG", help="save IMAGE with its scene graph's objects drawn on it here")
    a.set_defaults(func=ask)

    e = sub.add_parser("eval", help="score predictions or run the model on a benchmark", epilog=EPILOG,
                       usage="vqa eval --benchmark {clevr,gqa,vqav2} [options]\n"
                             "       vqa eval merge --benchmark {clevr,gqa,vqav2} [options] SHARD [SHARD ...]",
                       description="Official metrics of CLEVR, GQA and VQA v2. With --predictions, scores that file; "
                                   "with --graphs gold|predicted (CLEVR), runs the model on the questions first. Long runs: "
                                   "--predictions-out keeps progress in P.partial for --resume; --shard i/n runs every "
                                   "n-th batch; `vqa eval merge` combines the shards' files and scores them.")
    e.add_argument("--benchmark", choices=["clevr", "gqa", "vqav2"], help="(required) which benchmark's format and metric")
    e.add_argument("--questions", help="questions file (CLEVR questions JSON, GQA all-questions JSON, VQA v2 questions JSON)")
    e.add_argument("--scenes", help="CLEVR scenes JSON (gold graphs), for --graphs gold")
    e.add_argument("--graphs", choices=["gold", "predicted"],
                   help="run the model on gold scene graphs from --scenes, or on graphs the detector predicts from "
                        "--images (CLEVR only: no GQA reasoner is shipped yet)")
    e.add_argument("--images", help="folder of the questions' images, for --graphs predicted")
    e.add_argument("--detector-weights", help="detector .safetensors for --graphs predicted (default: the shipped one)")
    e.add_argument("--predictions", help="predictions to score: CLEVR [{question_index, answer}], GQA [{questionId, prediction}], "
                                         "VQA v2 [{question_id, answer}]")
    _add_scoring_arguments(e)
    e.add_argument("--predictions-out", help="model mode: write predictions here (official format); while running, "
                                             "finished batches go to PREDICTIONS_OUT.partial")
    e.add_argument("--attention-out", help="model mode: write per-question attention as JSON lines here")
    e.add_argument("--resume", action="store_true", help="model mode: continue an interrupted run from PREDICTIONS_OUT.partial "
                                                         "(same inputs and options; the result is identical)")
    e.add_argument("--shard", metavar="I/N", help="model mode: run shard I of N (1..N): every N-th batch of questions, "
                                                  "counted from batch I; combine with `vqa eval merge`")
    e.add_argument("--limit", type=int, help="model mode: only the first N questions")
    e.add_argument("--batch-size", type=int, default=1024, help="model mode: questions per batch (default 1024); also the "
                                                                 "unit of --shard and --resume, so keep it across shards")
    e.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="model mode: reasoner .safetensors")
    e.add_argument("--workers", type=int, help="model mode: processes answering batches in parallel (default: one per "
                                               "CPU core, at most one per batch)")
    e.add_argument("--threads", type=int, default=1, help="model mode: torch threads per worker (default 1: this "
                                                          "model's small matrix products do not split well across threads)")
    e.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    e.set_defaults(func=eval)
    esub = e.add_subparsers(dest="eval_step", metavar="merge", title="combining shards")
    m = esub.add_parser("merge", help="combine shard prediction files, write them in question order and score them",
                        epilog=EPILOG, description="Combine the --predictions-out files of `vqa eval --shard i/n` runs "
                        "(any official-format prediction files) into one in question order, refusing questions "
                        "answered by two files, and score it like `vqa eval --predictions`.")
    m.add_argument("shards", nargs="+", metavar="SHARD", help="prediction files of the shards")
    m.add_argument("--benchmark", required=True, choices=["clevr", "gqa", "vqav2"], help="which benchmark's format and metric")
    m.add_argument("--questions", help="questions file the shards answered (sets the order; needed for scoring)")
    _add_scoring_arguments(m)
    m.add_argument("--predictions-out", help="write the merged predictions here")
    m.set_defaults(func=eval_merge)

    t = sub.add_parser("train", help="train a model and write its weights and model card", epilog=EPILOG)
    tsub = t.add_subparsers(dest="what", required=True, metavar="MODEL")
    r = tsub.add_parser("reasoner", help="train the CLEVR reasoner on generated scenes and questions",
                        description="Generates CLEVR-rule scenes and template questions, trains with step supervision, "
                                    "validates on held-out scenes, writes OUT.safetensors/.json/.md. Resumes from "
                                    "WORKDIR's checkpoint when one exists.")
    r.add_argument("--out", default="weights/clevr-reasoner", help="output stem (default weights/clevr-reasoner)")
    r.add_argument("--workdir", default="runs/reasoner", help="data cache and checkpoints (default runs/reasoner)")
    r.add_argument("--shared", help="folder with CLEVR_train_scenes.json and CLEVR_train_questions.json "
                                    "(default ../shared/data/clevr when present; '' to skip)")
    r.add_argument("--scenes", type=int, default=12000, help="generated training scenes (default 12000)")
    r.add_argument("--val-scenes", type=int, default=400, help="generated validation scenes (default 400)")
    r.add_argument("--iterations", type=int, default=12000, help="optimiser steps (default 12000)")
    r.add_argument("--batch-size", type=int, default=128, help="questions per step (default 128)")
    r.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (default 2e-3)")
    r.add_argument("--augment", type=float, default=0.6, help="share of questions reworded per draw (default 0.6)")
    r.add_argument("--fusion", default="hybrid", choices=["early", "late", "hybrid"], help="fusion variant (default hybrid)")
    r.add_argument("--encoder", default="conv", choices=["conv", "small", "minilm"],
                   help="question encoder: conv (gated convolutions), small (Transformer) or minilm (default conv)")
    r.add_argument("--encoder-dim", type=int, help="small/conv encoder's width (default: --dim)")
    r.add_argument("--encoder-layers", type=int, default=2, help="small/conv encoder's layers (default 2)")
    r.add_argument("--encoder-heads", type=int, default=4, help="small encoder's attention heads (default 4)")
    r.add_argument("--encoder-ffn", type=int, help="small encoder's feed-forward width (default 2 x its width)")
    r.add_argument("--encoder-kernel", type=int, default=5, help="conv encoder's window in tokens (default 5)")
    r.add_argument("--steps", type=int, default=5, help="reasoning steps (default 5)")
    r.add_argument("--dim", type=int, default=128, help="hidden size (default 128)")
    r.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    r.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    r.add_argument("--device", default="cpu", help="torch device, e.g. cuda where a GPU is lent (default cpu)")
    r.add_argument("--loader-workers", type=int, default=0,
                   help="processes collating batches ahead; same batches, for a GPU that outruns collation (default 0)")
    r.add_argument("--eval-every", type=int, default=2000, help="validate every N steps (default 2000)")
    r.add_argument("--fresh", action="store_true", help="delete WORKDIR first instead of resuming")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    d = tsub.add_parser("detector", help="train the CLEVR detector (detectron2 Faster R-CNN) on renders and real images",
                        description="Trains on the shared renders, the real CLEVR training images and any --renders "
                                    "folders, reports on the held-out real images (index a multiple of 5), writes "
                                    "OUT.safetensors/.json/.md. Resumes from WORKDIR's checkpoint when one exists.")
    d.add_argument("--out", default="weights/clevr-detector", help="output stem (default weights/clevr-detector)")
    d.add_argument("--workdir", default="runs/detector", help="checkpoints (default runs/detector)")
    d.add_argument("--shared", default="../shared/data", help="folder with clevr/ and clevr_renders/ (default ../shared/data)")
    d.add_argument("--renders", nargs="*", default=[], help="extra folders written by `vqa render`")
    d.add_argument("--init", default="",
                   help="fine-tune: start from these detector weights and their config instead of from scratch "
                        "(with --crop-epochs 0 their second stage is kept)")
    d.add_argument("--iterations", type=int, default=6000, help="optimiser steps (default 6000)")
    d.add_argument("--batch-size", type=int, default=2, help="images per step (default 2)")
    d.add_argument("--lr", type=float, default=1e-3, help="peak AdamW learning rate (default 1e-3)")
    d.add_argument("--warmup", type=int, default=200, help="linear warm-up steps before the cosine (default 200)")
    d.add_argument("--crop-renders", nargs="*", default=[],
                   help="extra `vqa render` folders for the second stage (crop heads) only")
    d.add_argument("--crop-epochs", type=int, default=40,
                   help="epochs of the second-stage crop heads, trained after the detector (default 40)")
    d.add_argument("--crop-centre-weight", type=float, default=None,
                   help="train a crop centre head too and give its centre this weight against the ROI head's "
                        "(0: none; default 1: the crop centre alone)")
    d.add_argument("--second-stages", type=int, default=None,
                   help="second stages (crop attribute and centre heads) trained with seeds SEED.. and averaged "
                        "(default: the shipped recipe's)")
    d.add_argument("--real-repeat", type=int, default=2,
                   help="times each real training image counts against the renders (default 2)")
    d.add_argument("--real-boxes", choices=["visible", "model"], default="visible",
                   help="boxes of the real images: their visible parts drawn from their scenes (default, the shipped "
                        "recipe), or whole objects predicted by a box model (also covers what nearer objects hide)")
    d.add_argument("--dev-holdout", action="store_true",
                   help="also leave out the real development images (index 1 mod 5) and report on them: for judging "
                        "a change to the recipe on real images without the held-out ones")
    d.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1, the shipped weights' setting: a run repeats bit for bit on one machine)")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--fresh", action="store_true", help="delete WORKDIR first instead of resuming")
    d.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    pr = tsub.add_parser("photo-reasoner", help="train the reasoner for photo graphs on the photo question engine",
                        description="Generates COCO-vocabulary scenes and questions (vqa/data/photo_engine.py), encodes "
                                    "each distinct question once with the frozen MiniLM, trains the reasoner with step "
                                    "supervision, validates on held-out generated scenes, writes OUT.safetensors/.json/.md.")
    pr.add_argument("--out", default="weights/photo-reasoner", help="output stem (default weights/photo-reasoner)")
    pr.add_argument("--workdir", default="runs/photo-reasoner", help="checkpoints and report (default runs/photo-reasoner)")
    pr.add_argument("--scenes", type=int, default=5000, help="generated training scenes (default 5000)")
    pr.add_argument("--val-scenes", type=int, default=400, help="generated validation scenes (default 400)")
    pr.add_argument("--iterations", type=int, default=8000, help="optimiser steps (default 8000)")
    pr.add_argument("--batch-size", type=int, default=128, help="questions per step (default 128)")
    pr.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (default 2e-3)")
    pr.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    pr.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    pr.add_argument("--eval-every", type=int, default=2000, help="validate every N steps (default 2000)")
    pr.add_argument("--max-minutes", type=float, default=35.0,
                   help="stop training after this many minutes, still writing weights and card (default 35)")
    pr.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    t.set_defaults(func=train)

    g = sub.add_parser("graph", help="detect objects and write CLEVR scene graphs of images", epilog=EPILOG,
                       description="Run the detector on each IMAGE (loaded once) and build its scene graph: a CLEVR "
                                   "scenes file {\"scenes\": [...]}, one scene per image with image_filename, objects "
                                   "(color, shape, material, size, pixel_coords, 3d_coords, box, score) and relationships.")
    g.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    g.add_argument("--json", action="store_true", help="print the scenes JSON to stdout")
    g.add_argument("--out", help="write the scenes JSON to this file")
    g.add_argument("--draw", metavar="DIR", help="also save each image with its detections drawn (DIR/NAME.png)")
    g.add_argument("--detector", default="auto", choices=["auto", "clevr", "coco"],
                   help="detector (default auto: 'clevr' for CLEVR-like renders, 'coco' for photos, chosen per image); "
                        "photos get box relations (left, right, above, below, next to, overlapping, inside, on, "
                        "bigger, smaller) and objects with class, color and size")
    g.add_argument("--detector-weights", help="CLEVR detector .safetensors (default weights/clevr-detector.safetensors)")
    g.set_defaults(func=graph)

    n = sub.add_parser("render", help="render CLEVR-rule scenes with Blender (images, masks, scenes.json)", epilog=EPILOG,
                       description="Random scenes under CLEVR's rules (camera/lamp jitter, 3-10 objects, minimum distances, "
                                   "visibility check) rendered by Debian's blender with Cycles on the CPU and the official "
                                   "CLEVR assets, in parallel processes; images already in OUT are kept (resume).")
    n.add_argument("--out", default="runs/renders", help="output folder (default runs/renders)")
    n.add_argument("--num-images", type=int, default=10, help="how many images (default 10)")
    n.add_argument("--start-idx", type=int, default=0, help="first image index (default 0)")
    n.add_argument("--prefix", default="RENDER", help="file name prefix (default RENDER)")
    n.add_argument("--assets", default="../shared/data/clevr/blender_assets", help="CLEVR Blender assets folder")
    n.add_argument("--samples", type=int, default=32, help="Cycles samples per pixel (default 32)")
    n.add_argument("--denoise", action="store_true", help="Cycles denoising (smoother, closer to CLEVR's 512 samples); needs a Blender "
                   "built with OpenImageDenoise, which Debian's is not")
    n.add_argument("--min-objects", type=int, default=3, help="(default 3)")
    n.add_argument("--max-objects", type=int, default=10, help="(default 10)")
    n.add_argument("--width", type=int, default=480, help="(default 480)")
    n.add_argument("--height", type=int, default=320, help="(default 320)")
    n.add_argument("--seed", type=int, default=0, help="random seed (default 0); image i's scene depends on seed and i only")
    n.add_argument("--workers", type=int, default=2, help="parallel Blender processes (default 2)")
    n.add_argument("--threads", type=int, default=1, help="Cycles threads per process (default 1)")
    n.add_argument("--blender", help="blender executable (default: blender on PATH)")
    n.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    n.set_defaults(func=render)

    s = sub.add_parser("serve", help="start the web app", epilog=EPILOG)
    s.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), help="bind address (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", 7860)), help="port (default 7860)")
    s.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="reasoner .safetensors")
    s.add_argument("--concurrency", type=int, default=2,
                   help="questions answered at once, the rest wait in the queue (default 2)")
    s.set_defaults(func=serve)

    v = sub.add_parser("attention", help="draw what the model attended to for one question", epilog=EPILOG,
                       description="Answer QUESTION about IMAGE and write the attention: overlay_step{t}.png (object "
                                   "attention of step t over the image), words_step{t}.png and words.png (word attention), "
                                   "coattention.png (tokens x objects), graph.png (scene graph, attended nodes and edges), "
                                   "objects.png, and attention.json (every tensor as lists, object ids, tokens, answers). "
                                   "Steps count from 0.")
    v.add_argument("image", help="the scene's image (drawn under the overlays)")
    v.add_argument("question", help="the question, in quotes")
    v.add_argument("--out", required=True, help="output folder (created)")
    v.add_argument("--scene", help="CLEVR scenes JSON: reason over this gold scene graph instead of detecting objects")
    v.add_argument("--image-filename", help="which scene of --scene (default: the image's file name)")
    v.add_argument("--detector", default="clevr", help="detector for image-only mode (default clevr)")
    v.add_argument("--detector-weights", help="detector .safetensors (default weights/clevr-detector.safetensors)")
    v.add_argument("--top-k", type=int, default=5, help="how many answers to keep (default 5)")
    v.add_argument("--weights", default=str(DEFAULT_WEIGHTS), help="reasoner .safetensors (config JSON beside it)")
    v.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    v.set_defaults(func=attention)
    return p


def main(argv: list[str] | None = None) -> int:
    if not os.environ.get("VQA_WARNINGS"):
        # third-party deprecation chatter (torch.jit inside PyG, ...) would bury our one-line errors
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=UserWarning)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except VqaError as e:
        print(f"vqa {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"vqa {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
