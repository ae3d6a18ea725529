"""The ``clevr`` detector: our detectron2 Faster R-CNN (``clevr_model``) behind the ``Detector`` contract.

Weights live in ``weights/clevr-detector.safetensors`` (fp16) with ``clevr-detector.json``
(``ClevrDetectorConfig``) beside them; ``vqa train detector`` rebuilds both.
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from ...errors import WeightsError
from ...weights import load_weights, save_weights, shipped, skip_random_init
from ..base import DetectedObject, Detections, register_detector
from .config import CLEVR_ATTRIBUTE_VALUES, ClevrDetectorConfig
from .exported import ExportedDetector
from .geometry import camera_distance, hidden_part_nms, pixel_to_ground, solid_overlap_nms

__all__ = ["DEFAULT_DETECTOR_WEIGHTS", "ClevrDetector", "save_detector", "load_detector_state"]

DEFAULT_DETECTOR_WEIGHTS = shipped("clevr-detector")


def save_detector(model: torch.nn.Module, config: ClevrDetectorConfig, path: str | Path,
                  metadata: dict | None = None) -> Path:
    """Write ``<stem>.safetensors`` (floating tensors as fp16) and ``<stem>.json`` (``vqa.weights``)."""
    return save_weights(model.state_dict(), config, path, metadata)


def load_detector_state(path: str | Path) -> tuple[ClevrDetectorConfig, dict[str, torch.Tensor]]:
    return load_weights(path, ClevrDetectorConfig, "detector",
                        "train them with `vqa train detector` or pass --detector-weights")


class ClevrDetector:
    """Detects CLEVR objects: box, attribute distributions, projected centre and camera distance.

    ``detect(image)`` takes an RGB ``PIL.Image`` (``vqa.perception.image.load_image`` makes one);
    an image that is not 480 x 320 is resized so its short side is ``config.min_size`` (at most
    ``config.max_size`` long), and boxes are mapped back to its own pixels.
    """

    name = "clevr"

    def __init__(self, model: torch.nn.Module, config: ClevrDetectorConfig):
        self.model = model.eval()
        self.config = config
        self.fast = None  # an ExportedDetector (from_pretrained(fast=True)): its networks once exported

    @classmethod
    def from_config(cls, config: ClevrDetectorConfig) -> "ClevrDetector":
        from .model import build_clevr_model  # defers detectron2 until a CLEVR detector is built

        return cls(build_clevr_model(config), config)

    @classmethod
    def from_pretrained(cls, path: str | Path = DEFAULT_DETECTOR_WEIGHTS, device: str | torch.device = "cpu",
                        fast: bool = False, threads: int = 1) -> "ClevrDetector":
        """Load ``path``'s config and weights; ``device``: where the network runs (its detections come back
        on the CPU either way). ``fast=True`` (CPU): also export the networks to ONNX Runtime in a child
        process (``vqa.perception.clevr.exported``), which detects with them, on ``threads`` threads,
        once they are ready: for anything that reads more than a few images, like the app."""
        config, state = load_detector_state(path)
        with skip_random_init():  # every parameter comes from the file: no random initialisation to overwrite
            det = cls.from_config(config)
        missing, unexpected = det.model.load_state_dict(state, strict=False, assign=True)
        if missing or unexpected:
            raise WeightsError(f"{path} does not match its config: missing {missing[:3]}, unexpected {unexpected[:3]}")
        # channels-last convolution weights make oneDNN keep every feature map in that layout:
        # detection about 12 % faster here, the same boxes (not for training: safetensors wants contiguous)
        det.model.to(device=device, memory_format=torch.channels_last)
        if fast and torch.device(device).type == "cpu":
            det.fast = ExportedDetector.start(path, config, det.model, threads)
        return det

    def _input(self, image) -> tuple[dict, float, float]:
        w, h = image.size
        scale = self.config.min_size / min(w, h)
        if max(w, h) * scale > self.config.max_size:
            scale = self.config.max_size / max(w, h)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))  # a 3000 x 2 image keeps one row
        if (nw, nh) != (w, h):
            image = image.resize((nw, nh))
        arr = np.asarray(image.convert("RGB"), dtype=np.uint8)
        return {"image": torch.as_tensor(arr.transpose(2, 0, 1).copy()), "height": nh, "width": nw}, w / nw, h / nh

    def detect_batch(self, images: list) -> list[Detections]:
        from .model import predict  # defers detectron2 (see from_config)

        t0 = time.perf_counter()
        inputs = [self._input(im) for im in images]
        outs = predict(self.model, self.config, [x[0] for x in inputs], fast=self.fast)
        seconds = (time.perf_counter() - t0) / max(len(images), 1)
        return [self._detections(o, im.size, sx, sy, seconds) for o, im, (_, sx, sy) in zip(outs, images, inputs)]

    def detect(self, image) -> Detections:
        return self.detect_batch([image])[0]

    def _detections(self, out: dict, size, sx: float, sy: float, seconds: float) -> Detections:
        scale = torch.tensor([sx, sy, sx, sy])
        boxes = (out["boxes"] * scale).tolist()
        centres = (out["centres"] * scale[:2]).numpy()
        attrs = {a: out["attrs"][a].numpy() for a in CLEVR_ATTRIBUTE_VALUES}
        sizes = [CLEVR_ATTRIBUTE_VALUES["size"][int(i)] for i in attrs["size"].argmax(1)]
        # depth only means something in CLEVR's camera geometry, which holds for 480 x 320 images
        ground = pixel_to_ground(centres / [sx, sy], sizes)
        depth = camera_distance(ground, sizes) if len(sizes) else []
        keep = np.arange(len(boxes))
        scores = out["scores"].numpy()
        if self.config.solid_nms and len(sizes):
            shapes = [CLEVR_ATTRIBUTE_VALUES["shape"][int(i)] for i in attrs["shape"].argmax(1)]
            keep = solid_overlap_nms(ground, sizes, shapes, scores)
        if self.config.part_nms and len(keep):
            # the boxes of the detector's input are enough: the test is a ratio of areas
            kept = hidden_part_nms(out["boxes"].numpy()[keep], depth[keep], attrs["color"][keep], scores[keep])
            keep = keep[kept]
        keep = sorted(keep.tolist())
        objects = []
        for k in keep:
            probs = {a: {v: float(p) for v, p in zip(vals, attrs[a][k])} for a, vals in CLEVR_ATTRIBUTE_VALUES.items()}
            objects.append(DetectedObject(
                box=[round(float(c), 2) for c in boxes[k]],
                name=max(probs["shape"], key=probs["shape"].get),
                score=float(out["scores"][k]), attributes=probs,
                pixel=[round(float(centres[k, 0]), 2), round(float(centres[k, 1]), 2), round(float(depth[k]), 3)],
                feature=out["features"][k].tolist()))
        return Detections(objects, width=size[0], height=size[1], detector=self.name, seconds=seconds)


@register_detector("clevr")
def _clevr_factory() -> ClevrDetector:
    return ClevrDetector.from_pretrained(DEFAULT_DETECTOR_WEIGHTS)
