"""Image -> ``SceneGraph`` for the app, with a per-image cache.

With the ``"clevr"`` detector registered in ``vqa.perception``, every image goes through it
(``detect`` then ``detections_to_graph``). Without one, the app still works on the shipped
example images: an upload whose pixels (or file name) match an example gets that example's gold
CLEVR scene graph, and any other image gets a message that the detector is not installed. The
page and the API are the same either way; ``SceneResult.source`` says which path was taken.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from ..errors import VqaError
from ..graph.scene_graph import SceneGraph
from .uploads import Upload, pixel_digest

__all__ = ["EXAMPLES_DIR", "EXAMPLE_SCENES", "SceneResult", "SceneSource", "DetectorMissingError"]

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
EXAMPLE_SCENES = EXAMPLES_DIR / "clevr_val_scenes.json"
DETECTOR = "clevr"


class DetectorMissingError(VqaError):
    """No detector is installed and the image is not one of the shipped examples."""


@dataclass
class SceneResult:
    graph: SceneGraph
    source: str  # e.g. "detector 'clevr'" or "gold annotation of CLEVR_train_000005.png"
    seconds: float  # time spent building the graph (0 on a cache hit)
    cached: bool


class SceneSource:
    """Builds (and caches, keyed by the SHA-256 of the image bytes) the scene graph of an upload.

    Args:
        detector: an object with ``detect(PIL image) -> Detections``, or None for the example fallback.
        examples: gold graphs of the shipped images, each with ``image_filename`` set.
        example_dir: where the example images lie (their pixels are hashed once, here).
        cache_size: how many images' graphs to keep (least recently used dropped first).
    """

    def __init__(self, detector=None, examples: list[SceneGraph] | None = None, example_dir: Path = EXAMPLES_DIR,
                 cache_size: int = 256):
        self.detector = detector
        self.by_name: dict[str, SceneGraph] = {g.image_filename: g for g in examples or [] if g.image_filename}
        self.by_pixels: dict[str, SceneGraph] = {}
        for name, g in self.by_name.items():
            if (example_dir / name).is_file():
                with Image.open(example_dir / name) as im:
                    self.by_pixels[pixel_digest(im)] = g
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[SceneGraph, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._detect_lock = threading.Lock()  # detectors need not be thread-safe
        self.missing_reason: str | None = None  # why there is no detector, for the page

    @classmethod
    def default(cls) -> "SceneSource":
        """The installed ``"clevr"`` detector if there is one; the shipped examples' gold graphs always."""
        from ..graph.io import load_clevr_scenes
        from ..perception import available_detectors, get_detector

        detector, why = None, f"no {DETECTOR!r} detector is registered in vqa.perception"
        if DETECTOR in available_detectors():
            try:
                detector = get_detector(DETECTOR)
            except VqaError as e:  # registered, but e.g. its weights are not installed
                why = str(e)
        source = cls(detector, load_clevr_scenes(EXAMPLE_SCENES))
        source.missing_reason = why if detector is None else None
        return source

    @property
    def example_images(self) -> list[Path]:
        return [EXAMPLES_DIR / n for n in sorted(self.by_name) if (EXAMPLES_DIR / n).is_file()]

    def describe(self) -> str:
        if self.detector is not None:
            return f"scene graphs come from the {DETECTOR!r} detector"
        return ("no object detector is installed, so the app answers about the shipped example images, "
                "using their annotated (gold) CLEVR scene graphs")

    def graph(self, upload: Upload) -> SceneResult:
        with self._lock:
            hit = self._cache.get(upload.digest)
            if hit is not None:
                self._cache.move_to_end(upload.digest)
                return SceneResult(hit[0], hit[1], 0.0, True)
        t0 = time.perf_counter()
        graph, source = self._build(upload)
        seconds = time.perf_counter() - t0
        with self._lock:
            self._cache[upload.digest] = (graph, source)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return SceneResult(graph, source, seconds, False)

    def _build(self, upload: Upload) -> tuple[SceneGraph, str]:
        if self.detector is not None:
            from ..graph.from_detections import detections_to_graph

            with self._detect_lock:
                detections = self.detector.detect(upload.image)
            graph = detections_to_graph(detections)
            graph.image_filename = graph.image_filename or upload.name
            return graph, f"detector {DETECTOR!r} ({len(graph.objects)} objects)"
        gold = self.by_pixels.get(pixel_digest(upload.image))
        if gold is not None:
            return gold, f"gold annotation of {gold.image_filename} (matched by its pixels; no detector installed)"
        gold = self.by_name.get(upload.name)
        if gold is not None and upload.image.size == (gold.width or 480, gold.height or 320):
            return gold, f"gold annotation of {gold.image_filename} (matched by file name; no detector installed)"
        raise DetectorMissingError(
            f"no object detector is installed, so only the shipped example images can be read "
            f"({', '.join(sorted(self.by_name))}); pick one of the examples, or install the "
            f"{DETECTOR!r} detector (vqa.perception) to ask about any image"
            + (f" [{self.missing_reason}]" if self.missing_reason else ""))
