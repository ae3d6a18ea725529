"""``vqa attention``: answer one question and draw what the model attended to."""
from __future__ import annotations

import logging
from pathlib import Path

from ..graph.io import load_clevr_scenes
from ..device import resolve_device
from .common import DEFAULT_WEIGHTS, EPILOG, add_detector_argument, add_device_argument, pick_scene, positive_int
from .logs import add_log_arguments

__all__ = ["add_parser", "run"]

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
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
    add_detector_argument(v, "detector for image-only mode (default auto: 'clevr' for CLEVR-like renders, 'coco' "
                             "for photos, chosen per image)")
    v.add_argument("--detector-weights", help="detector .safetensors (default weights/clevr-detector.safetensors)")
    v.add_argument("--top-k", type=positive_int, default=5, help="how many answers to keep (default 5)")
    v.add_argument("--weights", default=DEFAULT_WEIGHTS, help="reasoner .safetensors (config JSON beside it)")
    v.add_argument("--threads", type=positive_int, default=1, help="torch threads, detecting and answering (default 1)")
    add_device_argument(v)
    add_log_arguments(v)
    v.set_defaults(func=run)


def run(args) -> int:
    import torch  # deferred, as the next one: `vqa --help` imports this module

    from ..explain import explain, load_qa  # defers torch

    device = resolve_device(args.device)  # before anything loads: `--device cuda` without a GPU fails at once
    torch.set_num_threads(args.threads)
    graph = None
    if args.scene:
        graph = pick_scene(load_clevr_scenes(args.scene), args.image_filename or Path(args.image).name, args.scene)
    result = explain(args.question, args.image, graph, qa=load_qa(args.weights, threads=args.threads, device=device),
                     detector=args.detector, detector_weights=args.detector_weights, top_k=args.top_k, device=device)
    written = result.save(args.out)
    for a, prob in result.answers:
        print(f"{a:>12s}  {prob:6.1%}")
    log.info("wrote %d files to %s: attention.json, overlay_step0..%d.png, words_step*.png, words.png, "
             "coattention.png, graph.png, objects.png", len(written), args.out, result.steps - 1)
    return 0
