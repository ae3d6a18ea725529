"""A question-guided closer look: the ``coco`` detector run again over overlapping tiles of a photo.

The whole-image pass sees a photo at 300 x 300, where small objects (a spoon beside a cup, boats on
a lake) are a few pixels wide and score under the threshold. When a question names a COCO class
that the photo's graph does not contain, ``look_closer`` runs the network once more on each tile of
a ``grid x grid`` layout of overlapping crops (each resized to the network input, so magnified by
``1 / tile``), keeps only detections of the asked classes at the normal score threshold, and adds
them to the detections; the graph is rebuilt from all of them by the usual builder (``vqa.pipeline.scenes``), so colour,
size and relations of the added objects are computed exactly as for the first pass. A question that
counts a class ("How many people are there?") gets the same look for that class even when the graph
has some (``again``): the tiles add the ones the first pass missed (step 3 keeps those it found).

Tiles (``tile_grid``): ``grid`` tiles per side, each ``tile`` of the image's width and height,
spread evenly from edge to edge. With ``grid = 2``, ``tile = 0.6`` neighbours overlap by 20 % of
the image, so an object narrower (shorter) than that lies whole in at least one tile.

From tile rows to objects (``CocoDetector.detect_in_tiles``), for each tile ``(x0, y0, x1, y1)``
of a ``W x H`` image and a row's corners ``(u, v)`` as fractions of the tile:

    x = (x0 + u (x1 - x0)) / W,   y = (y0 + v (y1 - y0)) / H        (``tile_rows_to_image``)

then, in image pixels:

1. a box within ``edge`` of a tile side that is not an image side is *cut* by the tile
   (``cut_by_tile``): its box and colour describe part of an object, and a neighbouring tile
   holds the whole object if it is small enough; cut boxes are dropped;
2. boxes of the asked classes with score >= ``score_threshold`` (0.5, as the first pass) are
   merged across tiles per class (``torchvision.ops.batched_nms``, IoU ``closer_look_iou``);
3. a box overlapping a first-pass object at IoU >= ``nms_threshold`` is that object seen again
   (the first pass's class-agnostic rule) and is dropped: first-pass objects stay as they were;
4. every raw row (any tile, any score) at IoU >= ``class_iou`` with a kept box votes for its class
   distribution, as in the first pass.

The added objects carry ``extra["closer_look"] = True`` in the graph, and the graph carries
``extra["closer_look"] = {"classes": [...], "found": n, "tiles": k}``; a closer look never removes
or changes a first-pass object, and it never invents one: what it adds scored at least the
threshold in a tile. Cost: ``grid ** 2`` network passes (about 500 ms for 4 on one thread); the tile
rows are returned so that callers can cache them per image (``vqa.pipeline.scenes.SceneBuilder``
does) and answer later questions about other classes without running the network again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torchvision.ops import batched_nms

from ..base import Detections

__all__ = ["CloserLook", "tile_grid", "tile_rows_to_image", "cut_by_tile", "merge_tiles", "look_closer"]


def tile_grid(width: int, height: int, grid: int = 2, tile: float = 0.6) -> list[list[int]]:
    """``grid x grid`` overlapping tiles ``[x0, y0, x1, y1]`` (pixels, row by row) covering the image.

    Each tile is ``round(tile * width) x round(tile * height)``; tiles are spread evenly, the first
    touching the left/top side and the last the right/bottom side. ``grid = 1`` is the whole image.
    """
    if grid < 1 or not 0 < tile <= 1:
        raise ValueError(f"a tile grid needs grid >= 1 and 0 < tile <= 1, got grid={grid}, tile={tile}")
    if grid == 1:
        return [[0, 0, int(width), int(height)]]
    tw, th = max(int(round(tile * width)), 1), max(int(round(tile * height)), 1)
    xs = [int(round(i * (width - tw) / (grid - 1))) for i in range(grid)]
    ys = [int(round(i * (height - th) / (grid - 1))) for i in range(grid)]
    return [[x, y, x + tw, y + th] for y in ys for x in xs]


def tile_rows_to_image(rows: np.ndarray, tile, width: int, height: int) -> np.ndarray:
    """Network rows ``[K, 7]`` with corners as fractions of ``tile`` -> corners as fractions of the image.

    ``tile``: ``[x0, y0, x1, y1]`` in image pixels. Columns 0-2 (batch, class, score) are kept.
    """
    x0, y0, x1, y1 = (float(v) for v in tile)
    out = np.array(rows, dtype=np.float32, copy=True).reshape(-1, 7)
    out[:, [3, 5]] = (x0 + out[:, [3, 5]] * (x1 - x0)) / max(width, 1)
    out[:, [4, 6]] = (y0 + out[:, [4, 6]] * (y1 - y0)) / max(height, 1)
    return out


def cut_by_tile(boxes: np.ndarray, tile, width: int, height: int, edge: float = 0.02) -> np.ndarray:
    """``[N, 4]`` xyxy boxes (image pixels) found in ``tile`` -> ``[N]`` bool: the box reaches within
    ``edge`` (a fraction of the tile's side) of a tile side that lies inside the image."""
    x0, y0, x1, y1 = (float(v) for v in tile)
    mx, my = edge * (x1 - x0), edge * (y1 - y0)
    b = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    cut = np.zeros(len(b), dtype=bool)
    if x0 > 0:
        cut |= b[:, 0] <= x0 + mx
    if y0 > 0:
        cut |= b[:, 1] <= y0 + my
    if x1 < width:
        cut |= b[:, 2] >= x1 - mx
    if y1 < height:
        cut |= b[:, 3] >= y1 - my
    return cut


def merge_tiles(boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, iou: float = 0.5) -> np.ndarray:
    """Indices of the boxes kept after per-class NMS (``torchvision.ops.batched_nms``), best score first.

    ``boxes`` ``[N, 4]`` xyxy, ``scores`` ``[N]``, ``labels`` ``[N]`` integer classes: the same object
    found in two overlapping tiles becomes one box, the higher-scored.
    """
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    keep = batched_nms(torch.as_tensor(np.asarray(boxes, dtype=np.float32)),
                       torch.as_tensor(np.asarray(scores, dtype=np.float32)),
                       torch.as_tensor(np.asarray(labels, dtype=np.int64)), iou)
    return keep.numpy()


@dataclass
class CloserLook:
    """One closer look at a photo (module docstring).

    Attributes:
        detections: the first pass's objects, then the ones the closer look added.
        classes: the classes looked for (asked about and absent from the first pass).
        added: indices in ``detections.objects`` (and the rebuilt graph's objects) of the added objects.
        seconds: time taken: the tile passes (none when ``tile_rows`` were given) and post-processing.
        tile_rows: ``[(tile xyxy, rows [K, 7] as fractions of the image)]``, to cache per image.
    """

    detections: Detections
    classes: list[str]
    added: list[int]
    seconds: float
    tile_rows: list = field(default_factory=list, repr=False)


def look_closer(detector, image, detections: Detections, classes, tile_rows=None, again=()) -> CloserLook:
    """Add the objects of ``classes`` that the tiles show and ``detections`` lack (module docstring).

    Args:
        detector: a ``CocoDetector`` (``detect_in_tiles``).
        image: the photo (``PIL.Image`` or ``[H, W, 3]`` uint8 RGB), the one ``detections`` came from.
        detections: the first pass.
        classes: COCO class names to look for (those already in ``detections`` are not looked for).
        tile_rows: the tile rows of an earlier closer look at the same image, to skip the network.
        again: COCO class names to look for even when ``detections`` has some (a count's class: the
            tiles add the objects of the class the first pass missed, step 3 keeps the ones it found).
    """
    t0 = time.perf_counter()
    present = {o.name for o in detections.objects}
    wanted = sorted({c for c in classes if c not in present} | set(again))
    if not wanted:
        return CloserLook(detections, [], [], 0.0, list(tile_rows or []))
    found, tile_rows = detector.detect_in_tiles(image, wanted, detections.objects, tile_rows)
    n = len(detections.objects)
    merged = Detections(list(detections.objects) + found, detections.width, detections.height,
                        detector=detections.detector, seconds=detections.seconds)
    return CloserLook(merged, wanted, list(range(n, n + len(found))), time.perf_counter() - t0, tile_rows)
