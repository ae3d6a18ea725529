"""Which detector an image needs: ``choose_detector(image) -> "clevr" | "coco"``, and the ``auto`` detector.

CLEVR images are Blender renders of a few solids on a grey floor, always 480 x 320. Their border
(the floor and the backdrop) is grey, mid-bright and smooth; photos rarely are all three at once.
The rule reads a 96 x 64 bilinear thumbnail and its frame, the outer 8 pixels on every side:

1. aspect ``|W / H - 1.5| <= 0.01`` (CLEVR is exactly 3:2; so are many photos, hence 2-4);
2. frame chroma ``0.003 <= mean(max(R,G,B) - min(R,G,B)) <= 0.07`` (RGB in [0, 1]): neutral grey,
   yet never exactly grey, since CLEVR's lamps tint the floor (a greyscale photo has chroma 0);
3. frame brightness ``0.35 <= mean((R + G + B) / 3) <= 0.62``: CLEVR's mid-grey floor;
4. frame smoothness ``median |I(x+1, y) - I(x, y)| <= 0.01`` (I the grey level): no texture.

All four: ``"clevr"``; otherwise ``"coco"``. Thresholds sit between the two groups' measured ranges
(``python benchmarks/photo_latency.py --auto`` prints them):

=====================  =============  =============  ==================================================
statistic              real CLEVR     our renders    the 32 packaged images (below)
=====================  =============  =============  ==================================================
aspect                 1.500          1.500          0.56 - 4.17; chelsea 1.503, coffee 1.500, rocket,
                                                     china and flower 1.499, motorcycles 1.482
frame chroma           0.007 - 0.040  0.008 - 0.033  0.119 - 0.387 for the 3:2 colour photos; 0 for the
                                                     greyscale ones
frame brightness       0.444 - 0.503  0.448 - 0.503  0.061 - 0.887
frame smoothness       0.001          0.001 - 0.003  0 - 0.055
=====================  =============  =============  ==================================================

Measured accuracy: all 199 real CLEVR images (``../shared/data/clevr/images``) and all 400 renders
(``../shared/data/clevr_renders/images``) choose ``clevr``; all 32 images packaged with
scikit-image (``skimage/data``: the photos astronaut, chelsea, coffee, camera, motorcycle_left/right,
rocket, hubble_deep_field, retina, ihc, coins, moon, brick, grass, gravel, clock_motion, cell,
microaneurysms, and the drawings page, text, horse, color, logo, phantom, chessboards, a GIF),
scikit-learn (china.jpg, flower.jpg) and matplotlib (grace_hopper.jpg, logo2.png,
Minduka_Present_Blue_Pack.png) choose ``coco``: 631 / 631.

Margins: the five 3:2 colour photos fail test 2 by a factor of three or more (chroma >= 0.119);
without test 1, the greyscale camera, moon, clock_motion, microaneurysms and chessboard_GRAY would
pass 3 and 4 and are stopped only by the chroma floor of 2. CLEVR images saved as JPEG
(quality 70) or resized to 960 x 640 or 240 x 160 keep chroma 0.007 - 0.022 and smoothness
<= 0.0013 (40 images checked). Known misses by design: a CLEVR image cropped to another aspect goes
to ``coco``; a 3:2 colour photo of a grey, smooth scene (a studio shot on grey paper) would go to
``clevr``. About 2-3 ms per decoded image (mostly the thumbnail resize).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from PIL import Image

from .base import Detections, Detector, get_detector, register_detector
from .image import to_rgb

__all__ = ["ImageStats", "image_stats", "choose_detector", "AutoDetector"]

_THUMB = (96, 64)
_FRAME = 8


@dataclass(frozen=True)
class ImageStats:
    """The four statistics the rule reads (module docstring)."""

    aspect: float
    frame_chroma: float
    frame_brightness: float
    frame_smoothness: float

    def looks_like_clevr(self) -> bool:
        return (abs(self.aspect - 1.5) <= 0.01 and 0.003 <= self.frame_chroma <= 0.07
                and 0.35 <= self.frame_brightness <= 0.62 and self.frame_smoothness <= 0.01)


def image_stats(image) -> ImageStats:
    """``ImageStats`` of an RGB ``PIL.Image`` (other modes are converted as ``load_image`` does)."""
    w, h = image.size
    thumb = np.asarray(to_rgb(image).resize(_THUMB, Image.BILINEAR), dtype=np.float32) / 255.0  # [64, 96, 3]
    frame = np.zeros(thumb.shape[:2], dtype=bool)
    frame[:_FRAME] = frame[-_FRAME:] = True
    frame[:, :_FRAME] = frame[:, -_FRAME:] = True
    chroma = thumb.max(2) - thumb.min(2)
    grey = thumb.mean(2)
    dx = np.abs(np.diff(grey, axis=1))  # [64, 95]; a difference belongs to the frame if its left pixel does
    return ImageStats(aspect=w / max(h, 1), frame_chroma=float(chroma[frame].mean()),
                      frame_brightness=float(grey[frame].mean()), frame_smoothness=float(np.median(dx[frame[:, :-1]])))


def choose_detector(image) -> str:
    """``"clevr"`` for an image that looks like a CLEVR render, else ``"coco"`` (the rule above)."""
    return "clevr" if image_stats(image).looks_like_clevr() else "coco"


class AutoDetector:
    """Delegates each image to the detector ``choose_detector`` names; each is built on first use.

    The returned ``Detections.detector`` is the delegate's name (``"clevr"`` or ``"coco"``), so later
    stages know which graph builder fits. A missing delegate (the CLEVR weights, say) raises its
    own ``WeightsError`` only when an image needs it.

    Args:
        detectors: ready detectors by name (tests pass fakes); others come from ``factory``.
        factory: name -> detector (the registry's ``get_detector``).
    """

    name = "auto"

    def __init__(self, detectors: dict[str, Detector] | None = None,
                 factory: Callable[[str], Detector] = get_detector):
        self._detectors: dict[str, Detector] = dict(detectors or {})
        self._factory = factory

    def delegate(self, name: str) -> Detector:
        if name not in self._detectors:
            self._detectors[name] = self._factory(name)
        return self._detectors[name]

    def detect(self, image) -> Detections:
        return self.delegate(choose_detector(image)).detect(image)


@register_detector("auto")
def _auto_factory() -> AutoDetector:
    return AutoDetector()
