"""``ClevrDetectorConfig``: every number that rebuilds the CLEVR detector, saved as JSON beside its weights."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from itertools import product
from pathlib import Path

from ... import atomic

__all__ = ["CLEVR_ATTRIBUTE_VALUES", "clevr_classes", "ClevrDetectorConfig"]

# Value order of each attribute (the order of ../shared/data/clevr_renders/coco_instances.json).
CLEVR_ATTRIBUTE_VALUES = {
    "size": ["large", "small"],
    "color": ["gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow"],
    "material": ["rubber", "metal"],
    "shape": ["cube", "sphere", "cylinder"],
}


def clevr_classes() -> list[dict[str, str]]:
    """The 96 combined classes, size x colour x material x shape (shape varies fastest)."""
    keys = list(CLEVR_ATTRIBUTE_VALUES)
    return [dict(zip(keys, combo)) for combo in product(*CLEVR_ATTRIBUTE_VALUES.values())]


@dataclass
class ClevrDetectorConfig:
    """A Faster R-CNN (detectron2) with one class-agnostic "object" class whose ROI head also
    predicts the four attributes and regresses each object's projected 3-D centre
    (``pixel_coords``) relative to its proposal box.

    Attributes:
        backbone: ``"ClevrNet-FPN"`` (``vqa.perception.clevr.backbone``, about 6x cheaper) or ``"R-18-FPN"``
            (detectron2's ResNet-18 + FPN); both trained from scratch here.
        norm: ResNet normalisation (``"BN"``: there are no pretrained statistics to freeze).
        fpn_channels: FPN output width (the RPN and box pooler run on it).
        fc_dim: width of the two box-head FC layers; the detection's ``feature`` vector has this size.
        geo_dim: size of the embedding of each proposal's normalised box that joins the box features
            (so "large" vs "small" can use where in the image the object is, i.e. its distance).
        min_size, max_size: input resize (CLEVR images are 480 x 320: no resize).
        score_threshold: keep detections whose foreground probability is at least this.
        nms_threshold: class-agnostic NMS IoU.
        solid_nms: after NMS, also drop a detection whose object would intersect a higher-scoring
            one's in 3-D (``geometry.solid_overlap_nms``): a partly hidden object can be found twice,
            as its visible part and as its whole box, with an IoU under ``nms_threshold``.
        part_nms: then drop a detection that lies within a nearer, better-scoring detection's box
            and has its colour (``geometry.hidden_part_nms``): a highlight or an edge of that object.
        max_detections: at most this many objects per image (CLEVR has 3 to 10).
        anchor_sizes: one size per FPN level P2..P6, pixels.
        classes: the combined class list (attribute dicts), index = detectron2 class id.
        pixel_mean, pixel_std: input normalisation (RGB, 0-255).
        crop_size: side of the object crops the second-stage ``CropAttributeHead`` reads its
            attributes from (0: attributes from the ROI head alone).
        crop_margin: context around each box in a crop (fraction of the box's longest side).
        crop_centre_weight: with a second-stage ``CropCentreHead``, each object's centre is
            ``w * crop centre + (1 - w) * ROI head centre`` (0: no such head).
        crop_occluders: the crops' box channel also marks (with 1/2) where a nearer detection's box
            covers the object's box, nearer meaning a lower centre in the image (``crop_objects``).
        second_stages: how many second stages (crop attribute and centre heads), trained with
            seeds ``seed .. seed + K - 1``, whose readings are averaged (``AveragedHeads``).
    """

    backbone: str = "ClevrNet-FPN"
    norm: str = "BN"
    fpn_channels: int = 64
    fc_dim: int = 256
    geo_dim: int = 32
    min_size: int = 320
    max_size: int = 480
    score_threshold: float = 0.5
    nms_threshold: float = 0.5
    solid_nms: bool = True
    part_nms: bool = True
    max_detections: int = 20
    anchor_sizes: list[int] = field(default_factory=lambda: [16, 32, 64, 128, 256])
    rpn_post_nms_train: int = 300
    rpn_post_nms_test: int = 100
    roi_batch_per_image: int = 64
    classes: list[dict[str, str]] = field(default_factory=clevr_classes)
    pixel_mean: list[float] = field(default_factory=lambda: [103.5, 103.5, 103.5])
    pixel_std: list[float] = field(default_factory=lambda: [40.0, 40.0, 40.0])
    crop_size: int = 56
    crop_margin: float = 0.2
    crop_centre_weight: float = 0.0  # configs written before the centre head have none
    second_stages: int = 1  # configs written before the averaged second stage have one
    crop_occluders: bool = False  # configs written before it have none

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def to_json(self, path: str | Path) -> None:
        atomic.write_text(path, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def from_json(cls, path: str | Path) -> "ClevrDetectorConfig":
        return cls(**json.loads(Path(path).read_text()))
