"""``vqa render``: render CLEVR-rule scenes with Blender."""
from __future__ import annotations

import logging

from ..errors import InputError
from .common import EPILOG
from .logs import add_log_arguments

__all__ = ["add_parser", "run"]

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
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
    n.add_argument("--occlude", type=float, default=0.0,
                   help="probability in [0, 1] that a small object is first tried just behind a large one, partly "
                        "hidden (training scenes rich in occlusion; default 0: CLEVR's own distribution)")
    n.add_argument("--width", type=int, default=480, help="(default 480)")
    n.add_argument("--height", type=int, default=320, help="(default 320)")
    n.add_argument("--seed", type=int, default=0, help="random seed (default 0); image i's scene depends on seed and i only")
    n.add_argument("--workers", type=int, default=2, help="parallel Blender processes (default 2)")
    n.add_argument("--threads", type=int, default=1, help="Cycles threads per process (default 1)")
    n.add_argument("--blender", help="blender executable (default: blender on PATH)")
    n.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_log_arguments(n)
    n.set_defaults(func=run)


def run(args) -> int:
    if not 0.0 <= args.occlude <= 1.0:
        raise InputError(f"--occlude must be in [0, 1], got {args.occlude}")
    from ..data.render import RenderConfig, render_scenes  # defers numpy, PIL and tqdm: `vqa --help` stays light

    rc = RenderConfig(out_dir=args.out, assets=args.assets, num_images=args.num_images, start_idx=args.start_idx,
                      prefix=args.prefix, seed=args.seed, samples=args.samples, denoise=args.denoise,
                      workers=args.workers, threads=args.threads, min_objects=args.min_objects,
                      max_objects=args.max_objects, occlude=args.occlude, width=args.width, height=args.height, blender=args.blender or "")
    path = render_scenes(rc, progress=not args.no_progress)
    log.info("wrote %d images to %s/images, masks to %s/masks, scenes to %s", args.num_images, args.out, args.out, path)
    return 0
