"""Image -> ``SceneGraph`` for the app, with a per-image cache.

Each question names a detector choice (``DETECTOR_CHOICES``): ``"auto"`` (the app's default)
picks ``clevr`` for CLEVR-like renders and ``coco`` for photos (``vqa.perception.auto.choose_detector``);
``"clevr"`` and ``"coco"`` force one.

* ``coco`` (photos): the packaged SSD-MobileNet-v2 (``photo_detector``, built on first use), then
  ``detections_to_box_graph``; the pipeline answers such graphs with the photo answerer. As in
  ``vqa ask``, ``graph(..., look_for=classes)`` takes a closer look (``vqa.perception.closer_look``)
  when the question names a class the photo's graph lacks.
* ``clevr``: with the ``"clevr"`` detector installed, ``detect`` then ``detections_to_graph``.
  Without one, the app still works on the shipped example images: an upload whose pixels (or
  file name) match an example gets that example's gold CLEVR scene graph, and any other image
  gets a message that the detector is not installed.

The page and the API are the same either way; ``SceneResult.source`` says which path was taken.
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

__all__ = ["EXAMPLES_DIR", "EXAMPLE_SCENES", "SceneResult", "SceneSource", "DetectorMissingError", "DETECTOR_CHOICES"]

EXAMPLES_DIR = Path(__file__).resolve().parent / "examples"
EXAMPLE_SCENES = EXAMPLES_DIR / "clevr_val_scenes.json"
DETECTOR = "clevr"
DETECTOR_CHOICES = ("auto", "clevr", "coco")


class DetectorMissingError(VqaError):
    """No detector is installed and the image is not one of the shipped examples."""


@dataclass
class SceneResult:
    graph: SceneGraph
    source: str  # e.g. "detector 'clevr'" or "gold annotation of CLEVR_train_000005.png"
    seconds: float  # time spent building the graph (0 on a cache hit)
    cached: bool
    closer_look: float | None = None  # seconds of the closer look at a photo; None when none was needed


class SceneSource:
    """Builds (and caches, keyed by the SHA-256 of the image bytes) the scene graph of an upload.

    Args:
        detector: an object with ``detect(PIL image) -> Detections``, or None for the example fallback.
        examples: gold graphs of the shipped images, each with ``image_filename`` set.
        example_dir: where the example images lie (their pixels are hashed once, here).
        cache_size: how many images' graphs to keep (least recently used dropped first).
        photo_detector: the ``coco`` detector, or a zero-argument factory building it on first use
            (None: photos cannot be read, and ``"coco"``/``"auto"`` fall back to the CLEVR path).
        default_choice: the choice used when ``graph`` is given none (``SceneSource.default``: auto).
        closer_look: take closer looks at photos for the classes ``graph``'s ``look_for`` names.
    """

    def __init__(self, detector=None, examples: list[SceneGraph] | None = None, example_dir: Path = EXAMPLES_DIR,
                 cache_size: int = 256, photo_detector=None, default_choice: str = DETECTOR, closer_look: bool = True):
        self.detector = detector
        self._photo = photo_detector
        self.default_choice = default_choice
        self.closer_look = closer_look
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
        def coco():
            return get_detector("coco")

        source = cls(detector, load_clevr_scenes(EXAMPLE_SCENES), photo_detector=coco, default_choice="auto")
        source.missing_reason = why if detector is None else None
        return source

    @property
    def photo_detector(self):
        """The ``coco`` detector (built on first use when a factory was given), or None."""
        if callable(self._photo) and not hasattr(self._photo, "detect"):
            with self._detect_lock:
                if not hasattr(self._photo, "detect"):
                    self._photo = self._photo()
        return self._photo

    def resolve(self, image, choice: str | None = None) -> str:
        """``"clevr"`` or ``"coco"``: the detector ``choice`` (default ``default_choice``) means for ``image``."""
        from ..perception.auto import choose_detector

        choice = choice or self.default_choice
        if choice not in DETECTOR_CHOICES:
            raise VqaError(f"unknown detector choice {choice!r}; choose one of {list(DETECTOR_CHOICES)}")
        if self._photo is None:
            return DETECTOR
        return choose_detector(image) if choice == "auto" else choice

    @property
    def example_images(self) -> list[Path]:
        return [EXAMPLES_DIR / n for n in sorted(self.by_name) if (EXAMPLES_DIR / n).is_file()]

    def describe(self) -> str:
        photos = ("; photos go to the 'coco' detector (80 everyday object classes) and are answered from what "
                  "it finds" if self._photo is not None else "")
        if self.detector is not None:
            return f"CLEVR renders go to the {DETECTOR!r} detector" + photos
        return ("no CLEVR detector is installed, so CLEVR renders are answered only for the shipped example images, "
                "using their annotated (gold) scene graphs" + photos)

    def graph(self, upload: Upload, choice: str | None = None, look_for=()) -> SceneResult:
        """The scene graph of ``upload``; ``look_for``: COCO classes the question names (a photo
        lacking some of them gets a closer look, ``SceneResult.closer_look``)."""
        name = self.resolve(upload.image, choice)
        key = f"{name}:{upload.digest}"
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
        cached, seconds = hit is not None, 0.0
        if hit is None:
            t0 = time.perf_counter()
            hit = self._build_photo(upload) if name == "coco" else (*self._build(upload), None)
            seconds = time.perf_counter() - t0
            with self._lock:
                self._cache[key] = hit
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        graph, source, looks = hit
        result = SceneResult(graph, source, seconds, cached)
        coco = self.photo_detector if looks is not None and self.closer_look and looks.missing(look_for) else None
        if hasattr(coco, "detect_in_tiles"):
            with self._detect_lock:
                result.graph, ms = looks.graph_for(coco, look_for, upload.image)
            result.closer_look = ms / 1000
        return result

    def _detect(self, detector, upload: Upload):
        """Detect, then the graph builder that fits the detector (``graph_from_detections``):
        ``(graph, detections)``."""
        from ..perception.image_graph import graph_from_detections

        with self._detect_lock:
            detections = detector.detect(upload.image)
        return graph_from_detections(detections, upload.name), detections

    def _build_photo(self, upload: Upload):
        """``(graph, source, PhotoLooks)``: the first pass, kept for closer looks."""
        from ..perception.closer_look import PhotoLooks

        graph, detections = self._detect(self.photo_detector, upload)
        source = f"detector 'coco' ({len(graph.objects)} objects; photo graph with box relations)"
        return graph, source, PhotoLooks(detections, graph)

    def _build(self, upload: Upload) -> tuple[SceneGraph, str]:
        if self.detector is not None:
            graph, _ = self._detect(self.detector, upload)
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
