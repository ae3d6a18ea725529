"""``vqa graph``: detect the objects of images and write their scene graphs (CLEVR scenes format)."""
from __future__ import annotations

import json
import logging
from pathlib import Path

from .. import atomic
from ..graph.io import scene_to_clevr
from .common import EPILOG, add_detector_argument, add_max_pixels_argument, apply_max_pixels, check_output
from .logs import add_log_arguments

__all__ = ["add_parser", "run"]

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
    g = sub.add_parser("graph", help="detect objects and write CLEVR scene graphs of images", epilog=EPILOG,
                       description="Run the detector on each IMAGE (loaded once) and build its scene graph: a CLEVR "
                                   "scenes file {\"scenes\": [...]}, one scene per image with image_filename, objects "
                                   "(color, shape, material, size, pixel_coords, 3d_coords, box, score; photos: class, "
                                   "color, size) and relationships.")
    g.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    g.add_argument("--json", action="store_true",
                   help="print the scenes JSON to stdout (with --out: write the file and print the JSON too)")
    g.add_argument("--out", help="write the scenes JSON to this file")
    g.add_argument("--draw", metavar="DIR", help="also save each image with its detections drawn (DIR/NAME.png)")
    add_detector_argument(g, "detector (default auto: 'clevr' for CLEVR-like renders, 'coco' for photos, chosen per "
                             "image); photos get box relations (left, right, above, below, next to, overlapping, "
                             "inside, on, bigger, smaller) and objects with class, color and size")
    g.add_argument("--detector-weights", help="CLEVR detector .safetensors (default weights/clevr-detector.safetensors)")
    add_max_pixels_argument(g)
    add_log_arguments(g)
    g.set_defaults(func=run)


def run(args) -> int:
    from ..graph.box_relations import is_photo_graph  # defers torch
    from ..pipeline.scenes import SceneBuilder  # defers torch and detectron2

    check_output(args.out, "--out")
    check_output(args.draw, "--draw", folder=True)
    apply_max_pixels(args)
    builder = SceneBuilder(args.detector, weights=args.detector_weights, cache_size=0)
    scenes = []
    for k, path in enumerate(args.images):
        built = builder.build(path)
        g = built.graph
        g.image_index = k
        if args.draw:
            _draw(built, Path(args.draw) / (Path(path).stem + ".png"))
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
        atomic.write_text(args.out, text + "\n")
        log.info("wrote %d scenes to %s", len(scenes), args.out)
    if args.json:
        print(text)
    return 0


def _draw(built, out: Path) -> None:
    """Photos: the scene graph's objects (class, colour, size); CLEVR images: the detections."""
    from ..explain.figures import draw_objects  # defers torch
    from ..graph.box_relations import for_display, is_photo_graph  # defers torch
    from ..perception.clevr.draw import draw_detections  # defers torch

    out.parent.mkdir(parents=True, exist_ok=True)
    if is_photo_graph(built.graph):
        atomic.write_with(draw_objects(built.image, for_display(built.graph)).save, out)
    else:
        atomic.write_with(draw_detections(built.image, built.detections).save, out)
