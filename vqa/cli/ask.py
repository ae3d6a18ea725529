"""``vqa ask``: answer one question about an image or a gold scene graph."""
from __future__ import annotations

import json
import time
from pathlib import Path

from .. import atomic
from ..errors import DataError
from ..graph.io import load_clevr_scenes, scene_to_clevr
from ..device import resolve_device
from .common import (DEFAULT_WEIGHTS, EPILOG, add_detector_argument, add_device_argument, add_max_pixels_argument,
                     apply_max_pixels, check_output, pick_scene, positive_int)
from .logs import add_log_arguments

__all__ = ["add_parser", "run", "answer_json"]


def add_parser(sub) -> None:
    a = sub.add_parser("ask", help="answer a question about a scene", epilog=EPILOG,
                       description="Answer QUESTION about IMAGE (or about a scene graph given with --scene).")
    a.add_argument("image", nargs="?", help="image file (with --scene: only its file name is used to find the scene)")
    a.add_argument("question", help="the question, in quotes")
    a.add_argument("--scene", help="CLEVR scenes JSON: answer from this gold scene graph")
    a.add_argument("--image-filename", help="which scene of --scene (default: the image's file name, or the only scene)")
    a.add_argument("--top-k", type=positive_int, default=5, help="how many answers to print (default 5)")
    a.add_argument("--json", action="store_true",
                   help='print {"question", "answers": [{"answer", "probability"}], ...}; IMAGE without --scene adds '
                        '"scene_graph" and "timings_ms" (load_models: every model loaded, the photo reasoner included; '
                        "decode, detect, graph, closer_look when taken, answer)")
    a.add_argument("--weights", default=DEFAULT_WEIGHTS, help="reasoner .safetensors (config JSON beside it)")
    a.add_argument("--threads", type=positive_int, default=1,
                   help="torch threads, detecting and answering (default 1: fastest for one image and question; "
                        "two threads on two busy cores made the first detection 15-30x slower here)")
    add_detector_argument(a, "detector for IMAGE without --scene (default auto: 'clevr' for CLEVR-like renders, 'coco' "
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
    add_max_pixels_argument(a)
    add_device_argument(a)
    add_log_arguments(a)
    a.set_defaults(func=run)


def run(args) -> int:
    import torch  # deferred, as the imports below: `vqa --help` imports this module

    from ..encode.tokenizer import check_question  # defers torch (vqa.encode's encoders)
    from ..graph.box_relations import for_display, is_photo_graph  # defers torch
    from ..answer.prediction import NOT_SURE  # defers torch
    from ..pipeline.ask import GraphQA, ParsedPrediction, PhotoPrediction, describe_steps  # defers torch

    check_question(args.question)  # before any model loads
    apply_max_pixels(args)
    if args.draw:
        check_output(args.draw, "--draw")
        if Path(args.draw).suffix.lower() not in (".png", ".jpg", ".jpeg"):
            raise DataError(f"--draw {args.draw}: name a .png or .jpg file")
    device = resolve_device(args.device)  # before anything loads: `--device cuda` without a GPU fails at once
    torch.set_num_threads(args.threads)
    graph, scene, timings = None, None, {}
    if args.scene:
        name = args.image_filename or (Path(args.image).name if args.image else None)
        graph = pick_scene(load_clevr_scenes(args.scene), name, args.scene)
    elif args.image:  # from pixels: detector (auto: clevr for renders, coco for photos) -> scene graph
        from ..pipeline.scenes import SceneBuilder  # defers torch and detectron2
        from ..encode.photo_phrases import question_looks  # defers the vocabulary tables

        builder = SceneBuilder(args.detector, weights=args.detector_weights, closer_look=not args.no_closer_look,
                               device=device)
        scene = builder.build(args.image, **question_looks(args.question))
        graph = scene.graph
        timings.update(scene.timings)
    t0 = time.perf_counter()
    qa = GraphQA(args.weights, threads=args.threads, device=device)
    if args.json and is_photo_graph(graph) and hasattr(qa.photo, "model"):
        _ = qa.photo.model  # the photo reasoner loads on first use: now, so that "answer" times the answer alone
    timings["load_models"] = timings.pop("load", 0.0) + (time.perf_counter() - t0) * 1000
    t0 = time.perf_counter()
    e = qa.explain(args.question, graph, top_k=args.top_k)
    p = e.prediction
    timings["answer"] = (time.perf_counter() - t0) * 1000
    steps = describe_steps(e, graph)
    if args.draw and scene is not None:
        from ..explain.figures import draw_objects  # defers torch

        atomic.write_with(draw_objects(scene.image, for_display(graph)).save, args.draw)
    if args.json:
        print(json.dumps(answer_json(p, graph if scene is not None else None, timings, args.detector, steps)))
    elif isinstance(p, PhotoPrediction):
        # photos: the sentence first (it says "not sure" or why not), then the guesses
        print(p.message)
        for a, prob in p.answers[1:] if p.status != "answered" else []:
            print(f"{a:>12s}  {prob:6.1%}")
        for t, line in enumerate(steps):
            print(f"step {t + 1}: {line}")
        objects = ", ".join(o.name for o in graph.objects) or "none"
        print(f"note: photo scene graph ({graph.extra.get('detector', 'coco')} detector; objects: {objects}); "
              "answered from the graph, not by the CLEVR reasoner")
        look = graph.extra.get("closer_look")
        if look:
            print(f"note: closer look for {', '.join(look['classes'])} (the detector again over "
                  f"{look['tiles']} tiles, {timings.get('closer_look', 0):.0f} ms): found {look['found']}"
                  f"{' more than the first look' if look.get('recounted') else ''}")
    elif isinstance(p, ParsedPrediction):
        # CLEVR rules: the answer (or "not sure" and why), the reasoner's guesses when not sure, the program's steps
        print(p.message)
        for a, prob in p.answers[1:] if NOT_SURE in p.flags else []:
            print(f"{a:>12s}  {prob:6.1%}")
        for t, line in enumerate(steps):
            print(f"step {t + 1}: {line}")
        if p.program:
            nodes = ", ".join(f"{n['type']}" + "".join(f"[{v}]" for v in n["value_inputs"])
                              + (f"({','.join(map(str, n['inputs']))})" if n["inputs"] else "") for n in p.program)
            print(f"note: computed from the scene graph by the question's CLEVR program, not by the reasoner: {nodes}")
    else:
        for a, prob in p.answers:
            print(f"{a:>12s}  {prob:6.1%}")
        for f in p.flags:
            print(f"note: {f.replace('_', ' ')}: " + ("the best answer's probability is low; the guesses follow"
                                                     if f == NOT_SURE else "answered from the question alone"))
    return 0


def answer_json(p, graph=None, timings: dict | None = None, detector: str = "auto", steps: list[str] = ()) -> dict:
    """``vqa ask --json``'s object for the prediction ``p``; with ``graph`` (read from an image), also
    "detector", "scene_graph" and "timings_ms" (the keys of ``timings`` among load_models, decode,
    detect, graph, closer_look and answer, in that order); with ``steps`` (a photo answer's,
    ``describe_steps``), "steps"; a CLEVR answer of the rules adds "message" and "program". ``vqa batch`` writes
    the same object."""
    from ..pipeline.ask import ParsedPrediction, PhotoPrediction  # defers torch

    out = {"question": p.question, "answers": p.to_json()["answers"], "flags": p.flags}
    if isinstance(p, PhotoPrediction):
        out.update(message=p.message, status=p.status)
    elif isinstance(p, ParsedPrediction):  # CLEVR rules: the sentence and the program run
        out.update(message=p.message, program=p.program)
    if steps:
        out["steps"] = list(steps)
    if graph is not None:
        order = ("load_models", "decode", "detect", "graph", "closer_look", "answer")
        out["detector"] = graph.extra.get("detector", detector)
        out["scene_graph"] = scene_to_clevr(graph)
        out["timings_ms"] = {k: round(timings[k], 2) for k in order if k in (timings or {})}
    return out
