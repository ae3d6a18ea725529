"""``vqa train detector``: train the CLEVR detector with detectron2's trainer and hooks, then its
second stage (``vqa.train.second_stage``).

Data: the shared renders (exact boxes) and the real CLEVR training images (visible boxes drawn
from their scenes by ``silhouettes``, or ``BoxModel``'s whole-object boxes; real images count
twice, being the domain we answer on), plus any folders ``vqa render`` wrote. Held-out real
images (index a multiple of 5) are never trained on; the trainer reports on them at the end.
Checkpoints (``vqa.train.loop``) hold the model and the optimiser's moments, so an interrupted run
resumes where it stopped.

Several processes (detectron2's ``launch``, ``vqa train detector --num-gpus N``): every process
builds the same records and model; ``create_ddp_model`` makes the starting weights the main
process's and averages the gradients of each step, so all take the same steps. detectron2's
``TrainingSampler`` deals the images of one shuffle out to the processes in turn, each taking
``batch_size / N`` images a step: a step sees ``batch_size`` images, the same ones as one process's
step, under the same learning rate. BatchNorm statistics are each process's own (the main process's
are saved). The main process alone writes checkpoints; the others leave after the detector stage,
and the main process trains the second stage, evaluates and writes the weights and model card.
"""
from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from .. import atomic
from ..data.render.renderer import RenderConfig
from ..data.splits import is_development, recorded_render_config, refuse_held_out_renders
from ..graph.from_detections import detections_to_graph
from ..graph.io import scene_from_clevr
from ..perception.clevr.detector import ClevrDetector, load_detector_state, save_detector
from ..weights import write_model_card
from .clevr_data import BoxModel, ClevrMapper, real_records, render_records
from .detector_config import DetectorTrainConfig
from .detector_eval import score_graphs
from .loop import load_checkpoint, save_checkpoint, scheduler_at, warmup_cosine
from .second_stage import SECOND_STAGE, train_crop_head

__all__ = ["DetectorTrainConfig", "build_records", "train_detector", "evaluate_on_records", "rebuild_commands",
           "set_roi_sampling"]

_log = logging.getLogger(__name__)  # where log= sends its lines by default


def _folder_records(folders: list[str], id_base: int) -> tuple[list[dict], list[dict]]:
    """Records and raw scenes of ``vqa render`` folders; folder k's image ids start at ``id_base * (k + 1)``."""
    records, scenes = [], []
    for k, folder in enumerate(folders):
        refuse_held_out_renders(folder)
        more, raw = render_records(Path(folder) / "scenes.json", id_offset=id_base * (k + 1))
        records += more
        scenes += raw
    return records, scenes


def build_records(tc: DetectorTrainConfig) -> tuple[list[dict], list[dict], list[dict]]:
    """(training records, held-out real records, development real records: empty unless ``tc.dev_holdout``)."""
    shared = Path(tc.shared)
    renders, render_scenes = render_records(shared / "clevr_renders" / "scenes.json")
    more, scenes = _folder_records(tc.renders, id_base=10000)
    renders += more
    render_scenes += scenes
    box_model = BoxModel.fit(render_scenes) if tc.real_boxes == "model" else None
    clevr = shared / "clevr"
    real = real_records(clevr / "CLEVR_train_scenes.json", clevr / "images", box_model, split="train")
    val = real_records(clevr / "CLEVR_train_scenes.json", clevr / "images", box_model, split="val")
    dev = [r for r in real if tc.dev_holdout and is_development(r["image_index"])]
    real = [r for r in real if not (tc.dev_holdout and is_development(r["image_index"]))]
    return renders + real * tc.real_repeat, val, dev


def evaluate_on_records(detector, records: list[dict], batch: int = 4, progress: bool = False) -> dict:
    """Detector figures (``vqa.train.detector_eval.score_graphs``) on records with annotations."""
    preds, golds = [], []
    for start in tqdm(range(0, len(records), batch), disable=not progress, desc="evaluate", leave=False):
        chunk = records[start:start + batch]
        images = [Image.open(r["file_name"]).convert("RGB") for r in chunk]
        for r, det in zip(chunk, detector.detect_batch(images)):
            preds.append(detections_to_graph(det, Path(r["file_name"]).name))
            golds.append(scene_from_clevr(r["scene"]) if "scene" in r else None)
    return score_graphs(preds, golds)


def train_detector(tc: DetectorTrainConfig, log=_log.info) -> dict:
    """Train (or resume) and write ``tc.out``.safetensors/.json/.md; returns the report. Called in each
    process of detectron2's ``launch``: there, the processes other than the main one return ``{}``."""
    from ..perception.clevr.compat import quiet_import  # detectron2's notices, silenced by name

    with quiet_import():  # detectron2: optional, heavy
        from detectron2.data import build_detection_train_loader
        from detectron2.engine import HookBase, SimpleTrainer, hooks
        from detectron2.engine.defaults import create_ddp_model
        from detectron2.utils import comm

        from ..perception.clevr.model import build_clevr_model  # detectron2

    tc.check()
    main = comm.is_main_process()  # the only process that writes, logs and goes on to the second stage
    if not main:
        log = _silent
    torch.set_num_threads(tc.threads)
    torch.manual_seed(tc.seed)
    random.seed(tc.seed)
    np.random.seed(tc.seed)
    workdir = Path(tc.workdir)
    train_records, val_records, dev_records = build_records(tc)
    log(f"training records: {len(train_records)} (real counted {tc.real_repeat}x), held-out real images: {len(val_records)}"
        + (f", development images left out: {len(dev_records)}" if tc.dev_holdout else ""))

    if tc.init:
        tc.model, init_state = load_detector_state(tc.init)
    tc.model.crop_occluders = tc.model.crop_occluders or tc.crop_occluders
    model = build_clevr_model(tc.model)
    if tc.init:
        model.load_state_dict(init_state)  # fp16 on disk, copied into the float32 parameters
        log(f"starting from {tc.init}")
    set_roi_sampling(model, tc)
    model.train()
    detector_params = [p for n, p in model.named_parameters() if not n.startswith(SECOND_STAGE)]
    second_params = [p for n, p in model.named_parameters() if n.startswith(SECOND_STAGE)]
    optimizer = torch.optim.AdamW(detector_params, lr=tc.lr, weight_decay=tc.weight_decay)
    # the second stage trains after the detector and is saved on its own (crop_head.safetensors)
    meta = load_checkpoint(workdir, model, optimizer, skip=SECOND_STAGE)
    start_iter = meta.get("iteration", 0)
    if meta:
        log(f"resuming from iteration {start_iter}")
    seconds_before = float(meta.get("train_seconds", 0.0))
    scheduler = scheduler_at(optimizer, warmup_cosine(tc.warmup, tc.iterations), start_iter)

    # total_batch_size: split over the processes (each takes batch_size / N images of the same shuffle)
    n = comm.get_world_size()
    # the checkpoint (and so the model card) names the processes: per machine, and machines
    launched = {"processes": [comm.get_local_size(), n // comm.get_local_size()]} if n > 1 else {}
    mapper_seed = tc.seed + start_iter if n == 1 else f"{tc.seed + start_iter}/rank {comm.get_rank()} of {n}"
    loader = build_detection_train_loader(train_records, mapper=ClevrMapper(augment=True, seed=mapper_seed),
                                          total_batch_size=tc.batch_size, aspect_ratio_grouping=False, num_workers=0)
    for p in second_params:  # trained later, apart: DDP averages the detector's gradients only
        p.requires_grad_(False)
    # one process: the model itself; several: DDP (CPU processes joined by gloo, hence no device_ids)
    trainer = SimpleTrainer(create_ddp_model(model, device_ids=None), loader, optimizer)

    class Progress(HookBase):
        def before_train(self):
            self.bar = tqdm(total=tc.iterations, initial=start_iter, disable=not tc.progress, desc="train detector",
                            mininterval=5)
            self.t0 = time.perf_counter()

        def after_step(self):
            losses = {k: v.median(20) for k, v in self.trainer.storage.histories().items() if "loss" in k}
            self.bar.set_postfix(loss=f"{sum(losses.values()):.3f}", refresh=False)
            self.bar.update(1)

        def after_train(self):
            self.bar.close()

    class Checkpoint(HookBase):
        def after_step(self):
            it = self.trainer.iter + 1
            if it % tc.checkpoint_every == 0 or it == tc.iterations:
                losses = {k: round(v.median(20), 4) for k, v in self.trainer.storage.histories().items() if "loss" in k}
                save_checkpoint(workdir, model, self.trainer.optimizer, it, skip=SECOND_STAGE,
                                train_seconds=seconds_before + time.perf_counter() - progress.t0, losses=losses,
                                config=asdict(tc), **launched)

    progress = Progress()
    trainer.register_hooks([hooks.LRScheduler(optimizer, scheduler)] + ([progress, Checkpoint()] if main else []))
    if start_iter < tc.iterations:
        trainer.train(start_iter, tc.iterations)
    if not main:
        return {}  # the main process has the same weights, and writes the rest
    for p in second_params:
        p.requires_grad_(True)
    meta = json.loads((workdir / "checkpoint.json").read_text())

    if hasattr(model, "crop_head") and tc.crop_epochs > 0:
        crop_records = train_records + _folder_records(tc.crop_renders, id_base=50000)[0]
        meta["crop_head"] = train_crop_head(model, tc, crop_records, workdir, log)
    if tc.score_threshold is not None:  # for what is reported and shipped; the crop examples used the init's
        tc.model.score_threshold = tc.score_threshold
    detector = ClevrDetector(model.eval(), tc.model)
    for r in val_records + dev_records:
        r["scene"] = _scene_of(tc, r)
    t0 = time.perf_counter()
    report = {"held_out_real": evaluate_on_records(detector, val_records, progress=tc.progress),
              **({"development_real": evaluate_on_records(detector, dev_records)} if dev_records else {}),
              "train_seconds": round(meta["train_seconds"], 1), "iterations": tc.iterations,
              "crop_head": meta.get("crop_head"),
              "train_images": len(train_records), "eval_seconds": round(time.perf_counter() - t0, 1)}
    if "processes" in meta:
        report["processes"] = meta["processes"]
    save_detector(model, tc.model, tc.out, metadata={"iterations": tc.iterations})
    _write_card(tc, report)
    atomic.write_text(workdir / "report.json", json.dumps(report, indent=2))
    return report


def set_roi_sampling(model, tc: DetectorTrainConfig) -> None:
    """Give the ROI head ``tc``'s proposal sampling (``roi_fg_iou``, ``roi_positive_fraction``).

    A training setting, not part of the model's config: detectron2 reads it from the ROI head's
    matcher and sampler fields during training only, so weights trained with any setting load and
    detect the same way.
    """
    from detectron2.modeling.matcher import Matcher  # detectron2: optional, heavy

    model.roi_heads.proposal_matcher = Matcher([tc.roi_fg_iou], [0, 1], allow_low_quality_matches=False)
    model.roi_heads.positive_fraction = tc.roi_positive_fraction


def _silent(*args) -> None:
    """``log`` of the processes other than the main one."""


_SCENES_CACHE: dict[str, dict] = {}


def _scene_of(tc: DetectorTrainConfig, record: dict) -> dict:
    path = str(Path(tc.shared) / "clevr" / "CLEVR_train_scenes.json")
    if path not in _SCENES_CACHE:
        _SCENES_CACHE[path] = {s["image_filename"]: s for s in json.loads(Path(path).read_text())["scenes"]}
    return _SCENES_CACHE[path][Path(record["file_name"]).name]


def _dev_section(d: dict) -> dict[str, list[str]]:
    return {f"Development real images ({d['images']} images, index 1 mod 5, left out by `--dev-holdout`)": [
        f"Recall {d['recall']:.2%} ({d['matched']}/{d['gold_objects']}), precision {d['precision']:.2%} "
        f"({d['matched']}/{d['predicted_objects']}), all four attributes {d['all_attributes_accuracy']:.2%}, "
        f"relations {d['relation_agreement']:.2%}."]}


_REAL_BOXES = {
    "visible": "visible boxes drawn from each scene's 3-D annotation, `vqa/perception/clevr/silhouettes.py`",
    "model": "whole-object boxes predicted from `pixel_coords`, size, shape and rotation by a least-squares "
             "model fitted on the renders",
}


# config fields that `vqa train detector` and `vqa render` set by a flag of the same name (`_flag`):
# the model card lists those a run changed
_TRAIN_FLAGS = ("init", "iterations", "batch_size", "lr", "warmup", "real_repeat", "real_boxes", "roi_fg_iou",
                "roi_positive_fraction", "crop_epochs", "threads", "seed")
_RENDER_FLAGS = ("num_images", "start_idx", "prefix", "seed", "samples", "min_objects", "max_objects", "occlude", "width",
                 "height")


def _flag(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def _render_command(folder: str) -> str:
    """The `vqa render` call that wrote ``folder``, read back from its scenes.json."""
    used = recorded_render_config(folder)
    if used is None:
        return f"vqa render --out {folder}"  # settings unknown: the folder is gone or was not written by us
    default = asdict(RenderConfig())
    flags = [f"{_flag(k)} {used[k]}" for k in _RENDER_FLAGS if k in used and used[k] != default[k]]
    return " ".join(["vqa render --out", folder, *flags])


def rebuild_commands(tc: DetectorTrainConfig, processes: tuple[int, int] = (1, 1)) -> list[str]:
    """The commands that rebuild a run: one `vqa render` per extra render folder, then `vqa train
    detector` with the flags whose values differ from the defaults; ``processes``: the detector
    stage's processes per machine and machines (``--num-gpus``, ``--num-machines``)."""
    default = DetectorTrainConfig()
    flags = [f"{_flag(f)} {getattr(tc, f)}" for f in _TRAIN_FLAGS if getattr(tc, f) != getattr(default, f)]
    flags += [f"--{name} {k}" for name, k in zip(("num-gpus", "num-machines"), processes) if k > 1]
    flags += ["--dev-holdout"] if tc.dev_holdout else []
    flags += [f"{_flag(f)} {' '.join(getattr(tc, f))}" for f in ("renders", "crop_renders") if getattr(tc, f)]
    flags += ["--crop-occluders"] if tc.model.crop_occluders else []
    if tc.model.score_threshold != default.model.score_threshold:
        flags.append(f"--score-threshold {tc.model.score_threshold:g}")
    if not tc.init:  # with --init the model config is the init weights'
        if tc.model.crop_centre_weight != default.model.crop_centre_weight:
            flags.append(f"--crop-centre-weight {tc.model.crop_centre_weight:g}")
        if tc.model.second_stages != default.model.second_stages:
            flags.append(f"--second-stages {tc.model.second_stages}")
    renders = [_render_command(f) for f in dict.fromkeys(tc.renders + tc.crop_renders)]
    return renders + [" ".join(["vqa train detector", *flags])]


def _write_card(tc: DetectorTrainConfig, report: dict) -> None:
    r = report["held_out_real"]
    attrs = ", ".join(f"{a} {v:.2%}" for a, v in r["attribute_accuracy"].items())
    crop = report.get("crop_head")
    centre = (f"""
  A `CropCentreHead` trained beside it reads each object's centre again from the same crop; the
  centre used is {tc.model.crop_centre_weight:g} x its centre + {1 - tc.model.crop_centre_weight:g} x the ROI head's."""
              if tc.model.crop_centre_weight else "")
    extra = (f"""
  This stage also trains on {', '.join(f'`{r}`' for r in tc.crop_renders)} (extra `vqa render` folders the
  detector stage did not see)."""
             if tc.crop_renders else "")
    members = (f"""
  {crop['members']} such second stages, trained one after the other with seeds {tc.seed} to {tc.seed + crop['members'] - 1}
  (the time above is all of them), are averaged: their attribute probabilities and their centres."""
               if crop and crop.get("members") else "")
    occluders = (" The crops' box channel is 1/2 where a nearer detection's box covers the object's box\n"
                 "  (`crop_occluders`): there the pixels may be the nearer object's." if tc.model.crop_occluders else "")
    processes = report.get("processes", [1, 1])
    *renders, train = (f"`{c}`" for c in rebuild_commands(tc, tuple(processes)))
    rebuild = ",\n".join(renders) + (", then\n" if renders else "") + train
    summary = f"""A Faster R-CNN built with detectron2 (a small residual backbone `ClevrNet` + FPN, trained from
scratch here on CPU) whose ROI head predicts one "object" class with a class-agnostic box, CLEVR's
four attributes and the object's projected 3-D centre (CLEVR's `pixel_coords`); then a second
stage that reads the four attributes again from a full-resolution crop of each detected box
(the ROI head's 7 x 7 view confused cubes with cylinders). Depth (`pixel[2]`) and ground
positions come from the fixed CLEVR camera geometry (`vqa/perception/clevr/geometry.py`). After NMS,
{"a detection whose object would intersect a better-scoring one's in 3-D is dropped (`solid_nms`: the same object found twice)" if tc.model.solid_nms else "no 3-D overlap test (`solid_nms` off)"}{"; then one that lies within a nearer, better detection's box and has its colour (`part_nms`: a highlight or an edge of that object)" if tc.model.part_nms else ""}. Rebuild with
{rebuild} (config: `{Path(tc.out).name}.json`)."""
    training = [
        f"""- Data: {report['train_images']} records: the 400 shared renders (`clevr_renders`, exact boxes) and
  the real CLEVR v1.0 training images whose index is not a multiple of 5 ({_REAL_BOXES[tc.real_boxes]}),
  counted {tc.real_repeat}x{"; less the development images (index 1 mod 5, `--dev-holdout`)" if tc.dev_holdout else ""}.""",
        f"""- Detector: {f"fine-tuned from `{tc.init}`{'' if crop else ' (whose second stage it keeps)'}: " if tc.init else ""}\
{tc.iterations} iterations of batch {tc.batch_size}, AdamW lr {tc.lr} (warm-up {tc.warmup}, cosine),
  flips, brightness/contrast, blur/noise; {report['train_seconds']:.0f} s on {tc.threads} CPU thread(s)\
{f" in each of {processes[0] * processes[1]} processes (detectron2's launch)" if "processes" in report else ""}."""]
    if crop:
        training.append(f"""- Second stage (`CropAttributeHead`, `vqa/perception/clevr/attributes.py`): {crop['epochs']} epochs over the
  objects of the {crop['images']} distinct training images ({crop['objects_per_epoch']} crops per epoch,
  real images counted {tc.real_repeat}x), {tc.model.crop_size} x {tc.model.crop_size} crops of the detector's own boxes or
  the gold boxes, jittered and mirrored, weights averaged (EMA {tc.crop_ema}); {crop['seconds']:.0f} s. Its attributes
  replace the ROI head's.{occluders}{centre}{extra}{members}""")
    held_out = ["A match is a predicted centre within 10 px of the annotated `pixel_coords`.", "",
                "| figure | value |", "| --- | --- |",
                f"| object recall | {r['recall']:.2%} ({r['matched']}/{r['gold_objects']}) |",
                f"| object precision | {r['precision']:.2%} ({r['matched']}/{r['predicted_objects']}) |",
                f"| all four attributes right (matched objects) | {r['all_attributes_accuracy']:.2%} |",
                f"| per attribute | {attrs} |",
                f"| left/right/front/behind agreement (matched pairs) | {r['relation_agreement']:.2%} "
                f"({r['relation_pairs']} pair-predicates) |"]
    dev = report.get("development_real")
    write_model_card(tc.out, "clevr-detector", summary, {
        "Training": training,
        f"Held-out real CLEVR images ({r['images']} images, index a multiple of 5, never trained on)": held_out,
        **(_dev_section(dev) if dev else {}),
        "Data": ["CLEVR v1.0 (Johnson et al., CVPR 2017), CC BY 4.0; the shared renders use the official CLEVR",
                 "Blender assets (facebookresearch/clevr-dataset-gen, BSD). detectron2 (Apache-2.0)."]})
