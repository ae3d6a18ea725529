"""``vqa train reasoner|detector|photo-reasoner``: train a model, write its weights and model card."""
from __future__ import annotations

import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..data.splits import refuse_held_out_renders
from ..errors import DataError, VqaError
from .common import EPILOG
from .logs import add_log_arguments, one_line, to_stderr

__all__ = ["add_parser", "run"]

log = logging.getLogger(__name__)


def add_parser(sub) -> None:
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
    r.add_argument("--checkpoint-every", type=int, default=500,
                   help="checkpoint every N steps; a killed run resumes from the last one (default 500)")
    r.add_argument("--fresh", action="store_true", help="delete WORKDIR first instead of resuming")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_log_arguments(r)
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
    d.add_argument("--crop-occluders", action="store_true",
                   help="the second stage's crops also mark where a nearer object's box covers the object's "
                        "(needs --crop-epochs 1 or more; applies over --init's config)")
    d.add_argument("--score-threshold", type=float, default=None,
                   help="keep detections from this score, written into the config (default: --init's, else 0.5)")
    d.add_argument("--real-repeat", type=int, default=2,
                   help="times each real training image counts against the renders (default 2)")
    d.add_argument("--real-boxes", choices=["visible", "model"], default="visible",
                   help="boxes of the real images: their visible parts drawn from their scenes (default, the shipped "
                        "recipe), or whole objects predicted by a box model (also covers what nearer objects hide)")
    d.add_argument("--roi-fg-iou", type=float, default=0.5,
                   help="training: a proposal is a positive example for the ROI head from this IoU with an object's "
                        "box (default 0.5, detectron2's)")
    d.add_argument("--roi-positive-fraction", type=float, default=0.25,
                   help="training: at most this fraction of the proposals sampled per image are positives "
                        "(default 0.25, detectron2's)")
    d.add_argument("--dev-holdout", action="store_true",
                   help="also leave out the real development images (index 1 mod 5) and report on them: for judging "
                        "a change to the recipe on real images without the held-out ones")
    d.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1, the shipped weights' setting: a run repeats bit for bit on one machine)")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.add_argument("--fresh", action="store_true", help="delete WORKDIR first instead of resuming")
    d.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    g = d.add_argument_group("several processes and machines (detectron2's launch, its names for these options)")
    g.add_argument("--num-gpus", type=int, default=1, metavar="N",
                   help="training processes on this machine; the detector trains on the CPU, so these are CPU "
                        "processes joined by gloo (default 1: this process alone)")
    g.add_argument("--num-machines", type=int, default=1, metavar="M", help="machines taking part (default 1)")
    g.add_argument("--machine-rank", type=int, default=0, metavar="R",
                   help="the number of this machine, 0 to M-1; machine 0 writes the outputs (default 0)")
    g.add_argument("--dist-url", default="auto", metavar="URL",
                   help="where the processes meet: tcp://HOST:PORT of machine 0, the same on every machine; "
                        "auto: a free port on this machine, for one machine (default auto)")
    add_log_arguments(d)
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
    pr.add_argument("--checkpoint-every", type=int, default=500,
                    help="checkpoint every N steps; a killed run resumes from the last one (default 500)")
    pr.add_argument("--fresh", action="store_true", help="delete WORKDIR first instead of resuming")
    pr.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_log_arguments(pr)
    add_log_arguments(t)
    t.set_defaults(func=run)


def run(args) -> int:
    return {"reasoner": _reasoner, "detector": _detector, "photo-reasoner": _photo_reasoner}[args.what](args) or 0


def _reasoner(args) -> None:
    from ..reason.config import ReasonerConfig  # defers torch
    from ..train.reasoner import TrainConfig, train_reasoner  # defers the training code

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
                     eval_every=args.eval_every, checkpoint_every=args.checkpoint_every,
                     progress=not args.no_progress, model=model, device=args.device,
                     loader_workers=args.loader_workers, fresh=args.fresh)
    report = train_reasoner(tc)
    if not report:
        return  # a torchrun rank other than 0: rank 0 reports
    for k in ("val_shared", "val_generated"):
        if k in report:
            print(f"{k}: {report[k]['accuracy']:.4f} ({report[k]['count']} questions)")
    log.info("wrote %s.safetensors, .json and .md in %s s", args.out, report["total_seconds"])


def _detector(args) -> int | None:
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
    _check_launch(args)
    for folder in args.renders + args.crop_renders:
        if not Path(folder, "scenes.json").is_file():
            raise DataError(f"{folder} has no scenes.json: pass folders written by `vqa render` "
                            "(an interrupted render writes it when run again with the same options)")
        refuse_held_out_renders(folder)
    from ..train.detector import DetectorTrainConfig  # defers the training code (detectron2)

    tc = DetectorTrainConfig(out=args.out, workdir=args.workdir, shared=args.shared, renders=args.renders,
                             crop_renders=args.crop_renders, init=args.init, iterations=args.iterations,
                             batch_size=args.batch_size, lr=args.lr, warmup=args.warmup, threads=args.threads,
                             seed=args.seed, dev_holdout=args.dev_holdout, real_repeat=args.real_repeat,
                             real_boxes=args.real_boxes, roi_fg_iou=args.roi_fg_iou,
                             roi_positive_fraction=args.roi_positive_fraction,
                             crop_epochs=args.crop_epochs, crop_occluders=args.crop_occluders,
                             score_threshold=args.score_threshold, progress=not args.no_progress)
    if args.crop_centre_weight is not None:
        tc.model.crop_centre_weight = args.crop_centre_weight
    if args.second_stages is not None:
        tc.model.second_stages = args.second_stages
    tc.check()  # before any process starts, and before --fresh deletes anything
    if args.fresh:
        shutil.rmtree(args.workdir, ignore_errors=True)
    from ..perception.clevr.compat import quiet_import  # detectron2's notices, silenced by name

    with quiet_import():
        from detectron2.engine import launch  # defers detectron2 until a detector is trained
    from torch.multiprocessing import ProcessExitedException  # defers torch likewise

    log_options = {k: getattr(args, k, False) for k in ("verbose", "quiet", "debug")}
    try:
        with _worker_environment(args.num_gpus * args.num_machines > 1):
            launch(_detector_main, args.num_gpus, num_machines=args.num_machines, machine_rank=args.machine_rank,
                   dist_url=args.dist_url, args=(tc, log_options))
    except ProcessExitedException as e:
        if e.exit_code == 2:  # bad input, said in one line by the process that met it
            return 2
        raise


@contextmanager
def _worker_environment(spawns: bool) -> Iterator[None]:
    """The environment of the processes detectron2's launch starts (when it ``spawns`` any): no GPU in
    sight, since launch picks nccl where it sees one and the detector trains on the CPU (gloo); and
    detectron2's import notice silenced by name, as ``quiet_import`` does here: a started process
    imports detectron2 to find launch's worker, before any of our code runs."""
    if not spawns:
        yield
        return
    from ..perception.clevr.compat import JIT_SCRIPT_NOTICE  # defers the detector's compatibility module

    before = {k: os.environ.get(k) for k in ("CUDA_VISIBLE_DEVICES", "PYTHONWARNINGS")}
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [before["PYTHONWARNINGS"],
                                                           f"ignore:{JIT_SCRIPT_NOTICE}:FutureWarning"]))
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _check_launch(args) -> None:
    """Refuse --num-gpus/--num-machines/--machine-rank/--dist-url that detectron2's launch cannot start."""
    if args.num_gpus < 1 or args.num_machines < 1:
        raise DataError(f"--num-gpus {args.num_gpus} --num-machines {args.num_machines}: give 1 or more of each")
    if not 0 <= args.machine_rank < args.num_machines:
        raise DataError(f"--machine-rank {args.machine_rank}: give 0 to {args.num_machines - 1} "
                        f"(--num-machines {args.num_machines})")
    if args.num_machines > 1 and args.dist_url == "auto":
        raise DataError(f"--num-machines {args.num_machines} needs --dist-url tcp://HOST:PORT, machine 0's address "
                        "and a free port there, the same on every machine")
    processes = args.num_gpus * args.num_machines
    if args.batch_size % processes:
        raise DataError(f"--batch-size {args.batch_size} does not split evenly over {processes} processes; "
                        f"give a multiple of {processes}")


def _detector_main(tc, log_options: dict) -> None:
    """One process of `vqa train detector` under detectron2's launch (the whole command with one process):
    train; the main process also writes and prints the figures."""
    from detectron2.utils import comm  # defers detectron2 until a detector is trained

    if comm.get_world_size() == 1:  # launch called this in the `vqa` process, whose logging is set up
        return _train_detector(tc)
    rank = comm.get_rank()  # a process launch started: it sets up its own logging and errors
    with to_stderr("train" + (f" (rank {rank})" if rank else ""), **log_options):
        try:
            _train_detector(tc)
        except VqaError as e:  # bad input: one line, and exit status 2 for the `vqa` process to pass on
            log.error("%s", one_line(str(e)), exc_info=log_options["debug"])
            sys.exit(2)


def _train_detector(tc) -> None:
    from ..train.detector import train_detector  # defers the training code (detectron2)

    report = train_detector(tc)
    if not report:
        return  # not the main process: the main process reports
    for key, title in (("development_real", "development real images"), ("held_out_real", "held-out real images")):
        if key in report:
            r = report[key]
            print(f"{title}: recall {r['recall']:.4f}, precision {r['precision']:.4f}, "
                  f"all attributes {r['all_attributes_accuracy']:.4f}, relations {r['relation_agreement']:.4f}")
    log.info("wrote %s.safetensors, .json and .md", tc.out)


def _photo_reasoner(args) -> None:
    from ..train.photo_reasoner import PhotoTrainConfig, train_photo_reasoner  # defers the training code

    tc = PhotoTrainConfig(out=args.out, workdir=args.workdir, scenes=args.scenes, val_scenes=args.val_scenes,
                          iterations=args.iterations, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                          threads=args.threads, eval_every=args.eval_every, max_minutes=args.max_minutes,
                          checkpoint_every=args.checkpoint_every, fresh=args.fresh, progress=not args.no_progress)
    report = train_photo_reasoner(tc)
    if not report:
        return  # a torchrun rank other than 0: rank 0 reports
    print(f"val_generated: {report['val_generated']['accuracy']:.4f} ({report['val_generated']['count']} questions)")
    log.info("wrote %s.safetensors, .json and .md in %s s", args.out, report["total_seconds"])
