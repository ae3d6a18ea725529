"""Perception: image -> ``Detections`` -> ``SceneGraph``.

Detectors sit in a registry keyed by the name users pass as ``--detector``. Each entry is a
zero-argument factory (so heavy imports, such as detectron2, happen only when it is chosen)
returning an object with::

    detect(image: PIL.Image.Image) -> Detections

The contract of ``detect``: RGB image in, every object found out, boxes xyxy in the image's
pixels, attribute distributions that sum to 1 per attribute type, no exceptions for an image
with no objects (an empty ``Detections``). Bad images raise ``ImageError`` before a detector sees
them (``vqa.perception.image.load_image``).
"""
from .base import Detections, DetectedObject, Detector, available_detectors, get_detector, register_detector
from .clevr import detector as _clevr  # noqa: F401,E402  registers "clevr" (detectron2 loads only when it is built)
from . import auto  # noqa: F401,E402
from .coco import detector as _coco  # noqa: F401,E402  register "coco" and "auto" (OpenCV loads only when built)

__all__ = ["Detections", "DetectedObject", "Detector", "register_detector", "get_detector", "available_detectors"]
