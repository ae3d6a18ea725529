"""``vqa train detector``: train the CLEVR detector with detectron2's trainer and hooks.

Data: the shared renders (exact boxes) and the real CLEVR training images (visible boxes drawn
from their scenes by ``silhouettes``, or ``BoxModel``'s whole-object boxes; real images count
twice, being the domain we answer on), plus any folders ``vqa render`` wrote. Held-out real
images (index a multiple of 5) are never trained on; the trainer reports on them at the end.
Checkpoints are safetensors (model, optimiser moments) plus a JSON with the iteration, so an
interrupted run resumes where it stopped.
"""
from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageFilter
from torch.nn import functional as F

from ..data.splits import is_development
from ..errors import DataError
from .clevr_data import BoxModel, real_records, render_records
from ..perception.clevr.config import ClevrDetectorConfig

# modules trained after the detector, on its frozen boxes (``train_crop_head``)
SECOND_STAGE = ("crop_head", "crop_centre")

__all__ = ["DetectorTrainConfig", "ClevrMapper", "train_detector", "evaluate_on_records"]


@dataclass
class DetectorTrainConfig:
    out: str = "weights/clevr-detector"
    workdir: str = "runs/detector"
    shared: str = "../shared/data"
    renders: list[str] = field(default_factory=list)  # extra `vqa render` folders (scenes.json + images/)
    # extra render folders for the second stage only: it is where more examples pay (shape errors), and
    # its stage is 20x cheaper than the detector's
    crop_renders: list[str] = field(default_factory=list)
    # start from these detector weights (their config too) instead of from scratch: a fine-tune; with
    # crop_epochs 0 their second stage is kept as it is
    init: str = ""
    iterations: int = 6000
    batch_size: int = 2
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup: int = 200
    real_repeat: int = 2
    # boxes of the real images: "visible" (drawn from the scene, like the renders' boxes; the shipped
    # weights' recipe) or "model" (BoxModel's whole-object boxes, which also cover what a nearer object hides)
    real_boxes: str = "visible"
    threads: int = 1  # the shipped weights' setting: one thread repeats a run bit for bit on one machine
    seed: int = 0
    checkpoint_every: int = 200
    # leave the development images (index 1 mod 5) out too and report on them: to judge a recipe
    # change on real images without the validation split
    dev_holdout: bool = False
    crop_epochs: int = 40  # second stage (crop attribute and centre heads), trained after the detector
    crop_lr: float = 2e-3
    crop_batch: int = 128
    crop_ema: float = 0.99  # the second stage keeps an exponential moving average of its weights (0: off)
    progress: bool = True
    model: ClevrDetectorConfig = field(default_factory=lambda: ClevrDetectorConfig(crop_centre_weight=1.0))


class ClevrMapper:
    """Dataset dict -> model input with ``Instances`` (gt_boxes, gt_classes, gt_attrs, gt_centers).

    Augmentations: horizontal flip (attributes do not change), brightness/contrast, and blur or
    noise (renders at 32 samples are grainier than CLEVR's 512). Decoded images are cached.
    """

    def __init__(self, augment: bool = True, seed: int = 0):
        self.augment = augment
        self.rng = random.Random(seed)
        self._cache: dict[str, np.ndarray] = {}

    def _image(self, path: str) -> np.ndarray:
        if path not in self._cache:
            self._cache[path] = np.asarray(Image.open(path).convert("RGB"), dtype=np.uint8)
        return self._cache[path]

    def __call__(self, record: dict) -> dict:
        from detectron2.structures import Boxes, Instances

        img = self._image(record["file_name"])
        h, w = img.shape[:2]
        boxes = np.array([a["bbox"] for a in record["annotations"]], dtype=np.float32).reshape(-1, 4)
        centres = np.array([a["center"] for a in record["annotations"]], dtype=np.float32).reshape(-1, 2)
        attrs = np.array([a["attrs"] for a in record["annotations"]], dtype=np.int64).reshape(-1, 4)
        if self.augment:
            r = self.rng
            if r.random() < 0.5:
                img = img[:, ::-1]
                boxes = np.stack([w - boxes[:, 2], boxes[:, 1], w - boxes[:, 0], boxes[:, 3]], 1)
                centres = np.stack([w - centres[:, 0], centres[:, 1]], 1)
            x = img.astype(np.float32)
            x = (x - x.mean()) * r.uniform(0.85, 1.15) + x.mean() * r.uniform(0.85, 1.15)
            if record.get("source") == "render" and r.random() < 0.6:
                pil = Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))
                x = np.asarray(pil.filter(ImageFilter.GaussianBlur(r.uniform(0.4, 1.0))), dtype=np.float32)
            elif r.random() < 0.5:
                x = x + np.random.default_rng(r.randrange(2**31)).normal(0, r.uniform(1, 5), x.shape)
            img = np.clip(x, 0, 255).astype(np.uint8)
        inst = Instances((h, w))
        inst.gt_boxes = Boxes(torch.as_tensor(boxes))
        inst.gt_classes = torch.zeros(len(boxes), dtype=torch.int64)
        inst.gt_attrs = torch.as_tensor(attrs)
        inst.gt_centers = torch.as_tensor(centres)
        return {"image": torch.as_tensor(np.ascontiguousarray(img.transpose(2, 0, 1))), "height": h, "width": w,
                "instances": inst, "file_name": record["file_name"]}


def _folder_records(folders: list[str], id_base: int) -> tuple[list[dict], list[dict]]:
    """Records and raw scenes of ``vqa render`` folders; folder k's image ids start at ``id_base * (k + 1)``."""
    records, scenes = [], []
    for k, folder in enumerate(folders):
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


def _lr_factor(it: int, tc: DetectorTrainConfig) -> float:
    if it < tc.warmup:
        return (it + 1) / tc.warmup
    t = (it - tc.warmup) / max(tc.iterations - tc.warmup, 1)
    return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(t, 1.0)))


def _save_checkpoint(model, optimizer, it: int, workdir: Path, extra: dict) -> None:
    """Model and AdamW moments as safetensors; iteration and param-group settings as JSON."""
    from safetensors.torch import save_file

    workdir.mkdir(parents=True, exist_ok=True)
    # the second stage trains after the detector and is saved on its own (crop_head.safetensors)
    tensors = {f"model.{k}": v.detach().contiguous() for k, v in model.state_dict().items()
               if not k.startswith(SECOND_STAGE)}
    opt = optimizer.state_dict()
    for idx, st in opt["state"].items():
        for name, v in st.items():
            tensors[f"optim.{idx}.{name}"] = torch.as_tensor(v).detach().contiguous()
    tmp = workdir / "checkpoint.tmp.safetensors"
    save_file(tensors, str(tmp))
    tmp.replace(workdir / "checkpoint.safetensors")
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt["param_groups"]]
    (workdir / "checkpoint.json").write_text(json.dumps({"iteration": it, "param_groups": groups, **extra}, indent=1))


def _load_checkpoint(model, optimizer, workdir: Path) -> tuple[int, dict]:
    from safetensors.torch import load_file

    meta = json.loads((workdir / "checkpoint.json").read_text())
    tensors = load_file(str(workdir / "checkpoint.safetensors"))
    # the second stage trains after the detector and is not in its checkpoints (older ones hold
    # it untrained, maybe of another design: ignored)
    missing, unexpected = model.load_state_dict({k[6:]: v for k, v in tensors.items()
                                                 if k.startswith("model.") and not k[6:].startswith(SECOND_STAGE)},
                                                strict=False)
    if unexpected or any(not k.startswith(SECOND_STAGE) for k in missing):
        raise RuntimeError(f"checkpoint in {workdir} does not fit the model: {(missing + unexpected)[:3]}")
    state: dict[int, dict] = {}
    for k, v in tensors.items():
        if k.startswith("optim."):
            _, idx, name = k.split(".", 2)
            state.setdefault(int(idx), {})[name] = v
    opt = optimizer.state_dict()
    for g, saved in zip(opt["param_groups"], meta["param_groups"]):
        g.update({k: v for k, v in saved.items() if k in g})
    optimizer.load_state_dict({"state": state, "param_groups": opt["param_groups"]})
    return meta["iteration"], meta


def evaluate_on_records(detector, records: list[dict], batch: int = 4, progress: bool = False) -> dict:
    """Detector figures (``vqa.train.detector_eval.score_graphs``) on records with annotations."""
    from tqdm import tqdm

    from ..graph.from_detections import detections_to_graph
    from ..graph.io import scene_from_clevr
    from .detector_eval import score_graphs

    preds, golds = [], []
    for start in tqdm(range(0, len(records), batch), disable=not progress, desc="evaluate", leave=False):
        chunk = records[start:start + batch]
        images = [Image.open(r["file_name"]).convert("RGB") for r in chunk]
        for r, det in zip(chunk, detector.detect_batch(images)):
            preds.append(detections_to_graph(det, Path(r["file_name"]).name))
            golds.append(scene_from_clevr(r["scene"]) if "scene" in r else None)
    return score_graphs(preds, golds)


def train_detector(tc: DetectorTrainConfig, log=print) -> dict:
    """Train (or resume) and write ``tc.out``.safetensors/.json/.md; returns the report."""
    from detectron2.engine import HookBase, SimpleTrainer
    from detectron2.data import build_detection_train_loader
    from tqdm import tqdm

    from ..perception.clevr.detector import ClevrDetector, save_detector
    from ..perception.clevr.model import build_clevr_model

    if tc.crop_epochs <= 0 and not tc.init:
        raise DataError("--crop-epochs 0 keeps the second stage of the --init weights; "
                        "without --init it would ship untrained")
    torch.set_num_threads(tc.threads)
    torch.manual_seed(tc.seed)
    random.seed(tc.seed)
    np.random.seed(tc.seed)
    workdir = Path(tc.workdir)
    train_records, val_records, dev_records = build_records(tc)
    log(f"training records: {len(train_records)} (real counted {tc.real_repeat}x), held-out real images: {len(val_records)}"
        + (f", development images left out: {len(dev_records)}" if tc.dev_holdout else ""))

    if tc.init:
        from ..perception.clevr.detector import load_detector_state

        tc.model, init_state = load_detector_state(tc.init)
    model = build_clevr_model(tc.model)
    if tc.init:
        model.load_state_dict(init_state)  # fp16 on disk, copied into the float32 parameters
        log(f"starting from {tc.init}")
    model.train()
    detector_params = [p for n, p in model.named_parameters() if not n.startswith(SECOND_STAGE)]
    optimizer = torch.optim.AdamW(detector_params, lr=tc.lr, weight_decay=tc.weight_decay)
    start_iter, meta = 0, {}
    if (workdir / "checkpoint.json").is_file():
        start_iter, meta = _load_checkpoint(model, optimizer, workdir)
        log(f"resuming from iteration {start_iter}")
    seconds_before = float(meta.get("train_seconds", 0.0))

    loader = build_detection_train_loader(train_records, mapper=ClevrMapper(augment=True, seed=tc.seed + start_iter),
                                          total_batch_size=tc.batch_size, aspect_ratio_grouping=False, num_workers=0)
    trainer = SimpleTrainer(model, loader, optimizer)

    class Schedule(HookBase):
        def before_step(self):
            for g in self.trainer.optimizer.param_groups:
                g["lr"] = tc.lr * _lr_factor(self.trainer.iter, tc)

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
                spent = seconds_before + time.perf_counter() - progress.t0
                losses = {k: round(v.median(20), 4) for k, v in self.trainer.storage.histories().items() if "loss" in k}
                _save_checkpoint(self.trainer.model, self.trainer.optimizer, it, workdir,
                                 {"train_seconds": spent, "losses": losses, "config": asdict(tc)})

    progress = Progress()
    trainer.register_hooks([Schedule(), progress, Checkpoint()])
    if start_iter < tc.iterations:
        trainer.train(start_iter, tc.iterations)
    meta = json.loads((workdir / "checkpoint.json").read_text())

    if hasattr(model, "crop_head") and tc.crop_epochs > 0:
        crop_records = train_records + _folder_records(tc.crop_renders, id_base=50000)[0]
        meta["crop_head"] = train_crop_head(model, tc, crop_records, workdir, log)
    detector = ClevrDetector(model.eval(), tc.model)
    for r in val_records + dev_records:
        r["scene"] = _scene_of(tc, r)
    t0 = time.perf_counter()
    report = {"held_out_real": evaluate_on_records(detector, val_records, progress=tc.progress),
              **({"development_real": evaluate_on_records(detector, dev_records)} if dev_records else {}),
              "train_seconds": round(meta["train_seconds"], 1), "iterations": tc.iterations,
              "crop_head": meta.get("crop_head"),
              "train_images": len(train_records), "eval_seconds": round(time.perf_counter() - t0, 1)}
    save_detector(model, tc.model, tc.out, metadata={"iterations": tc.iterations})
    write_model_card(tc, report, Path(tc.out + ".md"))
    (workdir / "report.json").write_text(json.dumps(report, indent=2))
    return report


def _crop_examples(model, tc: DetectorTrainConfig, records: list[dict]) -> list[dict]:
    """Per distinct training image: the image, gold boxes and attributes, and the trained
    detector's own box for each gold object it finds (what the crop head sees at test time)."""
    from tqdm import tqdm

    from ..perception.clevr.model import predict
    from .detector_eval import match_centres

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
    from ..perception.clevr.attributes import AveragedHeads

    return list(module) if isinstance(module, AveragedHeads) else [module]


def train_crop_head(model, tc: DetectorTrainConfig, records: list[dict], workdir: Path, log=print) -> dict:
    """Second stage: train ``model.crop_head`` (and ``model.crop_centre``, when the config has one)
    on crops of the training images (the detector stays frozen). Boxes are the detector's own (or,
    half the time and where it missed, the gold box), jittered; images are flipped and their
    brightness/contrast varied. With ``second_stages`` K > 1, member k trains alone with seed
    ``seed + k``. Each member is saved to WORKDIR (``crop_head.safetensors``, then
    ``crop_head_1.safetensors``...), so a finished one is loaded instead of retrained."""
    from safetensors.torch import load_file

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


def _train_second_stage(stage: torch.nn.ModuleDict, examples: list[dict], tc: DetectorTrainConfig, seed: int,
                        path: Path, log=print) -> dict:
    """Train one member (``stage["crop_head"]`` and, if there, ``stage["crop_centre"]``); save it to
    ``path``.safetensors/.json and return its summary."""
    from safetensors.torch import save_file
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn
    from tqdm import tqdm

    from ..perception.clevr.attributes import box_geometry, crop_objects, square_boxes

    head, centre_head = stage["crop_head"], stage["crop_centre"] if "crop_centre" in stage else None
    t0 = time.perf_counter()
    reps = [e for e in examples for _ in range(tc.real_repeat if e["real"] else 1)]
    n_objects = sum(len(e["attrs"]) for e in reps)
    steps_per_epoch = max(1, n_objects // tc.crop_batch)
    total = tc.crop_epochs * steps_per_epoch
    opt = torch.optim.AdamW(stage.parameters(), lr=tc.crop_lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=tc.crop_lr, total_steps=total, pct_start=0.1)
    # averaged weights (BatchNorm statistics too) vary less from run to run than the last step's
    ema = AveragedModel(stage, multi_avg_fn=get_ema_multi_avg_fn(tc.crop_ema), use_buffers=True) if tc.crop_ema else None
    g = torch.Generator().manual_seed(seed)
    stage.train()
    bar = tqdm(total=total, disable=not tc.progress, desc="train crop head", mininterval=5)
    batch: dict[str, list] = {"crops": [], "geo": [], "attrs": [], "centres": [], "squares": []}
    for _ in range(tc.crop_epochs):
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
            batch["crops"].append(crop_objects(img[None], boxes, boxes.new_zeros(len(boxes)), head.crop, head.margin))
            batch["geo"].append(box_geometry(boxes, h, w))
            batch["attrs"].append(e["attrs"])
            batch["centres"].append(centres)
            batch["squares"].append(square_boxes(boxes, head.margin))
            if sum(len(c) for c in batch["crops"]) >= tc.crop_batch:
                x, geo, y, c, sq = (torch.cat(v) for v in batch.values())
                logits = head(x, geo)
                loss = sum(F.cross_entropy(l, y[:, i]) for i, l in enumerate(logits.values()))
                if centre_head is not None:  # the offset in units of the crop's side, as the head predicts it
                    target = (c - (sq[:, :2] + sq[:, 2:]) / 2) / (sq[:, 2:] - sq[:, :2])
                    loss = loss + F.smooth_l1_loss(centre_head(x, geo), target, beta=0.02) * 10
                opt.zero_grad()
                loss.backward()
                opt.step()
                if ema is not None:
                    ema.update_parameters(stage)
                if sched.last_epoch < total - 1:
                    sched.step()
                bar.set_postfix(loss=f"{loss.item():.3f}", refresh=False)
                bar.update(1)
                batch = {k: [] for k in batch}
    bar.close()
    if ema is not None:
        stage.load_state_dict(ema.module.state_dict())
    stage.eval()
    info = {"epochs": tc.crop_epochs, "ema": tc.crop_ema, "centre_head": centre_head is not None,
            "images": len(examples), "objects_per_epoch": n_objects,
            "seconds": round(time.perf_counter() - t0, 1), "final_loss": round(loss.item(), 4)}
    save_file({k: v.contiguous() for k, v in stage.state_dict().items()}, str(path.with_suffix(".safetensors")))
    path.with_suffix(".json").write_text(json.dumps(info, indent=1))
    log(f"{path.name}: {info}")
    return info


_SCENES_CACHE: dict[str, dict] = {}


def _scene_of(tc: DetectorTrainConfig, record: dict) -> dict:
    path = str(Path(tc.shared) / "clevr" / "CLEVR_train_scenes.json")
    if path not in _SCENES_CACHE:
        _SCENES_CACHE[path] = {s["image_filename"]: s for s in json.loads(Path(path).read_text())["scenes"]}
    return _SCENES_CACHE[path][Path(record["file_name"]).name]


def _dev_section(d: dict | None) -> str:
    if not d:
        return ""
    return f"""
## Development real images ({d['images']} images, index 1 mod 5, left out by `--dev-holdout`)
Recall {d['recall']:.2%} ({d['matched']}/{d['gold_objects']}), precision {d['precision']:.2%} \
({d['matched']}/{d['predicted_objects']}), all four attributes {d['all_attributes_accuracy']:.2%}, \
relations {d['relation_agreement']:.2%}.
"""


_REAL_BOXES = {
    "visible": "visible boxes drawn from each scene's 3-D annotation, `vqa/perception/clevr/silhouettes.py`",
    "model": "whole-object boxes predicted from `pixel_coords`, size, shape and rotation by a least-squares "
             "model fitted on the renders",
}


# config fields that `vqa train detector` and `vqa render` set by a flag of the same name (`_flag`):
# the model card lists those a run changed
_TRAIN_FLAGS = ("init", "iterations", "batch_size", "lr", "warmup", "real_repeat", "real_boxes", "crop_epochs",
                "threads", "seed")
_RENDER_FLAGS = ("num_images", "start_idx", "prefix", "seed", "samples", "min_objects", "max_objects", "width", "height")


def _flag(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def _render_command(folder: str) -> str:
    """The `vqa render` call that wrote ``folder``, read back from its scenes.json."""
    from ..data.render.renderer import RenderConfig

    try:
        used = json.loads(Path(folder, "scenes.json").read_text())["info"]["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"vqa render --out {folder}"  # settings unknown: the folder is gone or was not written by us
    default = asdict(RenderConfig())
    flags = [f"{_flag(k)} {used[k]}" for k in _RENDER_FLAGS if k in used and used[k] != default[k]]
    return " ".join(["vqa render --out", folder, *flags])


def rebuild_commands(tc: DetectorTrainConfig) -> list[str]:
    """The commands that rebuild a run: one `vqa render` per extra render folder, then `vqa train
    detector` with the flags whose values differ from the defaults."""
    default = DetectorTrainConfig()
    flags = [f"{_flag(f)} {getattr(tc, f)}" for f in _TRAIN_FLAGS if getattr(tc, f) != getattr(default, f)]
    flags += ["--dev-holdout"] if tc.dev_holdout else []
    flags += [f"{_flag(f)} {' '.join(getattr(tc, f))}" for f in ("renders", "crop_renders") if getattr(tc, f)]
    if not tc.init:  # with --init the model config is the init weights'
        if tc.model.crop_centre_weight != default.model.crop_centre_weight:
            flags.append(f"--crop-centre-weight {tc.model.crop_centre_weight:g}")
        if tc.model.second_stages != default.model.second_stages:
            flags.append(f"--second-stages {tc.model.second_stages}")
    renders = [_render_command(f) for f in dict.fromkeys(tc.renders + tc.crop_renders)]
    return renders + [" ".join(["vqa train detector", *flags])]


def write_model_card(tc: DetectorTrainConfig, report: dict, path: Path) -> None:
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
    second = (f"""
- Second stage (`CropAttributeHead`, `vqa/perception/clevr/attributes.py`): {crop['epochs']} epochs over the
  objects of the {crop['images']} distinct training images ({crop['objects_per_epoch']} crops per epoch,
  real images counted {tc.real_repeat}x), {tc.model.crop_size} x {tc.model.crop_size} crops of the detector's own boxes or
  the gold boxes, jittered and mirrored, weights averaged (EMA {tc.crop_ema}); {crop['seconds']:.0f} s. Its attributes
  replace the ROI head's.{centre}{extra}{members}"""
              if crop else "")
    *renders, train = (f"`{c}`" for c in rebuild_commands(tc))
    rebuild = ",\n".join(renders) + (", then\n" if renders else "") + train
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""# clevr-detector

A Faster R-CNN built with detectron2 (a small residual backbone `ClevrNet` + FPN, trained from
scratch here on CPU) whose ROI head predicts one "object" class with a class-agnostic box, CLEVR's
four attributes and the object's projected 3-D centre (CLEVR's `pixel_coords`); then a second
stage that reads the four attributes again from a full-resolution crop of each detected box
(the ROI head's 7 x 7 view confused cubes with cylinders). Depth (`pixel[2]`) and ground
positions come from the fixed CLEVR camera geometry (`vqa/perception/clevr/geometry.py`). After NMS,
{"a detection whose object would intersect a better-scoring one's in 3-D is dropped (`solid_nms`: the same object found twice)" if tc.model.solid_nms else "no 3-D overlap test (`solid_nms` off)"}{"; then one that lies within a nearer, better detection's box and has its colour (`part_nms`: a highlight or an edge of that object)" if tc.model.part_nms else ""}. Rebuild with
{rebuild} (config: `{Path(tc.out).name}.json`).

## Training
- Data: {report['train_images']} records: the 400 shared renders (`clevr_renders`, exact boxes) and
  the real CLEVR v1.0 training images whose index is not a multiple of 5 ({_REAL_BOXES[tc.real_boxes]}),
  counted {tc.real_repeat}x{"; less the development images (index 1 mod 5, `--dev-holdout`)" if tc.dev_holdout else ""}.
- Detector: {f"fine-tuned from `{tc.init}`{'' if crop else ' (whose second stage it keeps)'}: " if tc.init else ""}{tc.iterations} iterations of batch {tc.batch_size}, AdamW lr {tc.lr} (warm-up {tc.warmup}, cosine),
  flips, brightness/contrast, blur/noise; {report['train_seconds']:.0f} s on {tc.threads} CPU thread(s).{second}

## Held-out real CLEVR images ({r['images']} images, index a multiple of 5, never trained on)
A match is a predicted centre within 10 px of the annotated `pixel_coords`.

| figure | value |
| --- | --- |
| object recall | {r['recall']:.2%} ({r['matched']}/{r['gold_objects']}) |
| object precision | {r['precision']:.2%} ({r['matched']}/{r['predicted_objects']}) |
| all four attributes right (matched objects) | {r['all_attributes_accuracy']:.2%} |
| per attribute | {attrs} |
| left/right/front/behind agreement (matched pairs) | {r['relation_agreement']:.2%} ({r['relation_pairs']} pair-predicates) |
{_dev_section(report.get("development_real"))}
## Data
CLEVR v1.0 (Johnson et al., CVPR 2017), CC BY 4.0; the shared renders use the official CLEVR
Blender assets (facebookresearch/clevr-dataset-gen, BSD). detectron2 (Apache-2.0).
""")
