"""The detector's second stage: crop attribute (and centre) heads trained on the frozen detector's boxes.

The crop heads read each object again from a full-resolution crop of its box. They train after the
detector stage, on crops of the training images: boxes the detector's own (or, half the time and
where it missed, the gold box), jittered; images flipped and their brightness/contrast varied.
"""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch.nn import functional as F
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
from tqdm import tqdm

from .. import atomic
from .clevr_data import ClevrMapper
from .detector_config import DetectorTrainConfig
from .detector_eval import match_centres
from .loop import train

__all__ = ["SECOND_STAGE", "train_crop_head"]

_log = logging.getLogger(__name__)  # where log= sends its lines by default

# modules trained after the detector, on its frozen boxes (``train_crop_head``)
SECOND_STAGE = ("crop_head", "crop_centre")


def _crop_examples(model, tc: DetectorTrainConfig, records: list[dict]) -> list[dict]:
    """Per distinct training image: the image, gold boxes and attributes, and the trained
    detector's own box for each gold object it finds (what the crop head sees at test time)."""
    from ..perception.clevr.model import predict  # detectron2: optional, heavy

    mapper, examples, seen = ClevrMapper(augment=False), [], set()
    for r in tqdm(records, disable=not tc.progress, desc="crop examples", leave=False):
        if r["file_name"] in seen or not r["annotations"]:
            continue
        seen.add(r["file_name"])
        x = mapper(r)
        inst = x["instances"]
        # centres come from the not-yet-trained crop centre head, so about 10 % of objects fail the
        # 10-px match and are cropped from their gold box only; matching by the ROI centre instead
        # (2 of 489 fail) cost attributes on the development images (unseen second stage 5 -> 7 errors)
        out = predict(model, tc.model, [x])[0]
        det_boxes = inst.gt_boxes.tensor.clone()
        has_det = torch.zeros(len(inst), dtype=torch.bool)
        for i, j in match_centres(out["centres"].numpy(), inst.gt_centers.numpy()):
            det_boxes[j], has_det[j] = out["boxes"][i], True
        examples.append({"image": x["image"], "gold": inst.gt_boxes.tensor, "detected": det_boxes,
                         "has_det": has_det, "attrs": inst.gt_attrs, "centres": inst.gt_centers,
                         "real": r.get("source") == "real"})
    return examples


def _jitter(boxes: torch.Tensor, g: torch.Generator, amount: float = 0.08) -> torch.Tensor:
    """Shift each box by up to ``amount`` of its size and scale each side by 0.9-1.15."""
    wh = boxes[:, 2:] - boxes[:, :2]
    c = (boxes[:, :2] + boxes[:, 2:]) / 2 + (torch.rand(len(boxes), 2, generator=g) * 2 - 1) * amount * wh
    wh = wh * (0.9 + 0.25 * torch.rand(len(boxes), 2, generator=g))
    return torch.cat([c - wh / 2, c + wh / 2], dim=1)


def _members(module) -> list:
    from ..perception.clevr.attributes import AveragedHeads  # detectron2 (its backbone blocks): optional, heavy

    return list(module) if isinstance(module, AveragedHeads) else [module]


def train_crop_head(model, tc: DetectorTrainConfig, records: list[dict], workdir: Path, log=_log.info) -> dict:
    """Second stage: train ``model.crop_head`` (and ``model.crop_centre``, when the config has one)
    on crops of the training images (the detector stays frozen). With ``second_stages`` K > 1,
    member k trains alone with seed ``seed + k``. Each member is saved to WORKDIR
    (``crop_head.safetensors``, then ``crop_head_1.safetensors``...), so a finished one is loaded
    instead of retrained."""
    heads = _members(model.crop_head)
    centres = _members(model.crop_centre) if hasattr(model, "crop_centre") else [None] * len(heads)
    model.eval()
    examples, infos = None, []
    for k, (head, centre_head) in enumerate(zip(heads, centres)):
        stage = torch.nn.ModuleDict({"crop_head": head, **({"crop_centre": centre_head} if centre_head is not None else {})})
        path = workdir / ("crop_head" + (f"_{k}" if k else ""))
        if path.with_suffix(".safetensors").is_file():
            stage.load_state_dict(load_file(str(path.with_suffix(".safetensors"))))
            infos.append(json.loads(path.with_suffix(".json").read_text()))
            continue
        if examples is None:  # the frozen detector's boxes: one pass serves every member
            t0 = time.perf_counter()
            examples = _crop_examples(model, tc, records)
            log(f"crop examples: {len(examples)} images, {time.perf_counter() - t0:.0f} s")
        infos.append(_train_second_stage(stage, examples, tc, tc.seed + k, path, log))
    if len(infos) == 1:
        return infos[0]
    return {**infos[0], "members": len(infos), "seconds": round(sum(i["seconds"] for i in infos), 1),
            "final_loss": [i.get("final_loss") for i in infos]}


def _crop_batches(reps: list[dict], head, epochs: int, batch_size: int, g: torch.Generator, occluders: bool = False):
    """``(crops, geometry, attributes, centres, square boxes)`` of at least ``batch_size`` objects,
    over ``epochs`` shuffled passes of ``reps`` (what is left over carries on to the next epoch).
    ``occluders``: crops mark nearer objects' boxes, nearer by the gold centres (``crop_objects``)."""
    from ..perception.clevr.attributes import box_geometry, crop_objects, square_boxes  # detectron2: optional, heavy

    batch: dict[str, list] = {"crops": [], "geo": [], "attrs": [], "centres": [], "squares": []}
    for _ in range(epochs):
        for k in torch.randperm(len(reps), generator=g).tolist():
            e = reps[k]
            img, centres = e["image"].float(), e["centres"]
            use_det = e["has_det"] & (torch.rand(len(e["has_det"]), generator=g) < 0.5)
            boxes = _jitter(torch.where(use_det[:, None], e["detected"], e["gold"]), g)
            h, w = img.shape[-2:]
            if torch.rand(1, generator=g) < 0.5:  # attributes do not change under a horizontal flip
                img = img.flip(-1)
                boxes = torch.stack([w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], 1)
                centres = torch.stack([w - centres[:, 0], centres[:, 1]], 1)
            a, b = 0.85 + 0.3 * torch.rand(2, generator=g)
            img = ((img - img.mean()) * a + img.mean() * b).clamp(0, 255)
            nearness = centres[:, 1] if occluders else None
            batch["crops"].append(crop_objects(img[None], boxes, boxes.new_zeros(len(boxes)), head.crop, head.margin,
                                               nearness))
            batch["geo"].append(box_geometry(boxes, h, w))
            batch["attrs"].append(e["attrs"])
            batch["centres"].append(centres)
            batch["squares"].append(square_boxes(boxes, head.margin))
            if sum(len(c) for c in batch["crops"]) >= batch_size:
                yield tuple(torch.cat(v) for v in batch.values())
                batch = {name: [] for name in batch}


def _train_second_stage(stage: torch.nn.ModuleDict, examples: list[dict], tc: DetectorTrainConfig, seed: int,
                        path: Path, log=_log.info) -> dict:
    """Train one member (``stage["crop_head"]`` and, if there, ``stage["crop_centre"]``); save it to
    ``path``.safetensors/.json and return its summary."""
    head, centre_head = stage["crop_head"], stage["crop_centre"] if "crop_centre" in stage else None
    t0 = time.perf_counter()
    reps = [e for e in examples for _ in range(tc.real_repeat if e["real"] else 1)]
    n_objects = sum(len(e["attrs"]) for e in reps)
    total = tc.crop_epochs * max(1, n_objects // tc.crop_batch)
    opt = torch.optim.AdamW(stage.parameters(), lr=tc.crop_lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tc.crop_lr, total_steps=total, pct_start=0.1)
    # averaged weights (BatchNorm statistics too) vary less from run to run than the last step's
    ema = AveragedModel(stage, multi_avg_fn=get_ema_multi_avg_fn(tc.crop_ema), use_buffers=True) if tc.crop_ema else None

    def losses(batch) -> dict:
        x, geo, y, c, sq = batch
        named = {"attributes": sum(F.cross_entropy(l, y[:, i]) for i, l in enumerate(head(x, geo).values()))}
        if centre_head is not None:  # the offset in units of the crop's side, as the head predicts it
            target = (c - (sq[:, :2] + sq[:, 2:]) / 2) / (sq[:, 2:] - sq[:, :2])
            named["centre"] = F.smooth_l1_loss(centre_head(x, geo), target, beta=0.02) * 10
        return named

    batches = _crop_batches(reps, head, tc.crop_epochs, tc.crop_batch, torch.Generator().manual_seed(seed),
                            tc.model.crop_occluders)
    run = train(stage, opt, sched, batches, losses, iterations=total, ema=ema, progress=tc.progress,
                desc="train crop head", log=log)
    if ema is not None:
        stage.load_state_dict(ema.module.state_dict())
    stage.eval()
    info = {"epochs": tc.crop_epochs, "ema": tc.crop_ema, "centre_head": centre_head is not None,
            "images": len(examples), "objects_per_epoch": n_objects,
            "seconds": round(time.perf_counter() - t0, 1), "final_loss": round(run["loss"], 4)}
    state = {k: v.contiguous() for k, v in stage.state_dict().items()}
    atomic.write_with(lambda tmp: save_file(state, str(tmp)), path.with_suffix(".safetensors"))
    atomic.write_text(path.with_suffix(".json"), json.dumps(info, indent=1))
    log(f"{path.name}: {info}")
    return info
