"""Image file -> ``SceneGraph``: decode, detect, build the graph, timing each step.

The detector loads once per ``ImageGraphBuilder``; graphs of recently seen images are cached by
content hash, so a second question about the same image skips perception entirely.

Which graph builder runs depends on the detector that produced the detections
(``Detections.detector``; the ``auto`` detector reports the delegate it chose):

* ``"coco"`` (photos): ``detections_to_box_graph``, image-plane box relations (left of, on, next
  to, ...); the graph is marked ``extra["relations"] == "boxes"`` so the pipeline does not hand it
  to the CLEVR reasoner;
* anything else (``"clevr"``): ``detections_to_graph``, CLEVR's ground-plane relations.
"""
from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from pathlib import Path

from ..graph.box_relations import detections_to_box_graph
from ..graph.from_detections import detections_to_graph
from ..graph.scene_graph import SceneGraph
from .base import get_detector
from .image import load_image

__all__ = ["ImageGraphBuilder", "PHOTO_DETECTORS", "graph_from_detections"]

PHOTO_DETECTORS = frozenset({"coco"})  # detectors of everyday objects, whose graphs use box relations


def graph_from_detections(detections, image_filename: str | None = None) -> SceneGraph:
    """The graph builder that fits the detector behind ``detections`` (module docstring)."""
    if detections.detector in PHOTO_DETECTORS:
        return detections_to_box_graph(detections, image_filename)
    return detections_to_graph(detections, image_filename)


class ImageGraphBuilder:
    """``builder(path_or_bytes) -> (SceneGraph, {"decode": ms, "detect": ms, "graph": ms})``.

    Args:
        detector: registry name (``vqa.perception.available_detectors()``: ``"auto"``, the default,
            picks ``clevr`` or ``coco`` per image) or a ``Detector``.
        weights: for ``"clevr"`` (and the CLEVR delegate of ``"auto"``), another ``.safetensors``
            than the shipped one.
        cache_size: how many recent graphs to keep (0 disables the cache).
    """

    def __init__(self, detector="auto", weights: str | Path | None = None, cache_size: int = 16):
        self._spec = (detector, weights)
        self._detector = None if isinstance(detector, str) else detector
        self.cache_size = cache_size
        self._cache: OrderedDict[str, SceneGraph] = OrderedDict()
        self.last_image = None  # the decoded image and detections of the last uncached call (for drawing)
        self.last_detections = None

    @property
    def detector(self):
        """Built on first use, so a bad image fails before the model loads."""
        if self._detector is None:
            name, weights = self._spec
            if name == "clevr" and weights is not None:
                from .clevr_detector import ClevrDetector

                self._detector = ClevrDetector.from_pretrained(weights)
            elif name == "auto" and weights is not None:
                from .auto import AutoDetector
                from .clevr_detector import ClevrDetector

                self._detector = AutoDetector(factory=lambda n: ClevrDetector.from_pretrained(weights)
                                              if n == "clevr" else get_detector(n))
            else:
                from . import auto, clevr_detector, coco_detector  # noqa: F401  register the detectors

                self._detector = get_detector(name)
        return self._detector

    def __call__(self, source, image_filename: str | None = None) -> tuple[SceneGraph, dict[str, float]]:
        t0 = time.perf_counter()
        key = None
        if self.cache_size and not hasattr(source, "size"):
            if isinstance(source, (bytes, bytearray)):
                data = bytes(source)
            else:
                data = Path(source).read_bytes() if Path(source).is_file() else b""
            key = hashlib.sha1(data).hexdigest() if data else None
            if key in self._cache:
                self._cache.move_to_end(key)
                graph = self._cache[key]
                return graph, {"decode": 0.0, "detect": 0.0, "graph": (time.perf_counter() - t0) * 1000, "cached": True}
        if image_filename is None and isinstance(source, (str, Path)):
            image_filename = Path(source).name
        image = load_image(source)
        t1 = time.perf_counter()
        detections = self.detector.detect(image)
        self.last_image, self.last_detections = image, detections
        t2 = time.perf_counter()
        graph = graph_from_detections(detections, image_filename)
        t3 = time.perf_counter()
        if key is not None:
            self._cache[key] = graph
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return graph, {"decode": (t1 - t0) * 1000, "detect": (t2 - t1) * 1000, "graph": (t3 - t2) * 1000}
