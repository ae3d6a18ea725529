"""``DetectorTrainConfig``: the settings of ``vqa train detector``, both stages (``vqa.train.detector``,
``vqa.train.second_stage``)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import DataError
from ..perception.clevr.config import ClevrDetectorConfig

__all__ = ["DetectorTrainConfig"]


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
    # how the ROI head samples its training proposals (detectron2's ROI_HEADS.IOU_THRESHOLDS and
    # POSITIVE_FRACTION): a proposal is foreground from this IoU with an object's box, and up to this
    # fraction of the sampled proposals are foreground. Training only: inference does not read them.
    roi_fg_iou: float = 0.5
    roi_positive_fraction: float = 0.25
    threads: int = 1  # the shipped weights' setting: one thread repeats a run bit for bit on one machine
    seed: int = 0
    checkpoint_every: int = 200
    # leave the development images (index 1 mod 5) out too and report on them: to judge a recipe
    # change on real images without the validation split
    dev_holdout: bool = False
    crop_epochs: int = 40  # second stage (crop attribute and centre heads), trained after the detector
    # settings of the model config that also apply over --init's (whose config is otherwise kept):
    # the second stage's crops mark nearer objects' boxes (it must then train: crop_epochs > 0), and
    # the detection score threshold of the trained model, for its reports and its config (None: the
    # init's, or the default). The second stage's training crops come from the detector at the
    # init's (or the default) threshold, not at this one.
    crop_occluders: bool = False
    score_threshold: float | None = None
    crop_lr: float = 2e-3
    crop_batch: int = 128
    crop_ema: float = 0.99  # the second stage keeps an exponential moving average of its weights (0: off)
    progress: bool = True
    model: ClevrDetectorConfig = field(default_factory=lambda: ClevrDetectorConfig(crop_centre_weight=1.0))

    def check(self) -> None:
        """Refuse settings that cannot give a working detector (DataError): checked by ``train_detector``,
        and by `vqa train detector` before it starts any process."""
        if self.crop_epochs <= 0 and not self.init:
            raise DataError("--crop-epochs 0 keeps the second stage of the --init weights; "
                            "without --init it would ship untrained")
        if self.crop_occluders and self.crop_epochs <= 0:
            raise DataError("--crop-occluders changes what the second stage reads: give --crop-epochs 1 or more "
                            "so that it trains on such crops")
        if self.score_threshold is not None and not 0 < self.score_threshold < 1:
            raise DataError(f"--score-threshold {self.score_threshold}: give a probability between 0 and 1")
        if not 0 < self.roi_fg_iou < 1:
            raise DataError(f"--roi-fg-iou {self.roi_fg_iou}: give an IoU between 0 and 1")
        if not 0 < self.roi_positive_fraction <= 1:
            raise DataError(f"--roi-positive-fraction {self.roi_positive_fraction}: give a fraction in (0, 1]")
