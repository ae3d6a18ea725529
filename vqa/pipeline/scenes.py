"""Image -> ``Scene``: decode, detect, build the scene graph, timing each step. The ONE way an image
becomes a scene graph: ``vqa ask``, ``vqa graph``, ``vqa attention``, ``vqa eval --graphs predicted``,
the notebooks and the app all call ``SceneBuilder.build``.

Which detector reads an image is a name (``DETECTOR_CHOICES``): ``"auto"`` (the default) picks
``clevr`` for CLEVR-like renders and ``coco`` for photos (``vqa.perception.auto.choose_detector``);
``"clevr"`` and ``"coco"`` force one. The graph builder follows the detector
(``graph_from_detections``):

* ``coco`` (photos): ``detections_to_box_graph``, image-plane box relations (left of, on, next to,
  ...); the graph is marked ``extra["relations"] == "boxes"`` so the pipeline hands it to the photo
  answerer, never to the CLEVR reasoner;
* ``clevr``: ``detections_to_graph``, CLEVR's ground-plane relations.

Detectors are built on first use, so a bad image fails before a model loads, and the time it took
is reported (``timings["load"]``). Graphs of recently seen images are cached by the image's
content (SHA-1 of its bytes, or the caller's ``key``), so a second question about the same image
skips perception.

A closer look (``vqa.perception.coco.closer_look``): ``build(image, look_for=classes)`` with the
COCO classes a question names (``vqa.encode.photo_phrases.question_classes``) runs the ``coco``
detector again over tiles of a photo when some of them are absent from its graph
(``timings["closer_look"]``; added objects flagged); ``look_again=classes``, the classes a question
counts (``counted_classes``), are looked for even when the graph has some, and the tiles add the ones
the first pass missed (``graph.extra["closer_look"]["recounted"]``). ``question_looks(question)``
gives both. The tiles' network rows are cached with the
image; each set of classes gets its own graph, so an answer depends only on the image and its
question.

Without a CLEVR detector (detectron2 not installed, weights missing), ``examples`` (gold graphs of
known images) still answer for those images, matched by their pixels or file name.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import torch
from PIL import Image

from ..device import resolve_device
from ..errors import DataError, VqaError
from ..graph.box_relations import detections_to_box_graph
from ..graph.from_detections import detections_to_graph
from ..graph.scene_graph import SceneGraph
from ..perception.auto import choose_detector
from ..perception.clevr.detector import DEFAULT_DETECTOR_WEIGHTS, ClevrDetector
from ..perception.base import Detections, Detector, available_detectors, get_detector
from ..perception.coco.closer_look import look_closer
from ..perception.image import load_image, pixel_digest

__all__ = ["Scene", "SceneBuilder", "DetectorMissingError", "DETECTOR_CHOICES", "PHOTO_DETECTORS",
           "graph_from_detections"]

log = logging.getLogger(__name__)

DETECTOR_CHOICES = ("auto", "clevr", "coco")
PHOTO_DETECTORS = frozenset({"coco"})  # detectors of everyday objects, whose graphs use box relations


class DetectorMissingError(VqaError):
    """The CLEVR detector cannot be built and the image is not one of the known examples."""


def graph_from_detections(detections: Detections, image_filename: str | None = None) -> SceneGraph:
    """The graph builder that fits the detector behind ``detections`` (module docstring)."""
    if detections.detector in PHOTO_DETECTORS:
        return detections_to_box_graph(detections, image_filename)
    return detections_to_graph(detections, image_filename)


@dataclass
class Scene:
    """One image read into a scene graph.

    Attributes:
        graph: the scene graph (after a closer look, when one was taken).
        detector: the detector that read the image (``"clevr"``, ``"coco"``), or ``"gold"``.
        source: what built the graph, in words (for the app and ``--json``).
        timings: milliseconds of ``decode``, ``load`` (a detector built now), ``detect``, ``graph``
            and ``closer_look``; all 0 but ``graph`` on a cache hit.
        cached: the graph came from the cache.
        image: the decoded image (None on a cache hit).
        detections: the detector's output behind ``graph`` (None for gold graphs).
    """

    graph: SceneGraph
    detector: str
    source: str
    timings: dict[str, float]
    cached: bool = False
    image: Image.Image | None = None
    detections: Detections | None = None


@dataclass
class _Seen:
    """An image's first pass, and the graphs after closer looks for each set of classes."""

    detector: str
    source: str
    detections: Detections | None
    graph: SceneGraph
    tile_rows: list | None = None
    looks: dict = field(default_factory=dict)

    def present(self) -> set[str]:
        """The classes of the first pass's objects."""
        return {o.name for o in self.graph.objects}

    def missing(self, classes) -> tuple[str, ...]:
        present = self.present()
        return tuple(sorted({c for c in classes if c not in present}))


class SceneBuilder:
    """``builder.build(image) -> Scene``; thread-safe (the app answers requests side by side).

    Args:
        detector: default detector name (``DETECTOR_CHOICES``) or a ready ``Detector``.
        weights: the CLEVR detector's ``.safetensors`` when not the shipped one.
        detectors: ready detectors by name (tests pass fakes); others are built on first use.
        cache_size: how many images' graphs to keep (0 disables the cache).
        closer_look: take closer looks at photos for the classes ``look_for`` names.
        detect_threads: torch threads while detecting (None keeps the process's setting); with ``fast``,
            once the export is ready, ONNX Runtime's threads for the exported networks.
        examples: gold graphs (each with ``image_filename``) answering for those images when no
            CLEVR detector can be built; ``example_dir`` holds their images (matched by pixels).
        device: where the CLEVR detector runs (``vqa.device.resolve_device``; the ``coco`` detector is
            OpenCV's, on the CPU).
        fast: once built, the CLEVR detector also exports its networks to ONNX Runtime in a child
            process and detects with them when they are ready (``ClevrDetector.from_pretrained(fast=True)``:
            about a quarter less time per image; the eager model's detections within float noise).
            For anything that reads many images, like the app.
    """

    def __init__(self, detector: str | Detector = "auto", weights: str | Path | None = None,
                 detectors: dict[str, Detector] | None = None, cache_size: int = 16, closer_look: bool = True,
                 detect_threads: int | None = None, examples: Iterable[SceneGraph] = (),
                 example_dir: str | Path | None = None, device: str | torch.device = "cpu", fast: bool = False):
        self.device = resolve_device(device) if isinstance(device, str) else device
        self._detectors: dict[str, Detector] = dict(detectors or {})
        if isinstance(detector, str):
            self.default = detector
        else:
            self.default = getattr(detector, "name", "clevr")
            self._detectors[self.default] = detector
        self.weights = weights
        self.cache_size = cache_size
        self.closer_look = closer_look
        self.detect_threads = detect_threads
        self.fast = fast
        self.examples = {g.image_filename: g for g in examples if g.image_filename}
        self._example_pixels: dict[str, SceneGraph] = {}
        for name, g in self.examples.items():
            if example_dir is not None and (Path(example_dir) / name).is_file():
                with Image.open(Path(example_dir) / name) as im:
                    self._example_pixels[pixel_digest(im)] = g
        self.missing_reason: str | None = None  # why no CLEVR detector could be built
        self._cache: OrderedDict[str, _Seen] = OrderedDict()
        self._lock = threading.Lock()
        self._detect_lock = threading.Lock()  # detectors need not be thread-safe

    # --------------------------------------------------------------------------- detectors
    def detector(self, name: str) -> Detector:
        """The detector registered as ``name``, built on first use."""
        if name not in self._detectors:
            if name == "clevr" and (self.weights is not None or self.device.type != "cpu" or self.fast):
                self._detectors[name] = ClevrDetector.from_pretrained(
                    self.weights or DEFAULT_DETECTOR_WEIGHTS, device=self.device, fast=self.fast,
                    threads=self.detect_threads or torch.get_num_threads())
            else:
                self._detectors[name] = get_detector(name)
        return self._detectors[name]

    def resolve(self, image: Image.Image, choice: str | None = None) -> str:
        """``"clevr"`` or ``"coco"``: the detector ``choice`` (default: this builder's) means for ``image``."""
        choice = choice or self.default
        if choice not in DETECTOR_CHOICES and choice not in self._detectors and choice not in available_detectors():
            raise DataError(f"the {choice!r} detector is not available; choose one of {list(DETECTOR_CHOICES)}")
        return choose_detector(image) if choice == "auto" else choice

    def _detect(self, name: str, image: Image.Image, timings: dict) -> Detections:
        with self._detect_lock:
            t0 = time.perf_counter()
            built = name in self._detectors
            detector = self.detector(name)
            if not built:
                timings["load"] = (time.perf_counter() - t0) * 1000
            t1 = time.perf_counter()
            before = torch.get_num_threads()
            # exported networks run on their own detect_threads; the rest, small operations, on the
            # process's setting (two threads there cost more CPU than they saved, and no time: measured)
            exported = getattr(getattr(detector, "fast", None), "ready", False)
            if self.detect_threads and self.detect_threads != before and not exported:
                torch.set_num_threads(self.detect_threads)
            try:
                return detector.detect(image)
            finally:
                torch.set_num_threads(before)
                timings["detect"] = (time.perf_counter() - t1) * 1000

    def _gold(self, image: Image.Image, name: str | None, why: str) -> _Seen:
        """A known example's gold graph when no CLEVR detector can be built."""
        gold = self._example_pixels.get(pixel_digest(image))
        how = "its pixels"
        if gold is None and name in self.examples and image.size == (self.examples[name].width or 480,
                                                                     self.examples[name].height or 320):
            gold, how = self.examples[name], "its file name"
        if gold is None:
            known = f" ({', '.join(sorted(self.examples))})" if self.examples else ""
            raise DetectorMissingError(f"the 'clevr' detector is not available [{why}], so only the example "
                                       f"images{known} can be read; install it (bash scripts/setup.sh) or pick "
                                       "an example")
        return _Seen("gold", f"gold annotation of {gold.image_filename} (matched by {how}; no detector installed)",
                     None, gold)

    # ------------------------------------------------------------------------------- build
    def build(self, source, image_filename: str | None = None, look_for: Iterable[str] = (),
              detector: str | None = None, key: str | None = None, look_again: Iterable[str] = ()) -> Scene:
        """The ``Scene`` of ``source`` (path, bytes or PIL image).

        Args:
            image_filename: the name the graph carries (default: the path's file name).
            look_for: COCO class names a question asks about (closer look, module docstring).
            look_again: COCO class names a question counts: looked for even when the graph has some.
                ``vqa.encode.photo_phrases.question_looks(question)`` gives both.
            detector: this image's detector choice (default: the builder's).
            key: the cache key of ``source`` when the caller has one (default: SHA-1 of its bytes).
        """
        t0 = time.perf_counter()
        if image_filename is None and isinstance(source, (str, Path)):
            image_filename = Path(source).name
        if key is None and self.cache_size and not isinstance(source, Image.Image):
            data = bytes(source) if isinstance(source, (bytes, bytearray)) else (
                Path(source).read_bytes() if Path(source).is_file() else b"")
            key = hashlib.sha1(data).hexdigest() if data else None
        image = None
        # the graph carries the file name, so one picture under two names is two entries
        cache_key = f"{detector or self.default}:{image_filename}:{key}" if key else None
        with self._lock:
            seen = self._cache.get(cache_key) if cache_key else None
            if seen is not None:
                self._cache.move_to_end(cache_key)
        timings: dict[str, float] = {}
        if seen is None:
            image = source if isinstance(source, Image.Image) else load_image(source)
            t1 = time.perf_counter()
            timings["decode"] = (t1 - t0) * 1000
            seen = self._first_pass(image, image_filename, self.resolve(image, detector), timings)
            if cache_key:
                with self._lock:
                    self._cache[cache_key] = seen
                    while len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
        else:
            timings.update(decode=0.0, detect=0.0, graph=(time.perf_counter() - t0) * 1000)
        graph = self._look(seen, source, image, tuple(look_for), tuple(look_again), timings)
        log.debug("%s: %s%s; %s", image_filename or "image", seen.source, ", from the cache" if image is None else "",
                  ", ".join(f"{k} {v:.0f} ms" for k, v in timings.items()))
        added = len(graph.objects) - len(seen.graph.objects)  # by a closer look: the source says so
        described = f"{seen.source}, {added} more from a closer look" if added else seen.source
        return Scene(graph, seen.detector, described, timings, cached=image is None, image=image,
                     detections=seen.detections)

    def _first_pass(self, image: Image.Image, image_filename: str | None, name: str, timings: dict) -> _Seen:
        try:
            detections = self._detect(name, image, timings)
        except (VqaError, ImportError) as e:
            if name != "clevr" or not (self.examples or self._example_pixels):
                raise
            self.missing_reason = str(e)
            t = time.perf_counter()
            seen = self._gold(image, image_filename, str(e))
            timings["graph"] = (time.perf_counter() - t) * 1000
            return seen
        t = time.perf_counter()
        graph = graph_from_detections(detections, image_filename)
        timings["graph"] = (time.perf_counter() - t) * 1000
        what = "photo graph with box relations" if detections.detector in PHOTO_DETECTORS else "CLEVR graph"
        return _Seen(detections.detector or name, f"detector {detections.detector or name!r} "
                     f"({len(graph.objects)} objects; {what})", detections, graph)

    def _look(self, seen: _Seen, source, image, look_for: tuple, look_again: tuple, timings: dict) -> SceneGraph:
        """``seen.graph``, or the graph after a closer look for the classes of ``look_for`` it lacks
        and those of ``look_again``."""
        if not self.closer_look or not (look_for or look_again) or seen.detector not in PHOTO_DETECTORS:
            return seen.graph
        again = tuple(sorted(set(look_again)))
        wanted = tuple(sorted(set(seen.missing(look_for)) | set(again)))
        coco = self.detector(seen.detector) if wanted else None
        if not hasattr(coco, "detect_in_tiles"):
            return seen.graph
        t0 = time.perf_counter()
        with self._detect_lock:
            if wanted not in seen.looks:
                if image is None:
                    image = source if isinstance(source, Image.Image) else load_image(source)
                look = look_closer(coco, image, seen.detections, wanted, seen.tile_rows, again=again)
                seen.tile_rows = look.tile_rows
                graph = graph_from_detections(look.detections, seen.graph.image_filename)
                for k in look.added:
                    graph.objects[k].extra["closer_look"] = True
                graph.extra["closer_look"] = {"classes": list(look.classes), "found": len(look.added),
                                              "tiles": len(look.tile_rows),
                                              "recounted": sorted(seen.present().intersection(again))}
                seen.looks[wanted] = graph
        timings["closer_look"] = (time.perf_counter() - t0) * 1000
        return seen.looks[wanted]
