"""Image file -> ``SceneGraph``: decode, detect, build the graph, timing each step.

The detector loads once per ``ImageGraphBuilder``; graphs of recently seen images are cached by
content hash, so a second question about the same image skips perception entirely.

Which graph builder runs depends on the detector that produced the detections
(``Detections.detector``; the ``auto`` detector reports the delegate it chose):

* ``"coco"`` (photos): ``detections_to_box_graph``, image-plane box relations (left of, on, next
  to, ...); the graph is marked ``extra["relations"] == "boxes"`` so the pipeline does not hand it
  to the CLEVR reasoner;
* anything else (``"clevr"``): ``detections_to_graph``, CLEVR's ground-plane relations.

A closer look (``vqa.perception.closer_look``): ``builder(path, look_for=classes)`` with the COCO
classes a question names (``vqa.answer.photo.question_classes``) runs the ``coco`` detector again
over tiles of a photo when some of them are absent from its graph, and returns the graph with what
the tiles found (``timings["closer_look"]``; added objects flagged). The tiles' network rows are
cached with the image, so later questions about other classes skip the network; each set of
classes gets its own graph, so an answer depends only on the image and its question.
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
from .closer_look import PhotoLooks
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
        closer_look: take a closer look at a photo when ``look_for`` names classes its graph lacks
            (module docstring); False: ``look_for`` is ignored, every photo gets the first pass only.
    """

    def __init__(self, detector="auto", weights: str | Path | None = None, cache_size: int = 16,
                 closer_look: bool = True, detect_threads: int | None = None):
        self._spec = (detector, weights)
        # the detector's convolutions split well across cores (CLEVR: 130 -> 95 ms with 2 threads
        # here), unlike the reasoner's small products; None keeps the process's setting (the app
        # answers two requests side by side, one core each)
        self.detect_threads = detect_threads
        self._detector = None if isinstance(detector, str) else detector
        self.cache_size = cache_size
        self.closer_look = closer_look
        self._cache: OrderedDict[str, PhotoLooks] = OrderedDict()  # first pass and closer looks per image
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

    def _detect(self, image):
        import torch

        before = torch.get_num_threads()
        if not self.detect_threads or self.detect_threads == before:
            return self.detector.detect(image)
        torch.set_num_threads(self.detect_threads)
        try:
            return self.detector.detect(image)
        finally:
            torch.set_num_threads(before)

    def _coco(self):
        """The detector that can take a closer look (the ``coco`` one, or ``auto``'s delegate), or None."""
        det = self.detector
        if hasattr(det, "delegate"):
            det = det.delegate("coco")
        return det if hasattr(det, "detect_in_tiles") else None

    def __call__(self, source, image_filename: str | None = None,
                 look_for=()) -> tuple[SceneGraph, dict[str, float]]:
        """The graph of ``source`` (path, bytes or PIL image) and the milliseconds of each step.

        ``look_for``: COCO class names a question asks about; on a photo graph lacking some of them a
        closer look is taken (module docstring) and ``timings["closer_look"]`` is set.
        """
        t0 = time.perf_counter()
        key = None
        if self.cache_size and not hasattr(source, "size"):
            if isinstance(source, (bytes, bytearray)):
                data = bytes(source)
            else:
                data = Path(source).read_bytes() if Path(source).is_file() else b""
            key = hashlib.sha1(data).hexdigest() if data else None
        if image_filename is None and isinstance(source, (str, Path)):
            image_filename = Path(source).name
        image = None
        seen = self._cache.get(key) if key is not None else None
        if seen is not None:
            self._cache.move_to_end(key)
            timings = {"decode": 0.0, "detect": 0.0, "graph": (time.perf_counter() - t0) * 1000, "cached": True}
        else:
            image = load_image(source)
            t1 = time.perf_counter()
            detections = self._detect(image)
            self.last_image, self.last_detections = image, detections
            t2 = time.perf_counter()
            seen = PhotoLooks(detections, graph_from_detections(detections, image_filename))
            t3 = time.perf_counter()
            if key is not None:
                self._cache[key] = seen
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            timings = {"decode": (t1 - t0) * 1000, "detect": (t2 - t1) * 1000, "graph": (t3 - t2) * 1000}
        return self._look(seen, source, image, look_for, timings), timings

    def _look(self, seen: PhotoLooks, source, image, look_for, timings: dict):
        """``seen.graph``, or the graph after a closer look for the classes of ``look_for`` it lacks."""
        if not self.closer_look or not look_for or seen.detections.detector not in PHOTO_DETECTORS:
            return seen.graph
        coco = self._coco() if seen.missing(look_for) else None
        if coco is None:
            return seen.graph
        graph, ms = seen.graph_for(coco, look_for, image if image is not None else lambda: load_image(source))
        timings["closer_look"] = ms
        return graph
